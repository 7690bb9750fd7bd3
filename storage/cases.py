"""Cases: created from a submitted report, taken by a worker, escalated when nobody does."""

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from domain.access import landlord_at_intake
from domain.figures import SOURCE_OF_ROLE
from domain.referral import is_urgent
from domain.vocabulary import CaseKind, CaseStatus, OrganisationKind, ReminderKind, SourceKind
from storage.access import held_by, visible_to
from storage.database import session_scope
from storage.models import AlertMessage, Case, CaseEvent, Member, Organisation, ReportDraft, Site
from storage.reminders import cancel_pending, plan
from storage.types import utcnow

REFERENCE_ATTEMPTS = 5


def submit_report(
    engine: Engine,
    draft: ReportDraft,
    source: Member,
    *,
    year: int,
    now: datetime | None = None,
    escalate_after: timedelta | None = None,
) -> tuple[Case, bool]:
    """Turn a draft into a case, once: (the case, whether it was created by this call).

    The draft id is the case's submission key, so a double tap on "Envoyer" or a
    re-delivered update finds the case already there instead of creating a second one.
    With `escalate_after`, the escalation of a case nobody takes is planned with it.
    """
    for _attempt in range(REFERENCE_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                case, created = _submit(session, draft, source, year, now or utcnow())
                if created and escalate_after is not None:
                    plan(session, f"escalation:{case.id}", ReminderKind.ESCALATION, source.id,
                         case.created_at + escalate_after, case_id=case.id)  # fmt: skip
                return case, created
        except IntegrityError:
            # Another report took the same reference (or this one was submitted meanwhile).
            existing = _case_by_key(engine, draft.id)
            if existing is not None:
                return existing, False
    raise RuntimeError("could not allocate a case reference")


def _submit(
    session: Session, draft: ReportDraft, source: Member, year: int, now: datetime
) -> tuple[Case, bool]:
    existing = session.exec(select(Case).where(Case.submission_key == draft.id)).first()
    if existing is not None:
        return existing, False
    answers = dict(draft.answers)
    site = session.get(Site, answers["site"]) if isinstance(answers.get("site"), int) else None
    organisation = session.get(Organisation, source.organisation_id)
    reporters_landlord = (
        organisation.id
        if organisation is not None and organisation.kind is OrganisationKind.LANDLORD
        else None
    )
    case = Case(
        reference=_next_reference(session, year),
        submission_key=draft.id,
        kind=CaseKind(answers["kind"]),
        urgent=is_urgent(answers),
        commune=site.commune if site else answers.get("commune"),
        sector=site.sector if site else None,
        site_id=site.id if site else None,
        qpv=("yes" if site.qpv else "no") if site else str(answers.get("qpv", "unknown")),
        consent=str(answers["consent"]),
        answers=answers,
        source_member_id=source.id,
        source_organisation_id=source.organisation_id,
        source_kind=SOURCE_OF_ROLE.get(source.role, SourceKind.OTHER),
        landlord_id=landlord_at_intake(site.landlord_id if site else None, reporters_landlord),
        created_at=now,
    )
    session.add(case)
    session.flush()
    session.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            actor_member_id=source.id,
            kind="created",
            to_status=case.status,
        )
    )
    draft_row = session.get(ReportDraft, draft.id)
    if draft_row is not None:
        session.delete(draft_row)
    return case, True


def _next_reference(session: Session, year: int) -> str:
    prefix = f"R-{year}-"
    count = session.exec(
        select(func.count()).select_from(Case).where(col(Case.reference).startswith(prefix))
    ).one()
    return f"{prefix}{count + 1:04d}"


def _case_by_key(engine: Engine, submission_key: str) -> Case | None:
    with session_scope(engine) as session:
        return session.exec(select(Case).where(Case.submission_key == submission_key)).first()


def get_case(engine: Engine, case_id: int) -> Case | None:
    with session_scope(engine) as session:
        return session.get(Case, case_id)


