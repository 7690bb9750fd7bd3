"""The case card: where a case stands in one glance, with only the actions allowed now."""

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import (
    AddNote,
    AskMove,
    AskTakeOver,
    CaseAppointments,
    ChooseReferent,
    ChooseWorker,
    FreeHome,
    InvitePerson,
    PickHome,
    Reopen,
    ShowNotes,
    TakeCase,
)
from bot.context import RelaisApplication
from bot.i18n import N_, _, format_date, format_datetime
from bot.labels import (
    appointment_kind_label,
    cancel_reason_label,
    phase_label,
    reason_label,
    reminder_error_label,
    reminder_kind_label,
    reminder_status_label,
    status_label,
    take_over_label,
)
from bot.limits import TEXT_MAX, cut, length, pages
from conversations.report_texts import option
from domain.access import Act
from domain.vocabulary import AppointmentKind, ReminderStatus, Role
from storage.access import allows, moves_for
from storage.appointments import CANCEL_REASONS, case_appointments
from storage.beneficiaries import eligible, has_consenting_beneficiary
from storage.case_flow import current_phase, notes_of
from storage.cases import case_events
from storage.homes import HOUSING_STATUSES, home_of
from storage.members import display_names
from storage.models import Appointment, Case, CaseEvent, CaseNote, Member
from storage.reminders import reminders_of_case, unfit_reminders

EVENTS_SHOWN = 5
REMINDERS_SHOWN = 4
NOTES_SHOWN = 3
# The beginning of a note the card shows: the card is a glance (and must fit one message);
# « Toutes les notes » shows every note whole.
NOTE_SHOWN_MAX = 300
# The reminder states whose reason the card gives (a pending one's is only the last retry's).
EXPLAINED = (ReminderStatus.FAILED, ReminderStatus.CANCELLED)


def card_text(application: RelaisApplication, case: Case, reader: Member, now: datetime) -> str:
    zone = application.settings.zone
    header = _("Dossier {reference}").format(reference=case.reference)
    lines = [f"{header} — URGENT" if case.urgent else header]
    if case.imported:
        lines.append(_("Importé de l'historique du programme (sans donnée personnelle)"))
    lines.append(_("Type : {kind}").format(kind=option(case.kind.value)))
    lines.append(
        _("Statut : {status} (depuis le {date})").format(
            status=status_label(case.status), date=format_date(case.status_changed_at, zone)
        )
    )
    lines.extend(_decision_lines(case))
    phase = current_phase(application.engine, case.id)
    if phase is not None:
        planned = application.programme.phase(case.kind, phase.phase)
        lines.append(
            _("Phase : {phase} — jour {day} sur {max_days} au plus").format(
                phase=phase_label(phase.phase),
                day=(now - phase.started_at).days + 1,
                max_days=planned.max_days,
            )
        )
    coming = [
        appointment
        for appointment in case_appointments(application.engine, case.id)
        if appointment.starts_at > now
    ]
    lines += _appointment_lines(coming, zone)
    home = home_of(application.engine, case.id)
    if home is not None:
        lines.append(
            _("Logement réservé : {home}").format(
                home=f"{home.label} ({home.size}, {home.commune})"
            )
        )
    notes = (
        notes_of(application.engine, case.id, NOTES_SHOWN)
        if allows(reader, case, Act.READ_NOTES)
        else []
    )
    events = case_events(application.engine, case.id, last=EVENTS_SHOWN)
    # Everyone the card names, read at once: one query, not one per line.
    names = display_names(
        application.engine,
        [case.assigned_worker_id, case.landlord_referent_id,
         *(note.author_id for note in notes), *(event.actor_member_id for event in events)],
    )  # fmt: skip
    lines.append(
        _("Travailleur social : {name}").format(name=_name(names, case.assigned_worker_id))
    )
    lines.append(
        _("Référent bailleur : {name}").format(name=_name(names, case.landlord_referent_id))
    )
    lines += [
        note_text(application, note, cut(note.text, NOTE_SHOWN_MAX), names) for note in notes
    ]
    lines += _reminder_lines(application, case, reader, coming)
    lines.append(_("Derniers événements :"))
    lines += [
        f"• {format_datetime(event.at, zone)} — {event_text(application, event, names)}"
        for event in reversed(events)
    ]
    return cut("\n".join(lines))


def note_text(
    application: RelaisApplication, note: CaseNote, text: str, names: dict[int, str]
) -> str:
    return _("Note de {name}, {date} : {text}").format(
        name=_name(names, note.author_id),
        date=format_date(note.created_at, application.settings.zone),
        text=text,
    )


