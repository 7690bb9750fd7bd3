"""Appointments on a case: a worker schedules, moves, cancels them, or says how they went.

A new appointment is four taps: its kind, its time (the usual slots, a calendar, or typed
French such as "mardi 9h"), its place, who comes. /rdv lists one's coming appointments.
"""

import calendar
from datetime import date, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import buttons, permissions
from bot.access import record_refusal
from bot.buttons import (
    AbandonAppointment,
    AppointmentAttendee,
    AppointmentHeld,
    AppointmentKindChoice,
    AppointmentMissed,
    AppointmentPlace,
    AppointmentSlot,
    AskCancelAppointment,
    CalendarDay,
    CalendarMonth,
    CalendarTitle,
    CancelAppointment,
    CaseAppointments,
    CaseAppointmentsPage,
    MoveAppointment,
    NewAppointment,
    SaveAppointment,
)
from bot.context import RelaisContext
from bot.i18n import N_, _, format_datetime
from bot.labels import (
    appointment_kind_label,
    attendee_label,
    cancel_reason_label,
    reminder_kind_label,
)
from bot.limits import cut
from conversations.cases import load_worker_case, send_card
from conversations.common import (
    abandon,
    expect_buttons,
    page_of,
    page_rows,
    persistent_flow,
    refuse_button,
    remove_buttons,
    replace_buttons,
    replace_text,
)
from domain.access import Act
from domain.vocabulary import ATTENDEE_KEYS, AppointmentKind
from domain.when import WhenError, WhenProblem, day_slots, parse_when, quick_slots, slot_at
from storage.access import allows
from storage.appointments import (
    CANCEL_REASONS,
    AppointmentRefused,
    cancel,
    case_appointments,
    get_appointment,
    is_scheduled,
    record_outcome,
    reschedule,
    schedule,
    upcoming_for,
)
from storage.cases import get_case
from storage.models import Appointment
from storage.reminders import unfit_reminders

KIND, WHEN, PLACE, ATTENDEES, CONFIRM = "kind", "when", "place", "attendees", "confirm"
DRAFT = "appointment"
PLACES = (N_("Au domicile de la personne"), N_("Locaux de Montjoie"), N_("Agence Sarthe Habitat"))
PLACE_MAX = 120

WHEN_PROBLEMS = {
    WhenProblem.UNREADABLE: N_(
        "Je n'ai pas pu lire cette date. Exemples : 12/03 14h30, mardi 9h, demain 10h."
    ),
    WhenProblem.NO_TIME: N_("Il manque l'heure. Exemple : mardi 9h."),
    WhenProblem.PAST: N_("Cette date est passée : choisissez un moment à venir."),
    WhenProblem.NONEXISTENT: N_(
        "Cette heure n'existe pas ce jour-là (passage à l'heure d'été) : choisissez-en une autre."
    ),
    WhenProblem.TOO_FAR: N_(
        "Cette date est trop lointaine : choisissez-en une dans les deux ans."
    ),
}


# --- the case's appointments --------------------------------------------------------------


