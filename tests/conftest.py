"""Shared fixtures: real databases (SQLite, and PostgreSQL when configured)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.databases import (
    POSTGRES_SKIP_REASON,
    POSTGRES_URL,
    migrated_engine,
    postgres_database,
    sqlite_database,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each storage test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        with sqlite_database(tmp_path) as url:
            yield url
        return
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP_REASON)
    with postgres_database() as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with migrated_engine(database_url) as engine:
        yield engine
