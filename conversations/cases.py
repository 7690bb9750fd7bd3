"""/dossiers: the cases a worker, an admin or a landlord referent follows, and their cards.

Every button carries a case id, never trusted: each tap loads the case again and checks
that this member may see it and make this move now (domain.access).
"""

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import buttons, permissions
from bot.access import record_refusal
from bot.buttons import (
    AskMove,
    AskTakeOver,
    AttachReferent,
    CaseCard,
    CaseList,
    ChooseReferent,
    ChooseWorker,
    ConfirmMove,
    HandTo,
    MoveReason,
    NotesPage,
    ReasonsPage,
    ReferentsPage,
    Reopen,
    ShowNotes,
    StatusFilter,
    TakeOver,
    WorkersPage,
)
from bot.context import RelaisContext
from bot.i18n import N_, _, ngettext
from bot.labels import reason_label, status_label, take_over_label
from bot.limits import button_text
from conversations.case_card import card_keyboard, card_text, notes_pages
from conversations.common import PAGE as REASONS_PAGE
from conversations.common import (
    page_of,
    page_rows,
    refuse_button,
    remove_buttons,
    replace_buttons,
    replace_text,
    tell,
)
from conversations.directory import tell_redirected
from domain.access import Act, TakeOverReason
from domain.programme import Programme
from domain.statuses import IllegalTransition, Move, reason_choices
from domain.vocabulary import CaseKind, CaseStatus, Role
from storage.access import allows, sees
from storage.audit import record_now
from storage.case_flow import advance_phase, move_case, put_on_case, reopen_case, take_over
from storage.cases import get_case, list_cases
from storage.members import active_members, get_member
from storage.models import Case

T = TypeVar("T")
PAGE = 5


async def show_list(update: Update, context: RelaisContext) -> None:
    mine = "m" if context.known_member.role is not Role.ADMIN else "a"
    text, keyboard = _list(context, CaseList(scope=mine, status=None, kind=None, page=0))
    await update.effective_message.reply_text(text, reply_markup=keyboard)


