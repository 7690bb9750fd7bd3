"""Flyers: a printable page whose link lets partners ask for access (storage.flyers).

/flyer asks the role and the organisation with /inviter's two steps (conversations.invite)
and ends here: the link is made and its PDF sent. /flyers lists the open links with what
they brought, each with « Révoquer » (asked again before it is done).
"""

import asyncio

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler
from telegram.helpers import create_deep_linked_url

from bot import permissions
from bot.buttons import AskRevokeFlyer, FlyersPage, RevokeFlyer
from bot.context import RelaisContext
from bot.flyer import render_flyer
from bot.i18n import _, current_language, format_date, format_datetime
from bot.labels import role_label
from bot.limits import button_text, cut
from conversations.common import page_of, page_rows, refuse_button, replace_text
from domain.vocabulary import Role
from storage.flyers import Flyer, create_flyer, get_flyer, live_flyers, new_token, revoke_flyer
from storage.members import ORGANISATION_NAME_MAX, get_organisation

FLYERS_PAGE = 5  # five links a page: each takes three lines and a button


async def send_flyer(
    update: Update, context: RelaisContext, role: Role, organisation_id: int
) -> None:
    """The flyer's link made, and its PDF sent in the admin's language."""
    organisation = get_organisation(context.engine, organisation_id)
    assert organisation is not None
    token = new_token()
    link = create_deep_linked_url(context.bot.username, token)
    # An older database's longer name is cut: the caption must stay within Telegram's 1024.
    name = cut(organisation.name, ORGANISATION_NAME_MAX)
    now, ttl = context.relais.now(), context.settings.flyer_ttl
    # A few hundred milliseconds of layout: not on the loop every other update waits on.
    pdf = await asyncio.to_thread(
        render_flyer,
        organisation=name,
        role=role,
        link=link,
        language=current_language(),
        valid_until=(now + ttl).astimezone(context.settings.zone).date(),
    )
    flyer = create_flyer(
        context.engine,
        token,
        role=role,
        organisation_id=organisation_id,
        ttl=ttl,
        now=now,
        created_by_id=context.known_member.id,
    )
    caption = _(
        "Flyer prêt : {role}, {organisation}.\n"
        "Son lien permet de demander l'accès jusqu'au {expiry} ; chaque demande vous sera soumise. "
        "/flyers pour le révoquer.\n\n{link}"
    ).format(
        role=role_label(role),
        organisation=name,
        expiry=format_datetime(flyer.expires_at, context.settings.zone),
        link=link,
    )
    await update.effective_chat.send_document(
        InputFile(pdf, filename=_("flyer-relais.pdf")), caption=caption
    )


async def list_flyers(update: Update, context: RelaisContext) -> None:
    text, keyboard = _flyers_screen(context, 0)
    await update.effective_message.reply_text(text, reply_markup=keyboard)


async def flyers_page(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    await query.answer()
    text, keyboard = _flyers_screen(context, FlyersPage.read(update).page)
    await replace_text(query, text, reply_markup=keyboard)


async def ask_revoke(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    flyer = _open_flyer(context, AskRevokeFlyer.read(update).flyer)
    if flyer is None:
        await refuse_button(update, context)
        return
    await query.answer()
    text = _(
        "Révoquer le lien du flyer {role}, {organisation} ?\n"
        "Plus personne ne pourra demander l'accès avec ce flyer. Les demandes déjà reçues restent à traiter."
    ).format(
        role=role_label(flyer.role), organisation=cut(flyer.organisation, ORGANISATION_NAME_MAX)
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                RevokeFlyer(flyer.id).button(_("Oui, révoquer")),
                FlyersPage(0).button(_("← Retour")),
            ]
        ]
    )
    await replace_text(query, text, reply_markup=keyboard)


async def revoke(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    flyer = get_flyer(context.engine, RevokeFlyer.read(update).flyer)
    if flyer is None or not revoke_flyer(
        context.engine, flyer.id, context.known_member.id, context.relais.now()
    ):
        await refuse_button(update, context)
        return
    await query.answer()
    text = _("Lien révoqué : {role}, {organisation}. Ce flyer n'ouvre plus de demande.").format(
        role=role_label(flyer.role), organisation=cut(flyer.organisation, ORGANISATION_NAME_MAX)
    )
    await replace_text(
        query, text, InlineKeyboardMarkup([[FlyersPage(0).button(_("Les flyers"))]])
    )


def _open_flyer(context: RelaisContext, flyer_id: int) -> Flyer | None:
    flyer = get_flyer(context.engine, flyer_id)
    if flyer is None or flyer.revoked_at is not None:
        return None
    return flyer


def _flyers_screen(context: RelaisContext, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    everyone = live_flyers(context.engine, context.relais.now())
    if not everyone:
        return _("Aucun lien de flyer ouvert. /flyer pour en créer un."), None
    shown, page = page_of(everyone, page, FLYERS_PAGE)
    first = page * FLYERS_PAGE + 1
    lines = [_("Les liens des flyers ouverts ({count}) :").format(count=len(everyone))]
    rows = []
    for number, flyer in enumerate(shown, first):
        organisation = cut(flyer.organisation, ORGANISATION_NAME_MAX)
        lines.append(
            _(
                "{number}. {organisation} — {role}\n"
                "   valable jusqu'au {until} · demandes : {requests} · inscrites : {enrolled} · en attente : {pending}"
            ).format(
                number=number,
                organisation=organisation,
                role=role_label(flyer.role),
                until=format_date(flyer.expires_at, context.settings.zone),
                requests=flyer.requests,
                enrolled=flyer.enrolled,
                pending=flyer.pending,
            )
        )
        label = _("Révoquer {number}. {organisation}").format(
            number=number, organisation=organisation
        )
        rows.append([AskRevokeFlyer(flyer.id).button(button_text(label))])
    rows += page_rows(page, len(everyone), FlyersPage, FLYERS_PAGE)
    return cut("\n\n".join(lines)), InlineKeyboardMarkup(rows)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(list(permissions.FLYERS.names), list_flyers),
        CallbackQueryHandler(flyers_page, pattern=FlyersPage.pattern),
        CallbackQueryHandler(ask_revoke, pattern=AskRevokeFlyer.pattern),
        CallbackQueryHandler(revoke, pattern=RevokeFlyer.pattern),
    ]
