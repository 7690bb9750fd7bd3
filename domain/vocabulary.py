"""The programme's vocabulary: who people are, what a case is and where it stands, what a
reminder is. The rules in domain/ speak it; storage/ keeps it in its columns, the chat shows
it through bot.labels. Values are stored: renaming one needs a migration.
"""

from enum import StrEnum

DAYS_PER_MONTH = 30  # a month of support is counted as 30 days, as the programme sheet does


class Role(StrEnum):
    ADMIN = "admin"
    CORRESPONDENT = "correspondent"
    GENDARMERIE = "gendarmerie"
    SIAO = "siao"
    WORKER = "worker"
    LANDLORD_REFERENT = "landlord_referent"
    BENEFICIARY = "beneficiary"


class OrganisationKind(StrEnum):
    LANDLORD = "landlord"
    ASSOCIATION = "association"
    GENDARMERIE = "gendarmerie"
    SIAO = "siao"
    OTHER = "other"


class CaseKind(StrEnum):
    ADDICTION = "addiction"
    VIOLENCE = "violence"


class CaseStatus(StrEnum):
    RECEIVED = "received"
    DIAGNOSTIC = "diagnostic"
    COMMISSION = "commission"
    ACCEPTED = "accepted"
    REDIRECTED = "redirected"
    DECLINED = "declined"
    CONTRACT_SIGNED = "contract_signed"
    IN_SUPPORT = "in_support"
    SHARED_REVIEW = "shared_review"
    CLOSED = "closed"


class AppointmentKind(StrEnum):
    DIAGNOSTIC = "diagnostic"
    COMMISSION = "commission"
    TRIPARTITE = "tripartite"
    FOLLOW_UP = "follow_up"
    SHARED_REVIEW = "shared_review"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    MISSED = "missed"
    CANCELLED = "cancelled"


class ReminderKind(StrEnum):
    APPOINTMENT_EVE = "appointment_eve"
    APPOINTMENT_SOON = "appointment_soon"
    DAILY_DIGEST = "daily_digest"
    PHASE_CHECKPOINT = "phase_checkpoint"
    STALE_CASE = "stale_case"
    QUARTERLY_REVIEW = "quarterly_review"
    # A new case nobody took in time: re-alert the workers and tell the admins. Its
    # member is the referrer (the case's owner); the fan-out goes to the team.
    ESCALATION = "escalation"


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


# Who comes to an appointment (Appointment.attendees).
ATTENDEE_KEYS = ("beneficiary", "worker", "referent")


class SourceKind(StrEnum):
    """Who reported a case, for the figures: the programme's three channels, or another."""

    CORRESPONDENT = "correspondent"
    GENDARMERIE = "gendarmerie"
    SIAO = "siao"
    OTHER = "other"