async def on_list_button(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    await query.answer()
    text, keyboard = _list(context, CaseList.read(update))
    await replace_text(query, text, reply_markup=keyboard)


async def on_status_filter(update: Update, context: RelaisContext) -> None:
    """Offer the statuses to filter the list on."""
    query = update.callback_query
    shown = StatusFilter.read(update)
    first = CaseList(scope=shown.scope, status=None, kind=shown.kind, page=0)
    rows = [[first.button(_("Tous les statuts ouverts"))]]
    rows += [[replace(first, status=status).button(status_label(status))] for status in CaseStatus]
    await query.answer()
    await replace_buttons(query, InlineKeyboardMarkup(rows))


def _list(context: RelaisContext, view: CaseList) -> tuple[str, InlineKeyboardMarkup]:
    """A page of the list, and the buttons to page, filter and open each case."""
    mine = view.scope == "m"
    cases, total = list_cases(
        context.engine,
        context.known_member,
        mine=mine,
        status=view.status,
        kind=view.kind,
        offset=view.page * PAGE,
        limit=PAGE,
    )
    title = _("Mes dossiers") if mine else _("Dossiers")
    if view.status is not None:
        title += " — " + status_label(view.status)
    if view.kind is not None:
        title += " — " + _(kind_short(view.kind))
    count = (
        ngettext("{count} dossier.", "{count} dossiers.", total).format(count=total)
        if total
        else _("Aucun dossier ici.")
    )
    rows = [
        [
            CaseCard(case.id).button(
                f"{case.reference} · {status_label(case.status)}"
                + (" · URGENT" if case.urgent else "")
            )
        ]
        for case in cases
    ]
    pages = []
    if view.page > 0:
        pages.append(replace(view, page=view.page - 1).button(_("‹ Précédents")))
    if (view.page + 1) * PAGE < total:
        pages.append(replace(view, page=view.page + 1).button(_("Suivants ›")))
    next_kind = {
        None: CaseKind.ADDICTION,
        CaseKind.ADDICTION: CaseKind.VIOLENCE,
        CaseKind.VIOLENCE: None,
    }[view.kind]
    filters = [
        replace(view, scope="a" if mine else "m", page=0).button(
            _("Tous les dossiers") if mine else _("Mes dossiers")
        ),
        StatusFilter(scope=view.scope, kind=view.kind).button(_("Statut…")),
        replace(view, kind=next_kind, page=0).button(
            _("Type : {kind}").format(kind=_(kind_short(next_kind)) if next_kind else _("tous"))
        ),
    ]
    return title + "\n" + count, InlineKeyboardMarkup(
        [*rows, *([pages] if pages else []), filters]
    )


_KIND_SHORT = {CaseKind.ADDICTION: N_("addiction"), CaseKind.VIOLENCE: N_("violences")}


def kind_short(kind: CaseKind) -> str:
    return _KIND_SHORT[kind]


async def show_card(update: Update, context: RelaisContext) -> None:
    case = await load_case(update, context, CaseCard.read(update).case)
    if case is not None:
        await update.callback_query.answer()
        await send_card(update, context, case)


async def send_card(update: Update, context: RelaisContext, case: Case) -> None:
    member = context.known_member
    record_now(
        context.engine, "case.viewed", context.relais.now(), member_id=member.id, case_id=case.id
    )
    await update.effective_chat.send_message(
        card_text(context.relais, case, member, context.relais.now()),
        reply_markup=card_keyboard(context.relais, case, member),
    )


async def show_notes(update: Update, context: RelaisContext) -> None:
    """« Toutes les notes »: the case's notes whole, a page at a time (a new message from
    the card, the same message edited from page to page)."""
    button = buttons.find(update.callback_query.data)
    case = await load_case(update, context, button.case, Act.READ_NOTES)
    if case is None:
        return
    query = update.callback_query
    record_now(
        context.engine,
        "case.notes_viewed",
        context.relais.now(),
        member_id=context.known_member.id,
        case_id=case.id,
    )
    texts = notes_pages(context.relais, case)
    turning = isinstance(button, NotesPage)
    page = min(button.page, len(texts) - 1) if turning else 0
    rows = page_rows(page, len(texts), lambda other: NotesPage(case=case.id, page=other), size=1)
    keyboard = InlineKeyboardMarkup(rows) if rows else None
    await query.answer()
    if turning:
        await replace_text(query, texts[page], reply_markup=keyboard)
    else:
        await update.effective_chat.send_message(texts[page], reply_markup=keyboard)


async def load_case(
    update: Update, context: RelaisContext, case_id: int, act: Act | CaseStatus | None = None
) -> Case | None:
    """The case a button names, if this member may see it and (with `act`) do that now.

    A case they may not see gets the same answer as a case that does not exist, so a forged
    button learns nothing; a case they see but may no longer act on (the button is stale:
    the case moved on, or changed hands) gets its fresh card at once (domain.access)."""
    case = get_case(context.engine, case_id)
    if case is None or not sees(context.known_member, case):
        await refuse_button(update, context)
        return None
    if act is not None and not allows(context.known_member, case, act):
        await refuse_move(update, context, case)
        return None
    return case


async def load_worker_case(update: Update, context: RelaisContext, case_id: int) -> Case | None:
    """The case of the button, for the worker who holds it (buttons are never trusted)."""
    return await load_case(update, context, case_id, Act.WORK)


def _act(target: str) -> Act | CaseStatus:
    """What a move button names: the next phase, or a status."""
    return Act.PHASE if target == "phase" else CaseStatus(target)


async def ask_move(update: Update, context: RelaisContext) -> None:
    """ "→ accepté" and the like: pick the reason, or confirm (a stale button: the card)."""
    asked = AskMove.read(update)
    case = await load_case(update, context, asked.case, _act(asked.target))
    if case is None:
        return
    await update.callback_query.answer()
    if asked.target == "phase":
        question = _("Passer le dossier {reference} à la phase suivante ?").format(
            reference=case.reference
        )
        await _confirm(update, case, asked.target, question)
        return
    target = CaseStatus(asked.target)
    choices = reason_choices(target, context.relais.programme.redirection_services)
    if choices is None:
        question = _("Passer le dossier {reference} en « {status} » ?").format(
            reference=case.reference, status=status_label(target)
        )
        await _confirm(update, case, asked.target, question)
        return
    await update.effective_chat.send_message(
        _reason_question(case, target), reply_markup=_reasons(case, target, choices, 0)
    )


async def turn_reasons(update: Update, context: RelaisContext) -> None:
    """« Suivants › » under a move's reasons: the same question, the next ones."""
    asked = ReasonsPage.read(update)
    case = await load_case(update, context, asked.case, asked.target)
    if case is None:
        return
    choices = reason_choices(asked.target, context.relais.programme.redirection_services) or []
    await update.callback_query.answer()
    await replace_buttons(update.callback_query, _reasons(case, asked.target, choices, asked.page))


def _reasons(
    case: Case, target: CaseStatus, choices: list[str], page: int
) -> InlineKeyboardMarkup:
    """A page of a move's reasons (the redirections come from the partners file: they may be
    more than a screen holds), each button naming its reason by its place in the whole list."""
    shown, page = page_of(choices, page)
    first = page * REASONS_PAGE
    rows = [
        [
            MoveReason(case=case.id, target=target, reason=first + n).button(
                button_text(reason_label(choice))
            )
        ]
        for n, choice in enumerate(shown)
    ]
    rows += page_rows(page, len(choices), lambda other: ReasonsPage(case.id, target, other))
    rows.append([CaseCard(case.id).button(_("Annuler"))])
    return InlineKeyboardMarkup(rows)


def _reason_question(case: Case, target: CaseStatus) -> str:
    if target is CaseStatus.REDIRECTED:
        return _("Dossier {reference} → {status} : vers quel service ?").format(
            reference=case.reference, status=status_label(target)
        )
    return _("Dossier {reference} → {status} : pour quelle raison ?").format(
        reference=case.reference, status=status_label(target)
    )


async def _confirm(update: Update, case: Case, target: str, question: str) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                ConfirmMove(case=case.id, target=target).button(_("Confirmer")),
                CaseCard(case.id).button(_("Annuler")),
            ]
        ]
    )
    await update.effective_chat.send_message(question, reply_markup=keyboard)


