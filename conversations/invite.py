"""/inviter and /flyer: an admin chooses a role, then an organisation, in two taps.

Step 1 the role, step 2 the organisation (an existing one, or a new one typed in). For
/inviter a one-time invitation link is then shown once, to be passed on by a safe channel;
for /flyer a flyer's link is made and its printable PDF sent (conversations.flyers). The
two share these steps and their buttons; the draft says which one is under way.
An admin creates at most INVITES_PER_ADMIN_PER_HOUR invitations an hour, checked when
/inviter starts and again at the moment the link would be made.
"""

from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.helpers import create_deep_linked_url

from bot import permissions
from bot.buttons import (
    InviteBack,
    InviteCancel,
    InviteNewOrganisation,
    InviteOrganisation,
    InviteRole,
    OrganisationsPage,
)
from bot.context import RelaisContext
from bot.i18n import _, format_datetime, ngettext
from bot.labels import role_label
from bot.limits import button_text, cut
from conversations import flyers
from conversations.common import (
    expect_buttons,
    page_of,
    page_rows,
    persistent_flow,
    refuse_button,
    remove_buttons,
    replace_buttons,
    replace_text,
)
from domain.vocabulary import Role
from storage.audit import record_now
from storage.invitations import create_invitation
from storage.limits import invitations_created_since
from storage.members import (
    ORGANISATION_NAME_MAX,
    ensure_organisation,
    get_organisation,
    organisations,
)

ROLE, ORGANISATION, ORGANISATION_NAME = "role", "organisation", "organisation_name"
DRAFT = "invite"
LIMIT_WINDOW = timedelta(hours=1)
# What the two steps lead to (the draft's "purpose"; a draft saved before flyers has none).
INVITATION, FLYER = "invitation", "flyer"
ROLES = {INVITATION: permissions.INVITABLE_ROLES, FLYER: permissions.FLYER_ROLES}


async def begin(update: Update, context: RelaisContext) -> str | int:
    if await _limit_reached(update, context):
        return ConversationHandler.END
    return await _ask_role(update, context, INVITATION)


async def begin_flyer(update: Update, context: RelaisContext) -> str:
    return await _ask_role(update, context, FLYER)


async def _ask_role(update: Update, context: RelaisContext, purpose: str) -> str:
    context.user_data[DRAFT] = {"purpose": purpose}
    await update.effective_message.reply_text(
        _role_question(purpose), reply_markup=_role_keyboard(purpose)
    )
    return ROLE


def _purpose(context: RelaisContext) -> str:
    return context.user_data.get(DRAFT, {}).get("purpose", INVITATION)


async def choose_role(update: Update, context: RelaisContext) -> str:
    query = update.callback_query
    role, purpose = InviteRole.read(update).role, _purpose(context)
    if role not in ROLES[purpose]:  # an /inviter button under /flyer's question
        return await _stale(update, context, ROLE)
    context.user_data[DRAFT] = {"purpose": purpose, "role": role.value}
    await query.answer()
    await replace_text(
        query, _organisation_question(role, purpose), reply_markup=_organisation_keyboard(context)
    )
    return ORGANISATION


async def choose_organisation(update: Update, context: RelaisContext) -> str | int:
    query = update.callback_query
    organisation_id = InviteOrganisation.read(update).organisation
    organisation = get_organisation(context.engine, organisation_id)
    if organisation is None or "role" not in context.user_data.get(DRAFT, {}):
        return await _stale(update, context, ORGANISATION)
    await query.answer()
    await remove_buttons(query)
    return await _finish(update, context, organisation.id)


async def organisation_page(update: Update, context: RelaisContext) -> str:
    """« Suivants › » under the organisations: the same question, other organisations."""
    query = update.callback_query
    if "role" not in context.user_data.get(DRAFT, {}):
        return await _stale(update, context, ORGANISATION)
    await query.answer()
    page = OrganisationsPage.read(update).page
    await replace_buttons(query, _organisation_keyboard(context, page))
    return ORGANISATION


async def ask_organisation_name(update: Update, context: RelaisContext) -> str:
    query = update.callback_query
    await query.answer()
    await replace_text(query, _name_question(), reply_markup=_back_cancel_keyboard())
    return ORGANISATION_NAME


