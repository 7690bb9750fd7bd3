"""The programme's history imported (`python -m bot import-history`), on SQLite and PostgreSQL:
a spreadsheet shaped like the programme sheet (January 2015 to June 2018, both kinds, a share
redirected and declined, some cases still open), saved as French Excel saves it, imported
through the command; then every figure of each year, for each kind, against a count made
here from the rows themselves."""

import csv
import io
import math
import random
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from bot.buttons import TakeCase
from domain.figures import Selection
from domain.history import COLUMNS
from domain.periods import days
from domain.programme import load_programme
from domain.vocabulary import CaseKind, CaseStatus, Role
from storage.database import session_scope
from storage.figures import figures_for
from storage.models import Case, CaseEvent, Member, Organisation
from storage.retention import anonymise_closed_cases
from storage.types import utcnow
from tests.databases import TEST_KEY
from tests.harness import Person, RelaisUnderTest
from tests.stories import cases, member, table_rows
from tests.test_case_follow_up import open_card
from tests.test_command_line import run_bot

PARIS = ZoneInfo("Europe/Paris")
PROGRAMME = load_programme()
SERVICES = PROGRAMME.redirection_services
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
OUTCOMES = ["positive_exit", "handover", "redirected", "ended_by_person", "eviction",
            "moved_away", "other"]  # fmt: skip
DECLINE_REASONS = ["not_eligible", "refused_by_person", "no_capacity", "other"]
SOURCES = ["correspondent", "gendarmerie", "siao", "other"]
COMMUNES = ["Le Mans", "Sablé-sur-Sarthe", "La Flèche", "Mamers", ""]
FIRST_DAY, LAST_DAY = date(2015, 1, 1), date(2018, 6, 30)

Row = dict[str, object]


def programme_history(count: int = 120, seed: int = 2015) -> list[Row]:
    """Cases as the coordination kept them: each step a few days or weeks after the last."""
    chance = random.Random(seed)
    rows = []
    span = (LAST_DAY - FIRST_DAY).days
    for number in range(1, count + 1):
        received = FIRST_DAY + timedelta(days=chance.randrange(span))
        row: Row = {
            "reference": f"H-{received.year}-{number:03d}",
            "kind": "addiction" if chance.random() < 0.65 else "violence",
            "source": chance.choice(SOURCES),
            "received_on": received,
            "qpv": chance.choice(["yes", "no"]),
            "commune": chance.choice(COMMUNES),
            "diagnostic_on": None,
            "commission_on": None,
            "decision": None,
            "decision_reason": None,
            "contract_signed_on": None,
            "closed_on": None,
            "outcome": None,
        }
        rows.append(row)
        fate = chance.random()
        if fate < 0.03:
            continue  # received, nothing more yet
        row["diagnostic_on"] = diagnostic = received + timedelta(days=chance.randint(0, 25))
        if fate < 0.06:
            continue
        row["commission_on"] = commission = diagnostic + timedelta(days=chance.randint(5, 45))
        if fate < 0.08:
            continue
        if fate < 0.68:
            row["decision"] = "accepted"
            row["decision_reason"] = chance.choice(["light", "medium", "strong"])
            if chance.random() < 0.1:
                if chance.random() < 0.5:  # the person gave up before the contract
                    row["closed_on"] = commission + timedelta(days=chance.randint(3, 40))
                    row["outcome"] = "ended_by_person"
                continue
            row["contract_signed_on"] = signed = commission + timedelta(days=chance.randint(0, 30))
            if chance.random() < 0.8:
                row["closed_on"] = signed + timedelta(days=chance.randint(60, 500))
                row["outcome"] = chance.choices(OUTCOMES, weights=[45, 15, 5, 15, 5, 10, 5])[0]
        elif fate < 0.86:
            row["decision"] = "redirected"
            row["decision_reason"] = chance.choice(SERVICES)
            if chance.random() < 0.7:
                row["closed_on"] = commission + timedelta(days=chance.randint(0, 30))
                row["outcome"] = "redirected"
        else:
            row["decision"] = "declined"
            row["decision_reason"] = chance.choice(DECLINE_REASONS)
            if chance.random() < 0.7:
                row["closed_on"] = commission + timedelta(days=chance.randint(0, 20))
                row["outcome"] = "other"
    return rows


