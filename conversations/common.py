"""What the flows share: how their state is kept, how they are abandoned."""

import warnings
from collections.abc import Sequence

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot.context import RelaisContext
from bot.i18n import _


def persistent_flow(
    name: str,
    entry_points: Sequence[BaseHandler],
    states: dict[object, list[BaseHandler]],
    fallbacks: Sequence[BaseHandler],
) -> ConversationHandler:
    """A flow whose current step survives restarts (it is saved by storage.persistence).

    A flow is tracked per chat and user, not per message: its questions are several
    messages. PTB warns that buttons are then not tracked per message; that is the intent,
    so that one warning is silenced here, and only here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"If 'per_message=False'", category=PTBUserWarning
        )
        return ConversationHandler(
            entry_points=list(entry_points),
            states=states,
            fallbacks=list(fallbacks),
            name=name,
            persistent=True,
            allow_reentry=True,
        )


async def abandon(update: Update, context: RelaisContext, *draft_keys: str) -> int:
    """/annuler or « Annuler » in a short flow: forget its draft, say nothing changed, end."""
    for key in draft_keys:
        context.user_data.pop(key, None)
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
    await update.effective_chat.send_message(_("Abandonné : rien n'a changé."))
    return ConversationHandler.END


async def expect_buttons(update: Update, context: RelaisContext) -> None:
    """Typing or a sticker where a button is expected: say so, stay on the same step."""
    await update.effective_message.reply_text(
        _("Choisissez avec les boutons du message ci-dessus, ou /annuler.")
    )


async def expect_text(update: Update, context: RelaisContext) -> None:
    await update.effective_message.reply_text(_("J'attends du texte, ou /annuler."))
