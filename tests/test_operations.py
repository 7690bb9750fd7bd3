"""Running Relais in production: webhook mode, `check`, `backup` while the bot writes,
`migrate`, a database newer than the code, and one log line per update."""

import asyncio
import json
import logging
import os
import socket
import sqlite3
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from telegram import Update

from bot.app import build_application
from bot.settings import webhook_options
from bot.update_log import JsonLines
from domain.vocabulary import Role
from playground.fakebotapi import FakeBotAPI
from storage.audit import verify_chain
from storage.crypto import check_keys, use_keys
from storage.database import make_engine, upgrade
from tests.databases import TEST_KEY
from tests.harness import Person, RelaisUnderTest, settings_for
from tests.stories import cases, enroll, member, report_a_violence_victim_in_danger
from tests.test_command_line import ROOT, run_bot

STRANGER = "Bonjour ! Relais est réservé"
SECRET = "s3cret-Token_for_tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def run_bot_async(*arguments: str, cwd: Path, **environment: str) -> tuple[int, str, str]:
    """`python -m bot …` beside the test's event loop (the fake Bot API keeps answering)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *arguments, cwd=cwd,
        env=env | {"PYTHONPATH": str(ROOT), **environment},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, out.decode(), err.decode()


async def test_in_webhook_mode_only_updates_carrying_the_secret_are_handled(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    port = free_port()
    settings = settings_for(
        fake_api,
        f"sqlite:///{tmp_path / 'relais.sqlite3'}",
        webhook_url="https://relais.example.org/telegram",
        webhook_secret=SECRET,
        webhook_port=port,
    )
    application = build_application(settings)
    await application.initialize()
    await application.updater.start_webhook(
        **webhook_options(settings), allowed_updates=Update.ALL_TYPES
    )
    await application.start()
    try:
        assert fake_api.webhook_url == "https://relais.example.org/telegram"
        assert fake_api.webhook_secret_token == SECRET, "the secret was given to Telegram"
        nina = fake_api.add_user("Nina")
        fake_api.send_text(nina, "/aide")
        address = f"http://127.0.0.1:{port}/telegram"

        assert await fake_api.deliver_to_webhook(address, "not-the-secret") == [403]
        assert await fake_api.deliver_to_webhook(address, None) == [403]
        await asyncio.sleep(0.2)
        assert fake_api.last_bot_message(nina) is None, "a forged update is not handled"

        assert await fake_api.deliver_to_webhook(address, SECRET) == [200]
        await fake_api.wait_for(lambda: fake_api.last_bot_message(nina) is not None)
        assert fake_api.last_bot_message(nina).text.startswith(STRANGER)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        application.engine.dispose()


def test_webhook_mode_without_its_settings_says_what_is_missing(tmp_path: Path) -> None:
    result = run_bot("--webhook", cwd=tmp_path, TELEGRAM_BOT_TOKEN="1:x", ENCRYPTION_KEYS=TEST_KEY)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "--webhook needs WEBHOOK_URL (https://…) and WEBHOOK_SECRET (README, Operations)."
    ]


async def test_check_says_what_is_fine_and_what_is_not(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'relais.sqlite3'}"
    environment = {"DATABASE_URL": url, "ENCRYPTION_KEYS": TEST_KEY,
                   "TELEGRAM_BOT_TOKEN": fake_api.token,
                   "TELEGRAM_API_BASE_URL": fake_api.base_url}  # fmt: skip
    code, out, _err = await run_bot_async("check", cwd=tmp_path, **environment)
    assert code == 1
    assert out.splitlines()[0].startswith("FAILED database: no database file at")
    assert not (tmp_path / "relais.sqlite3").exists(), "check creates nothing"

    code, out, _err = await run_bot_async("migrate", cwd=tmp_path, **environment)
    assert (code, out.strip()) == (0, "The database's schema is at 0015.")
    code, out, _err = await run_bot_async("check", cwd=tmp_path, **environment)
    assert code == 0, out
    assert out.splitlines() == [
        "ok     database: sqlite reachable",
        "ok     schema: at 0015",
        "ok     encryption key: reads the database",
        "ok     Bot API: reachable, the bot is @relais_test_bot",
    ]

    await fake_api.stop()
    code, out, _err = await run_bot_async("check", cwd=tmp_path, **environment)
    assert code == 1
    assert out.splitlines()[-1].startswith("FAILED Bot API: unreachable (")


@pytest.mark.parametrize("bot_api", ["out of reach", "refusing the token"])
async def test_an_invitation_made_without_the_bot_api_is_printed_to_complete_and_works(
    fake_api: FakeBotAPI, tmp_path: Path, bot_api: str
) -> None:
    url = f"sqlite:///{tmp_path / 'relais.sqlite3'}"
    if bot_api == "out of reach":
        address, token, status = f"http://127.0.0.1:{free_port()}/bot", fake_api.token, 1
        problem = f"The Bot API at {address} cannot be reached (NetworkError: "
    else:
        address, token, status = fake_api.base_url, "123456:NOT-THE-TOKEN", 2
        problem = (
            f"The Bot API at {address} refused the bot's token: check TELEGRAM_BOT_TOKEN "
            "(@BotFather, /token) and TELEGRAM_API_BASE_URL."
        )
    code, out, err = await run_bot_async(
        "invite", "--role", "admin", "--org", "Sarthe Habitat", cwd=tmp_path,
        DATABASE_URL=url, ENCRYPTION_KEYS=TEST_KEY, TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=address, TIMEZONE="Europe/Paris", INVITE_TTL_DAYS="7",
    )  # fmt: skip
    assert code == status
    assert "Traceback" not in err
    assert "NOT-THE-TOKEN" not in err + out
    what_failed, usable = err.strip().splitlines()
    assert what_failed.startswith(problem)
    if bot_api == "out of reach":
        assert what_failed.endswith("check the server's network and TELEGRAM_API_BASE_URL.")
    assert usable.startswith("The invitation is created and usable once, until ")
    assert usable.endswith(
        " (Europe/Paris): put your bot's username in the link below, "
        "or send /start followed by the token to the bot."
    )
    link, invitation = out.splitlines()
    assert link == f"https://t.me/<your bot's username>?start={invitation}"

    relais = RelaisUnderTest(fake_api, settings_for(fake_api, url))
    await relais.start()
    try:
        nadia = relais.person("Nadia")
        await nadia.send(f"/start {invitation}")
        assert "Bienvenue dans Relais, Nadia" in nadia.last_text
        assert "coordination (Sarthe Habitat)" in nadia.last_text
    finally:
        await relais.stop()


async def test_a_bot_started_with_a_token_telegram_refuses_says_so_and_exits_2(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    code, _out, err = await run_bot_async(
        cwd=tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'relais.sqlite3'}",
        ENCRYPTION_KEYS=TEST_KEY, TELEGRAM_BOT_TOKEN="123456:NOT-THE-TOKEN",
        TELEGRAM_API_BASE_URL=fake_api.base_url,
    )  # fmt: skip
    assert code == 2, "systemd does not try a refused token again"
    assert "Traceback" not in err
    assert "NOT-THE-TOKEN" not in err
    assert err.strip().splitlines()[-1] == (
        f"The Bot API at {fake_api.base_url} refused the bot's token: check TELEGRAM_BOT_TOKEN "
        "(@BotFather, /token) and TELEGRAM_API_BASE_URL."
    )


def test_a_database_newer_than_the_code_is_refused_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'relais.sqlite3'}"
    use_keys([TEST_KEY])
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    result = run_bot(cwd=tmp_path, DATABASE_URL=url, TELEGRAM_BOT_TOKEN="1:x",
                     ENCRYPTION_KEYS=TEST_KEY)  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("The database's schema (0099) is newer than this Relais knows (0015)")


async def test_a_backup_taken_while_the_bot_writes_is_whole_and_readable(
    relais: RelaisUnderTest, tmp_path: Path
) -> None:
    database = relais.settings.database_url
    backups = tmp_path / "backups"
    backups.mkdir()

    backups_done = asyncio.Event()
    arrived = 0

    async def newcomers_keep_arriving() -> None:
        nonlocal arrived
        while not backups_done.is_set():
            await enroll(relais, relais.person(f"Personne{arrived}"), Role.CORRESPONDENT)
            arrived += 1

    writing = asyncio.create_task(newcomers_keep_arriving())
    for taken in range(3):
        target = backups / f"relais-{taken}.sqlite3"
        code, out, err = await run_bot_async(
            "backup", str(target), cwd=tmp_path, DATABASE_URL=database, ENCRYPTION_KEYS=TEST_KEY
        )
        assert code == 0, err
        assert out.startswith(f"Backup written to {target}")
    backups_done.set()
    await writing
    assert arrived >= 3, "the bot was writing while the backups were taken"

    for copy in backups.glob("*.sqlite3"):
        with sqlite3.connect(copy) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        engine = make_engine(f"sqlite:///{copy}")
        check_keys(engine)  # encrypted as the database was, readable with the same key
        with engine.connect() as connection:
            members = connection.execute(text("SELECT COUNT(*) FROM member")).scalar_one()
            assert 0 <= members <= arrived
        engine.dispose()
    assert not list(backups.glob("*.partial")), "no half-written backup is left"


def test_backup_of_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    result = run_bot("backup", str(tmp_path / "x"), cwd=tmp_path,
                     DATABASE_URL="postgresql://nobody@127.0.0.1:1/none", ENCRYPTION_KEYS=TEST_KEY)  # fmt: skip
    assert result.returncode == 2
    assert "pg_dump" in result.stderr


async def test_each_update_gets_one_log_line_without_what_was_typed(
    relais: RelaisUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="relais.updates")
    ines = await member(relais, "Inès", Role.WORKER)
    stranger = relais.person("Nina")
    caplog.clear()
    await ines.send("/aide")
    await ines.send("06 12 34 56 78")
    await stranger.send("/dossiers")
    lines = [record for record in caplog.records if record.name == "relais.updates"]
    assert [(line.handler, line.outcome) for line in lines] == [
        ("command aide", "ok"),
        ("message", "ok"),
        ("command dossiers", "refused"),
    ]
    assert all(isinstance(line.ms, int) and line.update_id > 0 for line in lines)
    assert "06 12" not in caplog.text
    as_json = json.loads(JsonLines().format(lines[0]))
    assert as_json["handler"] == "command aide"
    assert as_json["outcome"] == "ok"
    assert set(as_json) >= {"time", "level", "logger", "message", "update_id", "ms"}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_sqlite_database_moves_to_postgresql_and_the_bot_goes_on_there(
    fake_api: FakeBotAPI, tmp_path: Path, database_url: str
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'relais.sqlite3'}"
    on_sqlite = RelaisUnderTest(fake_api, settings_for(fake_api, sqlite_url))
    await on_sqlite.start()
    ines = await member(on_sqlite, "Inès", Role.WORKER)
    gendarme = await member(on_sqlite, "Adjudant Morel", Role.GENDARMERIE)
    await report_a_violence_victim_in_danger(gendarme)
    await ines.tap("Je prends")
    [reference] = [case.reference for case in cases(on_sqlite)]
    await on_sqlite.stop()

    code, out, err = await run_bot_async("copy-to", database_url, cwd=tmp_path,
                                         DATABASE_URL=sqlite_url, ENCRYPTION_KEYS=TEST_KEY)  # fmt: skip
    assert code == 0, err
    assert out.strip().endswith("rows copied; now set DATABASE_URL to the new database.")
    engine = make_engine(database_url)
    with engine.connect() as connection:  # analysed: the planner knows the rows it now holds
        planned = connection.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = 'member'::regclass")
        ).scalar_one()
    engine.dispose()
    assert planned == 2  # Inès and the gendarme (never analysed: -1)

    on_postgresql = RelaisUnderTest(fake_api, settings_for(fake_api, database_url))
    await on_postgresql.start()
    try:
        ines, gendarme = Person(on_postgresql, ines.user), Person(on_postgresql, gendarme.user)
        await ines.send("/dossiers")
        assert any(label.startswith(reference) for label in ines.buttons())
        await report_a_violence_victim_in_danger(gendarme)  # new ids follow the copied ones
        assert sorted(case.reference for case in cases(on_postgresql))[-1].endswith("0002")
        assert verify_chain(on_postgresql.app.engine) is None, "the audit trail came whole"
    finally:
        await on_postgresql.stop()

    code, _out, err = await run_bot_async("copy-to", database_url, cwd=tmp_path,
                                          DATABASE_URL=sqlite_url, ENCRYPTION_KEYS=TEST_KEY)  # fmt: skip
    assert code == 2
    assert "not empty" in err