def french_excel_csv(rows: list[Row], path: Path) -> Path:
    """As « CSV UTF-8 (délimité par des points-virgules) » saves it: a BOM, `;`, JJ/MM/AAAA."""

    def cell(value: object) -> str:
        return f"{value:%d/%m/%Y}" if isinstance(value, date) else str(value or "")

    lines = [";".join(COLUMNS)] + [";".join(cell(row[column]) for column in COLUMNS)
                                   for row in rows]  # fmt: skip
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def import_history(database_url: str, path: Path, *options: str):
    return run_bot("import-history", str(path), *options, cwd=path.parent,
                   DATABASE_URL=database_url, ENCRYPTION_KEYS=TEST_KEY)  # fmt: skip


# The count made here, from the rows: each step reached at noon (Paris) of the day the case
# was received, and whole days after it.
def moment(row: Row, day: date) -> datetime:
    received = datetime.combine(row["received_on"], time(12), tzinfo=PARIS).astimezone(UTC)
    return received + timedelta(days=(day - row["received_on"]).days)


def in_year(day: object, year: int) -> bool:
    return isinstance(day, date) and day.year == year


def count(rows: list[Row], **where: object) -> int:
    return sum(1 for row in rows if all(row[key] == value for key, value in where.items()))


def middle(values: list[float]) -> float | None:
    if not values:
        return None
    ordered, half = sorted(values), len(values) // 2
    value = ordered[half] if len(values) % 2 else (ordered[half - 1] + ordered[half]) / 2
    return round(value, 1)


def expected_figures(history: list[Row], year: int, kind: str | None) -> dict[str, object]:
    rows = [row for row in history if kind is None or row["kind"] == kind]
    start = datetime(year, 1, 1, tzinfo=PARIS)
    end = datetime(year + 1, 1, 1, tzinfo=PARIS)
    received = [row for row in rows if in_year(row["received_on"], year)]
    decided = [row for row in rows if row["decision"] and in_year(row["commission_on"], year)]
    signed = [row for row in rows if in_year(row["contract_signed_on"], year)]
    closed = [row for row in rows if in_year(row["closed_on"], year)]
    supported = [
        row
        for row in rows
        if row["contract_signed_on"] and row["contract_signed_on"].year <= year
        and (row["closed_on"] is None or row["closed_on"].year > year)
    ]  # fmt: skip
    paths = [(row["closed_on"] - row["contract_signed_on"]).days / 30
             for row in closed if row["contract_signed_on"]]  # fmt: skip
    support_days = 0.0
    for row in rows:
        if row["contract_signed_on"] is None:
            continue
        first = max(moment(row, row["contract_signed_on"]), start)
        last = min(moment(row, row["closed_on"]) if row["closed_on"] else NOW, end, NOW)
        support_days += max((last - first) / timedelta(days=1), 0.0)
    months = support_days / 30
    cost = months * 11_370 / 12
    exits = sum(1 for row in closed if row["outcome"] in ("positive_exit", "handover"))
    redirected = [row for row in decided if row["decision"] == "redirected"]
    figures: dict[str, object] = {
        "referrals": len(received),
        "referrals.addiction": count(received, kind="addiction"),
        "referrals.violence": count(received, kind="violence"),
        **{f"referrals.{source}": count(received, source=source) for source in SOURCES},
        "referrals.qpv": count(received, qpv="yes"),
        "referrals.outside_qpv": count(received, qpv="no"),
        "referrals.qpv_unknown": 0,
        "studied": len(decided),
        "oriented": count(decided, decision="accepted") + len(redirected),
        "accepted": count(decided, decision="accepted"),
        "redirected": len(redirected),
        **{f"redirected.{service}": count(redirected, decision_reason=service)
           for service in SERVICES if count(redirected, decision_reason=service)},
        "declined": count(decided, decision="declined"),
        **{f"declined.{reason}": count(decided, decision="declined", decision_reason=reason)
           for reason in DECLINE_REASONS},
        "contracts_signed": len(signed),
        "new_entries": len(signed),
        "new_entries_target": 30.1 if year == 2016 else 30.0,  # 30 a year, 366 days in 2016
        "in_support": len(supported),
        # The history says nothing of the support's phases.
        **({"in_support.none": len(supported)} if supported else {}),
        "closed": len(closed),
        **{f"closed.{outcome}": count(closed, outcome=outcome) for outcome in OUTCOMES},
        "positive_exits": exits,
        "support_months_mean": round(math.fsum(paths) / len(paths), 1) if paths else None,
        "support_months_median": middle(paths),
        "support_length.under_6": sum(1 for length in paths if length < 6),
        "support_length.6_to_12": sum(1 for length in paths if 6 <= length < 12),
        "support_length.over_12": sum(1 for length in paths if length >= 12),
        "days_to_commission_median": middle(
            [float((row["commission_on"] - row["received_on"]).days) for row in decided]
        ),
        "support_months": round(months, 1),
        "support_cost_eur": round(cost),
        "cost_per_positive_exit_eur": round(cost / exits) if exits else None,
        # Open now (whatever the year), received by the year's end: no news for years.
        "stale_cases": sum(
            1 for row in rows if row["closed_on"] is None and row["received_on"].year <= year
        ),
        # What the history cannot tell: nobody took an imported case in Relais, no home of
        # the programme's list, no appointment nor reminder is in it.
        "hours_to_taken_median": None,
        "homes_occupied": 0,
        "homes_occupied.addiction": 0,
        "homes_occupied.violence": 0,
        "homes_reserved": 30,
        "homes_reserved.addiction": 20,
        "homes_reserved.violence": 10,
        "appointments_held": 0,
        "appointments_missed": 0,
        "reminders_sent": 0,
        "reminders_failed": 0,
    }  # fmt: skip
    return figures


