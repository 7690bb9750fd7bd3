"""The audit trail: every view of a case's details, every change, export and invitation.

Append-only by construction: rows are only inserted, each sealed with an HMAC-SHA256 of its
content and of the row before it. The key is derived from ENCRYPTION_KEYS
(storage.crypto.audit_keys) and never stored: whoever can write the database still cannot
edit a row and seal the chain again, so `verify_chain` names the first entry edited or
following a removed one. Removing the newest rows leaves a shorter chain that is still
whole: the checkpoints catch that. Every day the chain's head (its newest entry's id and
hash, and how many entries the chain has had) is written to a file outside the database
(`write_checkpoint`); `verify_trail` then finds a chain that no longer reaches a checkpoint.

Details never hold a personal value (a field name, an action, a reference: not what someone
typed).

Key rotation (`python -m bot rotate-key`) re-keys the chain: after verifying it, every entry
is sealed again with the newest key, and the trail says so (an `audit.rekeyed` entry), so
the old key can then leave ENCRYPTION_KEYS. Until it has, an entry sealed by any of the
configured keys verifies: the bot, restarted with `<new>,<old>` before the rotation, seals
with the new key while the older entries are still sealed with the old one. A chain sealed
with plain SHA-256 (before revision 0010) was verified as it was and re-keyed once, by that
revision.
"""

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, bindparam, delete, event, func, insert, text, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from storage.crypto import audit_keys
from storage.database import session_scope
from storage.models import AuditEntry, CaseEvent

GENESIS = "0" * 64
CHAIN_LOCK = 7_212_017  # any constant: the advisory lock that orders the chain's writers
PRUNED = "audit.pruned"
REKEYED = "audit.rekeyed"


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
    entry.hash = _seal(_content(entry, previous), audit_keys()[0])
    session.add(entry)
    session.info[_LAST] = entry.hash  # the next entry of this transaction chains to this one
    return entry


_LAST = "audit_last_hash"


def _last_hash(session: Session) -> str:
    if _LAST in session.info:
        return session.info[_LAST]
    _lock_chain(session.connection())
    with session.no_autoflush:
        last = session.exec(
            select(AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1)
        ).first()
    return last or GENESIS


def _lock_chain(connection: Connection) -> None:
    """One writer of the chain at a time, until the transaction ends: two entries must not
    claim the same predecessor, and a re-key must not miss an entry appended meanwhile."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    else:
        # SQLite takes its write lock at a transaction's first write: this one changes
        # nothing, and takes it before the chain's head is read rather than at the commit.
        connection.execute(update(AuditEntry).where(col(AuditEntry.id) < 0).values(hash=""))


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_last_hash(session: OrmSession, transaction: object) -> None:
    session.info.pop(_LAST, None)


def record_now(engine: Engine, action: str, at: datetime, **fields: object) -> None:
    with session_scope(engine) as session:
        record(session, action, at, **fields)


class _Sealed(Protocol):
    """An entry as read back: a model row or a row of `_ENTRIES`."""

    id: int
    at: datetime
    member_id: int | None
    action: str
    case_id: int | None
    detail: str | None
    previous_hash: str
    hash: str


def _content(entry: _Sealed, previous: str) -> bytes:
    parts = (previous, entry.at.isoformat(), entry.member_id, entry.action, entry.case_id,
             entry.detail)  # fmt: skip
    return "|".join(str(part) for part in parts).encode()


def _seal(content: bytes, key: bytes) -> str:
    return hmac.new(key, content, hashlib.sha256).hexdigest()


# Whether a hash seals a content: under one of the configured keys, or (before revision
# 0010) as its plain SHA-256.
Accepts = Callable[[bytes, str], bool]


def _sealed_by(keys: Sequence[bytes]) -> Accepts:
    return lambda content, digest: any(
        hmac.compare_digest(_seal(content, key), digest) for key in keys
    )


def _plain_sha256(content: bytes, digest: str) -> bool:
    return hashlib.sha256(content).hexdigest() == digest


# The columns a verification or a re-key reads, named (revision 0010 re-keys with them).
_ENTRIES = select(
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.member_id,
    AuditEntry.action,
    AuditEntry.case_id,
    AuditEntry.detail,
    AuditEntry.previous_hash,
    AuditEntry.hash,
).order_by(col(AuditEntry.id))


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


@dataclass(frozen=True)
class Break:
    """The first entry of the trail that is not as it was written, and how."""

    entry_id: int
    at: datetime
    why: str


@dataclass(frozen=True)
class Head:
    """The chain's newest entry, and how many entries the chain has had (pruned ones too)."""

    entry_id: int
    at: datetime
    hash: str
    count: int


