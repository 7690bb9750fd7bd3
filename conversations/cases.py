"""/dossiers: the cases a worker, an admin or a landlord referent follows, and their cards.

Every button carries a case id, never trusted: each tap loads the case again and checks
that this member may see it and make this move now (domain.access).
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import permissions
from bot.access import record_refusal
from bot.context import RelaisContext
from bot.i18n import N_, _, language_of, ngettext, use_language
from bot.labels import reason_label, status_label, take_over_label
from bot.limits import button_text
from conversations.case_card import card_keyboard, card_text, notes_pages
from conversations.common import (
    ID,
    PAGE_NUMBER,
    id_in,
    page_of,
    page_rows,
    refuse_button,
    remove_buttons,
    replace_buttons,
    replace_text,
)
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

logger = logging.getLogger(__name__)
T = TypeVar("T")
PAGE = 5


async def show_list(update: Update, context: RelaisContext) -> None:
    member = context.known_member
    mine = member.role is not Role.ADMIN
    text, keyboard = _list(context, mine=mine, status=None, kind=None, page=0)
    await update.effective_message.reply_text(text, reply_markup=keyboard)


async def on_list_button(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    _cs, _l, scope, status, kind, page = query.data.split(":")  # its pattern checked them
    await query.answer()
    text, keyboard = _list(
        context,
        mine=scope == "m",
        status=CaseStatus(status) if status != "-" else None,
        kind=CaseKind(kind) if kind != "-" else None,
        page=int(page),
    )
    await replace_text(query, text, reply_markup=keyboard)


async def on_status_filter(update: Update, context: RelaisContext) -> None:
    """Offer the statuses to filter the list on."""
    query = update.callback_query
    _cs, _s, scope, kind = [*query.data.split(":"), "-", "-"][:4]
    rows = [
        [
            InlineKeyboardButton(
                _("Tous les statuts ouverts"), callback_data=f"cs:l:{scope}:-:{kind}:0"
            )
        ]
    ]
    rows += [
        [
            InlineKeyboardButton(
                status_label(status), callback_data=f"cs:l:{scope}:{status.value}:{kind}:0"
            )
        ]
        for status in CaseStatus
    ]
    await query.answer()
    await replace_buttons(query, InlineKeyboardMarkup(rows))


def _list(
    context: RelaisContext,
    *,
    mine: bool,
    status: CaseStatus | None,
    kind: CaseKind | None,
    page: int,
) -> tuple[str, InlineKeyboardMarkup]:
    member = context.known_member
    cases, total = list_cases(
        context.engine, member, mine=mine, status=status, kind=kind, offset=page * PAGE, limit=PAGE
    )
    title = _("Mes dossiers") if mine else _("Dossiers")
    if status is not None:
        title += " — " + status_label(status)
    if kind is not None:
        title += " — " + _(kind_short(kind))
    text = (
        title
        + "\n"
        + (
            ngettext("{count} dossier.", "{count} dossiers.", total).format(count=total)
            if total
            else _("Aucun dossier ici.")
        )
    )
    scope, status_key, kind_key = (
        ("m" if mine else "a"),
        (status.value if status else "-"),
        (kind.value if kind else "-"),
    )
    rows = [
        [
            InlineKeyboardButton(
                f"{case.reference} · {status_label(case.status)}"
                + (" · URGENT" if case.urgent else ""),
                callback_data=f"cs:c:{case.id}",
            )
        ]
        for case in cases
    ]
    pages = []
    if page > 0:
        pages.append(
            InlineKeyboardButton(
                _("‹ Précédents"), callback_data=f"cs:l:{scope}:{status_key}:{kind_key}:{page - 1}"
            )
        )
    if (page + 1) * PAGE < total:
        pages.append(
            InlineKeyboardButton(
                _("Suivants ›"), callback_data=f"cs:l:{scope}:{status_key}:{kind_key}:{page + 1}"
            )
        )
    next_kind = {
        None: CaseKind.ADDICTION,
        CaseKind.ADDICTION: CaseKind.VIOLENCE,
        CaseKind.VIOLENCE: None,
    }[kind]
    filters = [
        InlineKeyboardButton(
            _("Tous les dossiers") if mine else _("Mes dossiers"),
            callback_data=f"cs:l:{'a' if mine else 'm'}:{status_key}:{kind_key}:0",
        ),
        InlineKeyboardButton(_("Statut…"), callback_data=f"cs:s:{scope}:{kind_key}"),
        InlineKeyboardButton(
            _("Type : {kind}").format(kind=_(kind_short(next_kind)) if next_kind else _("tous")),
            callback_data=f"cs:l:{scope}:{status_key}:{next_kind.value if next_kind else '-'}:0",
        ),
    ]
    return text, InlineKeyboardMarkup([*rows, *([pages] if pages else []), filters])


_KIND_SHORT = {CaseKind.ADDICTION: N_("addiction"), CaseKind.VIOLENCE: N_("violences")}


def kind_short(kind: CaseKind) -> str:
    return _KIND_SHORT[kind]


async def show_card(update: Update, context: RelaisContext) -> None:
    case = await load_case(update, context)
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
    case = await load_case(update, context, Act.READ_NOTES)
    if case is None:
        return
    query = update.callback_query
    parts = query.data.split(":")
    record_now(
        context.engine,
        "case.notes_viewed",
        context.relais.now(),
        member_id=context.known_member.id,
        case_id=case.id,
    )
    texts = notes_pages(context.relais, case)
    page = min(int(parts[3]), len(texts) - 1) if len(parts) > 3 else 0
    rows = page_rows(page, len(texts), lambda other: f"cs:N:{case.id}:{other}", size=1)
    keyboard = InlineKeyboardMarkup(rows) if rows else None
    await query.answer()
    if len(parts) > 3:
        await replace_text(query, texts[page], reply_markup=keyboard)
    else:
        await update.effective_chat.send_message(texts[page], reply_markup=keyboard)


async def load_case(
    update: Update, context: RelaisContext, act: Act | CaseStatus | None = None
) -> Case | None:
    """The case named by the button, if this member may see it and (with `act`) do that now.

    A case they may not see gets the same answer as a case that does not exist, so a forged
    button learns nothing; a case they see but may no longer act on (the button is stale:
    the case moved on, or changed hands) gets its fresh card at once (domain.access)."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    case_id = id_in(parts[2]) if len(parts) > 2 else None
    case = get_case(context.engine, case_id) if case_id else None
    if case is None or not sees(context.known_member, case):
        await refuse_button(update, context)
        return None
    if act is not None and not allows(context.known_member, case, act):
        await refuse_move(update, context, case)
        return None
    return case


