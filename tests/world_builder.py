"""A whole Relais world for the authorization matrix and the fuzz test, built in a second.

One member of each role (and a second worker), a stranger and a deactivated member, each
with a private chat the bot has already answered in (so they can tap buttons); a case in
each interesting status, one reported by the gendarmerie that the landlord's referent may
not see; coming and past appointments, a free and an occupied reserved home, a supported
person who agreed to reminders (with one pending), an open invitation link for the person
of another case, an unused staff invitation, two flyers' links (one to revoke), two
access requests waiting for an admin's answer, and a second landlord with nobody in it.

The cases, appointments and homes are set up through the storage functions (only setup:
the tests act on them through the bot). Only the people's first `/start` goes through the
bot, all at once.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import Engine, select
from sqlmodel import SQLModel
from telegram.ext import AIORateLimiter

from domain.statuses import Intensity, Move, Outcome
from domain.vocabulary import (
    AppointmentKind,
    CaseKind,
    CaseStatus,
    OrganisationKind,
    ReminderKind,
    Role,
)
from playground.demo import file_report
from playground.fakebotapi import FakeBotAPI
from storage.appointments import schedule
from storage.beneficiaries import give_consent, invite
from storage.case_flow import move_case, put_on_case
from storage.cases import get_case, take_case
from storage.database import session_scope
from storage.flyers import Opening, create_flyer, new_token, request_access
from storage.homes import add_home, assign_home
from storage.invitations import create_invitation, redeem_invitation
from storage.members import ensure_organisation, get_member
from storage.models import Case, Member, Reminder
from storage.reminders import plan
from tests.harness import Person, RelaisUnderTest, settings_for
from tests.stories import VIOLENCE_ANSWERS

# The people the matrix acts as: one per role, then the two who may do nothing.
ROLE_ACTORS: dict[str, Role] = {
    "admin": Role.ADMIN,
    "correspondent": Role.CORRESPONDENT,
    "gendarmerie": Role.GENDARMERIE,
    "siao": Role.SIAO,
    "worker": Role.WORKER,
    "landlord_referent": Role.LANDLORD_REFERENT,
    "beneficiary": Role.BENEFICIARY,
}
STRANGER, DEACTIVATED = "stranger", "deactivated"
ACTORS: tuple[str, ...] = (*ROLE_ACTORS, STRANGER, DEACTIVATED)

LANDLORD = "Sarthe Habitat"
OTHER_LANDLORD = "Podeliha"
ASSOCIATION = "Montjoie"
GENDARMERIE = "Gendarmerie de Mamers"
SIAO = "SIAO de la Sarthe"
_ORGANISATIONS = {
    Role.ADMIN: (LANDLORD, OrganisationKind.LANDLORD),
    Role.CORRESPONDENT: (LANDLORD, OrganisationKind.LANDLORD),
    Role.LANDLORD_REFERENT: (LANDLORD, OrganisationKind.LANDLORD),
    Role.WORKER: (ASSOCIATION, OrganisationKind.ASSOCIATION),
    Role.GENDARMERIE: (GENDARMERIE, OrganisationKind.GENDARMERIE),
    Role.SIAO: (SIAO, OrganisationKind.SIAO),
}
_NAMES = {
    "admin": "Nadia",
    "correspondent": "Karim",
    "gendarmerie": "Adjudant Morel",
    "siao": "Claire",
    "worker": "Inès",
    "landlord_referent": "Hélène",
    "beneficiary": "Sam",
    STRANGER: "Inconnu",
    DEACTIVATED: "Ancien",
}

ADDICTION_ANSWERS: dict[str, object] = {
    "kind": "addiction",
    "danger": "no",
    "who": "M. D.",
    "adults": 1,
    "children": 0,
    "site": "other",
    "commune": "Le Mans",
    "qpv": "yes",
    "consent": "yes",
    "contact": "+33612345678",
    "safe_times": ["evening"],
    "observed": ["neighbours"],
    "eviction": "no",
    "support": ["none"],
    "note": None,
}

# The main path, as the worker walks it (the commission's decision and the contract carry
# what they must).
_PATH = (
    CaseStatus.DIAGNOSTIC,
    CaseStatus.COMMISSION,
    CaseStatus.ACCEPTED,
    CaseStatus.CONTRACT_SIGNED,
    CaseStatus.IN_SUPPORT,
    CaseStatus.SHARED_REVIEW,
)

MISSING_ID = 987_654  # an id no case, appointment, home, member or reminder has


def bot_settings(fake: FakeBotAPI, database_url: str, **overrides: object):
    """The tests' settings, with the per-person pace limit out of the way: these tests send
    hundreds of updates as one person on purpose."""
    return settings_for(
        fake,
        database_url,
        **(
            {"user_messages_per_minute": 1_000_000, "invites_per_admin_per_hour": 1_000}
            | overrides
        ),
    )


def without_flood_pacing(relais: RelaisUnderTest) -> None:
    """Drop PTB's pacing of requests (30 a second, 20 a minute per group: Telegram's flood
    limits, which the fake does not have) so thousands of updates run at the bot's own speed.
    Retries on a 429 stay as in production. (ExtBot has no public setter for its limiter.)"""
    relais.app.bot._rate_limiter = AIORateLimiter(
        overall_max_rate=0, group_max_rate=0, max_retries=3
    )


@dataclass
class World:
    relais: RelaisUnderTest
    people: dict[str, Person]
    member_ids: dict[str, int]
    colleague_id: int  # a second worker, to hand a case over to
    leaving_id: int  # a correspondent who leaves (an admin closes their access)
    cases: dict[str, int]
    appointments: dict[str, int]
    homes: dict[str, int]
    reminder_id: int  # the supported person's pending appointment reminder
    organisation_id: int  # an organisation an admin can invite someone into
    beneficiary_token: str  # an open invitation for the person of the case "invitable"
    staff_token: str  # an unused staff invitation (a correspondent's)
    flyer_token: str  # a flyer's link open to requests
    revocable_flyer_id: int  # another flyer's link, for an admin to revoke
    access_requests: dict[str, int]  # waiting: one to accept, one to refuse
    coming: datetime  # a free time two days from now, 10:00 local

    @property
    def engine(self) -> Engine:
        return self.relais.app.engine

    def member(self, actor: str) -> Member | None:
        member_id = self.member_ids.get(actor)
        return get_member(self.engine, member_id) if member_id else None

    def case(self, key: str) -> Case:
        case = get_case(self.engine, self.cases[key])
        assert case is not None, key
        return case


def enroll(
    engine: Engine,
    role: Role,
    telegram_id: int,
    name: str,
    organisation: tuple[str, OrganisationKind] | None = None,
) -> Member:
    """A member of `role`, in the organisation usual for it unless `organisation` is given."""
    organisation, kind = organisation or _ORGANISATIONS[role]
    organisation_id = ensure_organisation(engine, organisation, kind).id
    invitation = create_invitation(
        engine, role=role, organisation_id=organisation_id, ttl=timedelta(days=7)
    )
    _outcome, member = redeem_invitation(
        engine, invitation.token, telegram_id=telegram_id, display_name=name
    )
    assert member is not None, f"{name} could not be enrolled"
    return member


def report(engine: Engine, source: Member, answers: dict[str, object], now: datetime) -> Case:
    case, created = file_report(engine, source, answers, now)
    assert created
    return case


def walk(relais: RelaisUnderTest, case: Case, worker: Member, to: CaseStatus) -> Case:
    """Take the case and move it along the main path up to `to` (CLOSED: from shared review)."""
    app, now = relais.app, relais.app.now()
    taken, _case = take_case(app.engine, case.id, worker, now)
    assert taken
    moves = {
        CaseStatus.ACCEPTED: Move(CaseStatus.ACCEPTED, reason=Intensity.MEDIUM),
        CaseStatus.CONTRACT_SIGNED: Move(
            CaseStatus.CONTRACT_SIGNED, meeting_at=now - timedelta(days=1), consent=True
        ),
        CaseStatus.CLOSED: Move(CaseStatus.CLOSED, reason=Outcome.POSITIVE_EXIT),
    }
    path = [*_PATH, CaseStatus.CLOSED]
    for status in path[: path.index(to) + 1] if to in path else []:
        move = moves.get(status, Move(status))
        case = move_case(app.engine, case.id, worker, move, app.programme, now, app.planner)
    return case


async def build_world(relais: RelaisUnderTest) -> World:
    app = relais.app
    engine, now = app.engine, app.now()
    people = {actor: relais.person(_NAMES[actor]) for actor in ACTORS}
    members = {
        actor: enroll(engine, role, people[actor].id, _NAMES[actor])
        for actor, role in ROLE_ACTORS.items()
        if role is not Role.BENEFICIARY
    }
    members[DEACTIVATED] = enroll(engine, Role.WORKER, people[DEACTIVATED].id, "Ancien")
    colleague = enroll(engine, Role.WORKER, relais.fake.add_user("Paul").id, "Paul")
    leaving = enroll(engine, Role.CORRESPONDENT, relais.fake.add_user("Léa").id, "Léa")
    worker, reporter = members["worker"], members["correspondent"]
    # A second landlord, with nobody yet: admins and workers are offered the choice of one.
    ensure_organisation(engine, OTHER_LANDLORD, OrganisationKind.LANDLORD)

    def addiction(to: CaseStatus) -> Case:
        return walk(relais, report(engine, reporter, ADDICTION_ANSWERS, now), worker, to)

    cases = {
        "untaken": report(engine, reporter, ADDICTION_ANSWERS, now),
        "received": addiction(CaseStatus.RECEIVED),
        "diagnostic": addiction(CaseStatus.DIAGNOSTIC),
        "commission": addiction(CaseStatus.COMMISSION),
        "accepted": addiction(CaseStatus.ACCEPTED),
        "housed": addiction(CaseStatus.CONTRACT_SIGNED),
        "followed": addiction(CaseStatus.IN_SUPPORT),  # the supported person's own case
        "invitable": addiction(CaseStatus.IN_SUPPORT),  # nobody agreed on it yet
        "shared_review": addiction(CaseStatus.SHARED_REVIEW),
        "closed": addiction(CaseStatus.CLOSED),
        "erasable": addiction(CaseStatus.CLOSED),  # its person asked for erasure
        # Held by the colleague: the world's worker may take it over.
        "colleagues": walk(
            relais,
            report(engine, reporter, ADDICTION_ANSWERS, now),
            colleague,
            CaseStatus.DIAGNOSTIC,
        ),
        # Reported by the gendarmerie: the landlord's referent may not see it.
        "gendarmerie": walk(
            relais,
            report(engine, members["gendarmerie"], VIOLENCE_ANSWERS, now),
            worker,
            CaseStatus.DIAGNOSTIC,
        ),
    }
    put_on_case(
        engine,
        cases["diagnostic"].id,
        members["landlord_referent"],
        Role.LANDLORD_REFERENT,
        worker,
        now,
    )

    # The supported person of the case "followed", who agreed to reminders.
    token = invite(engine, cases["followed"].id, worker.id, ttl=timedelta(days=7), now=now)
    assert token is not None
    _consent, enrollment = give_consent(
        engine,
        token.token,
        telegram_id=people["beneficiary"].id,
        display_name=_NAMES["beneficiary"],
        message_id=None,
        now=now,
        planner=app.planner,
    )
    assert enrollment is not None
    members["beneficiary"] = enrollment.member
    beneficiary_link = invite(
        engine, cases["invitable"].id, worker.id, ttl=timedelta(days=7), now=now
    )
    assert beneficiary_link is not None

    zone = app.settings.zone
    coming = datetime.combine(
        now.astimezone(zone).date() + timedelta(days=2), time(10), tzinfo=zone
    )

    def appointment(at: datetime, attendees: tuple[str, ...] = ("beneficiary", "worker")) -> int:
        made = schedule(
            engine,
            cases["followed"].id,
            worker,
            kind=AppointmentKind.FOLLOW_UP,
            starts_at=at,
            place="Locaux de Montjoie",
            attendees=list(attendees),
            now=min(now, at - timedelta(hours=1)),
            # Past ones (set up as if scheduled earlier) plan nothing that would be due now.
            planner=app.planner if at > now else None,
        )
        return made.id

    appointments = {
        "reminded": appointment(coming + timedelta(days=1)),
        "to_move": appointment(coming + timedelta(days=2)),
        "to_cancel": appointment(coming + timedelta(days=3)),
        "held": appointment(now - timedelta(hours=3), ("worker",)),
        "missed": appointment(now - timedelta(hours=2), ("worker",)),
    }
    with session_scope(engine) as session:
        plan(
            session,
            "matrix:reminder",
            ReminderKind.APPOINTMENT_EVE,
            members["beneficiary"].id,
            coming,
            case_id=cases["followed"].id,
            appointment_id=appointments["reminded"],
        )
    with session_scope(engine) as session:
        reminder_id = session.execute(
            select(Reminder.id).where(Reminder.key == "matrix:reminder")
        ).scalar_one()

    homes = {
        "free": add_home(
            engine,
            label="Les Tilleuls, apt 12",
            commune="Le Mans",
            size="T3",
            qpv=True,
            kind=CaseKind.ADDICTION,
        ).id,
        "occupied": add_home(
            engine,
            label="Bellevue, apt 4",
            commune="Sablé-sur-Sarthe",
            size="T2",
            qpv=False,
            kind=CaseKind.ADDICTION,
        ).id,
    }
    assign_home(engine, homes["occupied"], cases["housed"].id, worker, now)
    staff = create_invitation(
        engine,
        role=Role.CORRESPONDENT,
        organisation_id=reporter.organisation_id,
        ttl=timedelta(days=7),
    )

    flyer_token, revocable = new_token(), new_token()
    flyers = {
        token: create_flyer(
            engine,
            token,
            role=Role.GENDARMERIE,
            organisation_id=members["gendarmerie"].organisation_id,
            ttl=timedelta(days=183),
            now=now,
        )
        for token in (flyer_token, revocable)
    }
    access_requests = {}
    for key in ("accept", "refuse"):
        opening, request = request_access(
            engine, revocable, telegram_id=relais.fake.add_user(key).id, display_name=key,
            language="fr", now=now, day_start=now, limit=20,
        )  # fmt: skip
        assert opening is Opening.OPEN
        assert request is not None
        access_requests[key] = request.id

    # Everyone opens their chat; the bot answers each (a greeting, or a refusal).
    last = 0
    for actor in ACTORS:
        last = relais.fake.send_text(people[actor].user, "/start")
    await relais.settle(last)
    with session_scope(engine) as session:
        row = session.get(Member, members[DEACTIVATED].id)
        assert row is not None
        row.active = False

    return World(
        relais=relais,
        people=people,
        member_ids={actor: member.id for actor, member in members.items()},
        colleague_id=colleague.id,
        leaving_id=leaving.id,
        cases={key: case.id for key, case in cases.items()},
        appointments=appointments,
        homes=homes,
        reminder_id=reminder_id,
        organisation_id=reporter.organisation_id,
        beneficiary_token=beneficiary_link.token,
        staff_token=staff.token,
        flyer_token=flyer_token,
        revocable_flyer_id=flyers[revocable].id,
        access_requests=access_requests,
        coming=coming,
    )


def unused_keyboard(fake: FakeBotAPI, chat_id: int, used: set[tuple[int, int]]) -> int | None:
    """The newest text message of the bot in the chat whose buttons nobody tapped yet.

    A button lives on a message that has buttons; tapping two buttons of one message (or one
    twice) is a double tap, whose own bug the matrix reports apart.
    """
    for message in reversed(fake.bot_messages(chat_id)):
        key = (chat_id, message.message_id)
        if message.buttons and message.kind == "text" and key not in used:
            used.add(key)
            return message.message_id
    return None


# ---------------------------------------------------------------- reading the database


# PTB's own bookkeeping of conversations and per-user drafts.
FLOW_TABLES = frozenset({"conversation_state", "user_data"})
# Columns that change whenever PTB saves a user's data, whatever the data.
_IGNORED_COLUMNS = {("user_data", "updated_at")}


def snapshot(engine: Engine, exclude: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """Every row of every table (decrypted by the column types), to compare before/after."""
    tables = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in exclude:
                continue
            columns = [
                column
                for column in table.columns
                if (table.name, column.name) not in _IGNORED_COLUMNS
            ]
            rows = connection.execute(select(*columns)).all()
            tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return tables


def changed_tables(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


AUDIT = "audit_entry"


def new_audit_actions(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    """The actions of the audit entries written between two snapshots."""
    columns = [column.name for column in SQLModel.metadata.tables[AUDIT].columns]
    action, known = columns.index("action"), set(before.get(AUDIT, []))
    return [row[action] for row in after.get(AUDIT, []) if row not in known]
