"""Dispatchers as separate processes: a crash loses nothing, two of them never send twice."""

import asyncio
import os
import signal
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from domain.vocabulary import OrganisationKind, ReminderKind, ReminderStatus, Role
from playground.fakebotapi import FakeBotAPI
from storage.cases import submit_report
from storage.database import session_scope
from storage.drafts import start_draft
from storage.invitations import create_invitation, redeem_invitation
from storage.members import ensure_organisation
from storage.models import Member, Reminder
from storage.reminders import claim_due, keep_claim, plan, release_stuck
from storage.types import utcnow
from tests.databases import (
    POSTGRES_SKIP_REASON,
    POSTGRES_URL,
    TEST_KEY,
    migrated_engine,
    postgres_database,
)

ROOT = Path(__file__).resolve().parent.parent


def owed_reminders(engine: Engine, fake: FakeBotAPI, people: int, count: int) -> list[int]:
    """`count` due reminders spread over `people` workers who all talk to the bot."""
    organisation = ensure_organisation(engine, "Montjoie", OrganisationKind.ASSOCIATION)
    members: list[Member] = []
    for number in range(people):
        user = fake.add_user(first_name=f"Worker{number}")
        fake.start_chat(user)
        invitation = create_invitation(
            engine, role=Role.WORKER, organisation_id=organisation.id, ttl=timedelta(days=1)
        )
        members.append(
            redeem_invitation(
                engine, invitation.token, telegram_id=user.id, display_name=user.first_name
            )[1]
        )
    draft = start_draft(engine, members[0].id, "review")
    draft.answers = {
        "kind": "addiction",
        "danger": "no",
        "consent": "yes",
        "commune": "Le Mans",
        "qpv": "no",
    }
    case, _ = submit_report(engine, draft, members[0], year=2026)
    due = utcnow() - timedelta(minutes=1)
    with session_scope(engine) as session:
        for number in range(count):
            member = members[number % people]
            plan(
                session, f"load:{number}", ReminderKind.STALE_CASE, member.id, due, case_id=case.id
            )
    return [member.telegram_id for member in members]


def statuses(engine: Engine) -> list[ReminderStatus]:
    with session_scope(engine) as session:
        return [reminder.status for reminder in session.exec(select(Reminder))]


async def start_dispatcher(
    fake: FakeBotAPI, database_url: str, *arguments: str, **environment: str
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env |= {
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": fake.token,
        "ENCRYPTION_KEYS": TEST_KEY,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_URL": database_url,
        **environment,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "dispatch", *arguments, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def sent_messages(fake: FakeBotAPI, chats: list[int]) -> int:
    return sum(len(fake.bot_messages(chat)) for chat in chats)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    if not POSTGRES_URL:
        if os.environ.get("RELAIS_REQUIRE_POSTGRES"):
            pytest.fail("RELAIS_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not")
        pytest.skip(POSTGRES_SKIP_REASON)
    with postgres_database() as url:
        yield url


async def test_two_dispatchers_sharing_postgresql_send_each_of_1000_reminders_once(
    fake_api: FakeBotAPI, postgres_url: str
) -> None:
    with migrated_engine(postgres_url) as engine:
        chats = owed_reminders(engine, fake_api, people=20, count=1000)
        first = await start_dispatcher(fake_api, postgres_url, "--once")
        second = await start_dispatcher(fake_api, postgres_url, "--once")
        outputs = await asyncio.wait_for(
            asyncio.gather(first.communicate(), second.communicate()), timeout=300
        )
        assert (first.returncode, second.returncode) == (0, 0), [
            err.decode()[-2000:] for _, err in outputs
        ]

        assert sent_messages(fake_api, chats) == 1000
        assert all(len(fake_api.bot_messages(chat)) == 50 for chat in chats)
        assert set(statuses(engine)) == {ReminderStatus.SENT}


async def test_a_dispatcher_killed_mid_send_loses_nothing_and_repeats_at_most_one(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'relais.sqlite3'}"
    with migrated_engine(url) as engine:
        chats = owed_reminders(engine, fake_api, people=4, count=120)
        fake_api.inject_fault(
            "sendMessage", "timeout", times=10_000, delay=0.03
        )  # a slow Telegram
        crashing = await start_dispatcher(fake_api, url)
        try:
            await fake_api.wait_for(
                lambda: sent_messages(fake_api, chats) >= 40, 60, "40 messages sent"
            )
        finally:  # killed even when the wait fails: no dispatcher outlives its test
            crashing.send_signal(signal.SIGKILL)
            await crashing.wait()
        assert set(statuses(engine)) > {ReminderStatus.SENT}, "killed in the middle"

        await asyncio.sleep(
            1.1
        )  # the dead dispatcher's claims are older than DISPATCH_STUCK_SECONDS
        again = await start_dispatcher(fake_api, url, "--once", DISPATCH_STUCK_SECONDS="1")
        _, stderr = await asyncio.wait_for(again.communicate(), timeout=120)
        assert again.returncode == 0, stderr.decode()[-2000:]

        assert set(statuses(engine)) == {ReminderStatus.SENT}
        assert sent_messages(fake_api, chats) in (120, 121), "nothing lost, at most one duplicate"


def test_a_claim_another_dispatcher_took_back_is_no_longer_this_ones(tmp_path: Path) -> None:
    """A dispatcher whose reminder waited past DISPATCH_STUCK_SECONDS leaves it to the one
    that took it back (keep_claim), instead of both sending it."""
    with migrated_engine(f"sqlite:///{tmp_path / 'relais.sqlite3'}") as engine:
        owed_reminders(engine, FakeBotAPI(), people=1, count=2)
        now = utcnow()
        mine, still_mine = claim_due(engine, now)
        assert keep_claim(engine, still_mine, now)  # nobody else touched it: still mine
        release_stuck(engine, now + timedelta(seconds=1))  # "stuck": released...
        [theirs] = [r for r in claim_due(engine, now) if r.id == mine.id]  # ...and re-claimed
        assert not keep_claim(engine, mine, now)
        assert keep_claim(engine, theirs, now)
