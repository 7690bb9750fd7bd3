"""Real test databases: a SQLite file per test, or a fresh schema on the PostgreSQL server
named by TEST_DATABASE_URL (for example postgresql://postgres@127.0.0.1:5432/test)."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from storage.crypto import use_keys
from storage.database import make_engine, upgrade

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
# The tests' encryption key (storage.crypto); a real deployment makes its own.
TEST_KEY = "Wq2HcNkbsK1L0xwBv9Q2OdC1n4d2n0Jz6m5WfQk3p8A="
POSTGRES_SKIP_REASON = (
    "PostgreSQL not configured: set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test"
)


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / 'relais-test.sqlite3'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A URL whose connections live in a new, empty schema, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def migrated_engine(url: str) -> Iterator[Engine]:
    use_keys([TEST_KEY])
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