async def confirm_move(update: Update, context: RelaisContext) -> None:
    confirmed = ConfirmMove.read(update)
    case = await load_case(update, context, confirmed.case, _act(confirmed.target))
    if case is None:
        return
    relais = context.relais
    if confirmed.target == "phase":
        await attempt(
            update,
            context,
            case,
            lambda: advance_phase(
                context.engine,
                case.id,
                context.known_member,
                relais.programme,
                relais.now(),
                relais.planner,
            ),
        )
    else:
        await apply_move(update, context, case, Move(CaseStatus(confirmed.target)))


async def move_with_reason(update: Update, context: RelaisContext) -> None:
    button = MoveReason.read(update)
    move = reason_move(button, context.relais.programme)
    case = await load_case(update, context, button.case, move.target)
    if case is None:
        return
    await apply_move(update, context, case, move)


def reason_move(button: MoveReason, programme: Programme) -> Move:
    """The move a reason button names; an index off the target's fixed list gives a move
    without a reason, which the rules refuse."""
    choices = reason_choices(button.target, programme.redirection_services) or []
    reason = choices[button.reason] if button.reason < len(choices) else None
    return Move(button.target, reason=reason)


async def reopen(update: Update, context: RelaisContext) -> None:
    case = await load_case(update, context, Reopen.read(update).case, Act.REOPEN)
    if case is not None:
        await attempt(
            update,
            context,
            case,
            lambda: reopen_case(
                context.engine, case.id, context.known_member, context.relais.now()
            ),
        )


