"""Intake latency: one answer of the report form, Relais against a bare PTB bot.

The bare bot is a ConversationHandler of the same steps making the same Bot API calls per
answer (answer the tap, edit the answered question, send the next one; a ticked box edits
the keyboard only) but storing nothing. Both run on their own fake Bot API in this process,
and the rounds alternate (one person through Relais, one through the bare bot), so that the
machine's noise falls on both alike. An answer's latency runs from the update being queued to
the bot having handled it (the update confirmed and the application's queue drained).
Telegram's pacing is off here (CHAT_MESSAGES_PER_SECOND=0, BOT_MESSAGES_PER_SECOND=0): the
driver answers at once, far faster than people, and the waits would be measured, not the work.
"""

import asyncio
import statistics
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from benchmarks.table import Figure, Goal, markdown
from bot.app import Requests
from bot.settings import Settings
from domain.vocabulary import OrganisationKind, Role
from playground.fakebotapi import FakeBotAPI
from playground.offline import start_offline, stop_offline
from storage.invitations import create_invitation, redeem_invitation
from storage.members import ensure_organisation

# The addiction form as a correspondent fills it (tests/stories.py): ("tap" | "send", what).
Form = tuple[tuple[str, str], ...]
FORM: Form = (
    ("send", "/signaler"),
    ("tap", "Difficultés dans le logement liées à une addiction"),
    ("tap", "Non"),
    ("send", "M. D."),
    ("tap", "1"),
    ("tap", "0"),
    ("tap", "Les Glonnières"),
    ("tap", "Oui"),
    ("send", "06 12 34 56 78"),
    ("tick", "Soir"),
    ("tap", "Valider"),
    ("tick", "Troubles du voisinage"),
    ("tick", "Impayés de loyer"),
    ("tap", "Valider"),
    ("tap", "Je ne sais pas"),
    ("tick", "Aucun"),
    ("tap", "Valider"),
    ("send", "Voisins inquiets depuis l'été."),
    ("tap", "Envoyer"),
)
SITES = "name,commune,sector,qpv\nLes Glonnières,Le Mans,Sud,yes\n"
KEY = "Wq2HcNkbsK1L0xwBv9Q2OdC1n4d2n0Jz6m5WfQk3p8A="
_WEEK = timedelta(days=7)


@dataclass
class Timings:
    answers: list[float]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.answers)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.answers)

    @property
    def p95(self) -> float:
        return self.percentile(0.95)


class Driver:
    """One fake Bot API and the application polling it; people fill the form through it."""

    def __init__(self, fake: FakeBotAPI, application: Application) -> None:
        self.fake, self.application = fake, application

    async def settle(self, update_id: int) -> None:
        await self.fake.wait_confirmed(update_id)
        await self.application.update_queue.join()

    async def timed(self, act: Callable[[], int]) -> float:
        started = time.perf_counter()
        await self.settle(act())
        return time.perf_counter() - started

    async def fill(
        self, user, tap_data: Callable[[str, str], str | None], form: Form = FORM
    ) -> list[float]:
        """The whole form, each answer timed; `tap_data` picks the button of a step."""
        timings = []
        for kind, what in form:
            if kind == "send":
                timings.append(await self.timed(lambda what=what: self.fake.send_text(user, what)))
                continue
            message = next(
                record
                for record in reversed(self.fake.bot_messages(user.id))
                if record.reply_markup and record.reply_markup.get("inline_keyboard")
            )
            data = tap_data(kind, what)
            timings.append(
                await self.timed(
                    lambda m=message, d=data, w=what: (
                        self.fake.tap(user, m.message_id, label=w)
                        if d is None
                        else self.fake.tap(user, m.message_id, data=d)
                    )
                )
            )
        return timings


# ---------------------------------------------------------------- the bare bot

ASKING = 0


async def _ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    step = context.user_data.get("step", 0) + 1
    context.user_data["step"] = step
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"Réponse {n}", callback_data=f"pick:{n}")] for n in range(4)]
        + [[InlineKeyboardButton("Cocher", callback_data="tick")]]
        + [[InlineKeyboardButton("← Retour", callback_data="back"),
            InlineKeyboardButton("Annuler", callback_data="cancel")]]
    )  # fmt: skip
    sent = await context.bot.send_message(
        update.effective_chat.id, f"Étape {step}/18\nQuestion {step} ?", reply_markup=keyboard
    )
    context.user_data["question"] = sent.message_id
    return ASKING


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data["step"] = 0
    return await _ask(update, context)


