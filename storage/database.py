"""Engines, sessions and schema upgrades, for SQLite and PostgreSQL alike."""

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file's folder is created, and SQLite is made to behave."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            # A folder that cannot be made fails as SQLite's "unable to open database file".
            with suppress(OSError):
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets a backup or a reader run beside the bot.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode, NORMAL syncs at checkpoints rather than at every commit: a crash of the bot
    # loses nothing, a power cut at most the last commits, never the file's consistency
    # (SQLite's own advice for WAL). One answer of the form: 1.99 → 1.79 × the bare bot
    # (benchmarks/intake.py, run alternately on a loaded 2-core machine).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def analyze(engine: Engine) -> None:
    """After a bulk load on PostgreSQL, the planner's statistics at once: until autovacuum
    gets to it, it plans for the empty tables it saw (a case card took 96 ms instead of 28 on
    100,000 cases). SQLite plans without statistics."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer Relais: this code must not touch it."""


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (run at every start); refuse a newer one."""
    config = alembic_config(engine)
    current = schema_revision(engine)
    if current is not None and not _known(config, current):
        raise SchemaTooNew(
            f"The database's schema ({current}) is newer than this Relais knows "
            f"({head_revision(engine)}): install the newer Relais, or restore a backup."
        )
    command.upgrade(config, "head")


def _known(config: Config, revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(config).get_revision(revision) is not None
    except CommandError:
        return False


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
