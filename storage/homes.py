"""The programme's reserved homes and which case lives in each."""

from datetime import datetime

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.access import fits_landlord
from domain.vocabulary import CaseKind, CaseStatus
from storage.database import session_scope
from storage.models import Case, CaseEvent, Member, ReservedHome

SIZES = ("T1", "T2", "T3", "T4", "T5")
# A home is given at move-in: once the contract is signed.
HOUSING_STATUSES = (CaseStatus.CONTRACT_SIGNED, CaseStatus.IN_SUPPORT, CaseStatus.SHARED_REVIEW)


class HomeRefused(ValueError):
    """The home is taken, of the other kind or another landlord's, or the case is not at
    move-in."""


def add_home(
    engine: Engine,
    *,
    label: str,
    commune: str,
    size: str,
    qpv: bool,
    kind: CaseKind,
    landlord_id: int | None = None,
) -> ReservedHome:
    if size not in SIZES:
        raise HomeRefused(f"size is one of {SIZES}")
    home = ReservedHome(
        label=label, commune=commune, size=size, qpv=qpv, kind=kind, landlord_id=landlord_id
    )
    try:
        with session_scope(engine) as session:
            session.add(home)
    except IntegrityError:
        raise HomeRefused("a home with this name exists") from None
    return home


def homes(
    engine: Engine, landlord_id: int | None = None
) -> list[tuple[ReservedHome, Case | None]]:
    """Every home (those of one landlord, with `landlord_id`: domain.access.fits_landlord)
    with the case living there, if any. The programme has a few dozen: read whole."""
    with session_scope(engine) as session:
        query = select(ReservedHome, Case).outerjoin(Case, col(Case.id) == ReservedHome.case_id)
        rows = session.exec(query.order_by(col(ReservedHome.kind), col(ReservedHome.label)))
        return [row for row in rows if fits_landlord(landlord_id, row[0].landlord_id)]


def free_homes(engine: Engine, case: Case) -> list[ReservedHome]:
    """The free homes that may go to this case: of its kind and, if it has one, its landlord."""
    with session_scope(engine) as session:
        query = select(ReservedHome).where(
            ReservedHome.kind == case.kind, col(ReservedHome.case_id).is_(None)
        )
        return [
            home
            for home in session.exec(query.order_by(col(ReservedHome.label)))
            if fits_landlord(case.landlord_id, home.landlord_id)
        ]


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
            or not fits_landlord(case.landlord_id, home.landlord_id)
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
        if case.landlord_id is None:  # a case of no landlord yet now belongs to the home's
            case.landlord_id = home.landlord_id
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
