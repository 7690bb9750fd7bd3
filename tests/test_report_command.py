"""`python -m bot report`: the coordination prints the funder's figures from the server's
shell, as `indicator,value` rows for a program or as the annual review for people."""

import csv
import io
from pathlib import Path

import pytest

from storage.crypto import use_keys
from storage.database import make_engine, upgrade
from tests.databases import TEST_KEY
from tests.test_command_line import run_bot
from tests.test_figures_storage import a_year_of_cases, hand_counts, team

# The report runs at today's date: the year of cases is one already over.
YEAR = 2025
NBSP = "\u202f"  # how French writes thousands: 11 370


@pytest.fixture
def database(tmp_path: Path) -> dict[str, str]:
    """A SQLite file holding a year of cases, and the settings to read it."""
    url = f"sqlite:///{tmp_path / 'relais.sqlite3'}"
    environment = {"DATABASE_URL": url, "ENCRYPTION_KEYS": TEST_KEY, "TIMEZONE": "UTC"}
    use_keys([TEST_KEY])
    engine = make_engine(url)
    upgrade(engine)
    a_year_of_cases(engine, team(engine), year=YEAR)
    engine.dispose()
    return environment


def report(tmp_path: Path, environment: dict[str, str], *arguments: str):
    return run_bot(
        "report", "--from", f"{YEAR}-01-01", "--to", f"31/12/{YEAR}", *arguments,
        cwd=tmp_path, **environment,
    )  # fmt: skip


def test_the_csv_report_gives_every_figure_under_its_key(tmp_path: Path, database):
    result = report(tmp_path, database, "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["indicator", "value"]
    values = dict(rows[1:])
    assert len(values) == len(rows) - 1, "one row per key"
    # Today is long after the year: every case still open has had no news for 30 days.
    expected = hand_counts() | {"stale_cases": 4}
    assert {key: values.get(key) for key in expected} == {
        key: str(value) for key, value in expected.items()
    }


def test_the_annual_review_reads_like_the_programme_sheet(tmp_path: Path, database):
    result = report(tmp_path, database, "--format", "md")
    assert result.returncode == 0, result.stderr
    review = result.stdout
    assert review.startswith(f"# Bilan du dispositif, du 1 janvier {YEAR} au 31 décembre {YEAR}\n")
    for line in (
        "**Durée moyenne d'un parcours :** 8,2 mois (médiane 8,2 mois) ; 0 de moins de 6 mois, "
        "1 de 6 à 12 mois, 0 de plus de 12 mois.",
        "**Nombre de dossiers étudiés et orientés :** 3 dossiers ont été étudiés et orientés "
        "vers le dispositif ou un service plus approprié (2 vers le dispositif, 1 vers un "
        "autre service ; 1 refusés).",
        "**Sorties positives :** 1 sur 1 sorties du dispositif ; 2 entrées (contrats signés) "
        "pour un objectif de 30 sur la période (30 par an).",
        f"**Coût moyen d'un parcours :** 11{NBSP}370 € par an ; 14,3 mois d'accompagnement sur "
        f"la période, soit 13{NBSP}537 €, 13{NBSP}537 € par sortie positive.",
        "- en quartier prioritaire (QPV) : 3",
        "- hors QPV (financé par la DDCS) : 2",
        "- gendarmerie : 2",
        "- Accompagnés à la fin de la période : 1",
        "- Délai médian entre le signalement et sa prise en charge : 2,5 h",
    ):
        assert line in review.splitlines()


def test_the_review_in_english_for_one_kind(tmp_path: Path, database):
    result = report(tmp_path, database, "--format", "md", "--lang", "en", "--kind", "violence")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"# Programme review, from January 1, {YEAR} to December 31, {YEAR} "
        "(intra-family violence)"
    )
    # B was redirected: one file studied and oriented, to another service.
    assert (
        "**Files studied and oriented:** 1 files were studied and oriented towards the "
        "programme or a more appropriate service (0 to the programme, 1 to another service; "
        "0 declined)." in lines
    )


def test_a_period_with_no_case_says_so(tmp_path: Path, database):
    result = run_bot(
        "report", "--from", "2010-01-01", "--to", "2010-12-31", cwd=tmp_path, **database
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2] == (
        "Aucun dossier sur cette période : aucun chiffre à donner."
    )


def test_the_spreadsheet_needs_a_file_and_a_period_must_run_forwards(tmp_path: Path, database):
    spreadsheet = report(tmp_path, database, "--format", "xlsx")
    assert (spreadsheet.returncode, spreadsheet.stderr.strip()) == (
        2,
        "A spreadsheet is written to a file: add -o FILE.xlsx.",
    )
    backwards = run_bot("report", "--from", "2018-12-31", "--to", "2015-01-01",
                        cwd=tmp_path, **database)  # fmt: skip
    assert (backwards.returncode, backwards.stderr.strip()) == (
        2,
        "The period ends before it starts: --to comes after --from.",
    )
    not_a_date = run_bot("report", "--from", "31/02/2018", "--to", "2018-12-31",
                         cwd=tmp_path, **database)  # fmt: skip
    assert not_a_date.returncode == 2
    assert not_a_date.stderr.strip().splitlines()[-1] == (
        "python -m bot report: error: argument --from: "
        "not a date: '31/02/2018' (YYYY-MM-DD or JJ/MM/AAAA)"
    )


def test_the_report_is_written_to_the_file_asked_for(tmp_path: Path, database):
    target = tmp_path / "bilan.md"
    result = report(tmp_path, database, "-o", str(target))
    assert (result.returncode, result.stdout) == (0, "")
    assert target.read_text(encoding="utf-8").startswith("# Bilan du dispositif")
    unwritable = report(tmp_path, database, "-o", str(tmp_path / "missing" / "bilan.md"))
    assert unwritable.returncode == 1
    assert unwritable.stderr.strip().splitlines()[-1].startswith("Cannot write ")
    assert "Traceback" not in unwritable.stderr
