"""The command menus Telegram shows, per language and per member (setMyCommands).

Everyone sees /start and /aide; an enrolled member's own chat gets the commands of their
role, named in their language (/aide or /help). Both names work for everyone regardless.
"""

from contextlib import suppress

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot import permissions
from bot.i18n import _, language_of, use_language
from bot.settings import SUPPORTED_LANGUAGES, Settings
from storage.models import Member


def _menu(commands: list[permissions.Command], language: str) -> list[BotCommand]:
    with use_language(language):
        return [BotCommand(command.name(language), _(command.description)) for command in commands]


async def publish_default_commands(bot: Bot, settings: Settings) -> None:
    public = [permissions.START, permissions.HELP]
    for language in SUPPORTED_LANGUAGES:
        await bot.set_my_commands(_menu(public, language), language_code=language)
    await bot.set_my_commands(_menu(public, settings.default_language))


async def publish_member_commands(bot: Bot, member: Member, settings: Settings) -> None:
    """Show the member's role commands in their chat; a failure here must not stop enrolment."""
    menu = _menu(
        permissions.commands_for(member.role), language_of(member, settings.default_language)
    )
    # The menu is a convenience (the commands work without it): a failure is not an error.
    with suppress(TelegramError):
        await bot.set_my_commands(menu, scope=BotCommandScopeChat(member.telegram_id))
