"""The programme's history, as the coordination kept it in a spreadsheet before Relais: one row
per case, the day it reached each step. Plain rules: the columns, what each cell may hold, and
every bad row found with its line and why (the import takes all the rows or none).

Columns (a header row; dates `YYYY-MM-DD` or `JJ/MM/AAAA`; an empty date: not reached):
`reference,kind,source,received_on,qpv,commune,diagnostic_on,commission_on,decision,
decision_reason,contract_signed_on,closed_on,outcome`.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from domain.statuses import DeclineReason, Intensity, Outcome
from domain.vocabulary import CaseKind, CaseStatus, SourceKind

COLUMNS = (
    "reference",
    "kind",
    "source",
    "received_on",
    "qpv",
    "commune",
    "diagnostic_on",
    "commission_on",
    "decision",
    "decision_reason",
    "contract_signed_on",
    "closed_on",
    "outcome",
)
DATE_COLUMNS = (
    "received_on",
    "diagnostic_on",
    "commission_on",
    "contract_signed_on",
    "closed_on",
)
REFERENCE_MAX = 16  # Case.reference
COMMUNE_MAX = 80  # Case.commune
DECISIONS = {
    "accepted": CaseStatus.ACCEPTED,
    "redirected": CaseStatus.REDIRECTED,
    "declined": CaseStatus.DECLINED,
}
QPV = {"yes": True, "no": False}
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_FRENCH = re.compile(r"(\d{2})/(\d{2})/(\d{4})")


@dataclass(frozen=True)
class HistoryRow:
    """One case of the history, its values checked (the line it was read on is not part of
    what the case is: the same case read on another line is the same case)."""

    reference: str
    kind: CaseKind
    source: SourceKind
    received_on: date
    qpv: bool
    commune: str | None = None
    diagnostic_on: date | None = None
    commission_on: date | None = None
    decision: CaseStatus | None = None
    decision_reason: str | None = None
    contract_signed_on: date | None = None
    closed_on: date | None = None
    outcome: str | None = None
    line: int = field(default=0, compare=False)

    def steps(self) -> list[tuple[CaseStatus, date]]:
        """The statuses the case went through after it was received, in order, each with its
        day (the decision is taken at the commission; the support starts with the contract)."""
        steps = [
            (CaseStatus.DIAGNOSTIC, self.diagnostic_on),
            (CaseStatus.COMMISSION, self.commission_on),
            (self.decision, self.commission_on if self.decision else None),
            (CaseStatus.CONTRACT_SIGNED, self.contract_signed_on),
            (CaseStatus.IN_SUPPORT, self.contract_signed_on),
            (CaseStatus.CLOSED, self.closed_on),
        ]
        return [(status, day) for status, day in steps if status is not None and day is not None]

    @property
    def status(self) -> CaseStatus:
        """Where the case stands now: the last step it reached."""
        steps = self.steps()
        return steps[-1][0] if steps else CaseStatus.RECEIVED


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Reading:
    rows: tuple[HistoryRow, ...]
    errors: tuple[BadRow, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def read_history(
    header: Sequence[str],
    records: Iterable[tuple[int, Sequence[str]]],
    *,
    redirection_services: Sequence[str],
    today: date,
) -> Reading:
    """Check every row (`records`: each row's line number and cells) against the columns of
    `header`; every problem of every row is kept, with its line.

    An empty row is skipped (spreadsheets leave some at the end)."""
    names = [cell.strip().lstrip("\ufeff").lower() for cell in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        return Reading((), (BadRow(1, "missing columns: " + ", ".join(missing)),))
    position = {column: names.index(column) for column in COLUMNS}
    rows: list[HistoryRow] = []
    errors: list[BadRow] = []
    seen: dict[str, int] = {}
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        values = {
            column: cells[index].strip() if index < len(cells) else ""
            for column, index in position.items()
        }
        row, problems = _row(line, values, redirection_services, today)
        reference = values["reference"].upper()
        if reference in seen:
            problems.append(f'reference "{reference}" already on line {seen[reference]}')
        elif reference:
            seen[reference] = line
        errors += [BadRow(line, problem) for problem in problems]
        if row is not None and not problems:
            rows.append(row)
    return Reading(tuple(rows), tuple(errors))


def parse_day(text: str) -> date:
    """`2016-03-01` or `01/03/2016`; raise ValueError otherwise."""
    if match := _ISO.fullmatch(text):
        year, month, day = match.groups()
    elif match := _FRENCH.fullmatch(text):
        day, month, year = match.groups()
    else:
        raise ValueError(text)
    return date(int(year), int(month), int(day))


def _row(
    line: int, values: dict[str, str], services: Sequence[str], today: date
) -> tuple[HistoryRow | None, list[str]]:
    problems: list[str] = []

    def chosen(column: str, choices: Iterable[str], *, required: bool = True) -> str | None:
        text = values[column]
        if not text:
            if required:
                problems.append(f"{column} is empty")
            return None
        by_lower = {choice.lower(): choice for choice in choices}
        if text.lower() not in by_lower:
            problems.append(f'unknown {column} "{text}"')
            return None
        return by_lower[text.lower()]

    reference = values["reference"].upper()
    if not reference:
        problems.append("reference is empty")
    elif len(reference) > REFERENCE_MAX:
        problems.append(f"reference longer than {REFERENCE_MAX} characters")
    kind = chosen("kind", CaseKind)
    source = chosen("source", SourceKind)
    qpv = chosen("qpv", QPV)
    commune = values["commune"] or None
    if commune and len(commune) > COMMUNE_MAX:
        problems.append(f"commune longer than {COMMUNE_MAX} characters")
    days: dict[str, date | None] = {}
    for column in DATE_COLUMNS:
        days[column] = None
        if values[column]:
            try:
                days[column] = parse_day(values[column])
            except ValueError:
                problems.append(f'bad date {column} "{values[column]}" (YYYY-MM-DD or JJ/MM/AAAA)')
                continue
            if days[column] > today:
                problems.append(f"{column} {days[column]:%Y-%m-%d} is in the future")
    if not values["received_on"]:
        problems.append("received_on is empty")
    decision_text = chosen("decision", DECISIONS, required=False)
    decision = DECISIONS[decision_text] if decision_text else None
    reason = _reason(decision, values["decision_reason"], services, problems)
    outcome = chosen("outcome", Outcome, required=False)
    problems += _path_problems(values, days, decision)
    if problems or not (kind and source and qpv and days["received_on"]):
        return None, problems
    row = HistoryRow(
        reference=reference,
        kind=CaseKind(kind),
        source=SourceKind(source),
        received_on=days["received_on"],
        qpv=QPV[qpv],
        commune=commune,
        diagnostic_on=days["diagnostic_on"],
        commission_on=days["commission_on"],
        decision=decision,
        decision_reason=reason,
        contract_signed_on=days["contract_signed_on"],
        closed_on=days["closed_on"],
        outcome=outcome,
        line=line,
    )
    return row, problems


def _reason(
    decision: CaseStatus | None, text: str, services: Sequence[str], problems: list[str]
) -> str | None:
    """The decision's reason from its own fixed list: the intensity, the service, the refusal's
    reason."""
    if decision is None:
        if text:
            problems.append("decision_reason without a decision")
        return None
    choices: dict[CaseStatus, Sequence[str]] = {
        CaseStatus.ACCEPTED: list(Intensity),
        CaseStatus.REDIRECTED: services,
        CaseStatus.DECLINED: list(DeclineReason),
    }
    by_lower = {str(choice).lower(): str(choice) for choice in choices[decision]}
    if not text:
        problems.append(f"decision_reason is empty (one of: {', '.join(by_lower.values())})")
        return None
    if text.lower() not in by_lower:
        problems.append(f'unknown decision_reason "{text}" for {decision.value}')
        return None
    return by_lower[text.lower()]


def _path_problems(
    values: dict[str, str],
    days: dict[str, date | None],
    decision: CaseStatus | None,
) -> list[str]:
    """The steps in the order the path takes them, each reached after the ones before."""
    problems = []
    before = {
        "diagnostic_on": "received_on",
        "commission_on": "diagnostic_on",
        "contract_signed_on": "commission_on",
    }
    for column, previous in before.items():
        if values[column] and not values[previous]:
            problems.append(f"{column} is given but {previous} is empty")
    if values["decision"] and not values["commission_on"]:
        problems.append("a decision needs commission_on (the day it was taken)")
    if values["contract_signed_on"] and decision is not CaseStatus.ACCEPTED:
        problems.append("a contract needs the decision accepted")
    if values["closed_on"] and not values["outcome"]:
        problems.append("closed_on needs an outcome")
    if values["outcome"] and not values["closed_on"]:
        problems.append("an outcome needs closed_on")
    reached = [(column, days[column]) for column in DATE_COLUMNS if days[column] is not None]
    for (first, early), (then, late) in pairwise(reached):
        if late < early:
            problems.append(f"dates out of order: {then} {late:%Y-%m-%d} before {first} "
                            f"{early:%Y-%m-%d}")  # fmt: skip
    return problems
