"""The programme's reserved homes and which case lives in each."""

from datetime import datetime

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.vocabulary import CaseKind, CaseStatus
from storage.database import session_scope
from storage.models import Case, CaseEvent, Member, ReservedHome

SIZES = ("T1", "T2", "T3", "T4", "T5")
# A home is given at move-in: once the contract is signed.
HOUSING_STATUSES = (CaseStatus.CONTRACT_SIGNED, CaseStatus.IN_SUPPORT, CaseStatus.SHARED_REVIEW)


class HomeRefused(ValueError):
    """The home is taken, of the other kind, or the case is not at move-in."""


def add_home(
    engine: Engine, *, label: str, commune: str, size: str, qpv: bool, kind: CaseKind
) -> ReservedHome:
    if size not in SIZES:
        raise HomeRefused(f"size is one of {SIZES}")
    home = ReservedHome(label=label, commune=commune, size=size, qpv=qpv, kind=kind)
    try:
        with session_scope(engine) as session:
            session.add(home)
    except IntegrityError:
        raise HomeRefused("a home with this name exists") from None
    return home


def homes(engine: Engine) -> list[tuple[ReservedHome, Case | None]]:
    """Every home with the case living there, if any."""
    with session_scope(engine) as session:
        query = select(ReservedHome, Case).outerjoin(Case, col(Case.id) == ReservedHome.case_id)
        return list(session.exec(query.order_by(col(ReservedHome.kind), col(ReservedHome.label))))


def free_homes(engine: Engine, kind: CaseKind) -> list[ReservedHome]:
    with session_scope(engine) as session:
        query = select(ReservedHome).where(
            ReservedHome.kind == kind, col(ReservedHome.case_id).is_(None)
        )
        return list(session.exec(query.order_by(col(ReservedHome.label))))


def home_of(engine: Engine, case_id: int) -> ReservedHome | None:
    with session_scope(engine) as session:
        return session.exec(select(ReservedHome).where(ReservedHome.case_id == case_id)).first()


def assign_home(
    engine: Engine, home_id: int, case_id: int, actor: Member, now: datetime
) -> ReservedHome:
    """Give a free home of the case's kind to a case at move-in; a taken home is refused."""
    with session_scope(engine) as session:
        case = session.get(Case, case_id)
        home = session.get(ReservedHome, home_id)
        if (
            case is None
            or home is None
            or home.kind != case.kind
            or case.status not in HOUSING_STATUSES
        ):
            raise HomeRefused("not a home for this case now")
        if session.exec(select(ReservedHome).where(ReservedHome.case_id == case_id)).first():
            raise HomeRefused("the case already has a home")
        claimed = session.execute(
            update(ReservedHome)
            .where(col(ReservedHome.id) == home_id, col(ReservedHome.case_id).is_(None))
            .values(case_id=case_id, assigned_at=now)
        )
        if claimed.rowcount != 1:
            raise HomeRefused("this home is taken")
        session.add(
            CaseEvent(
                case_id=case_id,
                at=now,
                actor_member_id=actor.id,
                kind="home_assigned",
                reason=home.label,
            )
        )
        session.refresh(home)
        return home


def release_home(engine: Engine, case_id: int, actor: Member, now: datetime) -> ReservedHome:
    with session_scope(engine) as session:
        home = release_in(session, case_id, now, actor.id)
        if home is None:
            raise HomeRefused("the case has no home")
        return home


def release_in(
    session: Session, case_id: int, now: datetime, actor_id: int | None
) -> ReservedHome | None:
    """Free the case's home inside the caller's transaction (a closing case frees its home)."""
    home = session.exec(select(ReservedHome).where(ReservedHome.case_id == case_id)).first()
    if home is not None:
        home.case_id, home.assigned_at = None, None
        session.add(
            CaseEvent(
                case_id=case_id,
                at=now,
                actor_member_id=actor_id,
                kind="home_freed",
                reason=home.label,
            )
        )
    return home