@pytest.fixture
def history() -> list[Row]:
    rows = programme_history()
    # Shaped like the programme sheet: both kinds, QPV and not, a share redirected (to more
    # than one service) and declined, some still open, paths that ended well and others not.
    assert {row["kind"] for row in rows} == {"addiction", "violence"}
    assert {row["qpv"] for row in rows} == {"yes", "no"}
    assert 0.5 < count(rows, decision="accepted") / len(rows) < 0.7
    assert len({row["decision_reason"] for row in rows if row["decision"] == "redirected"}) > 2
    assert count(rows, decision="declined") >= 8
    assert count(rows, closed_on=None) >= 10
    assert count(rows, outcome="positive_exit") + count(rows, outcome="handover") >= 20
    assert {row["outcome"] for row in rows if row["closed_on"]} > {"positive_exit", "eviction"}
    assert min(row["received_on"] for row in rows).year == 2015
    assert max(row["received_on"] for row in rows) > date(2018, 1, 1)
    return rows


def test_the_programme_history_imported_gives_every_figure_counted_from_its_rows(
    engine: Engine, database_url: str, tmp_path: Path, history: list[Row]
) -> None:
    result = import_history(database_url, french_excel_csv(history, tmp_path / "suivi.csv"))
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "120 cases imported (0 already there).\n",
        "",
    )
    for year in (2015, 2016, 2017, 2018):
        period = days(date(year, 1, 1), date(year, 12, 31), PARIS)
        for kind in (None, CaseKind.ADDICTION, CaseKind.VIOLENCE):
            figures = figures_for(engine, period, PROGRAMME, NOW, Selection(kind=kind))
            expected = expected_figures(history, year, kind and kind.value)
            assert figures == expected, (year, kind)
    everything = days(date(2015, 1, 1), date(2018, 12, 31), PARIS)
    assert figures_for(engine, everything, PROGRAMME, NOW)["referrals"] == 120


def test_imported_cases_hold_no_personal_data_and_say_they_were_imported(
    engine: Engine, database_url: str, tmp_path: Path, history: list[Row]
) -> None:
    assert (
        import_history(database_url, french_excel_csv(history, tmp_path / "h.csv")).returncode == 0
    )
    first = history[0]
    with session_scope(engine) as session:
        cases = session.exec(select(Case)).all()
        assert len(cases) == 120
        assert all(case.imported and case.answers == {} for case in cases)
        assert all(case.source_member_id is None and case.assigned_worker_id is None
                   for case in cases)  # fmt: skip
        [origin] = session.exec(select(Organisation)).all()
        assert (origin.name, origin.kind.value) == ("Historique du programme", "other")
        case = next(case for case in cases if case.reference == first["reference"])
        assert case.source_kind.value == first["source"]
        assert case.commune == (first["commune"] or None)
        events = session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        ).all()
    assert anonymise_closed_cases(engine, NOW, NOW) == 0, "nothing to erase, nothing to audit"
    assert events[-1].kind == "imported"
    assert events[-1].actor_member_id is None
    assert [event.kind for event in events[:-1]] == ["created"] + ["status"] * (len(events) - 2)
    assert events[0].at == moment(first, first["received_on"])
    assert events[0].at.astimezone(PARIS).hour == 12
    assert [(event.to_status, event.at.astimezone(PARIS).date()) for event in events[1:-1]] == [
        (CaseStatus(status), first[column])
        for status, column in (
            ("diagnostic", "diagnostic_on"),
            ("commission", "commission_on"),
            (first["decision"], "commission_on"),
            ("contract_signed", "contract_signed_on"),
            ("in_support", "contract_signed_on"),
            ("closed", "closed_on"),
        )
        if status and first[column]
    ]


