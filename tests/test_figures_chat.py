"""/chiffres (/stats) in the chat: a worker picks a period and reads its main figures, the
funnel chart and the spreadsheets — counted by hand from a year of cases built through the
storage functions (tests.test_figures_storage) — with no personal value anywhere."""

import csv
import io
import subprocess
import sys
import warnings
from datetime import UTC, date, datetime

import matplotlib.image
import openpyxl
import pytest
from sqlmodel import select

from bot.charts import HEIGHT, WIDTH, FunnelPlot, Series, draw, funnel
from bot.i18n import use_language
from bot.spreadsheets import cases_csv, escaped, workbook
from domain.figures import CaseStory, Period
from domain.periods import Span
from domain.vocabulary import CaseKind, CaseStatus, Role, SourceKind
from storage.cases import submit_report
from storage.database import session_scope
from storage.drafts import save_draft, start_draft
from storage.models import AuditEntry
from tests.harness import Person, RelaisUnderTest
from tests.stories import VIOLENCE_ANSWERS, member
from tests.test_figures_storage import a_year_of_cases, day, team

S = CaseStatus
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# 31 December 2027 at noon: "this year" is 2027, Paris days (from 31 Dec 2026 23:00 UTC).
NEW_YEARS_EVE = datetime(2027, 12, 31, 12, 0, tzinfo=UTC)
# A commune a spreadsheet would run as a formula, and values that must never be exported.
FORMULA = '=HYPERLINK("http://example.org/x";"clic")'
PERSONAL = ("Zoé Quintal", "0698765432", "698765432", "Texte libre très personnel")
COLUMNS_FR = [
    "Référence", "Type", "Origine du signalement", "QPV", "Commune",
    "Reçu le", "Pris le", "Diagnostic le", "Commission le", "Décision le",
    "Contrat signé le", "Accompagnement le", "Bilan partagé le", "Clos le",
    "Jours en phase urgence", "Jours en phase consolidation", "Jours en phase orientation",
    "Jours en phase emménagement", "Jours en phase suivi",
    "Jours en phase soutien psychologique",
    "Décision", "Motif de la décision", "Issue",
]  # fmt: skip


def a_year_in_the_bot(relais: RelaisUnderTest) -> dict[str, object]:
    """tests.test_figures_storage's year (A–F), and G: a violence case received on
    1 September 2027 whose commune is a formula and whose answers hold a name, a phone
    and a note; nobody took it yet."""
    engine = relais.app.engine
    people = team(engine)
    cases = a_year_of_cases(engine, people)
    draft = start_draft(engine, people.gendarme.id, "kind")
    draft.answers = VIOLENCE_ANSWERS | {
        "who": PERSONAL[0],
        "commune": FORMULA,
        "contact": "+33698765432",
        "note": PERSONAL[3],
    }
    draft.current = "review"
    save_draft(engine, draft, day(9, 1))
    cases["G"], created = submit_report(engine, draft, people.gendarme, year=2027, now=day(9, 1))
    assert created
    relais.app.clock = lambda: NEW_YEARS_EVE
    return cases


async def figures_of(person: Person, period: str) -> None:
    await person.send("/chiffres")
    assert person.last_text == "Les chiffres du programme : pour quelle période ?"
    assert person.buttons() == [
        "Ce trimestre", "Le trimestre dernier", "Cette année", "L'année dernière",
        "Depuis le début",
    ]  # fmt: skip
    await person.tap(period)


def exported(relais: RelaisUnderTest) -> list[str]:
    with session_scope(relais.app.engine) as session:
        return list(
            session.exec(select(AuditEntry.detail).where(AuditEntry.action == "figures.exported"))
        )


