"""What the people who run Relais do from the server's shell: check, back up, migrate.

`python -m bot check` says whether the database, its schema, the encryption key and the
Bot API are fine; `python -m bot backup PATH` copies a SQLite database consistently while the
bot runs (SQLite's online backup); `python -m bot migrate` brings the schema up to date;
`python -m bot verify-audit` checks the audit trail against its checkpoints, which the bot
writes every day (`checkpoint_audit`) outside the database.
"""

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot
from telegram.error import TelegramError

from bot.context import RelaisContext
from bot.settings import Settings, require_encryption_keys
from storage.audit import (
    CheckpointFileError,
    chain_head,
    read_checkpoints,
    rekey,
    verify_trail,
    write_checkpoint,
)
from storage.crypto import EncryptionKeyError, check_keys, use_keys
from storage.database import head_revision, make_engine, schema_revision

logger = logging.getLogger(__name__)
AUDIT = "audit trail"


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


def verify_audit(settings: Settings) -> Check:
    """The audit trail, entry by entry, and against every checkpoint, changing nothing: the
    first broken entry if any (python -m bot verify-audit)."""
    failed = [check for check in _database_checks(settings) if not check.ok]
    if failed:
        return failed[0]  # no database, an old schema or a wrong key: say that, not "broken"
    engine = make_engine(settings.database_url)
    try:
        return _trail_check(engine, settings)
    except SQLAlchemyError as error:
        return Check("database", False, f"unreachable ({type(error).__name__})")
    finally:
        engine.dispose()


def _trail_check(engine: Engine, settings: Settings) -> Check:
    path = settings.audit_checkpoints
    try:
        checkpoints = read_checkpoints(path)
    except CheckpointFileError as error:
        return Check(AUDIT, False, str(error))
    verdict = verify_trail(engine, checkpoints)
    if verdict.broken is not None:
        broken = verdict.broken
        when = _local(broken.at, settings)
        return Check(AUDIT, False, f"BROKEN at entry {broken.entry_id} ({when}): {broken.why}")
    held = (
        f"{verdict.checkpoints} checkpoint(s) of {path} hold"
        if verdict.checkpoints
        else f"no checkpoint in {path} yet"
    )
    if verdict.head is None:
        return Check(AUDIT, True, f"intact, no entry yet; {held}")
    head = verdict.head
    return Check(
        AUDIT,
        True,
        f"intact, the newest entry is {head.entry_id} ({_local(head.at, settings)}), "
        f"{head.count} entries since the chain began; {held}",
    )


def _local(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.zone).isoformat(timespec="seconds")


def rekey_audit(engine: Engine, settings: Settings, now: datetime) -> Check:
    """rotate-key's audit half: once the trail verifies (under the configured keys, and
    against the checkpoints), seal it again with the newest key, so that the old key can go,
    and write a checkpoint of the re-keyed chain. A broken trail is left as it is: re-keying
    it would hide the break, and the old key is still needed to check it."""
    check = _trail_check(engine, settings)
    if not check.ok:
        return Check(AUDIT, False, f"not re-keyed, keep the old key to check it: {check.detail}")
    with engine.begin() as connection:
        rekeyed = rekey(connection, now)
    path = settings.audit_checkpoints
    head = chain_head(engine)
    try:
        if head is not None:
            write_checkpoint(path, head, now)
    except OSError as error:
        return Check(
            AUDIT, False, f"re-keyed, but no checkpoint written to {path}: {error.strerror}"
        )
    return Check(AUDIT, True, f"{rekeyed} entries re-keyed, a checkpoint appended to {path}")


async def checkpoint_audit(context: RelaisContext) -> None:
    """The daily job: the chain's head, logged and appended to the checkpoint file, so that a
    chain cut short later is caught (verify_audit). Ids, counts and hashes name nobody."""
    application = context.relais
    head = chain_head(application.engine)
    if head is None:
        return
    path = application.settings.audit_checkpoints
    logger.info(
        "Audit trail: newest entry %d, %d entries since the chain began, hash %s",
        head.entry_id,
        head.count,
        head.hash,
    )
    try:
        write_checkpoint(path, head, application.now())
    except OSError as error:
        logger.error("Audit checkpoint not written to %s: %s", path, error.strerror)