async def _tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    await query.answer()
    if query.data == "tick":  # the box shows ticked, or unticked again
        rows = [list(row) for row in query.message.reply_markup.inline_keyboard]
        ticked = rows[-2][0].text.startswith("✓")
        rows[-2] = [InlineKeyboardButton("Cocher" if ticked else "✓ Cocher", callback_data="tick")]
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))
        return ASKING
    await query.edit_message_text(f"{query.message.text}\n→ {query.data}")
    return await _ask(update, context)


async def _typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data.setdefault("typed", []).append(update.message.text)
    await context.bot.edit_message_text(
        f"Question {context.user_data['step']} ?\n→ {update.message.text}",
        chat_id=update.effective_chat.id,
        message_id=context.user_data["question"],
    )
    return await _ask(update, context)


def bare_bot(fake: FakeBotAPI, requests: Requests | None = None) -> Application:
    """The bare bot, over HTTP to `fake`, or through `requests` (getUpdates, the rest)."""
    # PTB warns that its callback handlers are tracked per chat, not per message: as wanted.
    warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
    builder = Application.builder().token(fake.token).base_url(fake.base_url)
    if requests is not None:
        builder = builder.get_updates_request(requests[0]).request(requests[1])
    application = builder.build()
    application.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("signaler", _start)],
            states={
                ASKING: [
                    CallbackQueryHandler(_tapped),
                    MessageHandler(filters.TEXT & ~filters.COMMAND, _typed),
                ]
            },
            fallbacks=[],
        )
    )
    return application


def _bare_button(kind: str, _label: str) -> str:
    return "tick" if kind == "tick" else "pick:1"


# ---------------------------------------------------------------- the run


async def _polling(application: Application) -> None:
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=10)


async def _stopping(application: Application) -> None:
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


def _relais_settings(fake: FakeBotAPI, folder: Path) -> Settings:
    (folder / "sites.csv").write_text(SITES, encoding="utf-8")
    return Settings(
        telegram_bot_token=fake.token,
        telegram_api_base_url=fake.base_url,
        database_url=f"sqlite:///{folder / 'relais.sqlite3'}",
        encryption_keys=KEY,
        sites_file=folder / "sites.csv",
        user_messages_per_minute=100_000,
        chat_messages_per_second=0,
        bot_messages_per_second=0,
        _env_file=None,
    )


def _enrolled(application, fake: FakeBotAPI, number: int):
    user = fake.add_user(f"Correspondant {number}")
    fake.start_chat(user)
    engine = application.engine
    organisation = ensure_organisation(engine, "Sarthe Habitat", OrganisationKind.LANDLORD)
    invitation = create_invitation(
        engine, role=Role.CORRESPONDENT, organisation_id=organisation.id, ttl=_WEEK
    )
    redeem_invitation(engine, invitation.token, telegram_id=user.id, display_name=user.first_name)
    return user


async def measure(rounds: int, on_round: Callable[[], Awaitable[None] | None] | None = None):
    """(Relais, bare) timings of `rounds` people each, rounds alternating."""
    relais_fake, bare_fake = FakeBotAPI(), FakeBotAPI(token="654321:BARE")
    await relais_fake.start()
    await bare_fake.start()
    with tempfile.TemporaryDirectory() as folder:
        relais = await start_offline(_relais_settings(relais_fake, Path(folder)))
        bare = bare_bot(bare_fake)
        await _polling(bare)
        relais_driver, bare_driver = Driver(relais_fake, relais), Driver(bare_fake, bare)
        relais_times, bare_times = [], []
        try:
            for number in range(rounds + 1):  # the first round of each warms up
                user = _enrolled(relais, relais_fake, number)
                timed = await relais_driver.fill(user, lambda kind, label: None)
                bare_user = bare_fake.add_user(f"Personne {number}")
                bare_fake.start_chat(bare_user)
                bare_timed = await bare_driver.fill(bare_user, _bare_button)
                if number:
                    relais_times += timed
                    bare_times += bare_timed
        finally:
            await _stopping(bare)
            await stop_offline(relais)
            await relais_fake.stop()
            await bare_fake.stop()
    return Timings(relais_times), Timings(bare_times)


def figures(quick: bool = False) -> list[Figure]:
    relais, bare = asyncio.run(measure(1 if quick else 10))
    return [
        Figure(f"intake answer {name}", value * 1000, "ms", Goal.ratio_at_most(1.15),
               baseline * 1000, "bare PTB ConversationHandler")
        for name, value, baseline in (("p50", relais.p50, bare.p50), ("p95", relais.p95, bare.p95))
    ]  # fmt: skip


def main() -> None:
    print(markdown(figures()))


if __name__ == "__main__":
    main()
