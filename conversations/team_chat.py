"""The Montjoie team's group chat (ALERT_CHAT_ID): alerts follow it, and its loss is told.

Telegram gives a group a new id when it becomes a supergroup. A send to the old id is then
refused with the new one (ChatMigrated), and both chats get a service message naming the
other. Relais follows either and keeps the new id in the database (storage.team_chat), so
it survives a restart; the setting keeps the first id. The error alone would do for the
alerts; the service message also moves the id before any alert, so that the new group's
later news (the bot removed from it) is known as the team chat's.

When the bot is removed from the group, or the group refuses its messages, the admins are
told once, each in their own language; workers get every alert in private anyway. The bot
added back, or a send that works again, ends the loss, and a later one is told again.

These updates come from Telegram itself, not from a person: their handlers run before the
gate (bot.access), which lets nothing from a group through, and stop the update there.
"""

import logging
from typing import Any

from telegram import ChatMember, ChatMemberRestricted, Message, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

from bot.context import RelaisApplication, RelaisContext
from bot.i18n import _
from conversations.common import tell_admins
from storage.team_chat import follow_upgrade, mark_back, mark_lost, team_chat_id

logger = logging.getLogger(__name__)


async def send_message(application: RelaisApplication, text: str, **options: Any) -> Message:
    """`bot.send_message` to the team chat where it is now, raising what it raises.

    A group become a supergroup is followed and the message sent there; a refusal (400, 403)
    tells the admins unless they were told already; a message that gets through ends a loss.
    """
    configured = _configured(application)
    chat_id = team_chat_id(application.engine, configured)
    try:
        message = await _send_following(application, chat_id, text, options)
    except (BadRequest, Forbidden) as refusal:
        await _lost(application, type(refusal).__name__)
        raise
    _back(application)
    return message


async def _send_following(
    application: RelaisApplication, chat_id: int, text: str, options: dict[str, Any]
) -> Message:
    try:
        return await application.bot.send_message(chat_id, text, **options)
    except ChatMigrated as moved:
        _follow(application, chat_id, moved.new_chat_id)
        return await application.bot.send_message(moved.new_chat_id, text, **options)


async def membership_changed(update: Update, context: RelaisContext) -> None:
    """The bot's own status in a chat changed: in the team chat, it is lost or back."""
    change = update.my_chat_member
    configured = context.settings.alert_chat_id
    if configured is None or change.chat.id != team_chat_id(context.engine, configured):
        return  # another chat: the gate decides
    if _can_post(change.new_chat_member):
        _back(context.relais)
    else:
        await _lost(context.relais, change.new_chat_member.status)
    raise ApplicationHandlerStop


async def upgraded(update: Update, context: RelaisContext) -> None:
    """A group became a supergroup (the service message in either): if it was the team chat,
    alerts go to the supergroup from now on."""
    configured = context.settings.alert_chat_id
    if configured is None:
        return
    message = update.effective_message
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    else:
        old, new = message.migrate_from_chat_id, message.chat.id
    _follow(context.relais, old, new)
    if team_chat_id(context.engine, configured) == new:
        raise ApplicationHandlerStop


def _follow(application: RelaisApplication, old: int, new: int) -> None:
    if follow_upgrade(application.engine, _configured(application), old, new):
        logger.info("The team chat became a supergroup: alerts follow it")


def _can_post(member: ChatMember) -> bool:
    if isinstance(member, ChatMemberRestricted):
        return member.is_member and bool(member.can_send_messages)
    return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER)


async def _lost(application: RelaisApplication, why: str) -> None:
    """The team chat no longer takes alerts: the first to see it tells the admins."""
    if not mark_lost(application.engine, _configured(application), application.now()):
        return
    logger.warning("The team chat refuses the bot (%s): the admins are told", why)
    username = application.bot.username

    def notice() -> str:
        return _(
            "Le groupe de l'équipe ne reçoit plus les alertes de Relais : le bot en a été "
            "retiré, ou n'a plus le droit d'y écrire. Les travailleurs sociaux reçoivent "
            "toujours chaque alerte en privé. Pour rétablir les alertes du groupe, ajoutez-y "
            "de nouveau @{bot} avec le droit d'envoyer des messages."
        ).format(bot=username)

    await tell_admins(application, notice, "Team chat notice")


def _back(application: RelaisApplication) -> None:
    if mark_back(application.engine, _configured(application)):
        logger.info("The team chat takes alerts again")


def _configured(application: RelaisApplication) -> int:
    configured = application.settings.alert_chat_id
    if configured is None:
        raise LookupError("no team chat configured (ALERT_CHAT_ID)")
    return configured


def handlers() -> list[BaseHandler]:
    """Registered before the gate (bot.app): Telegram's news of the group chats."""
    return [
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.MIGRATE, upgraded),
    ]
