"""The gate every update passes first: who is this, in which language, and may they do it.

It runs in handler group -1, before every flow. It loads the member, sets the reply
language, and stops the update (ApplicationHandlerStop) when the person is a stranger, has
left, or asks for a command or a button their role does not allow. Nothing is written for
a stranger: the only thing a stranger can do is open an invitation link (and answer the
consent question a beneficiary's link asks: bot.buttons, `for_strangers`).

Before anything is read or written, each person's pace is checked (bot.throttle): over
USER_MESSAGES_PER_MINUTE, the first refused update is answered once, the next ones are dropped.

Every refusal is audited ("refused"): why, and which command or button, never an id or a
typed word; for a stranger, without any trace of who they are.
"""

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import buttons, permissions
from bot.context import RelaisContext
from bot.i18n import _, resolve_language, set_language
from bot.throttle import Verdict, throttle_of
from bot.update_log import IGNORED, REFUSED, THROTTLED, describe, set_outcome
from storage.audit import record_now
from storage.members import find_member, note_app_language
from storage.models import Member

logger = logging.getLogger(__name__)


async def gate(update: Update, context: RelaisContext) -> None:
    user = update.effective_user
    if user is None or user.is_bot:
        set_outcome(IGNORED)
        raise ApplicationHandlerStop
    chat = update.effective_chat
    private = chat is None or chat.type == "private"
    if not private and update.callback_query is None:
        # Relais talks in private chats; messages in groups are not meant for it.
        set_outcome(IGNORED)
        raise ApplicationHandlerStop
    verdict = throttle_of(context.relais).hit(user.id)
    if verdict is not Verdict.ALLOW:
        await _slow_down(update, context, verdict)

    member = find_member(context.engine, user.id)
    context.member = member
    if member is not None:
        note_app_language(context.engine, member, user.language_code)
    _speak_to(update, member, context)

    if member is None:
        if _opens_invitation(update):
            return
        await _refuse(update, context, "stranger", _stranger_text())
    elif not member.active:
        await _refuse(
            update,
            context,
            "left",
            _("Votre accès à Relais a été fermé. Si c'est une erreur, contactez la coordination."),
        )
    elif not _allowed(update, member, private=private):
        await _refuse(update, context, "role", _refusal_text(update))


def _speak_to(update: Update, member: Member | None, context: RelaisContext) -> None:
    """Set the reply language: the member's choice, else their Telegram app's, else the default."""
    user = update.effective_user
    set_language(
        resolve_language(
            member.language if member else None,
            user.language_code if user else None,
            context.settings.default_language,
        )
    )


async def _slow_down(update: Update, context: RelaisContext, verdict: Verdict) -> None:
    """Over the limit: say so once per burst (and audit it), then drop without a word.

    Nothing is written for a stranger but the audit line, which names nobody.
    """
    set_outcome(THROTTLED)
    if verdict is Verdict.WARN:
        member = find_member(context.engine, update.effective_user.id)
        record_now(
            context.engine,
            "throttled",
            context.relais.now(),
            member_id=member.id if member else None,
        )
        _speak_to(update, member, context)
        await _answer_quietly(update, _slow_down_text())
    elif update.callback_query is not None:
        await _answer_quietly(update, None)  # only stop the button's spinner
    raise ApplicationHandlerStop


async def _answer_quietly(update: Update, text: str | None) -> None:
    """Answer a throttled update; a failure is logged, never turned into one more message."""
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=text is not None)
        elif text is not None and update.effective_message is not None:
            chat = update.effective_chat
            if chat is not None and chat.type == "private":
                await chat.send_message(text)
    except TelegramError as error:
        logger.warning("Could not answer a throttled update: %s", type(error).__name__)


def _slow_down_text() -> str:
    return _(
        "Vous envoyez beaucoup de messages d'un coup : attendez une minute, puis reprenez. "
        "Ce que vous envoyez d'ici là n'est pas pris en compte."
    )


def _opens_invitation(update: Update) -> bool:
    """`/start <token>`, or the answer to the consent question such a link asked."""
    if update.callback_query is not None:
        return buttons.stranger_may(update.callback_query.data)
    message = update.message
    if message is None or not message.text:
        return False
    parts = message.text.split()
    return len(parts) == 2 and permissions.command_name(message.text) == "start"


def _allowed(update: Update, member: Member, *, private: bool) -> bool:
    if update.callback_query is not None:
        return buttons.allowed(update.callback_query.data, member.role, private=private)
    message = update.effective_message
    name = permissions.command_name(message.text if message else None)
    if name is None:
        return True  # plain answers inside a flow whose entry was already checked
    return permissions.command_allowed(name, member.role)


def _stranger_text() -> str:
    return _(
        "Bonjour ! Relais est réservé aux équipes de Sarthe Habitat, de Montjoie et à leurs "
        "partenaires. Pour y accéder, demandez un lien d'invitation à la coordination du "
        "programme, puis ouvrez-le ici."
    )


def _refusal_text(update: Update) -> str:
    message = update.effective_message
    name = permissions.command_name(message.text if message else None)
    if name is not None and permissions.command_named(name) is None:
        return _("Je ne connais pas cette commande. /aide liste ce que vous pouvez faire.")
    if update.callback_query is not None:
        return _("Ce bouton n'est pas (ou plus) disponible pour vous.")
    return _("Cette action n'est pas ouverte à votre rôle. /aide liste ce que vous pouvez faire.")


def record_refusal(update: Update, context: RelaisContext, reason: str) -> None:
    """Audit a refused attempt: the reason, and what was tried (by name, not its content)."""
    set_outcome(REFUSED)
    member = context.member
    record_now(
        context.engine,
        "refused",
        context.relais.now(),
        member_id=member.id if member else None,
        detail=f"{reason}: {describe(update)}",
    )


async def _refuse(update: Update, context: RelaisContext, reason: str, text: str) -> None:
    record_refusal(update, context, reason)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_chat is not None and update.effective_chat.type == "private":
        await update.effective_chat.send_message(text)
    raise ApplicationHandlerStop
