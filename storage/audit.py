"""The audit trail: every view of a case's details, every change, export and invitation.

Append-only by construction: rows are only inserted, each with the SHA-256 of its content
and of the row before it, so `verify_chain` detects an edited or deleted row. Details never
hold a personal value (a field name, an action, a reference: not what someone typed).
"""

import hashlib
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, event, func, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from storage.database import session_scope
from storage.models import AuditEntry, CaseEvent

GENESIS = "0" * 64
CHAIN_LOCK = 7_212_017  # any constant: the advisory lock that orders the chain's writers


def record(
    session: Session,
    action: str,
    at: datetime,
    *,
    member_id: int | None = None,
    case_id: int | None = None,
    detail: str | None = None,
) -> AuditEntry:
    """Add one entry inside the caller's transaction (so a change and its audit go together)."""
    previous = _last_hash(session)
    at = at.astimezone(UTC)  # hashed as it will be read back
    entry = AuditEntry(
        at=at,
        member_id=member_id,
        action=action,
        case_id=case_id,
        detail=detail,
        previous_hash=previous,
        hash="",
    )
    entry.hash = _digest(entry)
    session.add(entry)
    session.info[_LAST] = entry.hash  # the next entry of this transaction chains to this one
    return entry


_LAST = "audit_last_hash"


def _last_hash(session: Session) -> str:
    if _LAST in session.info:
        return session.info[_LAST]
    if session.get_bind().dialect.name == "postgresql":
        # One writer of the chain at a time, or two entries would claim the same predecessor.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    with session.no_autoflush:
        last = session.exec(
            select(AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1)
        ).first()
    return last or GENESIS


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_last_hash(session: OrmSession, transaction: object) -> None:
    session.info.pop(_LAST, None)


def record_now(engine: Engine, action: str, at: datetime, **fields: object) -> None:
    with session_scope(engine) as session:
        record(session, action, at, **fields)


def _digest(entry: AuditEntry) -> str:
    content = "|".join(
        str(part)
        for part in (
            entry.previous_hash,
            entry.at.isoformat(),
            entry.member_id,
            entry.action,
            entry.case_id,
            entry.detail,
        )
    )
    return hashlib.sha256(content.encode()).hexdigest()


def case_audit(engine: Engine, case_id: int, limit: int = 30, offset: int = 0) -> list[AuditEntry]:
    """The case's audit entries, newest first."""
    with session_scope(engine) as session:
        query = (
            select(AuditEntry)
            .where(AuditEntry.case_id == case_id)
            .order_by(col(AuditEntry.id).desc())
        )
        return list(session.exec(query.offset(offset).limit(limit)))


def case_audit_count(engine: Engine, case_id: int) -> int:
    with session_scope(engine) as session:
        query = select(func.count()).where(AuditEntry.case_id == case_id)
        return session.exec(query).one()


def verify_chain(engine: Engine) -> int | None:
    """The id of the first entry that was changed, or whose predecessor vanished; None if intact."""
    with session_scope(engine) as session:
        previous = _chain_start(session)
        for entry in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))):
            if entry.previous_hash != previous or entry.hash != _digest(entry):
                return entry.id
            previous = entry.hash
    return None


def prune_audit(engine: Engine, before: datetime, now: datetime) -> int:
    """Delete audit entries older than the period, and say so in the trail itself.

    The chain stays verifiable: the entry written names the last deleted one's hash, which
    the first kept entry chains to (storage.audit.verify_chain starts from it).
    """
    with session_scope(engine) as session:
        last_old = session.exec(
            select(AuditEntry)
            .where(AuditEntry.at < before)
            .order_by(col(AuditEntry.id).desc())
            .limit(1)
        ).first()
        if last_old is None:
            return 0
        result = session.execute(delete(AuditEntry).where(col(AuditEntry.id) <= last_old.id))
        record(session, "audit.pruned", now, detail=f"{PRUNED_UP_TO}{last_old.hash}")
        return result.rowcount


PRUNED_UP_TO = "through="


def _chain_start(session: Session) -> str:
    """Where the chain starts: nothing, or the last entry the latest prune deleted."""
    pruned = session.exec(
        select(AuditEntry)
        .where(AuditEntry.action == "audit.pruned")
        .order_by(col(AuditEntry.id).desc())
        .limit(1)
    ).first()
    return pruned.detail.removeprefix(PRUNED_UP_TO) if pruned and pruned.detail else GENESIS


def _case_event_detail(event: CaseEvent) -> str | None:
    """What changed, without what anyone typed: statuses and fixed-list reasons are named,
    free notes and people's names are only said to have changed."""
    parts = []
    if event.from_status or event.to_status:
        parts.append(f"{event.from_status or '-'} -> {event.to_status or '-'}")
    if event.reason and event.kind in FIXED_LIST_REASONS:
        parts.append(f"reason={event.reason}")
    if event.note:
        parts.append("note changed")
    return "; ".join(parts) or None


# Events whose reason is a value of a fixed list (not a name or a typed text).
FIXED_LIST_REASONS = {
    "status",
    "phase",
    "appointment",
    "appointment_moved",
    "appointment_cancelled",
    "taken_over",
}


@event.listens_for(OrmSession, "before_flush")
def _audit_case_events(session: OrmSession, _flush_context: object, _instances: object) -> None:
    """Every timeline event is also an audit entry, in the same transaction, automatically."""
    new_events = [item for item in session.new if isinstance(item, CaseEvent)]
    with session.no_autoflush:
        for case_event in sorted(new_events, key=lambda item: item.at):
            record(
                session,
                f"case.{case_event.kind}",
                case_event.at,
                member_id=case_event.actor_member_id,
                case_id=case_event.case_id,
                detail=_case_event_detail(case_event),
            )