def bad_file(history: list[Row], path: Path) -> tuple[Path, list[Row]]:
    """The history with three rows spoilt, each its own way (lines: header is line 1)."""
    rows = [dict(row) for row in history]
    rows[4]["kind"] = "adiction"  # line 6
    rows[40]["closed_on"] = rows[40]["received_on"] - timedelta(days=3)  # line 42
    rows[40]["outcome"] = "other"
    rows[77]["reference"] = rows[10]["reference"]  # line 79, the same as line 12
    return french_excel_csv(rows, path), rows


def test_a_file_with_bad_rows_is_refused_whole_with_each_bad_row_and_its_line(
    engine: Engine, database_url: str, tmp_path: Path, history: list[Row]
) -> None:
    path, rows = bad_file(history, tmp_path / "suivi.csv")
    result = import_history(database_url, path)
    assert result.returncode == 1
    assert result.stdout == ""
    spoilt = rows[40]
    assert result.stderr.splitlines() == [
        'line 6: unknown kind "adiction"',
        f"line 42: dates out of order: closed_on {spoilt['closed_on']:%Y-%m-%d} before "
        f"{last_step(spoilt)}",
        f'line 79: reference "{rows[10]["reference"]}" already on line 12',
        f"Nothing imported: 3 problems in {path} (fix them, then import the whole file again).",
    ]
    assert "Traceback" not in result.stderr
    with session_scope(engine) as session:
        assert session.exec(select(Case)).all() == []


def last_step(row: Row) -> str:
    """The step a closing day is checked against: the last one reached before it."""
    column = next(column for column in ("contract_signed_on", "commission_on", "diagnostic_on",
                                        "received_on") if row[column])  # fmt: skip
    return f"{column} {row[column]:%Y-%m-%d}"


def test_a_dry_run_checks_every_row_and_writes_nothing(
    engine: Engine, database_url: str, tmp_path: Path, history: list[Row]
) -> None:
    good = french_excel_csv(history, tmp_path / "good.csv")
    result = import_history(database_url, good, "--dry-run")
    assert (result.returncode, result.stdout) == (
        0,
        "Every row is valid: 120 cases would be imported (0 already there). "
        "Nothing written (--dry-run).\n",
    )
    bad, _rows = bad_file(history, tmp_path / "bad.csv")
    result = import_history(database_url, bad, "--dry-run")
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 4
    with session_scope(engine) as session:
        assert session.exec(select(Case)).all() == []
        assert session.exec(select(Organisation)).all() == []


def test_importing_the_same_file_twice_imports_nothing_the_second_time(
    engine: Engine, database_url: str, tmp_path: Path, history: list[Row]
) -> None:
    path = french_excel_csv(history, tmp_path / "suivi.csv")
    assert import_history(database_url, path).stdout == "120 cases imported (0 already there).\n"
    again = import_history(database_url, path)
    assert (again.returncode, again.stdout) == (0, "0 cases imported (120 already there).\n")
    # The sheet goes on: the same rows and five more, saved with `,` and ISO dates this time.
    more = programme_history(125)
    longer = tmp_path / "suivi-2.csv"
    longer.write_text(
        ",".join(COLUMNS) + "\n" + "".join(
            ",".join(str(row[column] or "") for column in COLUMNS) + "\n" for row in more
        ),
        encoding="utf-8",
    )  # fmt: skip
    result = import_history(database_url, longer)
    assert more[:120] == history
    assert (result.returncode, result.stdout) == (0, "5 cases imported (120 already there).\n")
    with session_scope(engine) as session:
        assert len(session.exec(select(Case)).all()) == 125
        assert (
            len(session.exec(select(CaseEvent).where(CaseEvent.kind == "imported")).all()) == 125
        )


