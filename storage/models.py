"""The schema. Every change here needs an Alembic revision (see README)."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from domain.vocabulary import (
    AppointmentKind,
    AppointmentStatus,
    CaseKind,
    CaseStatus,
    OrganisationKind,
    ReminderKind,
    ReminderStatus,
    Role,
    SourceKind,
)
from storage.crypto import EncryptedJSON, EncryptedText
from storage.types import UTCDateTime, enum_type, utcnow

# Named constraints, so that Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    kind: OrganisationKind = Field(sa_type=enum_type(OrganisationKind))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=sa.BigInteger, unique=True, index=True)
    display_name: str = Field(sa_type=EncryptedText)
    role: Role = Field(sa_type=enum_type(Role))
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    # None means "not chosen": the Telegram app's language is used, else the default.
    language: str | None = Field(default=None, max_length=8)
    # The Telegram app's language, seen on the member's last update: used for messages the
    # member did not ask for (alerts, reminders) when they chose no language.
    app_language: str | None = Field(default=None, max_length=16)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invitation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Only a SHA-256 of the token is kept: a copy of the database cannot be used to enroll.
    token_hash: str = Field(max_length=64, unique=True)
    role: Role = Field(sa_type=enum_type(Role))
    organisation_id: int = Field(foreign_key="organisation.id")
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_by_id: int | None = Field(default=None, foreign_key="member.id")
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A beneficiary's invitation belongs to their case.
    case_id: int | None = Field(default=None, foreign_key="referral_case.id")


class FlyerLink(SQLModel, table=True):
    """A flyer's link: anyone who has it may ask for access with its role and organisation."""

    __tablename__ = "flyer_link"

    id: int | None = Field(default=None, primary_key=True)
    # Only a SHA-256 of the token is kept, as for invitations.
    token_hash: str = Field(max_length=64, unique=True)
    role: Role = Field(sa_type=enum_type(Role))
    organisation_id: int = Field(foreign_key="organisation.id")
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Counts for /flyers: the requests themselves go once answered (storage.flyers).
    requests: int = 0
    enrolled: int = 0


class AccessRequest(SQLModel, table=True):
    """Someone who opened a flyer's link and asked for access: kept until an admin answers,
    or the programme's [retention] access_request_days at most."""

    __tablename__ = "access_request"

    id: int | None = Field(default=None, primary_key=True)
    flyer_id: int = Field(foreign_key="flyer_link.id", index=True)
    # One pending request per person.
    telegram_id: int = Field(sa_type=sa.BigInteger, unique=True)
    display_name: str = Field(sa_type=EncryptedText)
    # The Telegram app's language: the answer is written in it.
    language: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class AccessRequestMessage(SQLModel, table=True):
    """A request as sent to one admin, so that every copy can be edited once answered."""

    __tablename__ = "access_request_message"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="access_request.id", index=True)
    chat_id: int = Field(sa_type=sa.BigInteger)
    message_id: int = Field(sa_type=sa.BigInteger)
    language: str = Field(max_length=8)


class ConversationState(SQLModel, table=True):
    """A persistent ConversationHandler's state for one chat/user key (see storage.persistence)."""

    __tablename__ = "conversation_state"

    name: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=128)
    state: Any = Field(sa_type=JSON)


