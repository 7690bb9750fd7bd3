"""What the people who run Relais do from the server's shell: check, back up, migrate.

`python -m bot check` says whether the database, its schema, the encryption key and the
Bot API are fine; `python -m bot backup PATH` copies a SQLite database consistently while the
bot runs (SQLite's online backup); `python -m bot migrate` brings the schema up to date.
"""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot
from telegram.error import TelegramError

from bot.settings import Settings, require_encryption_keys
from storage.crypto import EncryptionKeyError, check_keys, use_keys
from storage.database import head_revision, make_engine, schema_revision


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'ok' if self.ok else 'FAILED':6} {self.name}: {self.detail}"


async def health(settings: Settings) -> list[Check]:
    """Each part, checked without changing anything (no migration, no file created)."""
    return [*_database_checks(settings), await _bot_api_check(settings)]


def _database_checks(settings: Settings) -> list[Check]:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return [Check("database", False, f"no database file at {url.database}")]
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current, head = schema_revision(engine), head_revision(engine)
        checks = [
            Check("database", True, f"{url.get_backend_name()} reachable"),
            Check(
                "schema",
                current == head,
                f"at {current}"
                if current == head
                else f"at {current}, this Relais needs {head} (python -m bot migrate)",
            ),
        ]
        if current == head:
            checks.append(_key_check(settings, engine))
        return checks
    except SQLAlchemyError as error:
        return [Check("database", False, f"unreachable ({type(error).__name__})")]
    finally:
        engine.dispose()


def _key_check(settings: Settings, engine: Engine) -> Check:
    try:
        use_keys(require_encryption_keys(settings))
        check_keys(engine)
    except EncryptionKeyError as error:
        return Check("encryption key", False, str(error))
    return Check("encryption key", True, "reads the database")


async def _bot_api_check(settings: Settings) -> Check:
    if settings.telegram_bot_token is None:
        return Check("Bot API", False, "TELEGRAM_BOT_TOKEN is not set")
    token = settings.telegram_bot_token.get_secret_value()
    try:
        async with Bot(token, base_url=settings.bot_api_base_url) as bot:
            return Check("Bot API", True, f"reachable, the bot is @{bot.username}")
    except TelegramError as error:
        return Check("Bot API", False, f"unreachable ({type(error).__name__})")


class BackupError(RuntimeError):
    """A backup that cannot be made here; the message says what to do instead."""


def backup(settings: Settings, target: Path) -> int:
    """Copy the SQLite database to `target`, consistent even while the bot writes; the
    number of pages copied. Values stay encrypted: keep ENCRYPTION_KEYS to read it."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            "PostgreSQL: use pg_dump --format=custom (README, Operations), not this command."
        )
    source_path = Path(url.database or "")
    if not source_path.is_file():
        raise BackupError(f"No database file at {source_path}.")
    if target.resolve() == source_path.resolve():
        raise BackupError("The backup must go to another file than the database itself.")
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        with copy:
            source.backup(copy)  # one step: a snapshot, whatever the bot writes meanwhile
        pages = copy.execute("PRAGMA page_count").fetchone()[0]
    finally:
        copy.close()
        source.close()
    partial.replace(target)  # the target is either the old backup or the whole new one
    return pages
