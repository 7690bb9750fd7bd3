"""The database alone reveals nobody: personal values are encrypted at rest."""

import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session

from domain.vocabulary import Role
from storage.crypto import CANARY, EncryptionKeyError, check_keys, use_keys
from storage.database import alembic_config, make_engine, upgrade
from storage.invitations import create_invitation, redeem_invitation
from storage.members import find_member
from storage.models import KeyCheck
from tests.databases import TEST_KEY
from tests.harness import RelaisUnderTest
from tests.stories import VIOLENCE, member
from tests.test_command_line import run_bot

PERSONAL = ("Amina", "Karim-Benali", "+33698765432", "06 98 76 54 32", "Centre social des Sablons",
            "Voisine inquiète", "Premier contact au domicile")  # fmt: skip


async def test_after_a_whole_story_the_database_holds_none_of_the_personal_values(
    intake_on: RelaisUnderTest,
) -> None:
    """Read raw: the SQLite file's bytes, or every PostgreSQL row as text."""
    intake = intake_on
    worker = await member(intake, "Inès", Role.WORKER)
    siao = await member(intake, "Karim-Benali", Role.SIAO)
    await siao.send("/signaler")
    await siao.tap(VIOLENCE)
    await siao.tap("Non")
    for answer in ("Amina", "1", "2", "Le Mans"):
        await siao.send(answer)
    await siao.tap("Oui")
    await siao.tap("Oui")
    await siao.send("06 98 76 54 32")
    await siao.tap("Matin")
    await siao.tap("Valider")
    await siao.tap("Hébergement d'urgence")
    await siao.tap("Salaire")
    await siao.tap("Valider")
    await siao.tap("Non")
    await siao.tap("Passer")
    await siao.send("Voisine inquiète depuis des semaines.")
    await siao.tap("Envoyer")
    await worker.tap("Je prends")
    await worker.send("/dossiers")
    await worker.tap(next(label for label in worker.buttons() if label.startswith("R-")))
    await worker.tap("Ajouter une note")
    await worker.send("Premier contact au domicile, tout va bien.")
    await worker.tap("Rendez-vous")
    await worker.tap("Nouveau rendez-vous")
    await worker.tap("suivi")
    await worker.send("demain 10h")
    await worker.send("Centre social des Sablons")
    await worker.tap("Valider")
    await worker.tap("Enregistrer")
    assert "Prochain rendez-vous" in worker.last_text

    raw = raw_database(intake.app.engine, intake.settings.database_url)
    for value in PERSONAL:
        assert value.encode() not in raw, value
    assert b"Le Mans" in raw, "the commune stays readable for the figures"


def raw_database(engine: Engine, url: str) -> bytes:
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        with sqlite3.connect(database) as connection:
            connection.execute("PRAGMA wal_checkpoint(FULL)")
        return b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        rows = [
            str(row[0])
            for table in tables
            for row in connection.execute(text(f'SELECT t::text FROM "{table}" t'))
        ]
    return "\n".join(rows).encode()


def test_without_a_key_the_bot_refuses_to_start_in_one_line(tmp_path: Path) -> None:
    result = run_bot(cwd=tmp_path, TELEGRAM_BOT_TOKEN="1:x")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("ENCRYPTION_KEYS is not set: create a key with `python -m bot new-key`")


def test_with_the_wrong_key_the_bot_refuses_to_start_and_writes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'relais.sqlite3'}"
    use_keys([TEST_KEY])
    engine = make_engine(url)
    upgrade(engine)
    check_keys(engine)
    result = run_bot("rotate-key", cwd=tmp_path, DATABASE_URL=url, TELEGRAM_BOT_TOKEN="1:x",
                     ENCRYPTION_KEYS=Fernet.generate_key().decode())  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ENCRYPTION_KEYS cannot read this database (wrong key?)"
    ]
    malformed = run_bot(
        cwd=tmp_path, DATABASE_URL=url, TELEGRAM_BOT_TOKEN="1:x", ENCRYPTION_KEYS="not-a-key"
    )
    assert malformed.returncode == 2
    assert "malformed key" in malformed.stderr


def test_rotate_key_reencrypts_with_the_new_key_while_the_old_one_still_reads(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'relais.sqlite3'}"
    old, new = TEST_KEY, Fernet.generate_key().decode()
    use_keys([old])
    engine = make_engine(url)
    upgrade(engine)
    check_keys(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (name, kind, created_at) VALUES ('O', 'other', '2026-01-01')"
            )
        )

    from storage.models import Role

    invitation = create_invitation(
        engine, role=Role.WORKER, organisation_id=1, ttl=timedelta(days=1)
    )
    redeem_invitation(engine, invitation.token, telegram_id=7, display_name="Inès Martin")

    result = run_bot("rotate-key", cwd=tmp_path, DATABASE_URL=url, TELEGRAM_BOT_TOKEN="1:x",
                     ENCRYPTION_KEYS=f"{new},{old}")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "rows re-encrypted" in result.stdout
    use_keys([new])
    assert find_member(engine, 7).display_name == "Inès Martin", "readable with the new key alone"
    use_keys([old])
    with pytest.raises(EncryptionKeyError):
        find_member(engine, 7)
    use_keys([TEST_KEY])


def test_the_upgrade_encrypts_what_an_older_database_held_in_clear(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'relais.sqlite3'}"
    use_keys([TEST_KEY])
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0006")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (name, kind, created_at) VALUES ('O', 'other', '2026-01-01')"
            )
        )
        connection.execute(text(
            "INSERT INTO member (telegram_id, display_name, role, organisation_id, active, created_at) "
            "VALUES (9, 'Sophie Durand', 'worker', 1, 1, '2026-01-01')"
        ))  # fmt: skip
    upgrade(engine)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT display_name FROM member")).scalar_one()
    assert "Sophie" not in stored
    assert find_member(engine, 9).display_name == "Sophie Durand"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_processes_starting_on_a_new_database_both_accept_the_key(database_url: str) -> None:
    """The bot and a dispatcher started together both write the known value: the one whose
    write waits behind the other's reads it then, instead of failing."""
    use_keys([TEST_KEY])
    engine = make_engine(database_url)
    upgrade(engine)
    failures: list[BaseException] = []

    def second_process() -> None:
        try:
            check_keys(engine)
        except BaseException as error:
            failures.append(error)

    try:
        with Session(engine) as first, first.begin():
            first.add(KeyCheck(id=1, value=CANARY))
            first.flush()  # written, not yet committed: the second one's insert waits
            waiting = threading.Thread(target=second_process)
            waiting.start()
            time.sleep(0.5)
        waiting.join(timeout=120)
        assert not waiting.is_alive()
        assert failures == []
    finally:
        engine.dispose()