async def type_organisation_name(update: Update, context: RelaisContext) -> str | int:
    name = " ".join(update.effective_message.text.split())
    role = context.user_data.get(DRAFT, {}).get("role")
    if not name or len(name) > ORGANISATION_NAME_MAX or role is None:
        await update.effective_message.reply_text(
            _name_retry(), reply_markup=_back_cancel_keyboard()
        )
        return ORGANISATION_NAME
    if _purpose(context) == INVITATION and await _limit_reached(update, context):
        return ConversationHandler.END
    organisation = ensure_organisation(
        context.engine, name, permissions.usual_organisation_kind(Role(role))
    )
    return await _finish(update, context, organisation.id)


async def back_to_role(update: Update, context: RelaisContext) -> str:
    purpose = _purpose(context)
    context.user_data[DRAFT] = {"purpose": purpose}
    await update.callback_query.answer()
    await replace_text(
        update.callback_query, _role_question(purpose), reply_markup=_role_keyboard(purpose)
    )
    return ROLE


async def back_to_organisation(update: Update, context: RelaisContext) -> str:
    role = context.user_data.get(DRAFT, {}).get("role")
    if role is None:
        return await back_to_role(update, context)
    await update.callback_query.answer()
    await replace_text(
        update.callback_query,
        _organisation_question(Role(role), _purpose(context)),
        reply_markup=_organisation_keyboard(context),
    )
    return ORGANISATION


async def cancel(update: Update, context: RelaisContext) -> int:
    text = (
        _("Flyer abandonné : aucun lien n'a été créé.")
        if _purpose(context) == FLYER
        else _("Invitation abandonnée : aucun lien n'a été créé.")
    )
    context.user_data.pop(DRAFT, None)
    if update.callback_query is not None:
        await update.callback_query.answer()
        await replace_text(update.callback_query, text)
    else:
        await update.effective_message.reply_text(text)
    return ConversationHandler.END


async def expect_name(update: Update, context: RelaisContext) -> None:
    await update.effective_message.reply_text(_name_retry(), reply_markup=_back_cancel_keyboard())


async def _stale(update: Update, context: RelaisContext, state: str) -> str:
    await refuse_button(update, context)
    return state


async def _limit_reached(update: Update, context: RelaisContext) -> bool:
    """Over the hourly limit: say until when, audit it, forget the form; nothing is created."""
    admin = context.known_member
    now = context.relais.now()
    limit = context.settings.invites_per_admin_per_hour
    created = invitations_created_since(context.engine, admin.id, now - LIMIT_WINDOW)
    if len(created) < limit:
        return False
    context.user_data.pop(DRAFT, None)
    record_now(context.engine, "invite_limited", now, member_id=admin.id)
    await update.effective_chat.send_message(_limit_text(limit, created[-limit], context))
    return True


def _limit_text(limit: int, oldest_counted: datetime, context: RelaisContext) -> str:
    free_at = oldest_counted + LIMIT_WINDOW
    if free_at.second or free_at.microsecond:  # shown to the minute: round up, never early
        free_at = free_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return ngettext(
        "Vous avez déjà créé {limit} invitation en une heure : c'est le maximum. "
        "Vous pourrez en créer une autre à partir du {when}. Aucun lien n'a été créé.",
        "Vous avez déjà créé {limit} invitations en une heure : c'est le maximum. "
        "Vous pourrez en créer une autre à partir du {when}. Aucun lien n'a été créé.",
        limit,
    ).format(
        limit=limit,
        when=format_datetime(free_at, context.settings.zone),
    )


