"""Abuse limits: a person flooding the bot is slowed down with one message; an admin cannot
mint invitation links without end."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.i18n import format_datetime, use_language
from bot.settings import Settings
from bot.throttle import Throttle, Verdict, throttle_of
from domain.vocabulary import OrganisationKind, Role
from playground.fakebotapi import FakeBotAPI
from storage.database import session_scope
from storage.invitations import create_invitation, redeem_invitation
from storage.limits import invitations_created_since
from storage.members import ensure_organisation, find_member, organisations
from storage.models import AuditEntry, Invitation
from storage.types import utcnow
from tests.harness import Person, RelaisUnderTest, settings_for
from tests.stories import member, table_rows

SLOW_DOWN = "Vous envoyez beaucoup de messages d'un coup : attendez une minute, puis reprenez."
SLOW_DOWN_IN_FULL = SLOW_DOWN + " Ce que vous envoyez d'ici là n'est pas pris en compte."


@pytest.fixture
async def relais(fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[RelaisUnderTest]:
    """Relais with the default limits, whatever the harness or the environment sets."""
    settings = settings_for(
        fake_api,
        f"sqlite:///{tmp_path / 'relais.sqlite3'}",
        user_messages_per_minute=20,  # the stories below count to twenty
        invites_per_admin_per_hour=Settings.model_fields["invites_per_admin_per_hour"].default,
    )
    bot = RelaisUnderTest(fake_api, settings)
    await bot.start()
    yield bot
    await bot.stop()


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def freeze(relais: RelaisUnderTest) -> Clock:
    """Stop the bot's clock (tests then move it by hand), at the real time."""
    clock = Clock(utcnow())
    relais.app.clock = clock
    return clock


def audit(relais: RelaisUnderTest, action: str) -> list[AuditEntry]:
    with session_scope(relais.app.engine) as session:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return list(session.exec(query.order_by(col(AuditEntry.id))))


# ----------------------------------------------------------------------- the throttle


def test_the_limits_are_thirty_messages_a_minute_and_ten_invitations_an_hour() -> None:
    fields = Settings.model_fields
    assert fields["user_messages_per_minute"].default == 30
    assert fields["invites_per_admin_per_hour"].default == 10


def test_the_throttle_allows_the_limit_then_warns_once_then_drops() -> None:
    clock = Clock()
    throttle = Throttle(3, clock)
    verdicts = [throttle.hit(1) for _ in range(6)]
    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.WARN] + [Verdict.DROP] * 2
    assert throttle.hit(2) is Verdict.ALLOW, "each person has their own window"


def test_the_window_slides() -> None:
    clock = Clock()
    throttle = Throttle(2, clock)
    throttle.hit(1)
    clock.advance(seconds=30)
    throttle.hit(1)
    assert throttle.hit(1) is Verdict.WARN
    clock.advance(seconds=30)  # the first one is a minute old: one place is free
    assert throttle.hit(1) is Verdict.ALLOW
    assert throttle.hit(1) is Verdict.DROP, "told less than a minute ago: not told again"
    clock.advance(seconds=30)
    assert throttle.hit(1) is Verdict.ALLOW
    assert throttle.hit(1) is Verdict.WARN, "a new burst a minute after the warning is told"


def test_a_continuous_flood_is_told_at_most_once_a_minute() -> None:
    clock = Clock()
    throttle = Throttle(20, clock)
    verdicts = []
    for _ in range(600):  # ten a second for a minute
        verdicts.append(throttle.hit(7))
        clock.advance(seconds=0.1)
    assert verdicts.count(Verdict.ALLOW) == 20
    assert verdicts.count(Verdict.WARN) == 1


def test_the_throttle_forgets_people_after_a_minute() -> None:
    clock = Clock()
    throttle = Throttle(2, clock)
    for user_id in range(1000):
        for _ in range(3):
            throttle.hit(user_id)
    assert len(throttle) == 1000
    clock.advance(minutes=1)
    throttle.hit(5000)
    assert len(throttle) == 1, "empty windows are dropped"
    assert 5000 in throttle
    assert 0 not in throttle


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Throttle(0, Clock())


