"""/start: opening an invitation link enrolls a person, a flyer's link offers to ask for
access (conversations.access_requests); otherwise a greeting by role."""

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import RelaisContext
from bot.i18n import _
from bot.labels import role_label
from bot.menus import publish_member_commands
from conversations import access_requests, beneficiary
from conversations.common import welcome_text
from storage.invitations import Redemption, redeem_invitation
from storage.members import note_app_language
from storage.models import Member


async def start(update: Update, context: RelaisContext) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None
    assert user is not None
    if await beneficiary.open_link(update, context):
        return  # a beneficiary, or a beneficiary's link: consent comes first
    token = context.args[0] if context.args else ""
    if await access_requests.open_link(update, context, token):
        return
    if context.member is not None:
        await message.reply_text(_greeting(context.member, context))
        return
    outcome, member = redeem_invitation(
        context.engine, token, telegram_id=user.id, display_name=user.full_name
    )
    if outcome is Redemption.ENROLLED and member is not None:
        context.member = member
        note_app_language(context.engine, member, user.language_code)
        await publish_member_commands(context.bot, member, context.settings)
        await message.reply_text(welcome_text(context.engine, member))
        return
    await message.reply_text(_REFUSALS[outcome]())


def _greeting(member: Member, context: RelaisContext) -> str:
    return _(
        "Bonjour {name} ! Vous êtes connecté·e à Relais en tant que {role}. /aide liste ce que vous pouvez faire."
    ).format(name=member.display_name, role=role_label(member.role))


_REFUSALS = {
    Redemption.UNKNOWN: lambda: _(
        "Ce lien d'invitation n'est pas valable. Vérifiez qu'il est complet, ou demandez-en un nouveau à la coordination."
    ),
    Redemption.EXPIRED: lambda: _(
        "Ce lien d'invitation a expiré. Demandez-en un nouveau à la coordination."
    ),
    Redemption.USED: lambda: _(
        "Ce lien d'invitation a déjà servi : chaque lien n'ouvre Relais qu'une fois. Demandez-en un nouveau à la coordination."
    ),
}


def handlers() -> list[BaseHandler]:
    return [CommandHandler("start", start)]