def notes_pages(application: RelaisApplication, case: Case) -> list[str]:
    """Every note of the case whole, newest first, in pages that each fit one message."""
    notes = notes_of(application.engine, case.id, None)
    if not notes:
        return [_("Aucune note dans le dossier {reference}.").format(reference=case.reference)]

    def header(page: int, count: int) -> str:
        return _("Notes du dossier {reference} ({page}/{count}) :").format(
            reference=case.reference, page=page, count=count
        )

    room = TEXT_MAX - length(header(999_999, 999_999) + "\n\n")
    names = display_names(application.engine, [note.author_id for note in notes])
    bodies = pages((note_text(application, note, note.text, names) for note in notes), room)
    return [f"{header(number, len(bodies))}\n\n{body}" for number, body in enumerate(bodies, 1)]


def notes_cut(application: RelaisApplication, case: Case) -> bool:
    """Whether the card shows less than every note whole (then « Toutes les notes »)."""
    notes = notes_of(application.engine, case.id, NOTES_SHOWN + 1)
    return len(notes) > NOTES_SHOWN or any(
        cut(note.text, NOTE_SHOWN_MAX) != note.text for note in notes
    )


def _appointment_lines(coming: list[Appointment], zone: ZoneInfo) -> list[str]:
    """The next appointment, and each coming one the person said they cannot come to."""
    next_text = (
        f"{format_datetime(coming[0].starts_at, zone)} — {appointment_kind_label(coming[0].kind)}"
        if coming
        else "—"
    )
    lines = [_("Prochain rendez-vous : {what}").format(what=next_text)]
    lines += [
        _("⚠ Rendez-vous {kind} du {when} : la personne ne peut pas venir").format(
            kind=appointment_kind_label(appointment.kind),
            when=format_datetime(appointment.starts_at, zone),
        )
        for appointment in coming
        if appointment.cannot_come_at is not None
    ]
    return lines


def _reminder_lines(
    application: RelaisApplication, case: Case, reader: Member, coming: list[Appointment]
) -> list[str]:
    """So that a worker can see that the person was reminded (or why not), and which coming
    appointments they cannot be reminded of."""
    if reader.role is not Role.WORKER:
        return []
    zone = application.settings.zone
    lines = []
    for appointment in coming:
        unfit = (
            unfit_reminders(application.engine, application.planner, case.id,
                            appointment.starts_at, appointment.attendees)
            if appointment.cannot_come_at is None
            else []
        )  # fmt: skip
        if unfit:
            lines.append(
                _(
                    "⏰ Rendez-vous {kind} du {when} — pas de rappel possible : hors des heures où la personne peut être contactée ({reminders})"
                ).format(
                    kind=appointment_kind_label(appointment.kind),
                    when=format_datetime(appointment.starts_at, zone),
                    reminders=", ".join(reminder_kind_label(kind) for kind in unfit),
                )
            )
    for reminder in reminders_of_case(application.engine, case.id, REMINDERS_SHOWN):
        state = reminder_status_label(reminder.status)
        if reminder.status in EXPLAINED and reminder.last_error:
            state = f"{state} ({reminder_error_label(reminder.last_error)})"
        lines.append(
            _("⏰ {kind}, {when} — {state}").format(
                kind=reminder_kind_label(reminder.kind),
                when=format_datetime(reminder.due_at, zone),
                state=state,
            )
        )
    return lines


def _decision_lines(case: Case) -> list[str]:
    decisions = [
        (case.intensity, _("Accompagnement : {what}")),
        (case.redirected_to, _("Réorienté vers : {what}")),
        (case.decline_reason, _("Motif du refus : {what}")),
        (case.outcome, _("Issue : {what}")),
    ]
    return [template.format(what=reason_label(value)) for value, template in decisions if value]


def _name(names: dict[int, str], member_id: int | None) -> str:
    """A member's name among those read for the card (storage.members.display_names)."""
    return names.get(member_id, "—") if member_id else "—"


