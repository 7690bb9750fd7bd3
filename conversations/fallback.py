"""What no flow took: a clear answer instead of silence. Registered after every flow."""

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import permissions
from bot.context import RelaisContext
from bot.i18n import _
from conversations.common import refuse_button


async def nothing_to_cancel(update: Update, context: RelaisContext) -> None:
    await update.effective_message.reply_text(_("Il n'y a rien en cours à annuler."))


async def not_understood(update: Update, context: RelaisContext) -> None:
    await update.effective_message.reply_text(
        _("Je n'ai pas compris. /aide liste ce que vous pouvez faire.")
    )


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(list(permissions.CANCEL.names), nothing_to_cancel),
        MessageHandler(
            filters.ChatType.PRIVATE & filters.ALL & ~filters.UpdateType.EDITED, not_understood
        ),
        CallbackQueryHandler(refuse_button),
    ]
