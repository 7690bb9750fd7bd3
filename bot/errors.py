"""The error handler: log without personal data, apologise, tell the admins, keep running."""

import logging
import traceback

from telegram import Update
from telegram.error import TelegramError

from bot.context import RelaisContext
from bot.i18n import _, language_of, use_language
from bot.update_log import FAILED, set_outcome
from domain.vocabulary import Role
from storage.members import active_members

logger = logging.getLogger(__name__)


def describe(error: BaseException) -> str:
    """The error's type and where it happened, without its message.

    Exception messages can carry what a user typed (a phone number in a ValueError); the
    frames say where it broke, which is what a maintainer needs.
    """
    frames = "".join(traceback.format_tb(error.__traceback__))
    return f"{type(error).__module__}.{type(error).__qualname__}\n{frames}"


async def on_error(update: object, context: RelaisContext) -> None:
    error = context.error
    if error is None:
        return
    set_outcome(FAILED)
    if not isinstance(update, Update):
        logger.warning("Bot API or background error: %s", describe(error))
        return
    logger.error("Update %s failed: %s", update.update_id, describe(error))
    await _apologise(update)
    await _tell_admins(update, context, type(error).__name__)


async def _apologise(update: Update) -> None:
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    try:
        await chat.send_message(
            _(
                "Désolé, un problème technique m'a empêché de répondre. Réessayez dans un instant ; l'équipe est prévenue."
            )
        )
    except TelegramError:
        logger.warning("Could not apologise for update %s", update.update_id)


async def _tell_admins(update: Update, context: RelaisContext, error_name: str) -> None:
    for admin in active_members(context.engine, Role.ADMIN):
        with use_language(language_of(admin, context.settings.default_language)):
            text = _(
                "Incident technique sur la mise à jour {update_id} ({error}). Les détails sont dans le journal du serveur."
            ).format(update_id=update.update_id, error=error_name)
        try:
            await context.bot.send_message(admin.telegram_id, text)
        except TelegramError:
            logger.warning("Could not notify admin member %s of an incident", admin.id)
