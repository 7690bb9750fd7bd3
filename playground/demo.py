"""The playground's demo world: a few people, sites and cases, on a SQLite file of its own.

Everything is made through the same storage functions the bot uses, so the cases, the
timeline, the reminders and the audit trail are real. The people are fake Telegram users
of the playground's own Bot API; each becomes a persona of the web chat page.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import Engine

from bot.context import RelaisApplication
from conversations.alerts import announce
from domain.referral import REVIEW
from domain.statuses import Move
from domain.vocabulary import AppointmentKind, CaseStatus, OrganisationKind, Role
from playground.fakebotapi import Chat, FakeBotAPI, TelegramWorld, User
from storage.appointments import schedule
from storage.beneficiaries import give_consent, invite
from storage.case_flow import move_case
from storage.cases import submit_report, take_case
from storage.drafts import save_draft, start_draft
from storage.invitations import create_invitation, redeem_invitation
from storage.members import ensure_organisation
from storage.models import Case, Member
from storage.sites import active_sites

SITES_CSV = (
    "name,commune,sector,qpv,landlord\n"
    "Les Glonnières,Le Mans,Sud,yes,Sarthe Habitat\n"
    "Bellevue,Sablé-sur-Sarthe,Ouest,no,Sarthe Habitat\n"
    "Les Sablons,Le Mans,Est,yes,Sarthe Habitat\n"
)
# How long the bot may take to answer everyone's /start: generous, for a busy machine.
STARTUP_SECONDS = 120.0


@dataclass(frozen=True)
class Persona:
    """Someone the trainer can act as on the page."""

    key: str
    name: str
    role: Role
    organisation: str
    language: str = "fr"


PERSONAS = (
    Persona("correspondent", "Léa Martin", Role.CORRESPONDENT, "Sarthe Habitat"),
    Persona("gendarmerie", "Adjudant Morel", Role.GENDARMERIE, "Gendarmerie de la Sarthe"),
    Persona("worker", "Inès Durand", Role.WORKER, "Montjoie"),
    Persona("colleague", "Paul Bernard", Role.WORKER, "Montjoie", language="en"),
    Persona("admin", "Claire Petit", Role.ADMIN, "Sarthe Habitat"),
    Persona("referent", "Marc Leroy", Role.LANDLORD_REFERENT, "Sarthe Habitat"),
    Persona("beneficiary", "Sam", Role.BENEFICIARY, ""),
)

_KINDS = {
    "Sarthe Habitat": OrganisationKind.LANDLORD,
    "Gendarmerie de la Sarthe": OrganisationKind.GENDARMERIE,
    "Montjoie": OrganisationKind.ASSOCIATION,
}

ADDICTION_REPORT: dict[str, object] = {
    "kind": "addiction", "danger": "no", "who": "M. R.", "adults": 1, "children": 0,
    "site": "Les Glonnières", "consent": "yes", "contact": "via_referrer", "observed": ["neighbours", "hygiene"],
    "eviction": "no", "support": ["unknown"], "note": None,
}  # fmt: skip
FOLLOWED_REPORT: dict[str, object] = {
    **ADDICTION_REPORT, "who": "Sam D.", "site": "Les Sablons", "observed": ["unpaid_rent", "isolation"],
}  # fmt: skip


@dataclass
class DemoWorld:
    people: dict[str, User]
    team_chat: Chat
    members: dict[str, Member]


async def build_demo(app: RelaisApplication, fake: FakeBotAPI, team_chat: Chat) -> DemoWorld:
    """The people, and two cases: one in support whose person has an appointment tomorrow,
    one just reported that nobody took yet (its escalation comes with the fast-forward).
    Everyone has opened their chat with the bot (/start) before that report's alert, so
    the bot greets each person first, in their language."""
    engine, now = app.engine, app.now()
    people = {persona.key: _user(fake, persona) for persona in PERSONAS}
    members = {
        persona.key: _enroll(engine, persona, people[persona.key].id)
        for persona in PERSONAS
        if persona.role is not Role.BENEFICIARY
    }
    for key in ("worker", "colleague"):
        fake.add_member(team_chat, people[key])

    followed, _created = file_report(
        engine,
        members["correspondent"],
        _at_site(engine, FOLLOWED_REPORT),
        now - timedelta(days=40),
    )
    _follow(app, followed, members["worker"], now - timedelta(days=40))
    link = invite(engine, followed.id, members["worker"].id, ttl=timedelta(days=7), now=now)
    _outcome, enrollment = give_consent(
        engine,
        link.token,
        telegram_id=people["beneficiary"].id,
        display_name="Sam",
        message_id=None,
        now=now,
        planner=app.planner,
    )
    members["beneficiary"] = enrollment.member
    zone = app.settings.zone
    tomorrow = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(10), zone)
    schedule(
        engine,
        followed.id,
        members["worker"],
        kind=AppointmentKind.FOLLOW_UP,
        starts_at=tomorrow,
        place="Locaux de Montjoie, Le Mans",
        attendees=["beneficiary", "worker"],
        now=now,
        planner=app.planner,
    )

    await _open_chats(app, fake, list(people.values()))
    waiting, _created = file_report(
        engine,
        members["correspondent"],
        _at_site(engine, ADDICTION_REPORT),
        now - timedelta(minutes=20),
        escalate_after=app.settings.escalation_delay,
    )
    await announce(app, waiting)
    return DemoWorld(people, team_chat, members)


def _user(world: TelegramWorld, persona: Persona) -> User:
    first, _space, last = persona.name.partition(" ")
    return world.add_user(first, persona.language, last_name=last or None)


async def _open_chats(app: RelaisApplication, fake: FakeBotAPI, people: list[User]) -> None:
    """Each person sends /start, as on their first day; returns once the bot answered all."""
    last = 0
    for user in people:
        last = fake.send_text(user, "/start")
    await fake.wait_confirmed(last, timeout=STARTUP_SECONDS)
    await app.update_queue.join()


def _enroll(engine: Engine, persona: Persona, telegram_id: int) -> Member:
    organisation = ensure_organisation(engine, persona.organisation, _KINDS[persona.organisation])
    invitation = create_invitation(
        engine, role=persona.role, organisation_id=organisation.id, ttl=timedelta(days=1)
    )
    _outcome, member = redeem_invitation(
        engine, invitation.token, telegram_id=telegram_id, display_name=persona.name
    )
    return member


def file_report(
    engine: Engine,
    source: Member,
    answers: dict[str, object],
    at: datetime,
    escalate_after: timedelta | None = None,
) -> tuple[Case, bool]:
    """A report sent as the form sends it: a draft at its review, then submitted (the case,
    and whether this call created it)."""
    draft = start_draft(engine, source.id, "kind", at)
    draft.answers, draft.current = dict(answers), REVIEW
    save_draft(engine, draft, at)
    return submit_report(
        engine, draft, source, year=at.year, now=at, escalate_after=escalate_after
    )


def _at_site(engine: Engine, answers: dict[str, object]) -> dict[str, object]:
    """The demo's answers name their residence; the form stores its id."""
    sites = {site.name: site.id for site in active_sites(engine)}
    return {**answers, "site": sites[str(answers["site"])]}


def _follow(app: RelaisApplication, case: Case, worker: Member, since: datetime) -> None:
    """Take the case and walk it to the support's first phase, as the worker would have."""
    take_case(app.engine, case.id, worker, since)
    steps = (
        Move(CaseStatus.DIAGNOSTIC),
        Move(CaseStatus.COMMISSION),
        Move(CaseStatus.ACCEPTED, reason="medium"),
        Move(CaseStatus.CONTRACT_SIGNED, meeting_at=since + timedelta(days=20), consent=True),
        Move(CaseStatus.IN_SUPPORT),
    )
    for day, move in enumerate(steps, start=1):
        at = since + timedelta(days=5 * day)
        move_case(app.engine, case.id, worker, move, app.programme, at, app.planner)
