"""/desactiver: an admin closes the access of a member who leaves; their cases stay.

1. The admin picks the member (bot.buttons.ChooseLeaving; LeavingPage pages the list).
2. A worker holding open cases: the admin picks the colleague who takes them (LeaveTo;
   SuccessorsPage pages the colleagues); anyone else: the admin confirms (ConfirmLeaving).
3. storage.case_flow.deactivate_member does it in one transaction; the colleague is told.
Buttons are never trusted: each tap checks the member and the colleague again.
"""

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import buttons, permissions
from bot.buttons import ChooseLeaving, ConfirmLeaving, LeaveTo, LeavingPage, SuccessorsPage
from bot.context import RelaisContext
from bot.i18n import _, ngettext
from bot.labels import role_label
from bot.limits import button_text, cut
from conversations.common import (
    page_of,
    page_rows,
    refuse_button,
    remove_buttons,
    replace_buttons,
    replace_text,
    tell,
)
from domain.vocabulary import Role
from storage.case_flow import HandOverRefused, deactivate_member
from storage.cases import open_cases
from storage.members import active_members, get_member
from storage.models import Member

STAFF_ROLES = tuple(role for role in Role if role is not Role.BENEFICIARY)


async def choose_member(update: Update, context: RelaisContext) -> None:
    rows = _member_rows(context, 0)
    await update.effective_message.reply_text(
        _("Qui quitte Relais ? Ses dossiers resteront, confiés à un collègue.")
        if rows
        else _("Personne d'autre n'a accès à Relais."),
        reply_markup=InlineKeyboardMarkup(rows) if rows else None,
    )


async def member_page(update: Update, context: RelaisContext) -> None:
    """« Suivants › » under the question: the same question, other members."""
    await update.callback_query.answer()
    rows = _member_rows(context, LeavingPage.read(update).page)
    await replace_buttons(update.callback_query, InlineKeyboardMarkup(rows))


def _member_rows(context: RelaisContext, page: int) -> list[list[InlineKeyboardButton]]:
    me = context.known_member
    everyone = [
        person
        for role in STAFF_ROLES
        for person in active_members(context.engine, role)
        if person.id != me.id
    ]
    people, shown = page_of(everyone, page)
    rows = [
        [
            ChooseLeaving(person.id).button(
                f"{button_text(person.display_name)} · {role_label(person.role)}"
            )
        ]
        for person in people
    ]
    return rows + page_rows(shown, len(everyone), LeavingPage)


async def chosen(update: Update, context: RelaisContext) -> None:
    button = buttons.find(update.callback_query.data)
    leaving = await _leaving(update, context, button.member)
    if leaving is None:
        return
    held = open_cases(context.engine, leaving.id)
    query = update.callback_query
    await query.answer()
    if not held:
        await replace_text(
            query,
            _("Fermer l'accès à Relais pour {name} ?").format(name=leaving.display_name),
            reply_markup=InlineKeyboardMarkup(
                [[ConfirmLeaving(leaving.id).button(_("Fermer l'accès"))]]
            ),
        )
        return
    colleagues = [
        worker for worker in active_members(context.engine, Role.WORKER) if worker.id != leaving.id
    ]
    page = button.page if isinstance(button, SuccessorsPage) else 0
    shown, page = page_of(colleagues, page)
    text = ngettext(
        "{name} suit {count} dossier en cours. Qui le reprend ?",
        "{name} suit {count} dossiers en cours. Qui les reprend ?",
        len(held),
    ).format(name=leaving.display_name, count=len(held))
    if not colleagues:
        text += "\n" + _(
            "Aucun autre travailleur social ne peut les reprendre : invitez d'abord son "
            "successeur (/inviter)."
        )
    rows = [
        [LeaveTo(member=leaving.id, successor=worker.id).button(button_text(worker.display_name))]
        for worker in shown
    ]
    rows += page_rows(
        page, len(colleagues), lambda other: SuccessorsPage(member=leaving.id, page=other)
    )
    await replace_text(query, text, reply_markup=InlineKeyboardMarkup(rows) if rows else None)


async def confirmed(update: Update, context: RelaisContext) -> None:
    button = buttons.find(update.callback_query.data)
    leaving = await _leaving(update, context, button.member)
    if leaving is None:
        return
    successor = (
        get_member(context.engine, button.successor) if isinstance(button, LeaveTo) else None
    )
    try:
        relais = context.relais
        handed = deactivate_member(
            context.engine,
            leaving.id,
            successor,
            context.known_member,
            relais.now(),
            (relais.planner, relais.programme),
        )
    except HandOverRefused:
        await refuse_button(update, context)
        return
    query = update.callback_query
    await query.answer(_("C'est fait."))
    await remove_buttons(query)
    done = _("Accès à Relais fermé pour {name}.").format(name=leaving.display_name)
    if handed:
        done += " " + ngettext(
            "Son dossier en cours est confié à {other}.",
            "Ses {count} dossiers en cours sont confiés à {other}.",
            len(handed),
        ).format(count=len(handed), other=successor.display_name)
    await update.effective_chat.send_message(done)
    if handed:
        await _tell_successor(context, successor, leaving, [case.reference for case in handed])


async def _leaving(update: Update, context: RelaisContext, member_id: int) -> Member | None:
    """The member the button names, if still active and not the admin themself."""
    member = get_member(context.engine, member_id)
    if (
        member is None
        or not member.active
        or member.role is Role.BENEFICIARY
        or member.id == context.known_member.id
    ):
        await refuse_button(update, context)
        return None
    return member


async def _tell_successor(
    context: RelaisContext, successor: Member, leaving: Member, references: list[str]
) -> None:
    def text() -> str:
        # A worker who held hundreds of cases: the first references.
        return cut(
            _("{name} a quitté Relais : ces dossiers vous sont confiés : {references}.").format(
                name=leaving.display_name, references=", ".join(references)
            )
        )

    await tell(context.relais, successor, text, "Hand-over notice")


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(list(permissions.DEACTIVATE.names), choose_member),
        CallbackQueryHandler(member_page, pattern=LeavingPage.pattern),
        CallbackQueryHandler(chosen, pattern=ChooseLeaving.pattern),
        CallbackQueryHandler(chosen, pattern=SuccessorsPage.pattern),
        CallbackQueryHandler(confirmed, pattern=ConfirmLeaving.pattern),
        CallbackQueryHandler(confirmed, pattern=LeaveTo.pattern),
    ]