@dataclass(frozen=True)
class Verdict:
    head: Head | None  # None: an empty chain
    broken: Break | None
    checkpoints: int


def _check(entry: _Sealed, previous: str, accepts: Accepts) -> Break | None:
    if entry.previous_hash != previous:
        return Break(entry.id, entry.at, "the entry before it was removed or changed")
    if not accepts(_content(entry, previous), entry.hash):
        return Break(entry.id, entry.at, "it was changed")
    return None


def verify_chain(engine: Engine) -> Break | None:
    """The first entry that was changed, or whose predecessor vanished; None if intact."""
    return verify_trail(engine, []).broken


def verify_trail(engine: Engine, checkpoints: Sequence[Head]) -> Verdict:
    """The chain, entry by entry, then each checkpoint: the head it saved must still be in
    the chain, at the place it counted (unless a prune has removed it since)."""
    accepts = _sealed_by(audit_keys())
    counted = {saved.count for saved in checkpoints}
    at_count: dict[int, Head] = {}
    rekeyed_at = 0
    with session_scope(engine) as session:
        previous, start = _chain_start(session)
        count, head = start, None
        for entry in session.execute(_ENTRIES):
            broken = _check(entry, previous, accepts)
            if broken is not None:
                return Verdict(head, broken, len(checkpoints))
            previous, count = entry.hash, count + 1
            head = Head(entry.id, entry.at, entry.hash, count)
            if count in counted:
                at_count[count] = head
            if entry.action == REKEYED:
                rekeyed_at = count
    breaks = [
        broken
        for saved in sorted(checkpoints, key=lambda saved: saved.count)
        if (broken := _checkpoint_break(saved, start, head, at_count, rekeyed_at))
    ]
    return Verdict(head, breaks[0] if breaks else None, len(checkpoints))


def _checkpoint_break(
    saved: Head, start: int, head: Head | None, at_count: dict[int, Head], rekeyed_at: int
) -> Break | None:
    if saved.count <= start:
        return None  # pruned since: nothing of it is left to compare
    found = at_count.get(saved.count)
    if found is None:
        ends = (
            f"the chain ends at entry {head.entry_id} after {head.count} entries"
            if head
            else "the chain is empty"
        )
        return Break(
            saved.entry_id, saved.at, f"missing: {ends}, a checkpoint counted {saved.count}"
        )
    # A checkpoint older than the last re-key holds a hash of the former key: its id is
    # compared, the re-key having verified the rest (and written a checkpoint of its own).
    if found.entry_id != saved.entry_id or (
        saved.count >= rekeyed_at and found.hash != saved.hash
    ):
        return Break(
            saved.entry_id, saved.at, "replaced: another entry holds its place in the chain"
        )
    return None


def chain_head(engine: Engine) -> Head | None:
    """The newest entry and the count, as a checkpoint records them; None for an empty chain."""
    with session_scope(engine) as session:
        _previous, start = _chain_start(session)
        newest = session.exec(
            select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(1)
        ).first()
        kept = session.exec(select(func.count()).select_from(AuditEntry)).one()
    if newest is None:
        return None
    return Head(newest.id, newest.at, newest.hash, start + kept)


