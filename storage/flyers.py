"""Flyers' links and the access requests they bring.

A flyer's link is bound to one organisation and one role, opens to many people until it
expires or an admin revokes it; only a SHA-256 of its token is stored (as for invitations).
Its token starts with `f_`, so that `/start <token>` tells it from an invitation's.

A person who opens it and confirms leaves an access request: their Telegram id and name
(encrypted), their app's language and the date. It goes as soon as an admin answers, or
once the programme's [retention] access_request_days have passed. The answer is decided by
one conditional DELETE of the request: two admins answering at once decide once. The links
keep counts of the requests and enrolments they brought, which name nobody; the audit
records every step by the link's id, never a person's value.
"""

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.vocabulary import Role
from storage.audit import record
from storage.database import session_scope
from storage.invitations import hash_token
from storage.models import (
    AccessRequest,
    AccessRequestMessage,
    AuditEntry,
    FlyerLink,
    Member,
    Organisation,
)

PREFIX = "f_"
REQUESTED, ACCEPTED, REFUSED, EXPIRED = (
    "access.requested",
    "access.accepted",
    "access.refused",
    "access.expired",
)


class Opening(StrEnum):
    """What opening a flyer's link (or confirming its request) comes to."""

    OPEN = "open"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    PENDING = "pending"  # this person already has a request waiting
    LIMITED = "limited"  # the link brought its day's requests
    ALREADY_MEMBER = "already_member"


@dataclass(frozen=True)
class Flyer:
    id: int
    role: Role
    organisation: str
    expires_at: datetime
    revoked_at: datetime | None
    requests: int
    enrolled: int
    pending: int


@dataclass(frozen=True)
class PendingRequest:
    """A request as the admins and its person are told of it."""

    id: int
    telegram_id: int
    display_name: str
    language: str | None
    role: Role
    organisation: str
    messages: tuple[AccessRequestMessage, ...]


def new_token() -> str:
    """A flyer's token: 34 characters, within the 64 of a deep link's start parameter."""
    return PREFIX + secrets.token_urlsafe(24)


def is_flyer_token(payload: str) -> bool:
    return payload.startswith(PREFIX)


def create_flyer(
    engine: Engine,
    token: str,
    *,
    role: Role,
    organisation_id: int,
    ttl: timedelta,
    now: datetime,
    created_by_id: int | None = None,
) -> FlyerLink:
    """The link of `token` (new_token), valid for `ttl` from `now`."""
    with session_scope(engine) as session:
        link = FlyerLink(
            token_hash=hash_token(token),
            role=role,
            organisation_id=organisation_id,
            created_by_id=created_by_id,
            created_at=now,
            expires_at=now + ttl,
        )
        session.add(link)
        session.flush()
        record(
            session,
            "flyer.created",
            now,
            member_id=created_by_id,
            detail=f"flyer={link.id} role={role}",
        )
        return link