def test_after_an_import_postgresql_plans_for_the_cases_it_now_holds(
    engine: Engine, database_url: str, tmp_path: Path, history: list[Row]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans without statistics")
    assert (
        import_history(database_url, french_excel_csv(history, tmp_path / "a.csv")).returncode == 0
    )
    with engine.connect() as connection:
        planned = connection.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = 'referral_case'::regclass")
        ).scalar_one()
    assert planned == 120  # the rows of the file: ANALYZE counted them (never analysed: -1)


def test_a_reference_already_in_relais_is_a_bad_row_and_so_is_an_imported_case_changed(
    engine: Engine, database_url: str, tmp_path: Path, history: list[Row]
) -> None:
    assert (
        import_history(database_url, french_excel_csv(history[:3], tmp_path / "a.csv")).returncode
        == 0
    )
    changed = [dict(row) for row in history[:3]]
    changed[1]["qpv"] = "no" if changed[1]["qpv"] == "yes" else "yes"
    with session_scope(engine) as session:
        case = session.exec(select(Case).where(Case.reference == changed[2]["reference"])).one()
        case.imported = False  # as if Relais itself had this reference
        session.add(case)
    result = import_history(database_url, french_excel_csv(changed, tmp_path / "b.csv"))
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        f'line 3: reference "{changed[1]["reference"]}" already imported with other values',
        f'line 4: reference "{changed[2]["reference"]}" already present',
    ]


def test_a_file_that_cannot_be_read_is_said_in_one_line(tmp_path: Path) -> None:
    environment = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}",
        "ENCRYPTION_KEYS": TEST_KEY,
    }
    missing = run_bot("import-history", str(tmp_path / "none.csv"), cwd=tmp_path, **environment)
    assert (missing.returncode, missing.stderr) == (
        1,
        f"{tmp_path / 'none.csv'} cannot be read: No such file or directory\n",
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        ";".join(COLUMNS).encode() + "\nH-1;addiction;siao;01/02/2015;non;Sablé\n".encode("cp1252")
    )
    result = run_bot("import-history", str(latin), cwd=tmp_path, **environment)
    assert (result.returncode, result.stderr) == (
        1,
        f"{latin} is not UTF-8 text: save it from the spreadsheet as « CSV UTF-8 »\n",
    )


def no_buttons(person: Person) -> bool:
    """The last message (the card) has no button."""
    return not (person.bot_messages()[-1].reply_markup or {}).get("inline_keyboard")


async def test_an_admin_opens_an_imported_case_and_nobody_is_reminded_of_it(
    relais: RelaisUnderTest, tmp_path: Path
) -> None:
    nadia = await member(relais, "Nadia", Role.ADMIN)
    ines = await member(relais, "Inès", Role.WORKER)
    rows = [
        {**row, "reference": f"H-{number}"}
        for number, row in enumerate(programme_history(40), start=1)
        if row["contract_signed_on"] and not row["closed_on"]
    ][:1]
    [open_row] = rows
    path = french_excel_csv(rows, tmp_path / "h.csv")
    result = import_history(relais.settings.database_url, path)
    assert result.returncode == 0, result.stderr

    await open_card(nadia, "H-")
    card = nadia.last_text
    assert card.startswith(f"Dossier {open_row['reference']}\n"
                           "Importé de l'historique du programme (sans donnée personnelle)\n")  # fmt: skip
    assert "Statut : accompagnement en cours" in card
    assert "Travailleur social : —" in card
    assert "importé de l'historique du programme" in card
    assert "contrat signé → accompagnement en cours" in card
    assert "— :" not in card, "no name where nobody moved the case in Relais"
    assert no_buttons(nadia), "the programme's history is read, not worked on"
    await open_card(ines, "H-")
    assert ines.last_text == card
    assert no_buttons(ines), "nobody takes an imported case"
    # A week before the first review the programme's file lists, whatever today is.
    relais.app.clock = lambda: datetime(2027, 1, 8, 9, 0, tzinfo=UTC)
    await nadia.send("/revue")
    assert nadia.last_text.startswith("Revue trimestrielle du ")
    assert open_row["reference"] not in nadia.last_text, "no work to review in the history"
    assert "Aucun dossier ouvert" in nadia.last_text
    [case] = cases(relais)
    await ines.tap_data(TakeCase(case.id).pack())
    assert ines.alerts[-1] == "Ce bouton n'est plus valable."
    assert cases(relais)[0].assigned_worker_id is None

    seen = len(ines.texts())
    relais.app.clock = lambda: NOW  # years without news
    await relais.run_job("periodic_reminders")
    await relais.run_job("reminders")
    assert table_rows(relais, "reminder") == 0
    # Even given to a worker by hand in the database, it is not the worker's to be reminded of.
    with session_scope(relais.app.engine) as session:
        stored = session.get(Case, case.id)
        stored.assigned_worker_id = session.exec(select(Member.id).where(
            Member.telegram_id == ines.id)).one()  # fmt: skip
        session.add(stored)
    later = utcnow() + timedelta(days=60)  # two months after the import itself, too
    relais.app.clock = lambda: later
    await relais.run_job("periodic_reminders")
    await relais.run_job("reminders")
    assert table_rows(relais, "reminder") == 0
    assert len(ines.texts()) == seen


