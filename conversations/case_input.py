"""What a case card asks to be typed: a worker's note, the signed contract's meeting date,
and the optional free note that goes with a refusal, a redirection or a closing (its reason
is always one of a fixed list; the note says what the list cannot)."""

from datetime import datetime, time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import permissions
from bot.buttons import (
    AddNote,
    AskMove,
    CancelInput,
    ContractSigned,
    MeetingDay,
    MoveReason,
    SkipNote,
)
from bot.context import RelaisContext
from bot.i18n import _, format_date
from bot.labels import reason_label, status_label
from conversations.cases import apply_move, load_case, reason_move, send_card
from conversations.common import (
    abandon,
    expect_text,
    persistent_flow,
    refuse_button,
    remove_buttons,
)
from domain.access import Act
from domain.statuses import Move
from domain.vocabulary import CaseStatus
from domain.when import WhenError, parse_day
from storage.case_flow import NOTE_MAX, add_note
from storage.cases import get_case

NOTE, MEETING_DAY, CONSENT, MOVE_NOTE = "note", "meeting_day", "consent", "move_note"
CASE_KEY, DAY_KEY, MOVE_KEY = "case_input_case", "case_input_day", "case_input_move"
# The moves whose fixed-list reason may come with a free note (DOMAIN: refusal, redirection,
# cancellation); an acceptance's reason is its intensity, nothing to add.
NOTED_MOVES = (CaseStatus.DECLINED, CaseStatus.REDIRECTED, CaseStatus.CLOSED)


async def ask_note(update: Update, context: RelaisContext) -> str | int:
    case = await load_case(update, context, AddNote.read(update).case, Act.WORK)
    if case is None:
        return ConversationHandler.END
    context.user_data[CASE_KEY] = case.id
    await update.callback_query.answer()
    await update.effective_chat.send_message(
        _(
            "Écrivez la note pour {reference} ({limit} caractères au plus). Elle sera lue par les travailleurs sociaux et le référent bailleur du dossier."
        ).format(reference=case.reference, limit=NOTE_MAX)
    )
    return NOTE


async def save_note(update: Update, context: RelaisContext) -> str | int:
    case = get_case(context.engine, context.user_data.get(CASE_KEY, 0))
    text = update.effective_message.text or ""
    if case is None:
        return await _lost(update, context)
    if not text.strip() or len(text.strip()) > NOTE_MAX:
        await update.effective_message.reply_text(
            _("Une note fait de 1 à {limit} caractères : raccourcissez-la, ou /annuler.").format(
                limit=NOTE_MAX
            )
        )
        return NOTE
    add_note(context.engine, case.id, context.known_member, text, context.relais.now())
    context.user_data.pop(CASE_KEY, None)
    await update.effective_message.reply_text(
        _("Note ajoutée au dossier {reference}.").format(reference=case.reference)
    )
    await send_card(update, context, case)
    return ConversationHandler.END


async def ask_meeting_day(update: Update, context: RelaisContext) -> str | int:
    asked = AskMove.read(update)
    case = await load_case(update, context, asked.case, CaseStatus.CONTRACT_SIGNED)
    if case is None:
        return ConversationHandler.END
    context.user_data[CASE_KEY] = case.id
    await update.callback_query.answer()
    keyboard = InlineKeyboardMarkup(
        [
            [
                MeetingDay(0).button(_("Aujourd'hui")),
                MeetingDay(1).button(_("Hier")),
            ],
            [_cancel_button()],
        ]
    )
    await update.effective_chat.send_message(
        _(
            "Contrat signé pour {reference} : quel jour a eu lieu la rencontre tripartite ? Choisissez, ou tapez la date (exemple : 12/03)."
        ).format(reference=case.reference),
        reply_markup=keyboard,
    )
    return MEETING_DAY


async def day_from_button(update: Update, context: RelaisContext) -> str:
    days_back = MeetingDay.read(update).days_back
    await update.callback_query.answer()
    today = context.relais.now().astimezone(context.settings.zone).date()
    return await _ask_consent(update, context, today.toordinal() - days_back)


async def day_from_text(update: Update, context: RelaisContext) -> str:
    now, zone = context.relais.now(), context.settings.zone
    try:
        day = parse_day(update.effective_message.text or "", now, zone)
    except WhenError:
        day = None
    if day is None or day > now.astimezone(zone).date():
        await update.effective_message.reply_text(
            _("Je n'ai pas pu lire cette date, ou elle est à venir. Exemple : 12/03, ou « hier ».")
        )
        return MEETING_DAY
    return await _ask_consent(update, context, day.toordinal())


async def _ask_consent(update: Update, context: RelaisContext, ordinal: int) -> str:
    context.user_data[DAY_KEY] = ordinal
    meeting = datetime.combine(
        datetime.fromordinal(ordinal).date(), time(12), tzinfo=context.settings.zone
    )
    keyboard = InlineKeyboardMarkup(
        [
            [ContractSigned().button(_("Oui, le contrat est signé"))],
            [_cancel_button()],
        ]
    )
    await update.effective_chat.send_message(
        _(
            "Rencontre du {date}. La personne a-t-elle signé le contrat d'accompagnement et donné son accord ?"
        ).format(date=format_date(meeting, context.settings.zone)),
        reply_markup=keyboard,
    )
    return CONSENT


