"""How roles and organisation kinds are named to people, in the reader's language."""

import re

from bot.i18n import N_, _
from domain.access import TakeOverReason
from domain.vocabulary import (
    AppointmentKind,
    CaseKind,
    CaseStatus,
    OrganisationKind,
    ReminderKind,
    ReminderStatus,
    Role,
    SourceKind,
)

_ROLES = {
    Role.ADMIN: N_("coordination"),
    Role.CORRESPONDENT: N_("correspondant·e de site"),
    Role.GENDARMERIE: N_("gendarmerie"),
    Role.SIAO: N_("SIAO"),
    Role.WORKER: N_("travailleur·se social·e Montjoie"),
    Role.LANDLORD_REFERENT: N_("référent·e bailleur"),
    Role.BENEFICIARY: N_("personne accompagnée"),
}

_KINDS = {
    OrganisationKind.LANDLORD: N_("bailleur social"),
    OrganisationKind.ASSOCIATION: N_("association"),
    OrganisationKind.GENDARMERIE: N_("gendarmerie"),
    OrganisationKind.SIAO: N_("SIAO"),
    OrganisationKind.OTHER: N_("autre"),
}


_CASE_KINDS = {
    CaseKind.ADDICTION: N_("addiction"),
    CaseKind.VIOLENCE: N_("violences intrafamiliales"),
}

# The channels a case comes through, as the figures name them.
_SOURCES = {
    SourceKind.CORRESPONDENT: N_("correspondants de site"),
    SourceKind.GENDARMERIE: N_("gendarmerie"),
    SourceKind.SIAO: N_("SIAO"),
    SourceKind.OTHER: N_("autres partenaires"),
}


def kind_label(kind: CaseKind) -> str:
    return _(_CASE_KINDS[kind])


def source_label(source: SourceKind) -> str:
    return _(_SOURCES[source])


def role_label(role: Role) -> str:
    return _(_ROLES[role])


def organisation_kind_label(kind: OrganisationKind) -> str:
    return _(_KINDS[kind])


_STATUSES = {
    CaseStatus.RECEIVED: N_("reçu"),
    CaseStatus.DIAGNOSTIC: N_("diagnostic"),
    CaseStatus.COMMISSION: N_("en commission"),
    CaseStatus.ACCEPTED: N_("accepté"),
    CaseStatus.REDIRECTED: N_("réorienté"),
    CaseStatus.DECLINED: N_("refusé"),
    CaseStatus.CONTRACT_SIGNED: N_("contrat signé"),
    CaseStatus.IN_SUPPORT: N_("accompagnement en cours"),
    CaseStatus.SHARED_REVIEW: N_("bilan partagé"),
    CaseStatus.CLOSED: N_("clos"),
}

_REASONS = {
    "light": N_("intensité légère"),
    "medium": N_("intensité moyenne"),
    "strong": N_("intensité forte"),
    "not_eligible": N_("hors critères du programme"),
    "refused_by_person": N_("refus de la personne"),
    "no_capacity": N_("plus de place"),
    "positive_exit": N_("sortie positive"),
    "handover": N_("passage de relais au bailleur"),
    "redirected": N_("réorientation"),
    "ended_by_person": N_("arrêt par la personne"),
    "eviction": N_("expulsion"),
    "moved_away": N_("déménagement"),
    "other": N_("autre"),
}

_PHASES = {
    "urgence": N_("urgence"),
    "consolidation": N_("consolidation"),
    "orientation": N_("orientation"),
    "emmenagement": N_("emménagement"),
    "suivi": N_("suivi"),
    "soutien_psychologique": N_("soutien psychologique"),
}


def status_label(status: CaseStatus) -> str:
    return _(_STATUSES[status])


def reason_label(reason: str) -> str:
    """A reason of a fixed list; a redirection service is shown as the programme names it."""
    return _(_REASONS[reason]) if reason in _REASONS else reason


def phase_label(phase: str) -> str:
    return _(_PHASES[phase])


_APPOINTMENT_KINDS = {
    AppointmentKind.DIAGNOSTIC: N_("diagnostic"),
    AppointmentKind.COMMISSION: N_("commission"),
    AppointmentKind.TRIPARTITE: N_("rencontre tripartite"),
    AppointmentKind.FOLLOW_UP: N_("suivi"),
    AppointmentKind.SHARED_REVIEW: N_("bilan partagé"),
}

_CANCEL_REASONS = {
    "person_unavailable": N_("la personne ne peut pas venir"),
    "worker_unavailable": N_("le travailleur social ne peut pas venir"),
    "not_needed": N_("plus nécessaire"),
    "other": N_("autre"),
}

_ATTENDEES = {
    "beneficiary": N_("la personne accompagnée"),
    "worker": N_("le travailleur social"),
    "referent": N_("le référent bailleur"),
}


_TAKE_OVER_REASONS = {
    TakeOverReason.ABSENCE: N_("absence du travailleur social"),
    TakeOverReason.REORGANISATION: N_("réorganisation de l'équipe"),
    TakeOverReason.PERSONS_REQUEST: N_("à la demande de la personne"),
    TakeOverReason.OTHER: N_("autre"),
}