# Who a case can be given to, by the buttons that list them: their role, the button of one of
# them, the button of a page of them.
_PEOPLE = {
    ChooseWorker: (Role.WORKER, HandTo, WorkersPage),
    WorkersPage: (Role.WORKER, HandTo, WorkersPage),
    ChooseReferent: (Role.LANDLORD_REFERENT, AttachReferent, ReferentsPage),
    ReferentsPage: (Role.LANDLORD_REFERENT, AttachReferent, ReferentsPage),
}


async def choose_person(update: Update, context: RelaisContext) -> None:
    """Réattribuer (workers) or Référent bailleur (landlord referents): pick with a button."""
    query = update.callback_query
    asked = buttons.find(query.data)
    role, pick, page_button = _PEOPLE[type(asked)]
    case = await load_case(update, context, asked.case, Act.HAND_OVER)
    if case is None:
        return
    everyone = active_members(context.engine, role)
    turning = isinstance(asked, page_button)
    people, shown = page_of(everyone, asked.page if turning else 0)
    rows = [
        [pick(case=case.id, person=person.id).button(button_text(person.display_name))]
        for person in people
    ]
    rows += page_rows(shown, len(everyone), lambda other: page_button(case=case.id, page=other))
    rows.append([CaseCard(case.id).button(_("Annuler"))])
    await query.answer()
    if turning:  # « Suivants › » under the question: the same question, other people
        await replace_buttons(query, InlineKeyboardMarkup(rows))
        return
    await update.effective_chat.send_message(
        _("Dossier {reference} : qui ?").format(reference=case.reference),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def set_person(update: Update, context: RelaisContext) -> None:
    chosen = buttons.find(update.callback_query.data)
    case = await load_case(update, context, chosen.case, Act.HAND_OVER)
    if case is None:
        return
    person = get_member(context.engine, chosen.person)
    if person is None:
        await refuse_button(update, context)
        return
    role = Role.WORKER if isinstance(chosen, HandTo) else Role.LANDLORD_REFERENT
    await attempt(
        update,
        context,
        case,
        lambda: put_on_case(
            context.engine,
            case.id,
            person,
            role,
            context.known_member,
            context.relais.now(),
            (context.relais.planner, context.relais.programme),
        ),
    )


async def ask_take_over_reason(update: Update, context: RelaisContext) -> None:
    """« Reprendre ce dossier »: a colleague takes a case over, saying why (a fixed list)."""
    case = await load_case(update, context, AskTakeOver.read(update).case, Act.TAKE_OVER)
    if case is None:
        return
    rows = [
        [TakeOver(case=case.id, reason=index).button(take_over_label(reason))]
        for index, reason in enumerate(TakeOverReason)
    ]
    rows.append([CaseCard(case.id).button(_("Annuler"))])
    await update.callback_query.answer()
    await update.effective_chat.send_message(
        _("Reprendre le dossier {reference} : pour quelle raison ?").format(
            reference=case.reference
        ),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def take_case_over(update: Update, context: RelaisContext) -> None:
    chosen = TakeOver.read(update)
    case = await load_case(update, context, chosen.case, Act.TAKE_OVER)
    if case is None:
        return
    index, reasons = chosen.reason, list(TakeOverReason)
    if index >= len(reasons):
        await refuse_button(update, context)
        return
    relais, worker = context.relais, context.known_member
    previous = await attempt(
        update,
        context,
        case,
        lambda: take_over(
            context.engine,
            case.id,
            worker,
            reasons[index],
            relais.now(),
            (relais.planner, relais.programme),
        ),
    )
    if previous is not None:
        await _tell_taken_over(context, case, previous, reasons[index])


async def _tell_taken_over(
    context: RelaisContext, case: Case, previous_id: int, reason: TakeOverReason
) -> None:
    """The worker a case was taken from learns it from the bot, in their language."""
    previous = get_member(context.engine, previous_id)
    if previous is None or not previous.active:
        return
    await tell(
        context.relais,
        previous,
        lambda: _("Dossier {reference} : repris par {name} ({reason}).").format(
            reference=case.reference,
            name=context.known_member.display_name,
            reason=take_over_label(reason),
        ),
        "Take-over notice",
    )


async def apply_move(update: Update, context: RelaisContext, case: Case, move: Move) -> None:
    """Move the case along its path (domain.statuses decides), then show its card."""
    relais = context.relais
    moved = await attempt(
        update,
        context,
        case,
        lambda: move_case(
            context.engine,
            case.id,
            context.known_member,
            move,
            relais.programme,
            relais.now(),
            relais.planner,
        ),
    )
    if moved is not None and move.target is CaseStatus.REDIRECTED:
        await tell_redirected(relais, moved, context.known_member)


async def attempt(
    update: Update, context: RelaisContext, case: Case, change: Callable[[], T]
) -> T | None:
    """Make the change, then show the card as it now is; a refused change changes nothing
    (and gives None).

    From a button (its answer is a pop-up) or from a typed text (a move's note: a message)."""
    try:
        result = change()
    except IllegalTransition:
        await refuse_move(update, context, case)
        return None
    if update.callback_query is not None:
        await update.callback_query.answer(_("C'est fait."))
    await _card_again(update, context, case)
    return result


async def refuse_move(update: Update, context: RelaisContext, case: Case) -> None:
    """A change the rules refuse: said, audited, and the card shown as the case still is."""
    record_refusal(update, context, "rule")
    refused = _("Ce n'est pas possible pour ce dossier maintenant : voici sa fiche à jour.")
    if update.callback_query is None:
        await update.effective_chat.send_message(refused)
    else:
        await update.callback_query.answer(refused, show_alert=True)
    await _card_again(update, context, case)


async def _card_again(update: Update, context: RelaisContext, case: Case) -> None:
    """The tapped message loses its buttons; the card, read again, comes below."""
    if update.callback_query is not None:
        await remove_buttons(update.callback_query)
    await send_card(update, context, get_case(context.engine, case.id))


def handlers() -> list[BaseHandler]:
    # Only whole, well-formed buttons reach the handlers (bot.buttons); anything else is
    # refused by the gate first.
    return [
        CommandHandler(list(permissions.CASES.names), show_list),
        CallbackQueryHandler(on_list_button, pattern=CaseList.pattern),
        CallbackQueryHandler(on_status_filter, pattern=StatusFilter.pattern),
        CallbackQueryHandler(show_card, pattern=CaseCard.pattern),
        CallbackQueryHandler(turn_reasons, pattern=ReasonsPage.pattern),
        CallbackQueryHandler(show_notes, pattern=ShowNotes.pattern),
        CallbackQueryHandler(show_notes, pattern=NotesPage.pattern),
        CallbackQueryHandler(ask_move, pattern=AskMove.pattern),
        CallbackQueryHandler(confirm_move, pattern=ConfirmMove.pattern),
        CallbackQueryHandler(move_with_reason, pattern=MoveReason.pattern),
        CallbackQueryHandler(reopen, pattern=Reopen.pattern),
        *(CallbackQueryHandler(choose_person, pattern=b.pattern) for b in _PEOPLE),
        CallbackQueryHandler(set_person, pattern=HandTo.pattern),
        CallbackQueryHandler(set_person, pattern=AttachReferent.pattern),
        CallbackQueryHandler(ask_take_over_reason, pattern=AskTakeOver.pattern),
        CallbackQueryHandler(take_case_over, pattern=TakeOver.pattern),
    ]
