"""Organisations and enrolled members."""

from collections.abc import Iterable

from sqlalchemy import Engine, bindparam
from sqlmodel import col, select

from domain.vocabulary import OrganisationKind, Role
from storage.database import session_scope
from storage.models import Member, Organisation

# The longest organisation name, typed in the chat (/inviter) or on the command line.
ORGANISATION_NAME_MAX: int = Organisation.__table__.c["name"].type.length


# Read for every update (bot.access.gate): built once, not at each call.
_BY_TELEGRAM_ID = select(Member).where(Member.telegram_id == bindparam("telegram_id"))


def find_member(engine: Engine, telegram_id: int) -> Member | None:
    with session_scope(engine) as session:
        return session.exec(_BY_TELEGRAM_ID, params={"telegram_id": telegram_id}).first()


def get_member(engine: Engine, member_id: int) -> Member | None:
    with session_scope(engine) as session:
        return session.get(Member, member_id)


def display_names(engine: Engine, member_ids: Iterable[int | None]) -> dict[int, str]:
    """The names of these members (ids that are None are left out), in one query."""
    wanted = {member_id for member_id in member_ids if member_id is not None}
    if not wanted:
        return {}
    with session_scope(engine) as session:
        query = select(Member.id, Member.display_name).where(col(Member.id).in_(wanted))
        return dict(session.exec(query).all())


def active_members(engine: Engine, role: Role) -> list[Member]:
    with session_scope(engine) as session:
        query = select(Member).where(Member.role == role, Member.active).order_by(Member.id)
        return list(session.exec(query))


def set_language(engine: Engine, member_id: int, language: str | None) -> None:
    with session_scope(engine) as session:
        member = session.get(Member, member_id)
        if member is None:
            raise LookupError(f"no member {member_id}")
        member.language = language


def organisations(engine: Engine) -> list[Organisation]:
    with session_scope(engine) as session:
        return list(session.exec(select(Organisation).order_by(Organisation.name)))


def landlords(engine: Engine) -> list[Organisation]:
    """The landlord organisations, by name: each has its sites, homes, referents and cases."""
    with session_scope(engine) as session:
        query = select(Organisation).where(Organisation.kind == OrganisationKind.LANDLORD)
        return list(session.exec(query.order_by(Organisation.name)))


def get_organisation(engine: Engine, organisation_id: int) -> Organisation | None:
    with session_scope(engine) as session:
        return session.get(Organisation, organisation_id)


def ensure_organisation(engine: Engine, name: str, kind: OrganisationKind) -> Organisation:
    """The organisation called `name`, created with `kind` if it does not exist yet."""
    name = " ".join(name.split())
    with session_scope(engine) as session:
        found = session.exec(select(Organisation).where(Organisation.name == name)).first()
        if found is not None:
            return found
        organisation = Organisation(name=name, kind=kind)
        session.add(organisation)
        session.flush()
        return organisation


def note_app_language(engine: Engine, member: Member, code: str | None) -> None:
    """Remember the member's Telegram app language when it changed (one write, rarely)."""
    if code and code != member.app_language:
        with session_scope(engine) as session:
            stored = session.get(Member, member.id)
            if stored is not None:
                stored.app_language = code[:16]
        member.app_language = code[:16]
