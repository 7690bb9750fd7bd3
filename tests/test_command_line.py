"""`python -m bot` as a person runs it on a server: clear words, no traceback."""

import asyncio
import http.server
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.settings import load_settings
from playground.fakebotapi import FakeBotAPI
from storage.database import make_engine, upgrade
from tests.databases import TEST_KEY

ROOT = Path(__file__).resolve().parent.parent
# How long a command may take on a busy machine: a deadline for what is wrong, never a pace.
PATIENCE_SECONDS = 180


def run_bot(*arguments: str, cwd: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env |= {"PYTHONPATH": str(ROOT), **environment}
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE_SECONDS,
        check=False,
    )


def test_without_a_token_it_says_how_to_get_one_and_exits_2(tmp_path: Path) -> None:
    result = run_bot(cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "@BotFather" in lines[0]
    assert not (tmp_path / "data").exists(), "nothing is created before the settings are valid"


def test_an_invalid_setting_is_named_in_one_line_and_exits_2(tmp_path: Path) -> None:
    result = run_bot(cwd=tmp_path, TELEGRAM_BOT_TOKEN="1:x", TIMEZONE="Mars/Olympus")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Invalid settings: TIMEZONE: Value error, unknown time zone 'Mars/Olympus' "
        "(example: Europe/Paris)"
    ]
    assert "Traceback" not in result.stderr


def test_an_organisation_name_longer_than_the_database_keeps_is_refused_in_clear_words(
    tmp_path: Path,
) -> None:
    result = run_bot("invite", "--role", "admin", "--org", "S" * 121, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "python -m bot invite: error: argument --org: "
        "an organisation's name has 1 to 120 characters"
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists(), "nothing is created"


def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=1:x\nINVITE_TTL_DAYS=0\n")
    result = run_bot(cwd=tmp_path)
    assert result.returncode == 2
    assert "INVITE_TTL_DAYS" in result.stderr


def test_by_default_the_database_is_a_sqlite_file_in_a_data_folder_that_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for variable in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite:///data/relais.sqlite3"
    upgrade(make_engine(settings.database_url))
    assert (tmp_path / "data" / "relais.sqlite3").is_file()


def test_the_playground_command_serves_the_page_without_a_token_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    # Its log, and (PYTHONFAULTHANDLER, on SIGABRT) where each thread is should it not stop.
    log = (tmp_path / "playground.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "playground", "--port", str(port)],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        # Ctrl-C as a terminal gives it: tests run in the background of a script inherit
        # SIGINT ignored, and so would the playground.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        # Ready once it prints its address (the demo world is built by then), however long
        # a busy machine takes; an idle one goes on at once.
        assert f"http://127.0.0.1:{port}/" in first_line(process)
        address = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{address}/api/state", timeout=PATIENCE_SECONDS) as answer:
            state = json.load(answer)
        assert [pane["name"] for pane in state["panes"]][:3] == [
            "Léa Martin", "Adjudant Morel", "Inès Durand"
        ]  # fmt: skip
        with urllib.request.urlopen(f"{address}/", timeout=PATIENCE_SECONDS) as answer:
            assert b"Relais" in answer.read()
        assert (tmp_path / "data" / "playground.sqlite3").exists(), "a database of its own"
    finally:
        process.send_signal(signal.SIGINT)
        assert stopped(process, log) == 0


def stopped(process: subprocess.Popen[str], log: IO[str]) -> int:
    """The exit code of a process told to stop; failing, the end of its log says where it was."""
    try:
        return process.wait(timeout=PATIENCE_SECONDS)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)  # the fault handler writes every thread's stack
        process.wait(timeout=PATIENCE_SECONDS)
        log.close()
        tail = Path(log.name).read_text(encoding="utf-8")[-6000:]
        pytest.fail(f"still running {PATIENCE_SECONDS} s after Ctrl-C:\n{tail}")
    finally:
        log.close()


def first_line(process: subprocess.Popen[str]) -> str:
    """The process's first line of output, as soon as it comes (or "" if it ended first)."""
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], PATIENCE_SECONDS)
    assert readable, f"nothing printed in {PATIENCE_SECONDS} s"
    return process.stdout.readline()