async def test_a_worker_reads_this_years_figures_then_its_chart(
    relais: RelaisUnderTest, monkeypatch: pytest.MonkeyPatch
):
    cases = a_year_in_the_bot(relais)
    ines = await member(relais, "Inès", Role.WORKER)
    plotted: list[FunnelPlot] = []

    def drawing(plot: FunnelPlot) -> bytes:  # the real drawing, once its data is kept
        plotted.append(plot)
        return draw(plot)

    monkeypatch.setattr("bot.charts.draw", drawing)

    await figures_of(ines, "Cette année")
    summary, chart = ines.bot_messages()[-2:]
    # Counted by hand (tests.test_figures_storage), with G: received A, B, C, D, E, G
    # (addiction A, C, D); decided A, B, C, D; signed A, D; D in support at the end; A closed
    # as a positive exit after 245 days (8.2 months of 30 days).
    assert summary.text == (
        "Chiffres du 1 janv. 2027 au 31 déc. 2027, tout le programme :\n"
        "• Signalements reçus : 6 (addiction : 3, violences intrafamiliales : 3)\n"
        "• Dossiers étudiés : 4, dont orientés : 3 (acceptés : 2, réorientés : 1) "
        "et refusés : 1\n"
        "• Contrats d'accompagnement signés : 2\n"
        "• En accompagnement au 31 déc. 2027 : 1\n"
        "• Sorties positives : 1 (dossiers clos : 1)\n"
        "• Durée moyenne d'un parcours : 8,2 mois (parcours terminés : 1)"
    )
    assert chart.kind == "photo"
    assert chart.photo.startswith(PNG_SIGNATURE)
    assert matplotlib.image.imread(io.BytesIO(chart.photo)).shape[:2] == (HEIGHT, WIDTH)
    assert len(chart.text) <= 1024
    assert chart.text.startswith("Du signalement à la sortie positive, par type de situation.")
    assert ines.buttons() == ["Tableur (XLSX)", "CSV"]
    # Addiction: received A, C, D; studied A, C, D; accepted and signed A, D; A's exit.
    # Violence: received B, E, G; studied B (redirected).
    assert plotted == [
        FunnelPlot(
            title="Du signalement à la sortie positive, du 1 janv. 2027 au 31 déc. 2027",
            steps=("Reçus", "Étudiés", "Acceptés", "Contrat signé", "Sortie positive"),
            series=(
                Series("Addiction", (3, 3, 2, 2, 1), "#0072B2"),
                Series("Violences intrafamiliales", (3, 1, 0, 0, 0), "#E69F00"),
            ),
        )
    ]
    assert not any(value in summary.text + chart.text for value in PERSONAL)
    assert cases["G"].reference not in summary.text


