"""/aide: what the member's role can do, from the permissions table."""

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot import permissions
from bot.context import RelaisContext
from bot.i18n import _, current_language
from bot.labels import role_label


async def show_help(update: Update, context: RelaisContext) -> None:
    member = context.known_member
    language = current_language()
    lines = [
        _("Vous êtes {role}. Voici ce que vous pouvez faire :").format(
            role=role_label(member.role)
        )
    ]
    lines += [
        f"/{command.name(language)} — {_(command.description)}"
        for command in permissions.commands_for(member.role)
    ]
    await update.effective_message.reply_text("\n".join(lines))


def handlers() -> list[BaseHandler]:
    return [CommandHandler(list(permissions.HELP.names), show_help)]
