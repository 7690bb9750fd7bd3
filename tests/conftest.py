"""Shared fixtures: real databases (SQLite, and PostgreSQL when configured)."""

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from playground.fakebotapi import FakeBotAPI
from tests.databases import (
    POSTGRES_SKIP_REASON,
    POSTGRES_URL,
    migrated_engine,
    postgres_database,
    sqlite_database,
)
from tests.harness import RelaisUnderTest, settings_for


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each storage test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        with sqlite_database(tmp_path) as url:
            yield url
        return
    if not POSTGRES_URL:
        if os.environ.get("RELAIS_REQUIRE_POSTGRES"):
            pytest.fail("RELAIS_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not")
        pytest.skip(POSTGRES_SKIP_REASON)
    with postgres_database() as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with migrated_engine(database_url) as engine:
        yield engine


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def relais(fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[RelaisUnderTest]:
    """Relais on a SQLite file, running against the fake Bot API."""
    bot = RelaisUnderTest(
        fake_api, settings_for(fake_api, f"sqlite:///{tmp_path / 'relais.sqlite3'}")
    )
    await bot.start()
    yield bot
    await bot.stop()


SITES = (
    "name,commune,sector,qpv\nLes Glonnières,Le Mans,Sud,yes\nBellevue,Sablé-sur-Sarthe,Ouest,no\n"
)


@pytest.fixture
async def intake(fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[RelaisUnderTest]:
    """Relais with the landlord's sites and the Montjoie team's group chat."""
    async for relais in _intake(fake_api, tmp_path, f"sqlite:///{tmp_path / 'relais.sqlite3'}"):
        yield relais


@pytest.fixture
async def intake_on(
    fake_api: FakeBotAPI, tmp_path: Path, database_url: str
) -> AsyncIterator[RelaisUnderTest]:
    """The same, on SQLite and on PostgreSQL."""
    async for relais in _intake(fake_api, tmp_path, database_url):
        yield relais


async def _intake(
    fake_api: FakeBotAPI, tmp_path: Path, database_url: str
) -> AsyncIterator[RelaisUnderTest]:
    sites = tmp_path / "sites.csv"
    sites.write_text(SITES, encoding="utf-8")
    team = fake_api.add_group("Équipe Montjoie")
    settings = settings_for(fake_api, database_url, sites_file=sites, alert_chat_id=team.id)
    relais = RelaisUnderTest(fake_api, settings)
    relais.team_chat = team
    await relais.start()
    yield relais
    await relais.stop()