async def _finish(update: Update, context: RelaisContext, organisation_id: int) -> int:
    if _purpose(context) == FLYER:
        role = Role(context.user_data.pop(DRAFT)["role"])
        await flyers.send_flyer(update, context, role, organisation_id)
        return ConversationHandler.END
    if await _limit_reached(update, context):
        return ConversationHandler.END
    role = Role(context.user_data.pop(DRAFT)["role"])
    invitation = create_invitation(
        context.engine,
        role=role,
        organisation_id=organisation_id,
        ttl=context.settings.invite_ttl,
        created_by_id=context.known_member.id,
        now=context.relais.now(),
    )
    organisation = get_organisation(context.engine, organisation_id)
    link = create_deep_linked_url(context.bot.username, invitation.token)
    text = _(
        "Invitation prête : {role}, {organisation}.\n"
        "Transmettez ce lien à la personne par un canal sûr. Il n'ouvre Relais qu'une fois et expire le {expiry}.\n\n{link}"
    ).format(
        role=role_label(role),
        # An older database's longer name is cut: the link must stay whole.
        organisation=cut(organisation.name, ORGANISATION_NAME_MAX),
        expiry=format_datetime(invitation.expires_at, context.settings.zone),
        link=link,
    )
    await update.effective_chat.send_message(text)
    return ConversationHandler.END


def _role_question(purpose: str) -> str:
    if purpose == FLYER:
        return _(
            "Créer un flyer — étape 1/2\nQuel rôle auront les personnes dont vous accepterez la demande d'accès ?"
        )
    return _("Inviter une personne — étape 1/2\nQuel sera son rôle ?")


def _organisation_question(role: Role, purpose: str) -> str:
    if purpose == FLYER:
        text = _("Créer un flyer — étape 2/2\nRôle : {role}\nPour quelle organisation ?")
    else:
        text = _("Inviter une personne — étape 2/2\nRôle : {role}\nDe quelle organisation ?")
    return text.format(role=role_label(role))


def _name_question() -> str:
    return _("Écrivez le nom de l'organisation ({limit} caractères au plus).").format(
        limit=ORGANISATION_NAME_MAX
    )


def _name_retry() -> str:
    return _(
        "Il me faut le nom de l'organisation en texte, {limit} caractères au plus. Exemple : Gendarmerie de Mamers."
    ).format(limit=ORGANISATION_NAME_MAX)


def _cancel_button() -> InlineKeyboardButton:
    return InviteCancel().button(_("Annuler"))


def _role_keyboard(purpose: str) -> InlineKeyboardMarkup:
    rows = [[InviteRole(role).button(role_label(role))] for role in ROLES[purpose]]
    return InlineKeyboardMarkup([*rows, [_cancel_button()]])


def _back_cancel_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InviteBack().button(_("← Retour")), _cancel_button()]])


def _organisation_keyboard(context: RelaisContext, page: int = 0) -> InlineKeyboardMarkup:
    everyone = organisations(context.engine)
    shown, page = page_of(everyone, page)
    rows = [[InviteOrganisation(org.id).button(button_text(org.name))] for org in shown]
    rows += page_rows(page, len(everyone), OrganisationsPage)
    rows.append([InviteNewOrganisation().button(_("Autre organisation…"))])
    return InlineKeyboardMarkup([*rows, *_back_cancel_keyboard().inline_keyboard])


def handlers() -> list[BaseHandler]:
    anything_else = filters.ALL & ~filters.COMMAND
    return [
        persistent_flow(
            "invite",
            entry_points=[
                CommandHandler(list(permissions.INVITE.names), begin),
                CommandHandler(list(permissions.FLYER.names), begin_flyer),
            ],
            states={
                ROLE: [
                    CallbackQueryHandler(choose_role, pattern=InviteRole.pattern),
                    MessageHandler(anything_else, expect_buttons),
                ],
                ORGANISATION: [
                    CallbackQueryHandler(choose_organisation, pattern=InviteOrganisation.pattern),
                    CallbackQueryHandler(organisation_page, pattern=OrganisationsPage.pattern),
                    CallbackQueryHandler(
                        ask_organisation_name, pattern=InviteNewOrganisation.pattern
                    ),
                    CallbackQueryHandler(back_to_role, pattern=InviteBack.pattern),
                    MessageHandler(anything_else, expect_buttons),
                ],
                ORGANISATION_NAME: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, type_organisation_name),
                    CallbackQueryHandler(back_to_organisation, pattern=InviteBack.pattern),
                    MessageHandler(anything_else, expect_name),
                ],
            },
            fallbacks=[
                CommandHandler(list(permissions.CANCEL.names), cancel),
                CallbackQueryHandler(cancel, pattern=InviteCancel.pattern),
            ],
        )
    ]