# -------------------------------------------------------------------------- in the chat


async def test_a_member_flooding_the_bot_is_told_once_then_answered_again_a_minute_later(
    relais: RelaisUnderTest,
) -> None:
    clock = freeze(relais)
    worker = await member(relais, "Inès", Role.WORKER)
    clock.advance(minutes=2)
    before = len(worker.texts())

    for _ in range(25):
        await worker.send("/aide")

    answers = worker.texts()[before:]
    assert len(answers) == 21, "20 answers, one slow-down, then silence"
    assert all(text.startswith("Vous êtes travailleur·se social·e") for text in answers[:20])
    assert answers[20].startswith(SLOW_DOWN)
    assert sum(text.startswith(SLOW_DOWN) for text in worker.texts()) == 1
    [throttled] = audit(relais, "throttled")
    assert throttled.member_id is not None
    assert throttled.detail is None

    clock.advance(seconds=30)
    await worker.send("/aide")
    assert len(worker.texts()) == before + 21, "still within the minute: dropped"

    clock.advance(seconds=31)
    await worker.send("/aide")
    assert worker.last_text.startswith("Vous êtes travailleur·se social·e")
    assert len(audit(relais, "throttled")) == 1


async def test_a_stranger_flooding_the_bot_is_throttled_and_nothing_is_kept(
    relais: RelaisUnderTest,
) -> None:
    clock = freeze(relais)
    stranger = relais.person("Inconnu")
    for number in range(25):
        await stranger.send(f"Bonjour {number}")

    texts = stranger.texts()
    assert len(texts) == 21
    assert all("demandez un lien d'invitation" in text for text in texts[:20])
    assert texts[20].startswith(SLOW_DOWN)
    for table in ("member", "user_data", "conversation_state", "invitation"):
        assert table_rows(relais, table) == 0, table
    [throttled] = audit(relais, "throttled")
    assert (throttled.member_id, throttled.case_id, throttled.detail) == (None, None, None)

    throttle = throttle_of(relais.app)
    assert stranger.id in throttle
    clock.advance(minutes=2)
    await relais.person("Visiteur").send("bonjour")
    assert stranger.id not in throttle, "the stranger's window is forgotten"


async def test_button_taps_are_throttled_and_every_tap_is_still_answered(
    relais: RelaisUnderTest,
) -> None:
    clock = freeze(relais)
    worker = await member(relais, "Inès", Role.WORKER)
    await worker.send("/langue")
    clock.advance(minutes=2)

    for _ in range(25):
        await worker.tap_data("lang:xx")

    # A language Relais does not speak is no button of Relais: the gate refuses it.
    not_a_button = "Ce bouton n'est pas (ou plus) disponible pour vous."
    assert worker.alerts == [not_a_button] * 20 + [SLOW_DOWN_IN_FULL]
    queries = [q for q in relais.fake.callback_queries.values() if q.user_id == worker.id]
    assert len(queries) == 25
    assert all(query.answered for query in queries), "no endless spinner"
    assert len(audit(relais, "throttled")) == 1

    clock.advance(minutes=1)
    await worker.tap("English")
    assert worker.last_text == "Done: Relais will speak to you in English."


# ------------------------------------------------------------------------- invitations


async def invite(admin: Person, organisation: str = "Sarthe Habitat") -> None:
    await admin.send("/inviter")
    await admin.tap("correspondant·e de site")
    await admin.tap(organisation)


def member_id(relais: RelaisUnderTest, person: Person) -> int:
    found = find_member(relais.app.engine, person.id)
    assert found is not None
    return found.id


def invitations_by(relais: RelaisUnderTest, person: Person) -> int:
    with session_scope(relais.app.engine) as session:
        query = select(Invitation).where(Invitation.created_by_id == member_id(relais, person))
        return len(session.exec(query).all())


LIMITED = "Vous avez déjà créé 10 invitations en une heure : c'est le maximum."