async def load_worker_case(update: Update, context: RelaisContext) -> Case | None:
    """The case of the button, for the worker who holds it (buttons are never trusted)."""
    return await load_case(update, context, Act.WORK)


def _act(target: str) -> Act | CaseStatus:
    """What a move button names: the next phase, or a status."""
    return Act.PHASE if target == "phase" else CaseStatus(target)


async def ask_move(update: Update, context: RelaisContext) -> None:
    """ "→ accepté" and the like: pick the reason, or confirm (a stale button: the card)."""
    target = update.callback_query.data.split(":")[3]
    case = await load_case(update, context, _act(target))
    if case is None:
        return
    choices = (
        None
        if target == "phase"
        else reason_choices(CaseStatus(target), context.relais.programme.redirection_services)
    )
    await update.callback_query.answer()
    if choices is not None:
        rows = [
            [
                InlineKeyboardButton(
                    reason_label(choice), callback_data=f"cs:r:{case.id}:{target}:{index}"
                )
            ]
            for index, choice in enumerate(choices)
        ]
        rows.append([InlineKeyboardButton(_("Annuler"), callback_data=f"cs:c:{case.id}")])
        question = _("Dossier {reference} → {status} : pour quelle raison ?").format(
            reference=case.reference, status=status_label(CaseStatus(target))
        )
        await update.effective_chat.send_message(question, reply_markup=InlineKeyboardMarkup(rows))
        return
    if target == "phase":
        question = _("Passer le dossier {reference} à la phase suivante ?").format(
            reference=case.reference
        )
    else:
        question = _("Passer le dossier {reference} en « {status} » ?").format(
            reference=case.reference, status=status_label(CaseStatus(target))
        )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Confirmer"), callback_data=f"cs:y:{case.id}:{target}"),
                InlineKeyboardButton(_("Annuler"), callback_data=f"cs:c:{case.id}"),
            ]
        ]
    )
    await update.effective_chat.send_message(question, reply_markup=keyboard)


async def confirm_move(update: Update, context: RelaisContext) -> None:
    target = update.callback_query.data.split(":")[3]
    case = await load_case(update, context, _act(target))
    if case is None:
        return
    now = context.relais.now()
    if target == "phase":
        await attempt(
            update,
            context,
            case,
            lambda: advance_phase(
                context.engine,
                case.id,
                context.known_member,
                context.relais.programme,
                now,
                context.relais.planner,
            ),
        )
    else:
        await apply_move(update, context, case, Move(CaseStatus(target)))


async def move_with_reason(update: Update, context: RelaisContext) -> None:
    move = reason_move(update.callback_query.data, context.relais.programme)
    case = await load_case(update, context, move.target)
    if case is None:
        return
    await apply_move(update, context, case, move)


def reason_move(data: str, programme: Programme) -> Move:
    """The move a reason button names (`cs:r:<case>:<status>:<index>`); an index off the
    status's fixed list gives a move without a reason, which the rules refuse."""
    _cs, _r, _id, target, index = data.split(":")
    choices = reason_choices(CaseStatus(target), programme.redirection_services) or []
    reason = choices[int(index)] if int(index) < len(choices) else None
    return Move(CaseStatus(target), reason=reason)


async def reopen(update: Update, context: RelaisContext) -> None:
    case = await load_case(update, context, Act.REOPEN)
    if case is not None:
        await attempt(
            update,
            context,
            case,
            lambda: reopen_case(
                context.engine, case.id, context.known_member, context.relais.now()
            ),
        )


