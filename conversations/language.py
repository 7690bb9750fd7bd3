"""/langue: the member picks French or English with a button."""

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import permissions
from bot.buttons import ChooseLanguage
from bot.context import RelaisContext
from bot.i18n import _, set_language
from bot.menus import publish_member_commands
from bot.settings import SUPPORTED_LANGUAGES
from conversations.common import replace_text
from storage.members import set_language as store_language

# Each language is named in itself, so a person lost in the wrong language finds theirs.
_NAMES = {"fr": "Français", "en": "English"}


async def ask_language(update: Update, context: RelaisContext) -> None:
    keyboard = InlineKeyboardMarkup(
        [[ChooseLanguage(code).button(_NAMES[code])] for code in SUPPORTED_LANGUAGES]
    )
    await update.effective_message.reply_text(
        _("Dans quelle langue voulez-vous lire Relais ?"), reply_markup=keyboard
    )


async def choose_language(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    code = ChooseLanguage.read(update).code
    member = context.known_member
    store_language(context.engine, member.id, code)
    member.language = code
    set_language(code)
    await query.answer()
    await replace_text(query, _("C'est noté : Relais vous parlera en français."))
    await publish_member_commands(context.bot, member, context.settings)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(list(permissions.LANGUAGE.names), ask_language),
        CallbackQueryHandler(choose_language, pattern=ChooseLanguage.pattern),
    ]
