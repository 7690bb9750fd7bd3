"""The audit trail: every view of a case's details, every change, export and invitation.

Append-only by construction: rows are only inserted, each with the SHA-256 of its content
and of the row before it, so `verify_chain` detects an edited or deleted row. Details never
hold a personal value (a field name, an action, a reference: not what someone typed).
"""

import hashlib
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from storage.database import session_scope
from storage.models import AuditEntry

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
    if session.get_bind().dialect.name == "postgresql":
        # One writer of the chain at a time, or two entries would claim the same predecessor.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    last = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
    previous = last.hash if last else GENESIS
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
    return entry


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


def case_audit(engine: Engine, case_id: int, limit: int = 30) -> list[AuditEntry]:
    with session_scope(engine) as session:
        query = (
            select(AuditEntry)
            .where(AuditEntry.case_id == case_id)
            .order_by(col(AuditEntry.id).desc())
        )
        return list(session.exec(query.limit(limit)))


def verify_chain(engine: Engine) -> int | None:
    """The id of the first entry that was changed, or whose predecessor vanished; None if intact."""
    previous = GENESIS
    with session_scope(engine) as session:
        for entry in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))):
            if entry.previous_hash != previous or entry.hash != _digest(entry):
                return entry.id
            previous = entry.hash
    return None