def nowhere() -> str:
    """An address on this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


DATABASE_PROBLEM_ADVICE = (
    "check DATABASE_URL (SQLite: a file in a folder Relais may write to; "
    "PostgreSQL: the server runs and accepts the user)."
)


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["migrate"],
        ["rotate-key"],
        ["dispatch", "--once"],
        ["invite", "--role", "admin", "--org", "Sarthe Habitat"],
    ],
    ids=lambda command: command[0],
)
def test_a_database_server_out_of_reach_is_one_line_and_exit_1(
    tmp_path: Path, command: list[str]
) -> None:
    result = run_bot(*command, cwd=tmp_path, DATABASE_URL=f"postgresql://relais@{nowhere()}/relais",
                     TELEGRAM_BOT_TOKEN="1:x", ENCRYPTION_KEYS=TEST_KEY)  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("The database cannot be opened (OperationalError: connection failed: ")
    assert "Connection refused" in line
    assert line.endswith(DATABASE_PROBLEM_ADVICE)
    assert result.stdout == "", "no invitation without its database"


def test_copy_to_a_server_out_of_reach_names_both_addresses_to_check(tmp_path: Path) -> None:
    result = run_bot("copy-to", f"postgresql://relais@{nowhere()}/relais", cwd=tmp_path,
                     DATABASE_URL=f"sqlite:///{tmp_path / 'relais.sqlite3'}",
                     ENCRYPTION_KEYS=TEST_KEY)  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("The database cannot be opened (OperationalError: connection failed: ")
    assert "check DATABASE_URL and the URL given to copy-to (SQLite:" in line


def test_a_sqlite_file_that_cannot_be_made_or_is_no_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "notes.txt").write_text("not a database, but some text long enough " * 40)
    for database, driver_says in (
        (tmp_path / "a-file" / "relais.sqlite3", "OperationalError: unable to open database file"),
        (tmp_path / "notes.txt", "DatabaseError: file is not a database"),
    ):
        result = run_bot("migrate", cwd=tmp_path, DATABASE_URL=f"sqlite:///{database}",
                         ENCRYPTION_KEYS=TEST_KEY)  # fmt: skip
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f"The database cannot be opened ({driver_says}): {DATABASE_PROBLEM_ADVICE}"
        ]


@pytest.mark.parametrize("url", ["mysql://relais@localhost/relais", "data/relais.sqlite3"])
def test_a_database_url_relais_cannot_use_is_a_wrong_setting(tmp_path: Path, url: str) -> None:
    result = run_bot("migrate", cwd=tmp_path, DATABASE_URL=url, ENCRYPTION_KEYS=TEST_KEY)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Invalid settings: DATABASE_URL: Value error, must be sqlite:///path/to/file.sqlite3 "
        "or postgresql://user:password@host/db"
    ]


@pytest.mark.parametrize(
    "command", [["run"], ["--webhook"], ["dispatch", "--once"]], ids=lambda c: c[0]
)
def test_a_bot_api_out_of_reach_is_one_line_and_exit_1(tmp_path: Path, command: list[str]) -> None:
    address = f"http://{nowhere()}/bot"
    result = run_bot(*command, cwd=tmp_path, TELEGRAM_BOT_TOKEN="123456:SECRET-TOKEN",
                     TELEGRAM_API_BASE_URL=address, ENCRYPTION_KEYS=TEST_KEY,
                     DATABASE_URL=f"sqlite:///{tmp_path / 'relais.sqlite3'}",
                     WEBHOOK_URL="https://relais.example.org/telegram",
                     WEBHOOK_SECRET="s3cret", WEBHOOK_PORT=nowhere().split(":")[1])  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "SECRET-TOKEN" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"The Bot API at {address} cannot be reached (NetworkError: ")
    assert line.endswith("check the server's network and TELEGRAM_API_BASE_URL.")


class WrongServer(http.server.BaseHTTPRequestHandler):
    """Some web server that TELEGRAM_API_BASE_URL names by mistake: its error page quotes
    the address it was asked for, token included."""

    def do_POST(self) -> None:
        advert = "Try our hosting offers! " * 100
        page = f"<html><body>No such page: {self.path}. {advert}</body></html>".encode()
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *_args: object) -> None:
        pass


def test_a_wrong_bot_api_address_is_reported_without_the_token(tmp_path: Path) -> None:
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), WrongServer) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        address = f"http://127.0.0.1:{server.server_address[1]}/bot"
        result = run_bot("dispatch", "--once", cwd=tmp_path,
                         TELEGRAM_BOT_TOKEN="123456:SECRET-TOKEN", TELEGRAM_API_BASE_URL=address,
                         ENCRYPTION_KEYS=TEST_KEY,
                         DATABASE_URL=f"sqlite:///{tmp_path / 'relais.sqlite3'}")  # fmt: skip
        server.shutdown()
    assert result.returncode == 1
    assert "SECRET-TOKEN" not in result.stderr
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert len(line) < 500, "the page's words are cut short"
    assert line.endswith("check the server's network and TELEGRAM_API_BASE_URL.")
    assert line.startswith(
        f"The Bot API at {address} cannot be reached (NetworkError: Internal Server Error (500)."
    )
    assert "No such page: /bot<token>/getMe" in line


# ------------------------------------------------------------------ python -m bot flyer

FLYER = ("flyer", "--org", "Brigade de Sablé-sur-Sarthe", "--role", "gendarmerie")


async def run_bot_beside(
    fake: FakeBotAPI, *arguments: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """`run_bot` against the fake Bot API, which answers from this test's event loop."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env |= {
        "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": fake.token, "ENCRYPTION_KEYS": TEST_KEY,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_URL": f"sqlite:///{cwd / 'relais.sqlite3'}",
    }  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *arguments, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=PATIENCE_SECONDS)
    assert process.returncode is not None
    return subprocess.CompletedProcess(
        arguments, process.returncode, stdout.decode(), stderr.decode()
    )


