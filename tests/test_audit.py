"""Who saw or changed a case is written down, never edited, and readable by an admin.

The chain is sealed with a key the database does not hold, and its head is written every
day outside the database: `python -m bot verify-audit` names the first entry edited,
removed, or cut off the end, on SQLite and on PostgreSQL.
"""

import hashlib
import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import Engine, insert, text
from sqlmodel import select

from domain.vocabulary import Role
from storage.audit import (
    chain_head,
    prune_audit,
    record,
    record_now,
    rekey,
    verify_chain,
    write_checkpoint,
)
from storage.crypto import use_keys
from storage.database import alembic_config, make_engine, session_scope
from storage.models import AuditEntry
from tests.databases import TEST_KEY
from tests.harness import RelaisUnderTest
from tests.stories import answer_addiction_report, cases, member
from tests.test_case_follow_up import move, open_card
from tests.test_command_line import run_bot


def actions(intake: RelaisUnderTest, case_id: int) -> list[str]:
    with session_scope(intake.app.engine) as session:
        query = (
            select(AuditEntry.action).where(AuditEntry.case_id == case_id).order_by(AuditEntry.id)
        )
        return list(session.exec(query))


async def test_viewing_changing_and_inviting_are_audited_and_an_admin_reads_the_journal(
    intake: RelaisUnderTest,
) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    nadia = await member(intake, "Nadia", Role.ADMIN)
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    [case] = cases(intake)
    await ines.tap("Voir")
    await ines.tap("Je prends")
    await open_card(ines, case.reference)
    await move(ines, "diagnostic")
    await ines.tap("Ajouter une note")
    await ines.send("Premier contact au domicile, madame D. inquiète.")

    assert actions(intake, case.id) == [
        "case.created",
        "case.details_viewed",
        "case.taken",
        "case.viewed",
        "case.status",
        "case.viewed",
        "case.note",
        "case.viewed",
    ]
    with session_scope(intake.app.engine) as session:
        details = [entry.detail or "" for entry in session.exec(select(AuditEntry))]
    assert "received -> diagnostic" in details
    assert not any("madame" in detail or "Karim" in detail for detail in details), (
        "no personal value"
    )

    await nadia.send(f"/journal {case.reference.lower()}")
    assert nadia.last_text.startswith(
        f"Journal du dossier {case.reference} (le plus récent d'abord) :"
    )
    assert "Inès — statut (reçu → diagnostic)" in nadia.last_text
    assert "Inès — note" in nadia.last_text
    await ines.send(f"/journal {case.reference}")
    assert ines.last_text.startswith("Cette action n'est pas ouverte à votre rôle.")
    with session_scope(intake.app.engine) as session:
        invites = session.exec(
            select(AuditEntry).where(AuditEntry.action == "invite.created")
        ).all()
    assert len(invites) == 3, "one per member enrolled"


async def test_an_edited_or_deleted_audit_row_breaks_the_chain(intake: RelaisUnderTest) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    await ines.tap("Je prends")
    engine = intake.app.engine
    assert verify_chain(engine) is None
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET detail = 'nothing happened' WHERE id = 3"))
    assert verify_chain(engine).entry_id == 3
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE id = 3"))
    assert verify_chain(engine).entry_id == 4


# 2 March 2026, 09:00 UTC: 10:00 in Paris (TIMEZONE's default), where verify-audit tells times.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
INTACT = "ok     audit trail: intact, "


def a_trail(engine: Engine, entries: int = 5, first: datetime = T0) -> None:
    """Entries 1, 2, 3… an hour apart from `first` (ids as a fresh database gives them)."""
    with session_scope(engine) as session:
        for hour in range(entries):
            record(session, "case.viewed", first + timedelta(hours=hour), detail=f"view {hour}")


def checkpoint(engine: Engine, path: Path) -> None:
    """What the daily job does (test_the_daily_job_... runs the job itself)."""
    write_checkpoint(path, chain_head(engine), T0 + timedelta(days=1))


