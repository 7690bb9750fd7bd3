"""The quarterly review pack: one message with the review's date and its counts, and one
text file listing every open case grouped by worker (domain.review), protected from
forwarding. Sent by the reminder a week before each review (conversations.reminders), and
on demand with /revue (/review).

A landlord referent gets the cases they may see (storage.access); workers and the
coordination get every open case. The file holds no personal value: references, kinds,
statuses, phases and dates, and the names of the team's workers. Every pack given is
audited, like every export.
"""

from collections.abc import Callable
from datetime import date, datetime, time

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot import permissions
from bot.context import RelaisApplication, RelaisContext
from bot.i18n import _, current_language, format_date, format_datetime, ngettext
from bot.labels import phase_label, status_label
from conversations.cases import kind_short
from domain.review import PackLine, ReviewPack, next_review, review_pack
from storage.audit import record_now
from storage.models import Member
from storage.review import review_cases

AUDIT_ACTION = "review.pack"


def make_pack(
    application: RelaisApplication, reader: Member, review_day: date | None
) -> ReviewPack:
    now = application.now()
    cases = review_cases(application.engine, reader, now)
    return review_pack(cases, now, application.programme, review_day)


def coming_review(application: RelaisApplication) -> date | None:
    """The next quarterly review of the programme file, today's included (local day)."""
    today = application.now().astimezone(application.settings.zone).date()
    return next_review(application.programme.reminders.quarterly_reviews, today)


async def send_review_pack(
    application: RelaisApplication,
    reader: Member,
    chat_id: int,
    review_day: date | None,
    why: str,
    *,
    message: bool = True,
    said: Callable[[], None] | None = None,
) -> None:
    """The message, then the file, to `chat_id`, in the current language; audited.

    `message` False leaves the message out (it went on an earlier attempt); `said` is called
    once it went, so that a retry after the file failed does not send it twice. Telegram's
    errors are the caller's (the reminder dispatcher retries them)."""
    pack = make_pack(application, reader, review_day)
    if message:
        await application.bot.send_message(chat_id, summary(application, pack))
        if said is not None:
            said()
    if pack.open_count:
        await application.bot.send_document(
            chat_id,
            document(application, pack).encode(),
            filename=file_name(application, pack),
            caption=caption(application, pack),
            protect_content=True,
        )
    record_now(
        application.engine,
        AUDIT_ACTION,
        application.now(),
        member_id=reader.id,
        detail=f"{why} {review_day.isoformat() if review_day else '-'} cases={pack.open_count}",
    )


def _review_day(application: RelaisApplication, pack: ReviewPack) -> str:
    day = datetime.combine(pack.review_day, time(12), tzinfo=application.settings.zone)
    return format_date(day, application.settings.zone)


def summary(application: RelaisApplication, pack: ReviewPack) -> str:
    """The message: the review's date and the counts."""
    zone = application.settings.zone
    lines = [
        _("Revue trimestrielle du {day}.").format(day=_review_day(application, pack))
        if pack.review_day
        else _("Aucune revue trimestrielle n'est prévue dans le fichier du programme.")
    ]
    if not pack.open_count:
        lines.append(
            _("Aucun dossier ouvert au {date}.").format(date=format_date(pack.made_at, zone))
        )
        return "\n".join(lines)
    lines += [
        _("Dossiers ouverts : {count}.").format(count=pack.open_count),
        _("Sans nouvelles depuis {days} jours ou plus : {count}.").format(
            days=pack.stale_days, count=len(pack.overdue)
        ),
        _("Au-delà de la durée prévue de leur phase : {count}.").format(
            count=len(pack.past_length)
        ),
        _(
            "Le détail par travailleur social est dans le document qui suit (il ne peut pas être transféré)."
        ),
    ]
    return "\n".join(lines)


def caption(application: RelaisApplication, pack: ReviewPack) -> str:
    if pack.review_day:
        return _(
            "Revue trimestrielle du {day} : les dossiers ouverts par travailleur social."
        ).format(day=_review_day(application, pack))
    return _("Les dossiers ouverts par travailleur social, au {date}.").format(
        date=format_date(pack.made_at, application.settings.zone)
    )


def file_name(application: RelaisApplication, pack: ReviewPack) -> str:
    day = pack.review_day or pack.made_at.astimezone(application.settings.zone).date()
    word = "review" if current_language() == "en" else "revue"
    return f"relais-{word}-{day.isoformat()}.txt"


def document(application: RelaisApplication, pack: ReviewPack) -> str:
    """The pack as a plain UTF-8 text: a head with the counts, the cases overdue for news,
    then one section per worker."""
    zone = application.settings.zone
    title = (
        _("Relais — revue trimestrielle du {day}").format(day=_review_day(application, pack))
        if pack.review_day
        else _("Relais — les dossiers ouverts")
    )
    overdue = ", ".join(line.case.reference for line in pack.overdue) or _("aucun")
    blocks = [
        "\n".join(
            [
                title,
                _("Établi le {when}.").format(when=format_datetime(pack.made_at, zone)),
                _("Dossiers ouverts : {count}.").format(count=pack.open_count),
                _("Sans nouvelles depuis {days} jours ou plus : {references}.").format(
                    days=pack.stale_days, references=overdue
                ),
            ]
        )
    ]
    for group in pack.groups:
        name = group.worker_name if group.worker_name is not None else _("Sans intervenant")
        count = len(group.lines)
        head = ngettext("{name} — {count} dossier", "{name} — {count} dossiers", count).format(
            name=name, count=count
        )
        lines = [head, "=" * len(head)]
        for line in group.lines:
            lines += _case_lines(application, line)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _case_lines(application: RelaisApplication, line: PackLine) -> list[str]:
    zone, case = application.settings.zone, line.case
    lines = [
        _("{reference} — {kind} — {status}").format(
            reference=case.reference,
            kind=_(kind_short(case.kind)),
            status=status_label(case.status),
        )
    ]
    if case.phase is not None and line.day_in_phase is not None:
        lines.append(
            "  "
            + _("Phase : {phase} — jour {day} sur {max_days} au plus").format(
                phase=phase_label(case.phase), day=line.day_in_phase, max_days=line.phase_max_days
            )
        )
        if line.past_planned_length:
            lines.append("  " + _("! Au-delà de la durée prévue de la phase."))
    else:
        lines.append("  " + _("Pas encore de phase d'accompagnement."))
    lines.append(
        "  " + _("Dernier événement : {date}").format(date=format_date(case.last_event_at, zone))
    )
    lines.append(
        "  "
        + (
            _("Prochain rendez-vous : {when}").format(
                when=format_datetime(case.next_appointment_at, zone)
            )
            if case.next_appointment_at
            else _("Prochain rendez-vous : aucun")
        )
    )
    if line.overdue_for_news:
        lines.append(
            "  "
            + ngettext(
                "! Sans nouvelles depuis {days} jour.",
                "! Sans nouvelles depuis {days} jours.",
                line.days_without_news,
            ).format(days=line.days_without_news)
        )
    return lines


async def on_demand(update: Update, context: RelaisContext) -> None:
    """/revue: the pack now, for the coming review."""
    await send_review_pack(
        context.relais,
        context.known_member,
        update.effective_chat.id,
        coming_review(context.relais),
        "on_demand",
    )


def handlers() -> list[BaseHandler]:
    return [CommandHandler(list(permissions.REVIEW.names), on_demand)]