async def test_the_spreadsheet_holds_the_indicators_and_the_cases_without_personal_data(
    relais: RelaisUnderTest,
):
    cases = a_year_in_the_bot(relais)
    ines = await member(relais, "Inès", Role.WORKER)
    await figures_of(ines, "Cette année")

    await ines.tap("Tableur (XLSX)")
    document = ines.bot_messages()[-1]
    assert document.kind == "document"
    assert document.media["file_name"] == "relais-chiffres-2027-01-01-2027-12-31.xlsx"
    assert document.protect_content, "the file cannot be forwarded from the chat"
    book = openpyxl.load_workbook(io.BytesIO(document.photo))
    assert book.sheetnames == ["Indicateurs", "Dossiers"]

    indicators = {row[0]: row[1:] for row in book["Indicateurs"].iter_rows(values_only=True)}
    assert indicators["Clé"] == ("Indicateur", "Valeur")
    assert indicators["period.first"][1].date() == date(2027, 1, 1)
    assert indicators["referrals"] == ("Signalements reçus", 6)
    assert indicators["referrals.gendarmerie"] == ("Signalements reçus — gendarmerie", 3)
    assert indicators["oriented"] == ("Dossiers étudiés et orientés (acceptés ou réorientés)", 3)
    assert indicators["declined.no_capacity"] == ("Dossiers refusés — plus de place", 1)
    assert indicators["closed.positive_exit"] == ("Dossiers clos — sortie positive", 1)
    assert indicators["in_support.urgence"] == (
        "Ménages accompagnés à la fin de la période — urgence",
        1,
    )
    assert indicators["support_months_mean"] == ("Durée moyenne d'un parcours (mois)", 8.2)
    assert indicators["cost_per_positive_exit_eur"][0] == "Coût par sortie positive (€)"

    rows = list(book["Dossiers"].iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS_FR
    by_reference = {row[0]: dict(zip(COLUMNS_FR, row, strict=True)) for row in rows[1:]}
    # F was closed in 2026: not a case of 2027.
    assert set(by_reference) == {cases[key].reference for key in "ABCDEG"}
    a = by_reference[cases["A"].reference]
    assert (a["Type"], a["Origine du signalement"], a["QPV"], a["Commune"]) == (
        "addiction", "correspondants de site", "oui", "Le Mans",
    )  # fmt: skip
    assert a["Reçu le"].date() == date(2027, 1, 10)
    assert a["Contrat signé le"].date() == date(2027, 3, 1)
    assert a["Clos le"].date() == date(2027, 11, 1)
    # Urgence from 2 March (in support) to 2 May, then consolidation to the shared review
    # on 25 October: 61 and 176 days.
    assert (a["Jours en phase urgence"], a["Jours en phase consolidation"]) == (61, 176)
    assert a["Jours en phase orientation"] is None
    assert (a["Décision"], a["Motif de la décision"], a["Issue"]) == (
        "accepté", "intensité moyenne", "sortie positive",
    )  # fmt: skip
    c = by_reference[cases["C"].reference]
    assert (c["Décision"], c["Motif de la décision"], c["Issue"]) == (
        "refusé", "plus de place", None,
    )  # fmt: skip
    g = by_reference[cases["G"].reference]
    assert g["Commune"] == "'" + FORMULA, "a formula is written as plain text"
    assert (g["Type"], g["Origine du signalement"], g["QPV"]) == (
        "violences intrafamiliales", "gendarmerie", "non",
    )  # fmt: skip
    assert g["Pris le"] is None

    cells = [str(cell) for sheet in book for row in sheet.iter_rows(values_only=True)
             for cell in row]  # fmt: skip
    assert not [cell for cell in cells if any(value in cell for value in PERSONAL)]
    assert not [cell for cell in cells if cell.startswith("=")]
    assert exported(relais) == ["format=xlsx; period=this_year; from=2027-01-01; to=2027-12-31"]


async def test_the_csv_opens_in_french_excel_with_its_formulas_made_harmless(
    relais: RelaisUnderTest,
):
    cases = a_year_in_the_bot(relais)
    ines = await member(relais, "Inès", Role.WORKER)
    await figures_of(ines, "Cette année")

    await ines.tap("CSV")
    document = ines.bot_messages()[-1]
    assert document.media["file_name"] == "relais-dossiers-2027-01-01-2027-12-31.csv"
    assert document.protect_content
    assert document.photo.startswith(b"\xef\xbb\xbf"), "UTF-8 with its byte-order mark"
    rows = list(csv.reader(io.StringIO(document.photo.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == COLUMNS_FR
    by_reference = {row[0]: dict(zip(COLUMNS_FR, row, strict=True)) for row in rows[1:]}
    assert set(by_reference) == {cases[key].reference for key in "ABCDEG"}
    a = by_reference[cases["A"].reference]
    assert (a["Reçu le"], a["Pris le"], a["Clos le"]) == ("10/01/2027", "10/01/2027", "01/11/2027")
    assert a["Jours en phase urgence"] == "61"
    d = by_reference[cases["D"].reference]
    assert (d["Contrat signé le"], d["Clos le"], d["Issue"]) == ("01/07/2027", "", "")
    assert by_reference[cases["G"].reference]["Commune"] == "'" + FORMULA
    text = document.photo.decode("utf-8-sig")
    assert not [value for value in PERSONAL if value in text]
    assert exported(relais) == ["format=csv; period=this_year; from=2027-01-01; to=2027-12-31"]


async def test_an_english_worker_gets_english_figures_chart_and_files(relais: RelaisUnderTest):
    a_year_in_the_bot(relais)
    paul = await member(relais, "Paul", Role.WORKER, language="en")

    await paul.send("/stats")
    assert paul.last_text == "The programme's figures: for which period?"
    await paul.tap("This year")
    summary, chart = paul.bot_messages()[-2:]
    assert summary.text.splitlines()[:2] == [
        "Figures from Jan 1, 2027 to Dec 31, 2027, the whole programme:",
        "• Reports received: 6 (addiction: 3, intra-family violence: 3)",
    ]
    assert (
        summary.text.splitlines()[-1] == "• Mean length of a path: 8.2 months (paths completed: 1)"
    )
    assert chart.text.startswith("From referral to positive exit, by kind of situation.")
    assert paul.buttons() == ["Spreadsheet (XLSX)", "CSV"]

    await paul.tap("Spreadsheet (XLSX)")
    book = openpyxl.load_workbook(io.BytesIO(paul.bot_messages()[-1].photo))
    assert book.sheetnames == ["Indicators", "Cases"]
    indicators = {row[0]: row[1:] for row in book["Indicators"].iter_rows(values_only=True)}
    assert indicators["referrals.siao"] == ("Reports received — SIAO", 0)
    assert next(book["Cases"].iter_rows(values_only=True))[:3] == (
        "Reference", "Type", "Source of the referral",
    )  # fmt: skip


async def test_a_period_with_no_case_says_so_plainly(relais: RelaisUnderTest):
    a_year_in_the_bot(relais)
    relais.app.clock = lambda: datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # before every case
    claire = await member(relais, "Claire", Role.ADMIN)

    await figures_of(claire, "Ce trimestre")
    assert claire.last_text == (
        "Rien à compter du 1 avr. 2026 au 1 juin 2026 : aucun signalement reçu, aucun "
        "dossier décidé, signé, clos ni en cours sur cette période."
    )
    assert all(message.kind == "text" for message in claire.bot_messages())


async def test_an_empty_programme_has_nothing_to_count(relais: RelaisUnderTest):
    relais.app.clock = lambda: NEW_YEARS_EVE
    marc = await member(relais, "Marc", Role.LANDLORD_REFERENT)
    await figures_of(marc, "Depuis le début")
    assert marc.last_text == (
        "Rien à compter du 31 déc. 2027 au 31 déc. 2027 : aucun signalement reçu, aucun "
        "dossier décidé, signé, clos ni en cours sur cette période."
    )
    assert all(message.kind == "text" for message in marc.bot_messages())


@pytest.mark.parametrize("role", [Role.CORRESPONDENT, Role.BENEFICIARY, Role.GENDARMERIE])
async def test_other_roles_are_refused(relais: RelaisUnderTest, role: Role):
    a_year_in_the_bot(relais)
    someone = await member(relais, "Léa", role)
    await someone.send("/chiffres")
    assert someone.last_text in (
        "Cette action n'est pas ouverte à votre rôle. /aide liste ce que vous pouvez faire.",
        "Je ne connais pas cette commande. /aide liste ce que vous pouvez faire.",
    )
    await someone.tap_data("fg:x:this_year:xlsx:0")
    assert all(message.kind != "document" for message in someone.bot_messages())
    assert someone.alerts[-1] == "Ce bouton n'est pas (ou plus) disponible pour vous."
    assert exported(relais) == []


# ------------------------------------------------------------------ the pieces, one by one

YEAR = Period(datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))


def test_the_chart_shows_each_kinds_funnel_from_the_figures():
    by_kind = {
        CaseKind.ADDICTION: {"referrals": 3, "studied": 3, "accepted": 2,
                             "contracts_signed": 2, "positive_exits": 1},
        CaseKind.VIOLENCE: {"referrals": 2, "studied": 1, "accepted": 0,
                            "contracts_signed": 0, "positive_exits": None},
    }  # fmt: skip
    with use_language("fr"):
        plot = funnel(by_kind, date(2027, 1, 1), date(2027, 12, 31))
    assert plot == FunnelPlot(
        title="Du signalement à la sortie positive, du 1 janv. 2027 au 31 déc. 2027",
        steps=("Reçus", "Étudiés", "Acceptés", "Contrat signé", "Sortie positive"),
        series=(
            Series("Addiction", (3, 3, 2, 2, 1), "#0072B2"),
            Series("Violences intrafamiliales", (2, 1, 0, 0, 0), "#E69F00"),
        ),
    )
    with use_language("en"):
        english = funnel(by_kind, date(2027, 1, 1), date(2027, 12, 31))
    assert english.title == "From referral to positive exit, Jan 1, 2027 to Dec 31, 2027"
    assert english.steps[-1] == "Positive exit"
    assert english.series[1].name == "Intra-family violence"


def test_the_chart_is_a_png_of_its_size_with_every_french_letter():
    plot = FunnelPlot(
        title="Du signalement à la sortie positive, du 1 janv. 2027 au 31 déc. 2027",
        steps=("Reçus", "Étudiés", "Acceptés", "Contrat signé", "Sortie positive"),
        series=(Series("Violences intrafamiliales", (2, 1, 0, 0, 0), "#E69F00"),),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = draw(plot)
    assert not [w for w in caught if "missing from" in str(w.message)], "a glyph is missing"
    assert png.startswith(PNG_SIGNATURE)
    assert matplotlib.image.imread(io.BytesIO(png)).shape == (HEIGHT, WIDTH, 4)


def test_the_bot_starts_without_loading_the_chart_or_spreadsheet_libraries():
    code = (
        "import sys, bot.app, conversations.figures, bot.charts, bot.spreadsheets;"
        "print(sorted(m for m in ('matplotlib', 'openpyxl') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Le Mans", "Le Mans"),
        ("Saint-Calais", "Saint-Calais"),
        (-2, -2),
        (None, None),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_escaped(value, written):
    assert escaped(value) == written


def a_story(reference: str, commune: str) -> CaseStory:
    return CaseStory(
        reference=reference,
        kind=CaseKind.ADDICTION,
        source=SourceKind.OTHER,
        qpv="unknown",
        received_at=datetime(2027, 3, 1, 23, 30, tzinfo=UTC),  # 2 March in Paris
        taken_at=None,
        reached={S.RECEIVED: datetime(2027, 3, 1, 23, 30, tzinfo=UTC)},
        decision_reason=None,
        outcome=None,
        closed_at=None,
        last_event_at=datetime(2027, 3, 1, 23, 30, tzinfo=UTC),
        commune=commune,
    )


def test_the_files_are_made_without_telegram_in_either_language():
    from zoneinfo import ZoneInfo

    stories = [a_story("R-2027-0001", "@Mamers"), a_story("R-2027-0002", "-Sillé")]
    paris, now = ZoneInfo("Europe/Paris"), datetime(2027, 12, 31, tzinfo=UTC)
    rows = list(
        csv.reader(
            io.StringIO(cases_csv(stories, YEAR, "en", zone=paris, now=now).decode("utf-8-sig")),
            delimiter=";",
        )
    )
    assert rows[0][:6] == ["Reference", "Type", "Source of the referral", "QPV", "Town",
                           "Received on"]  # fmt: skip
    assert [row[:6] for row in rows[1:]] == [
        ["R-2027-0001", "addiction", "other partners", "unknown", "'@Mamers", "02/03/2027"],
        ["R-2027-0002", "addiction", "other partners", "unknown", "'-Sillé", "02/03/2027"],
    ]
    book = openpyxl.load_workbook(
        io.BytesIO(workbook({"referrals": 2}, stories, YEAR, "fr", zone=paris, now=now))
    )
    assert list(book["Indicateurs"].iter_rows(values_only=True))[-1] == (
        "referrals", "Signalements reçus", 2,
    )  # fmt: skip
    assert book["Dossiers"]["E2"].value == "'@Mamers"
    assert book["Dossiers"]["F2"].number_format == "DD/MM/YYYY"


def test_every_period_has_its_button():
    from conversations.figures import PERIOD_BUTTONS

    assert [which for which, _label in PERIOD_BUTTONS] == list(Span)