async def list_for_case(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    button = buttons.find(query.data)
    case = await load_worker_case(update, context, button.case)
    if case is None:
        return
    await query.answer()
    everything = case_appointments(context.engine, case.id)
    turning = isinstance(button, CaseAppointmentsPage)
    appointments, page = page_of(everything, button.page if turning else 0)
    lines = [_("Rendez-vous du dossier {reference} :").format(reference=case.reference)]
    rows = []
    for appointment in appointments:
        lines.append("• " + describe(context, appointment))
        rows.append(_appointment_buttons(context, appointment))
    if not everything:
        lines.append(_("Aucun rendez-vous prévu."))
    rows += page_rows(
        page, len(everything), lambda other: CaseAppointmentsPage(case=case.id, page=other)
    )
    rows.append([NewAppointment(case.id).button(_("Nouveau rendez-vous"))])
    text, keyboard = cut("\n".join(lines)), InlineKeyboardMarkup(rows)
    if turning:  # « Suivants › » under the list: the same message, other appointments
        await replace_text(query, text, reply_markup=keyboard)
        return
    await update.effective_chat.send_message(text, reply_markup=keyboard)


def describe(context: RelaisContext, appointment: Appointment) -> str:
    return _("{when} — {kind} — {place}").format(
        when=format_datetime(appointment.starts_at, context.settings.zone),
        kind=appointment_kind_label(appointment.kind),
        place=cut(appointment.place, PLACE_MAX),  # an imported place may be longer
    )


def _appointment_buttons(
    context: RelaisContext, appointment: Appointment
) -> list[InlineKeyboardButton]:
    if appointment.starts_at <= context.relais.now():
        return [
            AppointmentHeld(appointment.id).button(_("Tenu")),
            AppointmentMissed(appointment.id).button(_("Manqué")),
        ]
    return [
        MoveAppointment(appointment.id).button(_("Déplacer")),
        AskCancelAppointment(appointment.id).button(_("Annuler")),
    ]


async def ask_cancel_reason(update: Update, context: RelaisContext) -> None:
    asked = AskCancelAppointment.read(update)
    appointment = await _worker_appointment(update, context, asked.appointment, scheduled=True)
    if appointment is None:
        return
    rows = [
        [
            CancelAppointment(appointment=appointment.id, reason=index).button(
                cancel_reason_label(reason)
            )
        ]
        for index, reason in enumerate(CANCEL_REASONS)
    ]
    await update.callback_query.answer()
    await update.effective_chat.send_message(
        _("Annuler le rendez-vous du {when} : pour quelle raison ?").format(
            when=format_datetime(appointment.starts_at, context.settings.zone)
        ),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def cancel_with_reason(update: Update, context: RelaisContext) -> None:
    chosen = CancelAppointment.read(update)
    appointment = await _worker_appointment(update, context, chosen.appointment)
    if appointment is None:
        return
    index = chosen.reason
    if index >= len(CANCEL_REASONS):
        await refuse_button(update, context)
        return
    reason = CANCEL_REASONS[index]
    await _change(
        update,
        context,
        appointment,
        lambda: cancel(
            context.engine,
            appointment.id,
            context.known_member,
            reason,
            context.relais.now(),
            context.relais.planner,
        ),
    )


async def mark_outcome(update: Update, context: RelaisContext) -> None:
    button = buttons.find(update.callback_query.data)
    appointment = await _worker_appointment(update, context, button.appointment)
    if appointment is None:
        return
    held = isinstance(button, AppointmentHeld)
    await _change(
        update,
        context,
        appointment,
        lambda: record_outcome(
            context.engine,
            appointment.id,
            context.known_member,
            held,
            context.relais.now(),
            context.relais.planner,
        ),
    )


async def _change(
    update: Update, context: RelaisContext, appointment: Appointment, change
) -> None:
    query = update.callback_query
    try:
        change()
    except AppointmentRefused:
        await _no_longer_possible(update, context)
        return
    await query.answer(_("C'est fait."))
    await remove_buttons(query)
    await send_card(update, context, get_case(context.engine, appointment.case_id))


async def my_appointments(update: Update, context: RelaisContext) -> None:
    upcoming = upcoming_for(context.engine, context.known_member, context.relais.now())
    if not upcoming:
        await update.effective_message.reply_text(_("Aucun rendez-vous à venir."))
        return
    lines = [_("Vos prochains rendez-vous :")]
    lines += [
        f"• {case.reference} — {describe(context, appointment)}" for appointment, case in upcoming
    ]
    await update.effective_message.reply_text(cut("\n".join(lines)))


# --- a new or moved appointment: a short conversation ------------------------------------


async def begin(update: Update, context: RelaisContext) -> str | int:
    case = await load_worker_case(update, context, NewAppointment.read(update).case)
    if case is None:
        return ConversationHandler.END
    context.user_data[DRAFT] = {"case": case.id, "attendees": ["beneficiary", "worker"]}
    rows = [
        [AppointmentKindChoice(kind).button(appointment_kind_label(kind))]
        for kind in AppointmentKind
    ]
    await update.callback_query.answer()
    await update.effective_chat.send_message(
        _("Rendez-vous pour {reference} — quel type ?").format(reference=case.reference),
        reply_markup=InlineKeyboardMarkup([*rows, [_cancel_button()]]),
    )
    return KIND


async def begin_move(update: Update, context: RelaisContext) -> str | int:
    asked = MoveAppointment.read(update)
    appointment = await _worker_appointment(update, context, asked.appointment, scheduled=True)
    if appointment is None:
        return ConversationHandler.END
    context.user_data[DRAFT] = {"case": appointment.case_id, "appointment": appointment.id}
    await update.callback_query.answer()
    return await _ask_when(update, context)


async def choose_kind(update: Update, context: RelaisContext) -> str:
    context.user_data[DRAFT]["kind"] = AppointmentKindChoice.read(update).kind.value
    await update.callback_query.answer()
    await remove_buttons(update.callback_query)
    return await _ask_when(update, context)


async def _ask_when(update: Update, context: RelaisContext) -> str:
    now, zone = context.relais.now(), context.settings.zone
    rows = [[_slot_button(slot, format_datetime(slot, zone))] for slot in quick_slots(now, zone)]
    today = now.astimezone(zone).date()
    rows.append([CalendarMonth(today.replace(day=1)).button(_("Calendrier…"))])
    await update.effective_chat.send_message(
        _("Quand ? Choisissez, ou tapez par exemple : 12/03 14h30, mardi 9h, demain 10h."),
        reply_markup=InlineKeyboardMarkup([*rows, [_cancel_button()]]),
    )
    return WHEN


def _slot_button(slot: datetime, label: str) -> InlineKeyboardButton:
    return AppointmentSlot(int(slot.timestamp()) // 60).button(label)


async def show_month(update: Update, context: RelaisContext) -> str:
    query = update.callback_query
    first = CalendarMonth.read(update).month
    year, month = first.year, first.month
    weeks = calendar.Calendar().monthdatescalendar(year, month)
    today = context.relais.now().astimezone(context.settings.zone).date()
    rows = [
        [
            CalendarDay(day).button(str(day.day))
            if day.month == month and day >= today
            else CalendarTitle().button("·")
            for day in week
        ]
        for week in weeks
    ]
    rows.insert(0, [
        _month_button(first, -1, "‹"),
        CalendarTitle().button(f"{month:02d}/{year}"),
        _month_button(first, 1, "›"),
    ])  # fmt: skip
    await query.answer()
    await replace_buttons(query, InlineKeyboardMarkup([*rows, [_cancel_button()]]))
    return WHEN


def _month_button(first: date, step: int, label: str) -> InlineKeyboardButton:
    """‹ or ›; past the months a button can name (a forged page at the bounds), nothing."""
    try:
        return CalendarMonth(_month_shift(first, step)).button(label)
    except ValueError:
        return CalendarTitle().button("·")


def _month_shift(first: date, step: int) -> date:
    """The first day of the month `step` months away (the calendar's ‹ and ›)."""
    index = first.year * 12 + first.month - 1 + step
    return date(index // 12, index % 12 + 1, 1)


async def show_day(update: Update, context: RelaisContext) -> str:
    query = update.callback_query
    day = CalendarDay.read(update).day
    slots = day_slots(day, context.relais.now(), context.settings.zone)
    times = [_slot_button(slot, f"{slot:%H:%M}") for slot in slots]
    rows = [times[i : i + 4] for i in range(0, len(times), 4)]
    rows.append([CalendarMonth(day.replace(day=1)).button(_("← Calendrier")), _cancel_button()])
    await query.answer()
    await replace_buttons(query, InlineKeyboardMarkup(rows))
    return WHEN


async def noop(update: Update, context: RelaisContext) -> None:
    await update.callback_query.answer()


async def slot_chosen(update: Update, context: RelaisContext) -> str | int:
    minutes = AppointmentSlot.read(update).minutes
    try:
        starts_at = slot_at(minutes, context.relais.now())
    except WhenError as error:
        await update.callback_query.answer(_(WHEN_PROBLEMS[error.problem]), show_alert=True)
        return WHEN
    await update.callback_query.answer()
    await remove_buttons(update.callback_query)
    return await _when_known(update, context, starts_at)


async def typed_when(update: Update, context: RelaisContext) -> str | int:
    try:
        starts_at = parse_when(
            update.effective_message.text or "", context.relais.now(), context.settings.zone
        )
    except WhenError as error:
        await update.effective_message.reply_text(_(WHEN_PROBLEMS[error.problem]))
        return WHEN
    return await _when_known(update, context, starts_at)


async def _when_known(update: Update, context: RelaisContext, starts_at: datetime) -> str | int:
    draft = context.user_data[DRAFT]
    draft["at"] = starts_at.isoformat()
    if draft.get("appointment"):
        return await _save_move(update, context, draft, starts_at)
    rows = [[AppointmentPlace(index).button(_(place))] for index, place in enumerate(PLACES)]
    await update.effective_chat.send_message(
        _("Où ? Choisissez, ou tapez l'adresse ({limit} caractères au plus).").format(
            limit=PLACE_MAX
        ),
        reply_markup=InlineKeyboardMarkup([*rows, [_cancel_button()]]),
    )
    return PLACE


async def _save_move(
    update: Update, context: RelaisContext, draft: dict, starts_at: datetime
) -> int:
    try:
        appointment = reschedule(
            context.engine,
            draft["appointment"],
            context.known_member,
            starts_at,
            context.relais.now(),
            context.relais.planner,
        )
    except AppointmentRefused:
        await update.effective_chat.send_message(_("Ce n'est plus possible pour ce rendez-vous."))
        return _end(context)
    lines = [_("Rendez-vous déplacé : {what}").format(what=describe(context, appointment))]
    lines += _unfit_lines(
        context, appointment.case_id, appointment.starts_at, appointment.attendees
    )
    await update.effective_chat.send_message("\n".join(lines))
    await send_card(update, context, get_case(context.engine, appointment.case_id))
    return _end(context)


async def place_chosen(update: Update, context: RelaisContext) -> str:
    index = AppointmentPlace.read(update).place
    if index >= len(PLACES):
        await refuse_button(update, context)
        return PLACE
    await update.callback_query.answer()
    await remove_buttons(update.callback_query)
    return await _place_known(update, context, _(PLACES[index]))


async def typed_place(update: Update, context: RelaisContext) -> str:
    place = " ".join((update.effective_message.text or "").split())
    if not place or len(place) > PLACE_MAX:
        await update.effective_message.reply_text(
            _("Il me faut le lieu en texte, {limit} caractères au plus.").format(limit=PLACE_MAX)
        )
        return PLACE
    return await _place_known(update, context, place)


async def _place_known(update: Update, context: RelaisContext, place: str) -> str:
    context.user_data[DRAFT]["place"] = place
    await update.effective_chat.send_message(
        _("Qui vient ? Cochez, puis validez."), reply_markup=_attendee_keyboard(context)
    )
    return ATTENDEES


def _attendee_keyboard(context: RelaisContext) -> InlineKeyboardMarkup:
    ticked = context.user_data[DRAFT].get("attendees", [])
    rows = [
        [AppointmentAttendee(key).button(("✓ " if key in ticked else "") + attendee_label(key))]
        for key in ATTENDEE_KEYS
    ]
    done = AppointmentAttendee("ok").button(_("Valider"))
    return InlineKeyboardMarkup([*rows, [done, _cancel_button()]])


async def toggle_attendee(update: Update, context: RelaisContext) -> str:
    query = update.callback_query
    key = AppointmentAttendee.read(update).attendee
    draft = context.user_data[DRAFT]
    if key == "ok":
        if not draft.get("attendees"):
            await query.answer(_("Cochez au moins une personne."), show_alert=True)
            return ATTENDEES
        await query.answer()
        await remove_buttons(query)
        return await _ask_confirmation(update, context)
    ticked = draft.get("attendees", [])
    draft["attendees"] = [k for k in ticked if k != key] if key in ticked else [*ticked, key]
    await query.answer()
    await replace_buttons(query, _attendee_keyboard(context))
    return ATTENDEES


async def _ask_confirmation(update: Update, context: RelaisContext) -> str:
    draft = context.user_data[DRAFT]
    case = get_case(context.engine, draft["case"])
    starts_at = datetime.fromisoformat(draft["at"])
    text = _("Rendez-vous pour {reference} :\n{kind}, {when}\n{place}\nAvec : {who}").format(
        reference=case.reference if case else "?",
        kind=appointment_kind_label(AppointmentKind(draft["kind"])),
        when=format_datetime(starts_at, context.settings.zone),
        place=draft["place"],
        who=", ".join(attendee_label(key) for key in draft["attendees"]),
    )
    lines = [text, *_unfit_lines(context, draft["case"], starts_at, draft["attendees"])]
    keyboard = InlineKeyboardMarkup(
        [[SaveAppointment().button(_("Enregistrer")), _cancel_button()]]
    )
    await update.effective_chat.send_message("\n".join(lines), reply_markup=keyboard)
    return CONFIRM


def _unfit_lines(
    context: RelaisContext, case_id: int, starts_at: datetime, attendees: list[str]
) -> list[str]:
    """The reminders the person cannot get at this time, for the worker to know (and perhaps
    choose another time)."""
    unfit = unfit_reminders(context.engine, context.relais.planner, case_id, starts_at, attendees)
    if not unfit:
        return []
    return [
        _(
            "⚠ Pas de rappel possible : hors des heures où la personne peut être contactée ({reminders})."
        ).format(reminders=", ".join(reminder_kind_label(kind) for kind in unfit))
    ]


async def save(update: Update, context: RelaisContext) -> int:
    query = update.callback_query
    draft = context.user_data.get(DRAFT, {})
    try:
        appointment = schedule(
            context.engine,
            draft["case"],
            context.known_member,
            kind=AppointmentKind(draft["kind"]),
            starts_at=datetime.fromisoformat(draft["at"]),
            place=draft["place"],
            attendees=draft["attendees"],
            now=context.relais.now(),
            planner=context.relais.planner,
        )
    except (AppointmentRefused, KeyError):
        await query.answer(_("Ce n'est plus possible pour ce rendez-vous."), show_alert=True)
        return _end(context)
    await query.answer(_("C'est fait."))
    await remove_buttons(query)
    await send_card(update, context, get_case(context.engine, appointment.case_id))
    return _end(context)


def _end(context: RelaisContext) -> int:
    context.user_data.pop(DRAFT, None)
    return ConversationHandler.END


def _cancel_button() -> InlineKeyboardButton:
    return AbandonAppointment().button(_("Annuler"))


# --- access ---------------------------------------------------------------------------------


async def _worker_appointment(
    update: Update, context: RelaisContext, appointment_id: int, *, scheduled: bool = False
) -> Appointment | None:
    """The appointment a button names, if its case is this worker's to work on; with
    `scheduled`, only while it is still to come (a stale button is refused at once)."""
    appointment = get_appointment(context.engine, appointment_id)
    case = get_case(context.engine, appointment.case_id) if appointment else None
    if case is None or not allows(context.known_member, case, Act.WORK):
        await refuse_button(update, context)
        return None
    if scheduled and not is_scheduled(appointment):
        await _no_longer_possible(update, context)
        return None
    return appointment


async def _no_longer_possible(update: Update, context: RelaisContext) -> None:
    record_refusal(update, context, "rule")
    await update.callback_query.answer(
        _("Ce n'est plus possible pour ce rendez-vous."), show_alert=True
    )


def handlers() -> list[BaseHandler]:
    typed = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    other = filters.UpdateType.MESSAGE & ~filters.COMMAND
    when_handlers = [
        CallbackQueryHandler(slot_chosen, pattern=AppointmentSlot.pattern),
        CallbackQueryHandler(show_month, pattern=CalendarMonth.pattern),
        CallbackQueryHandler(show_day, pattern=CalendarDay.pattern),
        CallbackQueryHandler(noop, pattern=CalendarTitle.pattern),
        MessageHandler(typed, typed_when),
    ]
    return [
        persistent_flow(
            "appointment",
            entry_points=[
                CallbackQueryHandler(begin, pattern=NewAppointment.pattern),
                CallbackQueryHandler(begin_move, pattern=MoveAppointment.pattern),
            ],
            states={
                KIND: [
                    CallbackQueryHandler(choose_kind, pattern=AppointmentKindChoice.pattern),
                    MessageHandler(other, expect_buttons),
                ],
                WHEN: [*when_handlers, MessageHandler(other, expect_buttons)],
                PLACE: [
                    CallbackQueryHandler(place_chosen, pattern=AppointmentPlace.pattern),
                    MessageHandler(typed, typed_place),
                    MessageHandler(other, expect_buttons),
                ],
                ATTENDEES: [
                    CallbackQueryHandler(toggle_attendee, pattern=AppointmentAttendee.pattern),
                    MessageHandler(other, expect_buttons),
                ],
                CONFIRM: [
                    CallbackQueryHandler(save, pattern=SaveAppointment.pattern),
                    MessageHandler(other, expect_buttons),
                ],
            },
            fallbacks=[
                CommandHandler(list(permissions.CANCEL.names), _abandon),
                CallbackQueryHandler(_abandon, pattern=AbandonAppointment.pattern),
            ],
        ),
        CommandHandler(list(permissions.APPOINTMENTS.names), my_appointments),
        CallbackQueryHandler(list_for_case, pattern=CaseAppointments.pattern),
        CallbackQueryHandler(list_for_case, pattern=CaseAppointmentsPage.pattern),
        CallbackQueryHandler(ask_cancel_reason, pattern=AskCancelAppointment.pattern),
        CallbackQueryHandler(cancel_with_reason, pattern=CancelAppointment.pattern),
        CallbackQueryHandler(mark_outcome, pattern=AppointmentHeld.pattern),
        CallbackQueryHandler(mark_outcome, pattern=AppointmentMissed.pattern),
    ]


async def _abandon(update: Update, context: RelaisContext) -> int:
    return await abandon(update, context, DRAFT)