def take_case(
    engine: Engine, case_id: int, worker: Member, now: datetime | None = None
) -> tuple[bool, Case | None]:
    """Assign the case to the worker unless someone was first: (taken by this call, case)."""
    now = now or utcnow()
    with session_scope(engine) as session:
        claimed = session.execute(
            update(Case)
            .where(col(Case.id) == case_id, col(Case.assigned_worker_id).is_(None))
            .where(col(Case.imported).is_(False))  # the programme's history is not worked on
            .values(assigned_worker_id=worker.id, taken_at=now)
        )
        if claimed.rowcount == 1:
            session.add(
                CaseEvent(case_id=case_id, at=now, actor_member_id=worker.id, kind="taken")
            )
            cancel_pending(session, case_id=case_id, kind=ReminderKind.ESCALATION)
        case = session.get(Case, case_id)
        if case is not None:
            session.refresh(case)
        return claimed.rowcount == 1, case


def cases_reported_by(engine: Engine, member_id: int) -> list[Case]:
    with session_scope(engine) as session:
        query = (
            select(Case).where(Case.source_member_id == member_id).order_by(col(Case.id).desc())
        )
        return list(session.exec(query))


def mark_escalated(engine: Engine, case_id: int, now: datetime) -> None:
    with session_scope(engine) as session:
        case = session.get(Case, case_id)
        if case is not None and case.escalated_at is None:
            case.escalated_at = now
            session.add(CaseEvent(case_id=case_id, at=now, kind="escalated"))


def record_alert(
    engine: Engine, case_id: int, chat_id: int, message_id: int, language: str
) -> None:
    with session_scope(engine) as session:
        session.add(
            AlertMessage(
                case_id=case_id, chat_id=chat_id, message_id=message_id, language=language
            )
        )


def alerts_of(engine: Engine, case_id: int) -> list[AlertMessage]:
    with session_scope(engine) as session:
        return list(session.exec(select(AlertMessage).where(AlertMessage.case_id == case_id)))


def case_events(engine: Engine, case_id: int, last: int | None = None) -> list[CaseEvent]:
    """The case's timeline in order: all of it, or its `last` events (the card's)."""
    with session_scope(engine) as session:
        query = (
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id)
            .order_by(col(CaseEvent.id).desc())
            .limit(last)
        )
        return list(reversed(session.exec(query).all()))


def list_cases(
    engine: Engine,
    member: Member,
    *,
    mine: bool,
    status: CaseStatus | None = None,
    kind: CaseKind | None = None,
    offset: int = 0,
    limit: int = 5,
) -> tuple[list[Case], int]:
    """A page of the open cases the member may see (domain.access), and how many in all.

    "Mine" is a worker's assigned cases or a referent's attached ones; otherwise every open
    case they may see. A status filter may ask for closed cases too.
    """
    query = select(Case).where(visible_to(member))
    if mine:
        query = query.where(held_by(member))
    query = (
        query.where(col(Case.status) == status)
        if status
        else query.where(col(Case.status) != CaseStatus.CLOSED)
    )
    if kind:
        query = query.where(col(Case.kind) == kind)
    with session_scope(engine) as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        page = session.exec(
            query.order_by(col(Case.urgent).desc(), col(Case.id).desc())
            .offset(offset)
            .limit(limit)
        )
        return list(page), total


def cases_in_status(engine: Engine, status: CaseStatus) -> list[Case]:
    with session_scope(engine) as session:
        return list(session.exec(select(Case).where(Case.status == status).order_by(col(Case.id))))


def open_cases(engine: Engine, worker_id: int | None = None) -> list[Case]:
    """The open cases, or (`worker_id`) those this worker holds."""
    with session_scope(engine) as session:
        return list(session.exec(open_cases_query(worker_id)))


def open_cases_query(worker_id: int | None = None) -> SelectOfScalar[Case]:
    query = select(Case).where(col(Case.status) != CaseStatus.CLOSED)
    if worker_id is not None:
        query = query.where(Case.assigned_worker_id == worker_id)
    return query.order_by(col(Case.id))


def case_by_reference(engine: Engine, reference: str) -> Case | None:
    with session_scope(engine) as session:
        return session.exec(
            select(Case).where(Case.reference == reference.strip().upper())
        ).first()