def spreadsheet_indicators(content: bytes) -> dict[str, object]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = book[book.sheetnames[0]].iter_rows(min_row=2, values_only=True)
    return {key: value for key, _label, value in rows if not key.startswith("period.")}


async def test_the_chat_the_spreadsheets_and_the_report_give_the_same_figures(
    relais: RelaisUnderTest, tmp_path: Path, history: list[Row]
) -> None:
    """2018, the year the programme sheet reviews: /chiffres (its message and its XLSX) and
    `python -m bot report` (csv and xlsx) say the same, key by key."""
    result = import_history(
        relais.settings.database_url, french_excel_csv(history, tmp_path / "h.csv")
    )
    assert result.returncode == 0, result.stderr
    environment = {"DATABASE_URL": relais.settings.database_url, "ENCRYPTION_KEYS": TEST_KEY}
    period = ("--from", "2018-01-01", "--to", "2018-12-31")
    rows = run_bot("report", *period, "--format", "csv", cwd=tmp_path, **environment)
    assert rows.returncode == 0, rows.stderr
    report = dict(list(csv.reader(io.StringIO(rows.stdout)))[1:])
    spreadsheet = tmp_path / "bilan.xlsx"
    written = run_bot("report", *period, "--format", "xlsx", "-o", str(spreadsheet),
                      cwd=tmp_path, **environment)  # fmt: skip
    assert written.returncode == 0, written.stderr
    from_report = spreadsheet_indicators(spreadsheet.read_bytes())
    # A spreadsheet keeps numbers, not their writing (30.0 reads back 30).
    assert {
        key: None if value is None else float(value) for key, value in from_report.items()
    } == ({key: float(value) if value else None for key, value in report.items()})

    nadia = await member(relais, "Nadia", Role.ADMIN)
    relais.app.clock = lambda: datetime(2019, 3, 1, 12, 0, tzinfo=UTC)
    await nadia.send("/chiffres")
    await nadia.tap("L'année dernière")
    message = next(text for text in nadia.texts() if text.startswith("Chiffres du 1 janv. 2018"))
    said = {
        "referrals": r"Signalements reçus : (\d+)",
        "studied": r"Dossiers étudiés : (\d+)",
        "oriented": r"dont orientés : (\d+)",
        "accepted": r"acceptés : (\d+)",
        "declined": r"refusés : (\d+)",
        "contracts_signed": r"Contrats d'accompagnement signés : (\d+)",
        "in_support": r"En accompagnement au [^:]+ : (\d+)",
        "positive_exits": r"Sorties positives : (\d+)",
        "closed": r"dossiers clos : (\d+)",
        "support_months_mean": r"Durée moyenne d'un parcours : ([\d,]+) mois",
    }
    assert {key: re.search(pattern, message).group(1).replace(",", ".")
            for key, pattern in said.items()} == {key: report[key] for key in said}  # fmt: skip
    await nadia.tap("Tableur (XLSX)")
    assert spreadsheet_indicators(nadia.bot_messages()[-1].photo) == from_report