def event_text(application: RelaisApplication, event: CaseEvent, names: dict[int, str]) -> str:
    actor = _name(names, event.actor_member_id)
    match event.kind:
        case "created":
            return _("signalé")
        case "taken":
            return _("pris en charge par {name}").format(name=actor)
        case "escalated":
            return _("relancé : personne ne l'avait pris")
        case "imported":
            return _("importé de l'historique du programme")
        case "status":
            moved = {
                "before": status_label(event.from_status),
                "after": status_label(event.to_status),
            }
            # Nobody moved a step of the programme's history in Relais: no name to give.
            text = (
                _("{name} : {before} → {after}").format(name=actor, **moved)
                if event.actor_member_id
                else _("{before} → {after}").format(**moved)
            )
            return f"{text} ({reason_label(event.reason)})" if event.reason else text
        case "reopened":
            return _("{name} : dossier rouvert ({status})").format(
                name=actor, status=status_label(event.to_status)
            )
        case "phase":
            return _("{name} : phase {phase}").format(
                name=actor, phase=phase_label(event.reason or "")
            )
        case "note":
            return _("{name} : note ajoutée").format(name=actor)
        case "taken_over":
            return _("{name} : dossier repris ({reason})").format(
                name=actor, reason=take_over_label(event.reason or "other")
            )
        case "reassigned":
            return _("{name} : confié à {other}").format(name=actor, other=event.reason)
        case "referent":
            return _("{name} : référent bailleur {other}").format(name=actor, other=event.reason)
        case "consent_given":
            return _("la personne a accepté les rappels")
        case "consent_withdrawn":
            return _("la personne a arrêté les rappels")
        case "home_assigned":
            return _("{name} : logement {home} attribué").format(name=actor, home=event.reason)
        case "home_freed":
            return _("{name} : logement {home} libéré").format(name=actor, home=event.reason)
        case (
            "appointment"
            | "appointment_moved"
            | "appointment_cancelled"
            | "appointment_held"
            | "appointment_missed"
            | "appointment_cannot_come"
        ):
            return _appointment_event(application, event, actor)
        case _:
            return event.kind


def card_keyboard(
    application: RelaisApplication, case: Case, member: Member
) -> InlineKeyboardMarkup:
    """Only what this member may do to the case now (domain.access), nothing else."""
    rows = [
        [
            AskMove(case=case.id, target=target.value).button(
                _("→ {status}").format(status=status_label(target))
            )
        ]
        for target in moves_for(member, case)
    ]
    if allows(member, case, Act.PHASE):
        rows.append([AskMove(case=case.id, target="phase").button(_("Phase suivante"))])
    if allows(member, case, Act.WORK):
        rows += _work_rows(application, case)
    if allows(member, case, Act.HAND_OVER):
        rows.append(
            [
                ChooseWorker(case.id).button(_("Réattribuer")),
                ChooseReferent(case.id).button(_("Référent bailleur")),
            ]
        )
    if allows(member, case, Act.TAKE):
        rows.append([TakeCase(case.id).button(_("Je prends"))])
    if allows(member, case, Act.TAKE_OVER):
        rows.append([AskTakeOver(case.id).button(_("Reprendre ce dossier"))])
    if allows(member, case, Act.REOPEN):
        rows.append([Reopen(case.id).button(_("Rouvrir le dossier"))])
    if allows(member, case, Act.READ_NOTES) and notes_cut(application, case):
        rows.append([ShowNotes(case.id).button(_("Toutes les notes"))])
    return InlineKeyboardMarkup(rows)


def _work_rows(application: RelaisApplication, case: Case) -> list[list[InlineKeyboardButton]]:
    """The worker's own buttons: a note, appointments, inviting the person, the home."""
    rows = [
        [
            AddNote(case.id).button(_("Ajouter une note")),
            CaseAppointments(case.id).button(_("Rendez-vous")),
        ]
    ]
    if eligible(case) and not has_consenting_beneficiary(application.engine, case.id):
        rows.append([InvitePerson(case.id).button(_("Inviter la personne"))])
    if case.status in HOUSING_STATUSES:
        has_home = home_of(application.engine, case.id) is not None
        rows.append(
            [
                FreeHome(case.id).button(_("Libérer le logement"))
                if has_home
                else PickHome(case.id).button(_("Logement réservé"))
            ]
        )
    return rows


_KINDS = {kind.value for kind in AppointmentKind}
_APPOINTMENT_EVENTS = {
    "appointment": N_("{name} : rendez-vous {kind} fixé au {when}"),
    "appointment_moved": N_("{name} : rendez-vous {kind} déplacé au {when}"),
    "appointment_cancelled": N_("{name} : rendez-vous du {when} annulé ({reason})"),
    "appointment_held": N_("{name} : rendez-vous du {when} tenu"),
    "appointment_missed": N_("{name} : rendez-vous du {when} manqué"),
    "appointment_cannot_come": N_("la personne ne peut pas venir au rendez-vous du {when}"),
}


def _appointment_event(application: RelaisApplication, event: CaseEvent, actor: str) -> str:
    when = (
        format_datetime(datetime.fromisoformat(event.note), application.settings.zone)
        if event.note
        else "?"
    )
    reason = event.reason or ""
    return _(_APPOINTMENT_EVENTS[event.kind]).format(
        name=actor,
        when=when,
        kind=appointment_kind_label(AppointmentKind(reason)) if reason in _KINDS else "",
        reason=cancel_reason_label(reason) if reason in CANCEL_REASONS else reason,
    )
