"""The gate every update passes first: who is this, in which language, and may they do it.

It runs in handler group -1, before every flow. It loads the member, sets the reply
language, and stops the update (ApplicationHandlerStop) when the person is a stranger, has
left, or asks for a command or a button their role does not allow. Nothing is written for
a stranger: the only thing a stranger can do is open an invitation link (and answer the
consent question a beneficiary's link asks: bot.permissions.STRANGER_BUTTONS).
"""

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot import permissions
from bot.context import RelaisContext
from bot.i18n import _, resolve_language, set_language
from storage.members import find_member, note_app_language
from storage.models import Member


async def gate(update: Update, context: RelaisContext) -> None:
    user = update.effective_user
    if user is None or user.is_bot:
        raise ApplicationHandlerStop
    chat = update.effective_chat
    if chat is not None and chat.type != "private" and update.callback_query is None:
        # Relais talks in private chats; messages in groups are not meant for it.
        raise ApplicationHandlerStop

    member = find_member(context.engine, user.id)
    context.member = member
    if member is not None:
        note_app_language(context.engine, member, user.language_code)
    set_language(
        resolve_language(
            member.language if member else None,
            user.language_code,
            context.settings.default_language,
        )
    )

    if member is None:
        if _opens_invitation(update):
            return
        await _refuse(update, _stranger_text())
    elif not member.active:
        await _refuse(
            update,
            _("Votre accès à Relais a été fermé. Si c'est une erreur, contactez la coordination."),
        )
    elif not _allowed(update, member):
        await _refuse(update, _refusal_text(update))


def _opens_invitation(update: Update) -> bool:
    """`/start <token>`, or the answer to the consent question such a link asked."""
    if update.callback_query is not None:
        return permissions.stranger_button_allowed(update.callback_query.data or "")
    message = update.message
    if message is None or not message.text:
        return False
    parts = message.text.split()
    return len(parts) == 2 and _command_name(message.text) == "start"


def _command_name(text: str) -> str | None:
    if not text.startswith("/"):
        return None
    return text.split()[0][1:].split("@")[0].lower()


def _allowed(update: Update, member: Member) -> bool:
    if update.callback_query is not None:
        return permissions.button_allowed(update.callback_query.data or "", member.role)
    message = update.effective_message
    name = _command_name(message.text) if message and message.text else None
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
    name = _command_name(message.text) if message and message.text else None
    if name is not None and permissions.command_named(name) is None:
        return _("Je ne connais pas cette commande. /aide liste ce que vous pouvez faire.")
    if update.callback_query is not None:
        return _("Ce bouton n'est pas (ou plus) disponible pour vous.")
    return _("Cette action n'est pas ouverte à votre rôle. /aide liste ce que vous pouvez faire.")


async def _refuse(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_chat is not None and update.effective_chat.type == "private":
        await update.effective_chat.send_message(text)
    raise ApplicationHandlerStop
