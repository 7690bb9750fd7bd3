"""How roles and organisation kinds are named to people, in the reader's language."""

import re

from bot.i18n import N_, _
from domain.access import TakeOverReason
from domain.partners import Situation
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


_SITUATIONS = {
    Situation.ADDICTION: N_("Addictions"),
    Situation.VIOLENCE: N_("Violences intrafamiliales"),
    Situation.SHELTER: N_("Hébergement, mise à l'abri"),
    Situation.MENTAL_HEALTH: N_("Santé mentale, handicap"),
    Situation.VICTIM_SUPPORT: N_("Aide aux victimes, droits"),
    Situation.BUDGET: N_("Budget, dettes, protection"),
    Situation.TENANCY: N_("Logement, bail, impayés"),
}


def situation_label(situation: Situation) -> str:
    """A situation of the directory (/annuaire)."""
    return _(_SITUATIONS[situation])


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


# ------------------------------------------------------------------ the figures
# The indicators of domain.figures by their stable key, as /chiffres, the spreadsheets and
# `python -m bot report` name them; a breakdown `key.part` reads "indicator — part".
_INDICATORS = {
    "period.first": N_("Premier jour de la période"),
    "period.last": N_("Dernier jour de la période"),
    "referrals": N_("Signalements reçus"),
    "studied": N_("Dossiers étudiés (décidés en commission)"),
    "oriented": N_("Dossiers étudiés et orientés (acceptés ou réorientés)"),
    "accepted": N_("Dossiers acceptés"),
    "redirected": N_("Dossiers réorientés"),
    "declined": N_("Dossiers refusés"),
    "contracts_signed": N_("Contrats d'accompagnement signés"),
    "new_entries": N_("Nouvelles entrées dans l'accompagnement"),
    "new_entries_target": N_("Objectif d'entrées pour la période"),
    "in_support": N_("Ménages accompagnés à la fin de la période"),
    "closed": N_("Dossiers clos"),
    "positive_exits": N_("Sorties positives"),
    "support_months_mean": N_("Durée moyenne d'un parcours (mois)"),
    "support_months_median": N_("Durée médiane d'un parcours (mois)"),
    "support_length": N_("Parcours terminés"),
    "hours_to_taken_median": N_("Délai médian avant « Je prends » (heures)"),
    "days_to_commission_median": N_("Délai médian du signalement à la décision (jours)"),
    "homes_occupied": N_("Logements réservés occupés"),
    "homes_reserved": N_("Logements réservés"),
    "appointments_held": N_("Rendez-vous tenus"),
    "appointments_missed": N_("Rendez-vous manqués"),
    "reminders_sent": N_("Rappels envoyés"),
    "reminders_failed": N_("Rappels échoués"),
    "support_months": N_("Mois d'accompagnement sur la période"),
    "support_cost_eur": N_("Coût de l'accompagnement (€)"),
    "cost_per_positive_exit_eur": N_("Coût par sortie positive (€)"),
    "stale_cases": N_("Dossiers ouverts sans nouvelles"),
}

_QPV = {"yes": N_("oui"), "no": N_("non"), "unknown": N_("inconnu")}

_INDICATOR_PARTS = {
    "referrals": {
        **{kind.value: label for kind, label in _CASE_KINDS.items()},
        **{source.value: label for source, label in _SOURCES.items()},
        "qpv": N_("en QPV"),
        "outside_qpv": N_("hors QPV"),
        "qpv_unknown": N_("QPV inconnu"),
    },
    "homes_occupied": {kind.value: label for kind, label in _CASE_KINDS.items()},
    "homes_reserved": {kind.value: label for kind, label in _CASE_KINDS.items()},
    "in_support": _PHASES,
    "support_length": {
        "under_6": N_("moins de 6 mois"),
        "6_to_12": N_("de 6 à 12 mois"),
        "over_12": N_("plus de 12 mois"),
    },
}
# No phase open (in_support.none), no outcome recorded (closed.none).
_NO_PART = N_("aucune")


def indicator_label(key: str) -> str:
    """An indicator by its key ("referrals.gendarmerie" → "Signalements reçus — gendarmerie");
    a key not known here shows as it is."""
    if key in _INDICATORS:
        return _(_INDICATORS[key])
    base, _dot, part = key.partition(".")
    if base not in _INDICATORS or not part:
        return key
    if part == "none":
        named = _(_NO_PART)
    elif base in _INDICATOR_PARTS:
        parts = _INDICATOR_PARTS[base]
        named = _(parts[part]) if part in parts else part
    else:  # a decision's reason or an outcome; a redirection service as the programme names it
        named = reason_label(part)
    return _("{indicator} — {part}").format(indicator=_(_INDICATORS[base]), part=named)


def qpv_label(qpv: str) -> str:
    """A case's QPV answer: yes, no or unknown."""
    return _(_QPV.get(qpv, _QPV["unknown"]))