def revoke_flyer(engine: Engine, flyer_id: int, admin_id: int, now: datetime) -> bool:
    """Close the link to new requests (pending ones stay to be answered); False if it was
    already revoked or does not exist."""
    with session_scope(engine) as session:
        revoked = session.execute(
            update(FlyerLink)
            .where(col(FlyerLink.id) == flyer_id, col(FlyerLink.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        if revoked.rowcount != 1:
            return False
        record(session, "flyer.revoked", now, member_id=admin_id, detail=f"flyer={flyer_id}")
        return True


def live_flyers(engine: Engine, now: datetime) -> list[Flyer]:
    """The links still open (neither expired nor revoked), newest first."""
    pending = (
        select(AccessRequest.flyer_id, func.count().label("pending"))
        .group_by(col(AccessRequest.flyer_id))
        .subquery()
    )
    query = (
        select(FlyerLink, Organisation.name, pending.c.pending)
        .join(Organisation, col(Organisation.id) == col(FlyerLink.organisation_id))
        .outerjoin(pending, pending.c.flyer_id == col(FlyerLink.id))
        .where(col(FlyerLink.revoked_at).is_(None), col(FlyerLink.expires_at) > now)
        .order_by(col(FlyerLink.created_at).desc(), col(FlyerLink.id).desc())
    )
    with session_scope(engine) as session:
        return [_flyer(link, name, count or 0) for link, name, count in session.exec(query).all()]


def get_flyer(engine: Engine, flyer_id: int) -> Flyer | None:
    with session_scope(engine) as session:
        link = session.get(FlyerLink, flyer_id)
        if link is None:
            return None
        return _flyer(link, _organisation_name(session, link), _pending(session, link.id))


def open_flyer(
    engine: Engine, token: str, telegram_id: int, *, now: datetime, day_start: datetime, limit: int
) -> tuple[Opening, Flyer | None]:
    """Whether this person may ask for access through this link now; nothing is written."""
    with session_scope(engine) as session:
        return _check(session, token, telegram_id, now, day_start, limit)


def request_access(
    engine: Engine,
    token: str,
    *,
    telegram_id: int,
    display_name: str,
    language: str | None,
    now: datetime,
    day_start: datetime,
    limit: int,
) -> tuple[Opening, PendingRequest | None]:
    """The person confirmed: their request, or why there is none (then nothing is stored)."""
    try:
        with session_scope(engine) as session:
            opening, flyer = _check(session, token, telegram_id, now, day_start, limit)
            if opening is not Opening.OPEN or flyer is None:
                return opening, None
            request = AccessRequest(
                flyer_id=flyer.id,
                telegram_id=telegram_id,
                display_name=display_name[:120],
                language=language[:16] if language else None,
                created_at=now,
            )
            session.add(request)
            session.execute(
                update(FlyerLink)
                .where(col(FlyerLink.id) == flyer.id)
                .values(requests=FlyerLink.requests + 1)
            )
            session.flush()
            record(session, REQUESTED, now, detail=f"flyer={flyer.id}")
            return Opening.OPEN, _pending_request(request, flyer)
    except IntegrityError:  # the same person's second tap, committed first
        return Opening.PENDING, None


def note_request_messages(
    engine: Engine, request_id: int, sent: list[tuple[int, int, str]]
) -> None:
    """Where the request was sent: (chat, message, language) of each admin's copy."""
    with session_scope(engine) as session:
        if session.get(AccessRequest, request_id) is None:
            return  # answered before the last copy was sent: its copies were edited then
        for chat_id, message_id, language in sent:
            session.add(
                AccessRequestMessage(
                    request_id=request_id,
                    chat_id=chat_id,
                    message_id=message_id,
                    language=language,
                )
            )


@dataclass(frozen=True)
class Answer:
    request: PendingRequest
    member: Member | None  # the person enrolled; None when refused or already a member
    # They became a member meanwhile (an invitation): nothing to enroll, nothing to tell them.
    already_member: bool = False


def answer_request(
    engine: Engine, request_id: int, admin_id: int, *, accept: bool, now: datetime
) -> Answer | None:
    """Accept (enroll with the link's role and organisation) or refuse, and forget the
    request; None when it was answered (or had expired) meanwhile."""
    with session_scope(engine) as session:
        row = session.get(AccessRequest, request_id)
        if row is None:
            return None
        link = session.get(FlyerLink, row.flyer_id)
        assert link is not None
        flyer = _flyer(link, _organisation_name(session, link), 0)
        request = _with_messages(session, _pending_request(row, flyer))
        if not _take(session, request_id):
            return None
        member = None
        already_member = _member(session, row.telegram_id) is not None
        if accept and not already_member:
            member = Member(
                telegram_id=row.telegram_id,
                display_name=request.display_name,
                role=link.role,
                organisation_id=link.organisation_id,
                app_language=request.language,
            )
            session.add(member)
            session.execute(
                update(FlyerLink)
                .where(col(FlyerLink.id) == link.id)
                .values(enrolled=FlyerLink.enrolled + 1)
            )
            session.flush()
        action = ACCEPTED if accept else REFUSED
        record(session, action, now, member_id=admin_id, detail=f"flyer={link.id}")
        return Answer(request, member, already_member)


def expire_requests(engine: Engine, made_before: datetime, now: datetime) -> list[PendingRequest]:
    """Forget the requests made before `made_before` that no admin answered."""
    with session_scope(engine) as session:
        ids = list(
            session.exec(
                select(AccessRequest.id).where(col(AccessRequest.created_at) < made_before)
            )
        )
    expired = []
    for request_id in ids:
        with session_scope(engine) as session:
            row = session.get(AccessRequest, request_id)
            if row is None:
                continue  # answered meanwhile
            link = session.get(FlyerLink, row.flyer_id)
            assert link is not None
            flyer = _flyer(link, _organisation_name(session, link), 0)
            request = _with_messages(session, _pending_request(row, flyer))
            if _take(session, request_id):
                record(session, EXPIRED, now, detail=f"flyer={link.id}")
                expired.append(request)
    return expired


def oldest_request(engine: Engine) -> datetime | None:
    with session_scope(engine) as session:
        return session.exec(select(func.min(AccessRequest.created_at))).one()


def _check(
    session: Session,
    token: str,
    telegram_id: int,
    now: datetime,
    day_start: datetime,
    limit: int,
) -> tuple[Opening, Flyer | None]:
    link = session.exec(select(FlyerLink).where(FlyerLink.token_hash == hash_token(token))).first()
    if link is None:
        return Opening.UNKNOWN, None
    flyer = _flyer(link, _organisation_name(session, link), 0)
    if _member(session, telegram_id) is not None:
        return Opening.ALREADY_MEMBER, flyer
    if link.revoked_at is not None:
        return Opening.REVOKED, flyer
    if link.expires_at <= now:
        return Opening.EXPIRED, flyer
    waiting = select(AccessRequest.id).where(AccessRequest.telegram_id == telegram_id)
    if session.exec(waiting).first() is not None:
        return Opening.PENDING, flyer
    today = session.exec(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            col(AuditEntry.at) >= day_start,
            AuditEntry.action == REQUESTED,
            AuditEntry.detail == f"flyer={link.id}",
        )
    ).one()
    if today >= limit:
        return Opening.LIMITED, flyer
    return Opening.OPEN, flyer


def _take(session: Session, request_id: int) -> bool:
    """The one statement that decides: whoever deletes the request answered it."""
    session.execute(
        delete(AccessRequestMessage).where(col(AccessRequestMessage.request_id) == request_id)
    )
    taken = session.execute(delete(AccessRequest).where(col(AccessRequest.id) == request_id))
    return taken.rowcount == 1


def _member(session: Session, telegram_id: int) -> Member | None:
    return session.exec(select(Member).where(Member.telegram_id == telegram_id)).first()


def _organisation_name(session: Session, link: FlyerLink) -> str:
    organisation = session.get(Organisation, link.organisation_id)
    return organisation.name if organisation else ""


def _pending(session: Session, flyer_id: int) -> int:
    query = (
        select(func.count()).select_from(AccessRequest).where(AccessRequest.flyer_id == flyer_id)
    )
    return session.exec(query).one()


def _flyer(link: FlyerLink, organisation: str, pending: int) -> Flyer:
    assert link.id is not None
    return Flyer(
        id=link.id,
        role=link.role,
        organisation=organisation,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        requests=link.requests,
        enrolled=link.enrolled,
        pending=pending,
    )


def _pending_request(row: AccessRequest, flyer: Flyer) -> PendingRequest:
    assert row.id is not None
    return PendingRequest(
        id=row.id,
        telegram_id=row.telegram_id,
        display_name=row.display_name,
        language=row.language,
        role=flyer.role,
        organisation=flyer.organisation,
        messages=(),
    )


def _with_messages(session: Session, request: PendingRequest) -> PendingRequest:
    query = select(AccessRequestMessage).where(AccessRequestMessage.request_id == request.id)
    return replace(request, messages=tuple(session.exec(query)))