def verify_audit(
    database_url: str, tmp_path: Path, keys: str = TEST_KEY, *, default_file: bool = False
) -> tuple[int, str]:
    """`python -m bot verify-audit` as an operator runs it: its exit status and its one line."""
    checkpoints = (
        {} if default_file else {"AUDIT_CHECKPOINT_FILE": str(tmp_path / "checkpoints.jsonl")}
    )
    result = run_bot(
        "verify-audit", cwd=tmp_path, DATABASE_URL=database_url, ENCRYPTION_KEYS=keys,
        **checkpoints,
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    [line] = result.stdout.strip().splitlines()
    return result.returncode, line


def reseal_with_plain_sha256(engine: Engine, first_id: int) -> None:
    """What an attacker who can write the database does after editing an entry: recompute
    the chain from it on as the code once did (SHA-256 of the previous hash and the fields)."""
    with session_scope(engine) as session:
        entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
        previous = next(entry.hash for entry in entries if entry.id == first_id - 1)
        for entry in entries[first_id - 1 :]:
            fields = (previous, entry.at.isoformat(), entry.member_id, entry.action,
                      entry.case_id, entry.detail)  # fmt: skip
            entry.previous_hash = previous
            entry.hash = hashlib.sha256("|".join(map(str, fields)).encode()).hexdigest()
            session.add(entry)
            previous = entry.hash


def test_an_edited_entry_is_named_even_when_the_chain_is_recomputed_with_sha256(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    a_trail(engine)
    checkpoint(engine, tmp_path / "checkpoints.jsonl")
    assert verify_audit(database_url, tmp_path) == (
        0,
        INTACT + "the newest entry is 5 (2026-03-02T14:00:00+01:00), 5 entries since the "
        f"chain began; 1 checkpoint(s) of {tmp_path / 'checkpoints.jsonl'} hold",
    )
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET detail = 'nothing' WHERE id = 3"))
    reseal_with_plain_sha256(engine, 3)
    assert verify_audit(database_url, tmp_path) == (
        1,
        "FAILED audit trail: BROKEN at entry 3 (2026-03-02T12:00:00+01:00): it was changed",
    )


def test_the_newest_entries_deleted_are_named_by_the_checkpoint(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    a_trail(engine)
    checkpoint(engine, tmp_path / "checkpoints.jsonl")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE id >= 4"))
    assert verify_audit(database_url, tmp_path) == (
        1,
        "FAILED audit trail: BROKEN at entry 5 (2026-03-02T14:00:00+01:00): missing: the chain "
        "ends at entry 3 after 3 entries, a checkpoint counted 5",
    )
    # The bot goes on writing: the chain grows past the checkpoint's count again, but
    # another entry stands where the checkpoint's head was (SQLite even reuses its id).
    a_trail(engine, entries=3, first=T0 + timedelta(days=2))
    assert verify_audit(database_url, tmp_path) == (
        1,
        "FAILED audit trail: BROKEN at entry 5 (2026-03-02T14:00:00+01:00): replaced: another "
        "entry holds its place in the chain",
    )


def test_a_middle_entry_deleted_is_named_by_the_entry_after_it(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    a_trail(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE id = 3"))
    assert verify_audit(database_url, tmp_path) == (
        1,
        "FAILED audit trail: BROKEN at entry 4 (2026-03-02T13:00:00+01:00): the entry before "
        "it was removed or changed",
    )


def test_after_rotate_key_the_trail_verifies_with_the_new_key_alone(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    old, new = TEST_KEY, Fernet.generate_key().decode()
    a_trail(engine, entries=3)
    checkpoint(engine, tmp_path / "checkpoints.jsonl")
    use_keys([new, old])  # the bot restarted with ENCRYPTION_KEYS=<new>,<old> writes on
    a_trail(engine, entries=2, first=T0 + timedelta(hours=3))
    assert verify_audit(database_url, tmp_path, f"{new},{old}")[0] == 0, "either key seals"

    result = run_bot(
        "rotate-key", cwd=tmp_path, DATABASE_URL=database_url, ENCRYPTION_KEYS=f"{new},{old}",
        AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints.jsonl"),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[1] == (
        "ok     audit trail: 5 entries re-keyed, a checkpoint appended to "
        f"{tmp_path / 'checkpoints.jsonl'}"
    )
    code, line = verify_audit(database_url, tmp_path, new)
    assert code == 0
    assert line.startswith(INTACT + "the newest entry is 6 ("), "the re-key is in the trail"
    assert line.endswith(
        f"), 6 entries since the chain began; 2 checkpoint(s) of {tmp_path / 'checkpoints.jsonl'} hold"
    )
    with session_scope(engine) as session:
        rekeyed = session.exec(select(AuditEntry).where(AuditEntry.id == 6)).one()
    assert (rekeyed.action, rekeyed.detail) == ("audit.rekeyed", "from=key; rekeyed=5")
    use_keys([TEST_KEY])


def test_an_entry_written_while_the_chain_is_re_keyed_follows_the_re_keyed_chain(
    engine: Engine,
) -> None:
    """rotate-key while the bot runs: the bot's next entry waits for the re-key, then chains
    to the re-keyed head (not to the head it would have read before)."""
    a_trail(engine, entries=3)
    meanwhile = threading.Thread(target=record_now, args=(engine, "case.viewed", T0 + DAY))
    with engine.begin() as connection:
        rekey(connection, T0 + DAY)
        meanwhile.start()
        time.sleep(0.5)  # time for the bot's write to reach the chain's lock, and wait there
    meanwhile.join(timeout=30)
    assert not meanwhile.is_alive()
    assert len(trail_of(engine)) == 5
    assert verify_chain(engine) is None


def test_rotate_key_leaves_a_broken_trail_as_it_is(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    a_trail(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET action = 'edited' WHERE id = 2"))
    new = Fernet.generate_key().decode()
    result = run_bot(
        "rotate-key", cwd=tmp_path, DATABASE_URL=database_url, ENCRYPTION_KEYS=f"{new},{TEST_KEY}",
        AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints.jsonl"),
    )  # fmt: skip
    assert result.returncode == 1
    assert "rows re-encrypted" in result.stdout, "the values are re-encrypted all the same"
    assert result.stdout.splitlines()[1] == (
        "FAILED audit trail: not re-keyed, keep the old key to check it: BROKEN at entry 2 "
        "(2026-03-02T11:00:00+01:00): it was changed"
    )
    assert verify_audit(database_url, tmp_path, f"{new},{TEST_KEY}")[1].startswith(
        "FAILED audit trail: BROKEN at entry 2 "
    )


def test_after_a_prune_the_trail_and_its_checkpoints_still_verify(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "checkpoints.jsonl"
    a_trail(engine, entries=2, first=T0 - timedelta(days=400))  # entries 1 and 2
    checkpoint(engine, path)  # its head goes with the prune
    a_trail(engine, entries=2, first=T0 - timedelta(days=10))  # 3 and 4
    checkpoint(engine, path)
    assert prune_audit(engine, T0 - timedelta(days=365), T0) == 2  # 5 says so
    a_trail(engine, entries=1, first=T0 + timedelta(hours=1))  # 6
    checkpoint(engine, path)
    assert verify_audit(database_url, tmp_path) == (
        0,
        INTACT + "the newest entry is 6 (2026-03-02T11:00:00+01:00), 6 entries since the "
        f"chain began; 3 checkpoint(s) of {path} hold",
    )
    with engine.begin() as connection:  # the count goes on across the prune
        connection.execute(text("DELETE FROM audit_entry WHERE id = 6"))
    assert verify_audit(database_url, tmp_path) == (
        1,
        "FAILED audit trail: BROKEN at entry 6 (2026-03-02T11:00:00+01:00): missing: the chain "
        "ends at entry 5 after 5 entries, a checkpoint counted 6",
    )


FIXTURE = Path(__file__).parent / "fixtures" / "audit_trail_sha256.json"


def a_database_of_the_sha256_days(database_url: str, **edits: object) -> list[dict]:
    """A database at revision 0008 holding the trail the code of that time wrote (the
    fixture's rows, as it stored them), with `edits` made to entry 5 afterwards."""
    rows = [
        row | {"at": datetime.fromisoformat(row["at"])} | (edits if row["id"] == 5 else {})
        for row in json.loads(FIXTURE.read_text(encoding="utf-8"))["rows"]
    ]
    use_keys([TEST_KEY])
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0008")
    with engine.begin() as connection:
        connection.execute(insert(AuditEntry), rows)
        if connection.dialect.name == "postgresql":  # its sequence went on with the ids
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('audit_entry', 'id'), 8)")
            )
    engine.dispose()
    return rows


def trail(database_url: str) -> list[AuditEntry]:
    engine = make_engine(database_url)
    entries = trail_of(engine)
    engine.dispose()
    return entries


def trail_of(engine: Engine) -> list[AuditEntry]:
    with session_scope(engine) as session:
        return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))


def migrate(database_url: str, tmp_path: Path) -> None:
    result = run_bot("migrate", cwd=tmp_path, DATABASE_URL=database_url, ENCRYPTION_KEYS=TEST_KEY)
    assert result.returncode == 0, result.stderr


def test_an_old_sha256_trail_is_verified_as_it_was_then_keyed_once(
    database_url: str, tmp_path: Path
) -> None:
    old = a_database_of_the_sha256_days(database_url)
    assert verify_audit(database_url, tmp_path) == (
        1,
        "FAILED schema: at 0008, this Relais needs 0015 (python -m bot migrate)",
    )
    migrate(database_url, tmp_path)
    code, line = verify_audit(database_url, tmp_path)
    assert code == 0
    # 6 entries and the re-key (the prune of that time did not count the 2 it removed).
    assert line.startswith(INTACT + "the newest entry is 9 (")
    assert ", 7 entries since the chain began; no checkpoint in " in line
    entries = trail(database_url)
    assert [entry.action for entry in entries][-1] == "audit.rekeyed"
    assert entries[-1].detail == "from=sha256; rekeyed=6"
    assert {entry.hash for entry in entries}.isdisjoint(row["hash"] for row in old), "keyed"

    migrate(database_url, tmp_path)
    assert [entry.action for entry in trail(database_url)].count("audit.rekeyed") == 1, "once"
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET detail = NULL WHERE id = 5"))
    reseal_with_plain_sha256(engine, 5)
    engine.dispose()
    assert verify_audit(database_url, tmp_path) == (
        1,
        "FAILED audit trail: BROKEN at entry 5 (2026-02-20T10:00:00+01:00): it was changed",
    )


def test_an_old_trail_already_broken_stays_broken_at_the_same_entry(
    database_url: str, tmp_path: Path
) -> None:
    a_database_of_the_sha256_days(database_url, detail="nothing happened")
    migrate(database_url, tmp_path)
    assert verify_audit(database_url, tmp_path) == (
        1,
        "FAILED audit trail: BROKEN at entry 5 (2026-02-20T10:00:00+01:00): it was changed",
    )
    assert trail(database_url)[-1].detail == "from=sha256; rekeyed=2; broken=5"


async def test_the_daily_job_writes_the_head_beside_the_database_and_logs_it(
    intake: RelaisUnderTest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    caplog.set_level(logging.INFO, logger="bot.operations")
    await intake.run_job("audit_checkpoint")

    [newest, *_] = trail(intake.settings.database_url)[::-1]
    count = len(trail(intake.settings.database_url))
    [line] = (tmp_path / "relais.sqlite3.audit-checkpoints.jsonl").read_text().splitlines()
    saved = json.loads(line)
    assert (saved["entry"], saved["hash"], saved["count"]) == (newest.id, newest.hash, count)
    assert [entry.getMessage() for entry in caplog.records if entry.name == "bot.operations"] == [
        f"Audit trail: newest entry {newest.id}, {count} entries since the chain began, "
        f"hash {newest.hash}"
    ]
    assert "Karim" not in caplog.text
    code, line = verify_audit(intake.settings.database_url, tmp_path, default_file=True)
    assert code == 0
    assert line.endswith(
        f"; 1 checkpoint(s) of {tmp_path / 'relais.sqlite3.audit-checkpoints.jsonl'} hold"
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unreadable_checkpoint_or_a_wrong_key_is_said_in_one_line(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "checkpoints.jsonl"
    a_trail(engine)
    checkpoint(engine, path)
    with path.open("a") as checkpoints:
        checkpoints.write("entry 5, I promise\n")
    assert verify_audit(database_url, tmp_path) == (
        1,
        f"FAILED audit trail: line 2 of {path} is not a checkpoint",
    )
    assert verify_audit(database_url, tmp_path, Fernet.generate_key().decode()) == (
        1,
        "FAILED encryption key: ENCRYPTION_KEYS cannot read this database (wrong key?)",
    )