def write_checkpoint(path: Path, head: Head, now: datetime) -> None:
    """Append one line to the checkpoint file (created with its folder if need be); when it
    was written is for the people who read the file."""
    line = {
        "written_at": now.astimezone(UTC).isoformat(),
        "entry": head.entry_id,
        "at": head.at.isoformat(),
        "hash": head.hash,
        "count": head.count,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as checkpoints:
        checkpoints.write(json.dumps(line) + "\n")


class CheckpointFileError(ValueError):
    """A checkpoint file that cannot be read, or a line of it that is not a checkpoint."""


def read_checkpoints(path: Path) -> list[Head]:
    """The head each checkpoint of the file saved, oldest first; none if there is no file."""
    if not path.exists():
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise CheckpointFileError(f"cannot read {path} ({type(error).__name__})") from None
    checkpoints = []
    for number, line in enumerate(lines, start=1):
        try:
            saved = json.loads(line)
            checkpoints.append(
                Head(
                    int(saved["entry"]),
                    datetime.fromisoformat(saved["at"]),
                    str(saved["hash"]),
                    int(saved["count"]),
                )
            )
        except (ValueError, TypeError, KeyError):
            raise CheckpointFileError(f"line {number} of {path} is not a checkpoint") from None
    return checkpoints


def rekey(connection: Connection, now: datetime, *, from_plain_sha256: bool = False) -> int:
    """Seal the chain again with the newest key, entry by entry as long as it verifies (under
    the configured keys, or as plain SHA-256); the first entry that does not, and those after
    it, keep their seals so that the break is still found. The trail says so; how many were
    re-keyed."""
    _lock_chain(connection)
    entries = list(connection.execute(_ENTRIES))
    if not entries:  # a new database: nothing to seal, and no key needed to migrate it
        return 0
    accepts = _plain_sha256 if from_plain_sha256 else _sealed_by(audit_keys())
    key = audit_keys()[0]
    # Where the chain starts (the hash a prune kept) is no seal of this chain: it stays.
    old_previous, _count = _chain_start(connection)
    new_previous = old_previous
    resealed: list[dict[str, object]] = []
    broken = None
    for entry in entries:
        broken = _check(entry, old_previous, accepts)
        if broken is not None:
            relinked = entry.previous_hash == old_previous
            break
        sealed = _seal(_content(entry, new_previous), key)
        resealed.append({"entry_id": entry.id, "new_previous": new_previous, "new_hash": sealed})
        old_previous, new_previous = entry.hash, sealed
    changes = list(resealed)
    if broken is not None and relinked:
        # Changed but still linked: linked to its re-keyed predecessor, it still reads
        # "changed" rather than "the entry before it was removed".
        changes.append(
            {"entry_id": entry.id, "new_previous": new_previous, "new_hash": entry.hash}
        )
    if changes:
        connection.execute(
            update(AuditEntry)
            .where(col(AuditEntry.id) == bindparam("entry_id"))
            .values(previous_hash=bindparam("new_previous"), hash=bindparam("new_hash")),
            changes,
        )
    detail = f"from={'sha256' if from_plain_sha256 else 'key'}; rekeyed={len(resealed)}"
    if broken is not None:
        detail += f"; broken={broken.entry_id}"
    last = new_previous if broken is None else entries[-1].hash
    marker = AuditEntry(
        at=now.astimezone(UTC), action=REKEYED, detail=detail, previous_hash=last, hash=""
    )
    marker.hash = _seal(_content(marker, last), key)
    fields = ("at", "member_id", "action", "case_id", "detail", "previous_hash", "hash")
    connection.execute(insert(AuditEntry).values({name: getattr(marker, name) for name in fields}))
    return len(resealed)


def prune_audit(engine: Engine, before: datetime, now: datetime) -> int:
    """Delete audit entries older than the period, and say so in the trail itself.

    The chain stays verifiable: the entry written names the last deleted one's hash, which
    the first kept entry chains to, and how many entries the chain has had up to it, so
    the checkpoints' counts still match (`_chain_start` reads both).
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
        _previous, start = _chain_start(session)
        result = session.execute(delete(AuditEntry).where(col(AuditEntry.id) <= last_old.id))
        through = start + result.rowcount
        record(session, PRUNED, now, detail=f"through={last_old.hash}; count={through}")
        return result.rowcount


_PRUNED_DETAIL = re.compile(r"through=(?P<hash>[0-9a-f]{64})(?:; count=(?P<count>\d+))?")


def _chain_start(connection: Connection | Session) -> tuple[str, int]:
    """Where the chain starts: nothing, or the last entry the latest prune deleted; and how
    many entries the chain had had then (a prune before revision 0010 did not count them)."""
    detail = connection.execute(
        select(AuditEntry.detail)
        .where(AuditEntry.action == PRUNED)
        .order_by(col(AuditEntry.id).desc())
        .limit(1)
    ).scalar()
    pruned = _PRUNED_DETAIL.fullmatch(detail or "")
    if pruned is None:
        return GENESIS, 0
    return pruned["hash"], int(pruned["count"] or 0)


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