async def test_an_admin_creates_ten_invitations_an_hour_and_no_more(
    relais: RelaisUnderTest,
) -> None:
    clock = freeze(relais)
    start = clock.now
    admin = await member(relais, "Nadia", Role.ADMIN)
    for _ in range(10):
        await invite(admin)
        assert admin.last_text.startswith("Invitation prête")
        clock.advance(minutes=3)  # keeps clear of the messages-per-minute limit

    await admin.send("/inviter")
    assert admin.last_text.startswith(LIMITED)
    with use_language("fr"):
        free_at = format_datetime(
            (start + timedelta(hours=1, minutes=1)).replace(second=0, microsecond=0),
            relais.settings.zone,
        )
    assert f"Vous pourrez en créer une autre à partir du {free_at}." in admin.last_text
    assert admin.last_text.endswith("Aucun lien n'a été créé.")
    assert invitations_by(relais, admin) == 10
    assert table_rows(relais, "conversation_state") == 0, "no form was opened"
    [limited] = audit(relais, "invite_limited")
    assert limited.member_id == member_id(relais, admin)
    assert limited.detail is None

    clock.advance(minutes=31)  # an hour after the first one
    await invite(admin)
    assert admin.last_text.startswith("Invitation prête")
    assert invitations_by(relais, admin) == 11


async def test_the_limit_is_checked_again_when_the_link_would_be_made(
    relais: RelaisUnderTest,
) -> None:
    admin, other_admin = (
        await member(relais, "Nadia", Role.ADMIN),
        await member(relais, "Hugo", Role.ADMIN),
    )
    relais.app.settings.invites_per_admin_per_hour = 2
    await invite(admin)

    def made_elsewhere_meanwhile() -> None:
        """Another invitation by the same admin lands while their form is open."""
        organisation = ensure_organisation(
            relais.app.engine, "Sarthe Habitat", OrganisationKind.LANDLORD
        )
        create_invitation(
            relais.app.engine,
            role=Role.WORKER,
            organisation_id=organisation.id,
            ttl=relais.settings.invite_ttl,
            created_by_id=member_id(relais, admin),
            now=relais.app.now(),
        )

    await admin.send("/inviter")
    await admin.tap("correspondant·e de site")
    made_elsewhere_meanwhile()
    await admin.tap("Sarthe Habitat")
    assert admin.last_text.startswith("Vous avez déjà créé 2 invitations en une heure")
    assert invitations_by(relais, admin) == 2

    relais.app.settings.invites_per_admin_per_hour = 3
    await admin.send("/inviter")
    await admin.tap("gendarmerie")
    await admin.tap("Autre organisation…")
    made_elsewhere_meanwhile()
    await admin.send("Gendarmerie de Mamers")
    assert admin.last_text.startswith("Vous avez déjà créé 3 invitations en une heure")
    assert invitations_by(relais, admin) == 3
    assert [org.name for org in organisations(relais.app.engine)] == ["Sarthe Habitat"], (
        "the typed organisation is not created either"
    )
    assert len(audit(relais, "invite_limited")) == 2

    await invite(other_admin)
    assert other_admin.last_text.startswith("Invitation prête"), "the limit is per admin"


def test_the_invitations_of_the_last_hour_are_counted_per_admin(engine: Engine) -> None:
    organisation = ensure_organisation(engine, "Sarthe Habitat", OrganisationKind.LANDLORD)
    week = timedelta(days=7)
    admins = []
    for telegram_id in (11, 12):
        token = create_invitation(
            engine, role=Role.ADMIN, organisation_id=organisation.id, ttl=week
        ).token
        _, admin = redeem_invitation(engine, token, telegram_id=telegram_id, display_name="A")
        assert admin is not None
        admins.append(admin.id)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for minutes_ago, admin_id in (
        (70, admins[0]),
        (60, admins[0]),
        (59, admins[0]),
        (5, admins[1]),
    ):
        create_invitation(
            engine,
            role=Role.WORKER,
            organisation_id=organisation.id,
            ttl=week,
            created_by_id=admin_id,
            now=now - timedelta(minutes=minutes_ago),
        )
    hour_ago = now - timedelta(hours=1)
    assert invitations_created_since(engine, admins[0], hour_ago) == [
        now - timedelta(minutes=60),
        now - timedelta(minutes=59),
    ]
    assert len(invitations_created_since(engine, admins[1], hour_ago)) == 1