FLYER_ROWS = text(
    "SELECT f.role, o.name, o.kind, f.created_at, f.expires_at FROM flyer_link f"
    " JOIN organisation o ON o.id = f.organisation_id"
)


def flyer_rows(database: Path) -> list[tuple]:
    if not database.exists():
        return []
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(FLYER_ROWS)]
    finally:
        engine.dispose()


async def test_flyer_writes_the_printable_page_and_prints_its_link(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    result = await run_bot_beside(
        fake_api, *FLYER, "-o", "flyer.pdf", "--days", "30", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    [link] = result.stdout.splitlines()
    assert link.startswith(f"https://t.me/{fake_api.bot_username}?start=f_")
    assert len(link.rsplit("?start=", 1)[1]) <= 64
    assert (tmp_path / "flyer.pdf").read_bytes().startswith(b"%PDF")
    assert [name for name in os.listdir(tmp_path) if "flyer" in name] == ["flyer.pdf"]
    [(role, name, kind, created, expires)] = flyer_rows(tmp_path / "relais.sqlite3")
    assert (role, name, kind) == ("gendarmerie", "Brigade de Sablé-sur-Sarthe", "gendarmerie")
    assert parse_utc(expires) - parse_utc(created) == timedelta(days=30)
    until = (parse_utc(expires)).astimezone(ZoneInfo("Europe/Paris"))
    assert result.stderr.strip().splitlines() == [
        f"Flyer written to flyer.pdf: its link opens access requests until {until:%Y-%m-%d} "
        "(Europe/Paris)."
    ]


def parse_utc(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


async def test_a_flyer_that_cannot_be_written_leaves_no_link(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    for place, why in (
        ("missing/flyer.pdf", "No such file or directory"),
        (".", "Is a directory"),
    ):
        result = await run_bot_beside(fake_api, *FLYER, "-o", place, cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f"Cannot write {place}: {why}. No link was created."
        ]
        assert result.stdout == ""
    assert flyer_rows(tmp_path / "relais.sqlite3") == []


def test_a_flyer_for_a_role_no_flyer_gives_is_refused_before_anything(tmp_path: Path) -> None:
    result = run_bot("flyer", "--org", "Sarthe Habitat", "--role", "admin", "-o", "flyer.pdf",
                     cwd=tmp_path, TELEGRAM_BOT_TOKEN="1:x", ENCRYPTION_KEYS=TEST_KEY)  # fmt: skip
    assert result.returncode == 2
    assert "argument --role: invalid choice: 'admin'" in result.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "flyer.pdf").exists()


def test_a_flyer_without_the_bot_api_is_one_line_and_leaves_no_link(tmp_path: Path) -> None:
    address = f"http://{nowhere()}/bot"
    result = run_bot(*FLYER, "-o", "flyer.pdf", cwd=tmp_path, TELEGRAM_BOT_TOKEN="1:x",
                     TELEGRAM_API_BASE_URL=address, ENCRYPTION_KEYS=TEST_KEY,
                     DATABASE_URL=f"sqlite:///{tmp_path / 'relais.sqlite3'}")  # fmt: skip
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"The Bot API at {address} cannot be reached (NetworkError: ")
    assert (result.stdout, (tmp_path / "flyer.pdf").exists()) == ("", False)
    assert flyer_rows(tmp_path / "relais.sqlite3") == []
