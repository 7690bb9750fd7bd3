"""/effacer and auto-delete: the bot's messages to a supported person leave their phone.

Telegram lets a bot delete a message in a private chat for 48 hours; an older one is edited
to a neutral "…" instead. Erasing must not look suspicious: the /effacer command itself is
deleted, and the one neutral line answering it is deleted a minute later (by a JobQueue job,
and, should the bot restart meanwhile, by the sweep: the line is recorded with that time).
"""

import logging
from contextlib import suppress
from datetime import datetime, timedelta

from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, CommandHandler

from bot import permissions
from bot.context import RelaisApplication, RelaisContext
from bot.i18n import _
from conversations.beneficiary import reply_to_beneficiary
from storage.beneficiaries import (
    beneficiary_of,
    due_deletions,
    mark_deleted,
    messages_in_chat,
    next_deletion_due,
    sent_message,
)
from storage.models import SentMessage

logger = logging.getLogger(__name__)

BLANK = "…"
LINE_LIFETIME = timedelta(minutes=1)


async def erase(update: Update, context: RelaisContext) -> None:
    chat_id = update.effective_chat.id
    with suppress(TelegramError):  # the person's own "/effacer": a bot may delete it here
        await update.effective_message.delete()
    await erase_messages(context.relais, messages_in_chat(context.engine, chat_id))
    line = await reply_to_beneficiary(
        context.relais,
        chat_id,
        _("C'est fait."),
        beneficiary_of(context.engine, context.known_member.id),
        delete_at=context.relais.now() + LINE_LIFETIME,
    )
    context.relais.job_queue.run_once(
        _delete_line,
        LINE_LIFETIME,
        data=(chat_id, line.message_id),
        name=f"erase-line:{chat_id}:{line.message_id}",
    )


async def _delete_line(context: RelaisContext) -> None:
    chat_id, message_id = context.job.data
    row = sent_message(context.engine, chat_id, message_id)
    if row is not None and not row.deleted:
        await erase_messages(context.relais, [row])


async def sweep_deletions(context: RelaisContext) -> None:
    """Job: delete the messages whose auto-delete time has come."""
    application = context.relais
    await erase_messages(application, due_deletions(application.engine, application.now()))


def next_work(application: RelaisApplication) -> datetime | None:
    """When `sweep_deletions` next has a message to delete (the playground's clock moves
    from one such time to the next); None while none is waiting."""
    return next_deletion_due(application.engine)


async def erase_messages(application: RelaisApplication, rows: list[SentMessage]) -> None:
    """Delete (or blank) each message, and mark done those nothing more can be done for."""
    done = [row.id for row in rows if await _erase_one(application.bot, row)]
    mark_deleted(application.engine, done)


async def _erase_one(bot: Bot, row: SentMessage) -> bool:
    """True when the message is gone or blanked, or can't ever be; False to try again later."""
    try:
        await bot.delete_message(row.chat_id, row.message_id)
        return True
    except Forbidden:
        return True  # the person blocked the bot: nothing can be done in that chat
    except BadRequest:
        pass  # older than 48 hours (or already gone): blank it instead
    except TelegramError as error:
        logger.warning("Message not deleted, will retry: %s", type(error).__name__)
        return False
    try:
        await bot.edit_message_text(BLANK, chat_id=row.chat_id, message_id=row.message_id)
    except (BadRequest, Forbidden):
        pass  # already blank, or gone: nothing more to do
    except TelegramError as error:
        logger.warning("Message not blanked, will retry: %s", type(error).__name__)
        return False
    return True


def handlers() -> list[BaseHandler]:
    return [CommandHandler(list(permissions.ERASE.names), erase)]