async def record_contract(update: Update, context: RelaisContext) -> int:
    case = get_case(context.engine, context.user_data.get(CASE_KEY, 0))
    ordinal = context.user_data.get(DAY_KEY)
    if case is None or ordinal is None:
        return await _lost(update, context)
    meeting = datetime.combine(
        datetime.fromordinal(ordinal).date(), time(12), tzinfo=context.settings.zone
    )
    move = Move(CaseStatus.CONTRACT_SIGNED, meeting_at=meeting, consent=True)
    _forget(context)
    await apply_move(update, context, case, move)
    return ConversationHandler.END


async def ask_move_note(update: Update, context: RelaisContext) -> str | int:
    """A reason was chosen: ask for an optional note before making the move."""
    button = MoveReason.read(update)
    move = reason_move(button, context.relais.programme)
    # Checked now, as the move would be, not after the note.
    case = await load_case(update, context, button.case, move.target)
    if case is None:
        return ConversationHandler.END
    if move.reason is None:
        await refuse_button(update, context)
        return ConversationHandler.END
    context.user_data[CASE_KEY] = case.id
    context.user_data[MOVE_KEY] = [move.target.value, move.reason]
    await update.callback_query.answer()
    await remove_buttons(update.callback_query)
    await update.effective_chat.send_message(
        _(
            "{reference} → {status} ({reason}). Une précision à garder avec cette décision ? "
            "Tapez-la, ou touchez « Passer »."
        ).format(
            reference=case.reference,
            status=status_label(move.target),
            reason=reason_label(move.reason),
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [SkipNote().button(_("Passer"))],
                [_cancel_button()],
            ]
        ),
    )
    return MOVE_NOTE


async def move_with_note(update: Update, context: RelaisContext) -> str | int:
    text = (update.effective_message.text or "").strip()
    if len(text) > NOTE_MAX:
        await update.effective_message.reply_text(
            _("Une note fait de 1 à {limit} caractères : raccourcissez-la, ou /annuler.").format(
                limit=NOTE_MAX
            )
        )
        return MOVE_NOTE
    return await _make_move(update, context, text or None)


async def move_without_note(update: Update, context: RelaisContext) -> int:
    return await _make_move(update, context, None)  # the move answers the button


async def _make_move(update: Update, context: RelaisContext, note: str | None) -> int:
    case = get_case(context.engine, context.user_data.get(CASE_KEY, 0))
    chosen = context.user_data.get(MOVE_KEY)
    if case is None or not chosen:
        return await _lost(update, context)
    target, reason = chosen
    _forget(context)
    await apply_move(update, context, case, Move(CaseStatus(target), reason=reason, note=note))
    return ConversationHandler.END


async def _lost(update: Update, context: RelaisContext) -> int:
    _forget(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await update.effective_chat.send_message(_("Ce dossier n'est plus disponible."))
    return ConversationHandler.END


def _forget(context: RelaisContext) -> None:
    for key in (CASE_KEY, DAY_KEY, MOVE_KEY):
        context.user_data.pop(key, None)


def _cancel_button() -> InlineKeyboardButton:
    return CancelInput().button(_("Annuler"))


def handlers() -> list[BaseHandler]:
    typed = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    other = filters.UpdateType.MESSAGE & ~filters.COMMAND
    return [
        persistent_flow(
            "case_input",
            entry_points=[
                CallbackQueryHandler(ask_note, pattern=AddNote.pattern),
                CallbackQueryHandler(
                    ask_meeting_day,
                    pattern=AskMove.where(lambda b: b.target == CaseStatus.CONTRACT_SIGNED),
                ),
                # A refusal, redirection or closing with its reason: a free note may go with it.
                CallbackQueryHandler(
                    ask_move_note, pattern=MoveReason.where(lambda b: b.target in NOTED_MOVES)
                ),
            ],
            states={
                NOTE: [MessageHandler(typed, save_note), MessageHandler(other, expect_text)],
                MEETING_DAY: [
                    CallbackQueryHandler(day_from_button, pattern=MeetingDay.pattern),
                    MessageHandler(typed, day_from_text),
                    MessageHandler(other, expect_text),
                ],
                CONSENT: [CallbackQueryHandler(record_contract, pattern=ContractSigned.pattern)],
                MOVE_NOTE: [
                    CallbackQueryHandler(move_without_note, pattern=SkipNote.pattern),
                    MessageHandler(typed, move_with_note),
                    MessageHandler(other, expect_text),
                ],
            },
            fallbacks=[
                CommandHandler(list(permissions.CANCEL.names), _abandon),
                CallbackQueryHandler(_abandon, pattern=CancelInput.pattern),
            ],
        )
    ]


async def _abandon(update: Update, context: RelaisContext) -> int:
    return await abandon(update, context, CASE_KEY, DAY_KEY, MOVE_KEY)