def take_over_label(reason: str) -> str:
    return _(_TAKE_OVER_REASONS[TakeOverReason(reason)])


def appointment_kind_label(kind: AppointmentKind) -> str:
    return _(_APPOINTMENT_KINDS[kind])


def cancel_reason_label(reason: str) -> str:
    return _(_CANCEL_REASONS[reason])


# An appointment the supported person answered « Je ne peux pas venir » to.
_CANNOT_COME = N_("la personne ne peut pas venir")


def cannot_come_label() -> str:
    return _(_CANNOT_COME)


def attendee_label(attendee: str) -> str:
    return _(_ATTENDEES[attendee])


_REMINDER_KINDS = {
    ReminderKind.APPOINTMENT_EVE: N_("rappel de la veille"),
    ReminderKind.APPOINTMENT_SOON: N_("rappel 2 h avant"),
    ReminderKind.DAILY_DIGEST: N_("programme du jour"),
    ReminderKind.PHASE_CHECKPOINT: N_("échéance de phase"),
    ReminderKind.STALE_CASE: N_("dossier sans nouvelles"),
    ReminderKind.QUARTERLY_REVIEW: N_("revue trimestrielle"),
    ReminderKind.ESCALATION: N_("relance du signalement"),
}

_REMINDER_STATUSES = {
    ReminderStatus.PENDING: N_("prévu"),
    ReminderStatus.SENDING: N_("en cours d'envoi"),
    ReminderStatus.SENT: N_("envoyé"),
    ReminderStatus.FAILED: N_("échoué"),
    ReminderStatus.SKIPPED: N_("non envoyé, trop tard"),
    ReminderStatus.CANCELLED: N_("annulé"),
}


def reminder_kind_label(kind: ReminderKind) -> str:
    return _(_REMINDER_KINDS[kind])


def reminder_status_label(status: ReminderStatus) -> str:
    return _(_REMINDER_STATUSES[status])


_REMINDER_ERRORS = {
    "blocked": N_("la personne a bloqué le bot"),
    "unreachable": N_("Telegram injoignable"),
    "refused": N_("refusé par Telegram"),
    "too_late": N_("trop tard"),
    "flood_control": N_("Telegram a demandé d'attendre"),
    "safe_hours": N_("en attente des heures sûres"),
    "nothing_to_say": N_("rien à annoncer"),
    "cannot_come": _CANNOT_COME,
    "merged": N_("regroupé avec le rappel suivant"),
}


def reminder_error_label(code: str) -> str:
    return _(_REMINDER_ERRORS[code]) if code in _REMINDER_ERRORS else code


# What the audit trail's actions are called in /journal (an unknown one shows as it is).
_AUDIT_ACTIONS = {
    "case.created": N_("signalement reçu"),
    "case.taken": N_("dossier pris"),
    "case.escalated": N_("signalement relancé"),
    "case.status": N_("statut"),
    "case.reopened": N_("dossier rouvert"),
    "case.phase": N_("phase"),
    "case.note": N_("note"),
    "case.reassigned": N_("travailleur social"),
    "case.referent": N_("référent bailleur"),
    "case.appointment": N_("rendez-vous fixé"),
    "case.appointment_moved": N_("rendez-vous déplacé"),
    "case.appointment_cancelled": N_("rendez-vous annulé"),
    "case.appointment_held": N_("rendez-vous tenu"),
    "case.appointment_missed": N_("rendez-vous manqué"),
    "case.appointment_cannot_come": N_("la personne ne peut pas venir au rendez-vous"),
    "case.consent_given": N_("accord de la personne"),
    "case.consent_withdrawn": N_("retrait de la personne"),
    "case.home_assigned": N_("logement attribué"),
    "case.home_freed": N_("logement libéré"),
    "case.viewed": N_("fiche consultée"),
    "case.details_viewed": N_("détails du signalement lus"),
    "case.notes_viewed": N_("notes lues"),
    "case.exported": N_("données exportées"),
    "case.anonymised": N_("données personnelles effacées"),
    "audit.read": N_("journal consulté"),
    "review.pack": N_("dossiers de la revue trimestrielle remis"),
}
_STATUS_CHANGE = re.compile(r"^(\w+|-) -> (\w+|-)")
_STATUS_VALUES = frozenset(status.value for status in CaseStatus)


def audit_label(action: str, detail: str | None) -> str:
    """An audit entry in words: "statut : reçu → diagnostic" rather than its codes."""
    label = _(_AUDIT_ACTIONS[action]) if action in _AUDIT_ACTIONS else action
    if not detail:
        return label
    change = _STATUS_CHANGE.match(detail)
    if change is not None:
        before, after = (
            status_label(CaseStatus(value)) if value in _STATUS_VALUES else value
            for value in change.groups()
        )
        detail = f"{before} → {after}" + detail[change.end() :]
    return f"{label} ({detail})"
