"""The figures as files, without personal data: an XLSX workbook (one sheet of indicators, one
of cases) and a CSV of the cases that French Excel opens as it is (`;`, UTF-8 with its
byte-order mark, dates as JJ/MM/AAAA).

A case's row holds only what the figures read: its reference, kind, source, QPV, commune,
the date of each step, the days spent in each phase, the commission's decision and its
reason, the outcome. Never a name, a phone, a typed text, a note or a place.

A cell that starts with = + - @ (or a tab, or a carriage return) is written with an
apostrophe first, so that no spreadsheet takes it for a formula (a commune typed "=HYPERLINK(…)").

Pure functions of the figures and the reader's language: /chiffres sends their bytes, and
`python -m bot report --format xlsx` writes them to a file. openpyxl is imported only when a
workbook is made.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import N_, _, use_language
from bot.labels import (
    indicator_label,
    kind_label,
    phase_label,
    qpv_label,
    reason_label,
    source_label,
    status_label,
)
from domain.figures import CaseStory, Figures, Period
from domain.periods import last_day
from domain.programme import PHASE_ORDER
from domain.vocabulary import CaseStatus

S = CaseStatus
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "DD/MM/YYYY"

# The steps of a case, in the order of its path: the column's name, and when it was reached.
STEPS = (
    (N_("Reçu le"), lambda story: story.received_at),
    (N_("Pris le"), lambda story: story.taken_at),
    (N_("Diagnostic le"), lambda story: story.reached.get(S.DIAGNOSTIC)),
    (N_("Commission le"), lambda story: story.reached.get(S.COMMISSION)),
    (N_("Décision le"), lambda story: story.decided_at),
    (N_("Contrat signé le"), lambda story: story.contract_at),
    (N_("Accompagnement le"), lambda story: story.reached.get(S.IN_SUPPORT)),
    (N_("Bilan partagé le"), lambda story: story.reached.get(S.SHARED_REVIEW)),
    (N_("Clos le"), lambda story: story.closed_at),
)
PHASES = tuple(phase for kind in PHASE_ORDER for phase in PHASE_ORDER[kind])

Cell = str | int | float | date | None


def escaped(value: Cell) -> Cell:
    """A text a spreadsheet would run as a formula, made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def concerned(stories: Iterable[CaseStory], period: Period) -> list[CaseStory]:
    """The cases a period's files list: received before its end, not closed before its start."""
    return sorted(
        (
            story
            for story in stories
            if story.received_at < period.end
            and (story.closed_at is None or story.closed_at >= period.start)
        ),
        key=lambda story: (story.received_at, story.reference),
    )


def cases_table(
    stories: Iterable[CaseStory], period: Period, zone: ZoneInfo, now: datetime
) -> Table:
    """One row per case of the period, as it stood at the period's end (a step reached later
    is left empty), in the current language."""
    until = min(period.end, now)
    headers = (
        _("Référence"),
        _("Type"),
        _("Origine du signalement"),
        _("QPV"),
        _("Commune"),
        *(_(name) for name, _moment in STEPS),
        *(_("Jours en phase {phase}").format(phase=phase_label(phase)) for phase in PHASES),
        _("Décision"),
        _("Motif de la décision"),
        _("Issue"),
    )
    rows = []
    for story in concerned(stories, period):
        closed = story.closed_at is not None and story.closed_at < period.end
        decision = story.decision if story.decided_at and story.decided_at < period.end else None
        rows.append(
            (
                story.reference,
                kind_label(story.kind),
                source_label(story.source),
                qpv_label(story.qpv),
                story.commune or None,
                *(_local_day(moment(story), period, zone) for _name, moment in STEPS),
                *(_phase_days(story, phase, until) for phase in PHASES),
                status_label(decision) if decision else None,
                reason_label(story.decision_reason)
                if decision and story.decision_reason
                else None,
                reason_label(story.outcome) if closed and story.outcome else None,
            )
        )
    return Table(headers, tuple(rows))


def _local_day(moment: datetime | None, period: Period, zone: ZoneInfo) -> date | None:
    if moment is None or moment >= period.end:
        return None
    return moment.astimezone(zone).date()


def _phase_days(story: CaseStory, phase: str, until: datetime) -> int | None:
    """Whole days the case spent in `phase` up to `until` (None: never in it by then)."""
    stays = [stay for stay in story.phases if stay.key == phase and stay.start < until]
    if not stays:
        return None
    spent = sum((min(stay.end or until, until) - stay.start for stay in stays), start=timedelta())
    return spent.days


def indicators_table(figures: Figures, period: Period, zone: ZoneInfo) -> Table:
    """Every indicator: its stable key, its name in the current language, its value."""
    rows: list[tuple[Cell, ...]] = [
        ("period.first", indicator_label("period.first"), period.start.astimezone(zone).date()),
        ("period.last", indicator_label("period.last"), last_day(period, zone)),
    ]
    rows += [(key, indicator_label(key), value) for key, value in figures.items()]
    return Table((_("Clé"), _("Indicateur"), _("Valeur")), tuple(rows))


def workbook(
    figures: Figures,
    stories: Sequence[CaseStory],
    period: Period,
    language: str,
    *,
    zone: ZoneInfo,
    now: datetime,
) -> bytes:
    """The XLSX file: the sheet of indicators, then the sheet of cases."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    with use_language(language):
        sheets = (
            (_("Indicateurs"), indicators_table(figures, period, zone)),
            (_("Dossiers"), cases_table(stories, period, zone, now)),
        )
    book = Workbook(write_only=True)  # rows streamed out: a year of cases in seconds
    for title, table in sheets:
        sheet = book.create_sheet(title)
        for index, header in enumerate(table.headers, start=1):
            widest = max([len(header), *(len(str(row[index - 1] or "")) for row in table.rows)])
            sheet.column_dimensions[get_column_letter(index)].width = min(widest + 2, 60)
        sheet.freeze_panes = "A2"

        def cell(value: Cell, sheet: object = sheet) -> object:
            if not isinstance(value, date):
                return escaped(value)
            dated = WriteOnlyCell(sheet, value=value)
            dated.number_format = DATE_FORMAT
            return dated

        sheet.append([escaped(header) for header in table.headers])
        for row in table.rows:
            sheet.append([cell(value) for value in row])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def cases_csv(
    stories: Sequence[CaseStory],
    period: Period,
    language: str,
    *,
    zone: ZoneInfo,
    now: datetime,
) -> bytes:
    """The cases as French Excel reads a CSV: `;` between cells, UTF-8 with a byte-order mark,
    dates as JJ/MM/AAAA."""
    with use_language(language):
        table = cases_table(stories, period, zone, now)
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow([escaped(header) for header in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return text.getvalue().encode("utf-8-sig")


def _csv_cell(value: Cell) -> Cell:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else escaped(value)