class UserData(SQLModel, table=True):
    """PTB's per-user `context.user_data` (form drafts), kept only for enrolled members."""

    __tablename__ = "user_data"

    user_id: int = Field(
        sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    data: dict[str, Any] = Field(sa_type=EncryptedJSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Site(SQLModel, table=True):
    """A residence of the landlord's stock, loaded from the sites file (SITES_FILE)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    commune: str = Field(max_length=80)
    sector: str = Field(max_length=80)
    qpv: bool = False
    active: bool = True
    # The landlord organisation whose stock it is (None: a database with no landlord yet).
    landlord_id: int | None = Field(default=None, foreign_key="organisation.id")


class ReportDraft(SQLModel, table=True):
    """A referral form being filled in: one per member, the database being its only home."""

    __tablename__ = "report_draft"

    id: str = Field(primary_key=True, max_length=32)  # also the case's submission key
    member_id: int = Field(foreign_key="member.id", unique=True)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=EncryptedJSON)
    current: str = Field(max_length=32)
    editing: bool = False
    question_message_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Case(SQLModel, table=True):
    __tablename__ = "referral_case"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=16, unique=True)
    submission_key: str = Field(max_length=32, unique=True)
    kind: CaseKind = Field(sa_type=enum_type(CaseKind))
    urgent: bool = False
    status: CaseStatus = Field(default=CaseStatus.RECEIVED, sa_type=enum_type(CaseStatus))
    # Structured, non-identifying fields stay in columns for the figures.
    commune: str | None = Field(default=None, max_length=80)
    sector: str | None = Field(default=None, max_length=80)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    qpv: str = Field(default="unknown", max_length=8)  # yes / no / unknown
    consent: str = Field(max_length=8)  # yes / not_yet / no
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=EncryptedJSON)
    # None for a case imported from the programme's history (no member reported it in Relais).
    source_member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    source_organisation_id: int = Field(foreign_key="organisation.id")
    # Which channel it came through, for the figures (domain.figures.SOURCE_OF_ROLE).
    source_kind: SourceKind = Field(default=SourceKind.OTHER, sa_type=enum_type(SourceKind))
    # Imported from the programme's history (`python -m bot import-history`): figures only.
    imported: bool = False
    assigned_worker_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    landlord_referent_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    # The landlord organisation the case belongs to, whose referents see it (domain.access):
    # None until one is known (a violence victim reported by the gendarmerie or the SIAO).
    landlord_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    taken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The commission's decision and the closure, each with its reason from a fixed list.
    intensity: str | None = Field(default=None, max_length=16)
    redirected_to: str | None = Field(default=None, max_length=80)
    decline_reason: str | None = Field(default=None, max_length=32)
    outcome: str | None = Field(default=None, max_length=32)
    contract_meeting_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when its personal values were erased (storage.retention): the figures stay.
    anonymised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    beneficiary_consent: bool = False


class CaseEvent(SQLModel, table=True):
    """The case timeline: who did what, when, from which status to which, and why."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="referral_case.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_member_id: int | None = Field(default=None, foreign_key="member.id")
    kind: str = Field(max_length=32)
    from_status: CaseStatus | None = Field(default=None, sa_type=enum_type(CaseStatus))
    to_status: CaseStatus | None = Field(default=None, sa_type=enum_type(CaseStatus))
    reason: str | None = Field(default=None, sa_type=EncryptedText)
    note: str | None = Field(default=None, sa_type=EncryptedText)


class CasePhase(SQLModel, table=True):
    """A support phase of a case (urgence, consolidation...); the open one has no end."""

    __tablename__ = "case_phase"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="referral_case.id", index=True)
    phase: str = Field(max_length=32)
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CaseNote(SQLModel, table=True):
    """A worker's short note, shown to the workers and the landlord referent of the case."""

    __tablename__ = "case_note"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="referral_case.id", index=True)
    author_id: int = Field(foreign_key="member.id")
    text: str = Field(sa_type=EncryptedText)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Appointment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="referral_case.id", index=True)
    kind: AppointmentKind = Field(sa_type=enum_type(AppointmentKind))
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    place: str = Field(sa_type=EncryptedText)
    attendees: list[str] = Field(default_factory=list, sa_type=JSON)
    status: AppointmentStatus = Field(
        default=AppointmentStatus.SCHEDULED, sa_type=enum_type(AppointmentStatus)
    )
    created_by_id: int = Field(foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When the supported person answered « Je ne peux pas venir »: nothing more is sent to
    # them for it. Moving the appointment clears it.
    cannot_come_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReservedHome(SQLModel, table=True):
    """One of the programme's reserved homes (20 for addiction, 10 for violence in the seed)."""

    __tablename__ = "reserved_home"

    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(max_length=120, unique=True)
    commune: str = Field(max_length=80)
    size: str = Field(max_length=16)
    qpv: bool = False
    kind: CaseKind = Field(sa_type=enum_type(CaseKind))
    case_id: int | None = Field(default=None, foreign_key="referral_case.id", unique=True)
    assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The landlord organisation whose home it is (None: a database with no landlord yet).
    landlord_id: int | None = Field(default=None, foreign_key="organisation.id")


class AlertMessage(SQLModel, table=True):
    """A new-case alert as sent to one chat, so that every copy can be edited once taken."""

    __tablename__ = "alert_message"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="referral_case.id", index=True)
    chat_id: int = Field(sa_type=sa.BigInteger)
    message_id: int = Field(sa_type=sa.BigInteger)
    language: str = Field(max_length=8)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TeamChat(SQLModel, table=True):
    """Where the team's group chat is now. ALERT_CHAT_ID only says where it started: Telegram
    gives a group a new id when it becomes a supergroup (storage.team_chat)."""

    __tablename__ = "team_chat"

    configured_id: int = Field(
        sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    chat_id: int = Field(sa_type=sa.BigInteger)
    # Set while the group refuses the bot (the admins were told then), cleared once it takes
    # alerts again, so that a later loss is told again.
    lost_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Beneficiary(SQLModel, table=True):
    """A supported person who agreed to receive messages, and how they want them."""

    member_id: int = Field(
        foreign_key="member.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    case_id: int = Field(foreign_key="referral_case.id", index=True)
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Safe hours, in minutes after local midnight: nothing is sent outside them.
    safe_from: int = 9 * 60
    safe_until: int = 20 * 60
    discreet: bool = False
    auto_delete_hours: int | None = None


def _same_as_due_at(context: Any) -> datetime:
    """A reminder written without its original due time was owed when it is due."""
    return context.get_current_parameters()["due_at"]


class Reminder(SQLModel, table=True):
    """One message owed to one person at one time: the database is its only home."""

    # The dispatcher takes the first pending rows by due time (storage.reminders.due_query):
    # one index on both reads only those, however many were sent before (migration 0014).
    __table_args__ = (sa.Index("ix_reminder_status_due_at", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)  # the same reminder is never created twice
    kind: ReminderKind = Field(sa_type=enum_type(ReminderKind))
    member_id: int = Field(foreign_key="member.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="referral_case.id", index=True)
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id", index=True)
    # When the dispatcher takes it: moved into the person's allowed hours, or on for a retry.
    due_at: datetime = Field(sa_type=UTCDateTime)
    # When it was owed, by its rule: how late it may still be sent counts from here.
    original_due_at: datetime = Field(
        sa_type=UTCDateTime, sa_column_kwargs={"default": _same_as_due_at}
    )
    status: ReminderStatus = Field(
        default=ReminderStatus.PENDING, sa_type=enum_type(ReminderStatus)
    )
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=120)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SentMessage(SQLModel, table=True):
    """A message the bot sent a supported person: /effacer and auto-delete find them here."""

    __tablename__ = "sent_message"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=sa.BigInteger, index=True)
    message_id: int = Field(sa_type=sa.BigInteger)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    delete_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    deleted: bool = False


class AuditEntry(SQLModel, table=True):
    """Who did or saw what, when, on which case. Rows are only ever added: each one carries
    the hash of the one before, so a changed or removed row breaks the chain."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    action: str = Field(max_length=48)
    case_id: int | None = Field(default=None, foreign_key="referral_case.id", index=True)
    detail: str | None = Field(default=None, max_length=200)  # never a personal value
    previous_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class KeyCheck(SQLModel, table=True):
    """One known value, encrypted: a wrong ENCRYPTION_KEYS is refused at start."""

    __tablename__ = "key_check"

    id: int = Field(primary_key=True)
    value: str = Field(sa_type=EncryptedText)


def encrypted_fields() -> dict[type[SQLModel], list[str]]:
    """Every encrypted column, by table: what `python -m bot rotate-key` re-encrypts."""
    return {
        Member: ["display_name"],
        AccessRequest: ["display_name"],
        ReportDraft: ["answers"],
        Case: ["answers"],
        CaseEvent: ["reason", "note"],
        CaseNote: ["text"],
        Appointment: ["place"],
        UserData: ["data"],
        KeyCheck: ["value"],
    }