async def choose_person(update: Update, context: RelaisContext) -> None:
    """Réattribuer (workers) or Référent bailleur (landlord referents): pick with a button."""
    case = await load_case(update, context, Act.HAND_OVER)
    if case is None:
        return
    query = update.callback_query
    _cs, action, _id, *page = query.data.split(":")
    role = Role.WORKER if action == "w" else Role.LANDLORD_REFERENT
    everyone = active_members(context.engine, role)
    people, shown = page_of(everyone, int(page[0]) if page else 0)
    rows = [
        [
            InlineKeyboardButton(
                button_text(person.display_name),
                callback_data=f"cs:{action.upper()}:{case.id}:{person.id}",
            )
        ]
        for person in people
    ]
    rows += page_rows(shown, len(everyone), lambda other: f"cs:{action}:{case.id}:{other}")
    rows.append([InlineKeyboardButton(_("Annuler"), callback_data=f"cs:c:{case.id}")])
    await query.answer()
    if page:  # « Suivants › » under the question: the same question, other people
        await replace_buttons(query, InlineKeyboardMarkup(rows))
        return
    await update.effective_chat.send_message(
        _("Dossier {reference} : qui ?").format(reference=case.reference),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def set_person(update: Update, context: RelaisContext) -> None:
    case = await load_case(update, context, Act.HAND_OVER)
    if case is None:
        return
    _cs, action, _id, person_id = update.callback_query.data.split(":")
    person_id = id_in(person_id)
    person = get_member(context.engine, person_id) if person_id else None
    if person is None:
        await refuse_button(update, context)
        return
    role = Role.WORKER if action == "W" else Role.LANDLORD_REFERENT
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
    case = await load_case(update, context, Act.TAKE_OVER)
    if case is None:
        return
    rows = [
        [InlineKeyboardButton(take_over_label(reason), callback_data=f"cs:T:{case.id}:{index}")]
        for index, reason in enumerate(TakeOverReason)
    ]
    rows.append([InlineKeyboardButton(_("Annuler"), callback_data=f"cs:c:{case.id}")])
    await update.callback_query.answer()
    await update.effective_chat.send_message(
        _("Reprendre le dossier {reference} : pour quelle raison ?").format(
            reference=case.reference
        ),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def take_case_over(update: Update, context: RelaisContext) -> None:
    case = await load_case(update, context, Act.TAKE_OVER)
    if case is None:
        return
    index = int(update.callback_query.data.split(":")[3])
    reasons = list(TakeOverReason)
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
    with use_language(language_of(previous, context.settings.default_language)):
        text = _("Dossier {reference} : repris par {name} ({reason}).").format(
            reference=case.reference,
            name=context.known_member.display_name,
            reason=take_over_label(reason),
        )
    try:
        await context.bot.send_message(previous.telegram_id, text)
    except TelegramError as error:
        logger.warning("Worker %s not told of a take-over: %s", previous.id, type(error).__name__)


async def apply_move(update: Update, context: RelaisContext, case: Case, move: Move) -> None:
    """Move the case along its path (domain.statuses decides), then show its card."""
    relais = context.relais
    await attempt(
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


_TARGETS = "|".join(status.value for status in CaseStatus)
_STATUS = f"({_TARGETS}|-)"
_KIND = "(" + "|".join(kind.value for kind in CaseKind) + "|-)"
_PAGE = "[0-9]{1,6}"  # pages of five: far more than there will ever be cases


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(list(permissions.CASES.names), show_list),
        CallbackQueryHandler(on_list_button, pattern=rf"^cs:l:[ma]:{_STATUS}:{_KIND}:{_PAGE}$"),
        CallbackQueryHandler(on_status_filter, pattern=rf"^cs:s:[ma]:{_KIND}$"),
        CallbackQueryHandler(show_card, pattern=rf"^cs:c:{ID}$"),
        CallbackQueryHandler(show_notes, pattern=rf"^cs:N:{ID}(:{PAGE_NUMBER})?$"),
        # Only well-formed moves reach the handlers; anything else is a stale button.
        CallbackQueryHandler(ask_move, pattern=rf"^cs:m:{ID}:({_TARGETS}|phase)$"),
        CallbackQueryHandler(confirm_move, pattern=rf"^cs:y:{ID}:({_TARGETS}|phase)$"),
        CallbackQueryHandler(move_with_reason, pattern=rf"^cs:r:{ID}:({_TARGETS}):{ID}$"),
        CallbackQueryHandler(reopen, pattern=rf"^cs:o:{ID}$"),
        CallbackQueryHandler(choose_person, pattern=rf"^cs:[wf]:{ID}(:{PAGE_NUMBER})?$"),
        CallbackQueryHandler(set_person, pattern=rf"^cs:[WF]:{ID}:{ID}$"),
        CallbackQueryHandler(ask_take_over_reason, pattern=rf"^cs:t:{ID}$"),
        CallbackQueryHandler(take_case_over, pattern=rf"^cs:T:{ID}:[0-9]{{1,2}}$"),
    ]
