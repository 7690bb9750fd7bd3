"""Importing the programme's history (`python -m bot import-history FILE.csv`): the file read
as French Excel or anything else saves it, then every case written in one transaction, or none.

An imported case holds no personal data (no answers), no member reported it and no worker
holds it: it is there for the figures. Its timeline has one status event per step it
reached, each on its day, and one « imported » event (when it was imported). A reference
already in the database is refused, unless it is the same case imported before: importing
the same file twice imports nothing the second time.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Row, insert
from sqlmodel import Session, col, select

from domain.history import BadRow, HistoryRow, Reading, read_history
from domain.vocabulary import CaseStatus, OrganisationKind
from storage.database import analyze, session_scope
from storage.models import Case, CaseEvent, Organisation

HISTORY_ORGANISATION = "Historique du programme"
STATUS_EVENTS = ("created", "status")
_CHUNK = 500  # references asked for at once (a query has a bounded number of parameters)


class HistoryFileError(ValueError):
    """The file cannot be read as a CSV of the history (its message is one line to print)."""


@dataclass(frozen=True)
class ImportResult:
    imported: int
    already_there: int
    errors: tuple[BadRow, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def read_history_file(path: Path, *, redirection_services: Sequence[str], today: date) -> Reading:
    """The rows of the file, checked: UTF-8 with or without a byte-order mark, `,` or `;`
    between the cells (French Excel saves with `;`)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise HistoryFileError(f"{path} cannot be read: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise HistoryFileError(
            f"{path} is not UTF-8 text: save it from the spreadsheet as « CSV UTF-8 »"
        ) from error
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise HistoryFileError(f"{path} has no header row (the columns' names, first line)")
    separator = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = next(reader)
        records = [(reader.line_num, cells) for cells in reader]
    except csv.Error as error:
        raise HistoryFileError(f"{path}, line {reader.line_num}: {error}") from error
    return read_history(header, records, redirection_services=redirection_services, today=today)


def step_time(row: HistoryRow, day: date, zone: ZoneInfo) -> datetime:
    """When a step counts as reached: noon of the day the case was received, local time, and
    whole days after it (so that a path's length is its days, across summer time too)."""
    received = datetime.combine(row.received_on, time(12), tzinfo=zone).astimezone(UTC)
    return received + timedelta(days=(day - row.received_on).days)


def import_history(
    engine: Engine, reading: Reading, zone: ZoneInfo, now: datetime, *, dry_run: bool
) -> ImportResult:
    """Write every row as a case, in one transaction; nothing at all if one row is bad
    (`reading.errors`, or a reference already in the database: every one is reported).

    A reference already in the database is refused, unless it is the same case imported
    before: then it is already there, and left as it is. `dry_run`: check only."""
    rows = reading.rows
    with session_scope(engine) as session:
        existing = _existing(session, [row.reference for row in rows])
        before = _as_rows(session, [case for case in existing.values() if case.imported], zone)
        errors: list[BadRow] = list(reading.errors)
        new: list[HistoryRow] = []
        for row in rows:
            case = existing.get(row.reference)
            if case is None:
                new.append(row)
            elif not case.imported:
                errors.append(BadRow(row.line, f'reference "{row.reference}" already present'))
            elif before[case.reference] != row:
                errors.append(
                    BadRow(
                        row.line,
                        f'reference "{row.reference}" already imported with other values',
                    )
                )
        already = len(rows) - len(new) - (len(errors) - len(reading.errors))
        if errors:
            return ImportResult(0, already, tuple(sorted(errors, key=lambda bad: bad.line)))
        if not dry_run and new:
            _write(session, new, _organisation(session), zone, now)
    if not dry_run and new:
        analyze(engine)
    return ImportResult(len(new), already, ())


# What an imported case is read back with (not its answers: nothing to decrypt).
_KEPT = (Case.id, Case.reference, Case.imported, Case.kind, Case.source_kind, Case.status,
         Case.created_at, Case.qpv, Case.commune, Case.intensity, Case.redirected_to,
         Case.decline_reason, Case.outcome)  # fmt: skip


def _existing(session: Session, references: list[str]) -> dict[str, Row]:
    found: dict[str, Row] = {}
    for start in range(0, len(references), _CHUNK):
        chunk = references[start : start + _CHUNK]
        for case in session.exec(select(*_KEPT).where(col(Case.reference).in_(chunk))):
            found[case.reference] = case
    return found


def _organisation(session: Session) -> Organisation:
    """Where imported cases come from: the programme's history, an organisation of its own."""
    found = session.exec(
        select(Organisation).where(Organisation.name == HISTORY_ORGANISATION)
    ).first()
    if found is not None:
        return found
    organisation = Organisation(name=HISTORY_ORGANISATION, kind=OrganisationKind.OTHER)
    session.add(organisation)
    session.flush()
    return organisation


def _write(
    session: Session,
    rows: Sequence[HistoryRow],
    organisation: Organisation,
    zone: ZoneInfo,
    now: datetime,
) -> None:
    """One INSERT run over many rows (executemany), a chunk at a time, rather than the ORM's
    one statement a row: 20,000 cases in under 20 s (a single multi-row VALUES statement is
    slower still: SQLAlchemy compiles each one anew)."""
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        connection = session.connection()
        cases = [_case_values(row, organisation, zone, now) for row in chunk]
        connection.execute(insert(Case.__table__), cases)
        ids = dict(
            session.exec(
                select(Case.reference, Case.id).where(
                    col(Case.reference).in_([row.reference for row in chunk])
                )
            ).all()
        )
        events = [
            event for row in chunk for event in _event_values(row, ids[row.reference], zone, now)
        ]
        connection.execute(insert(CaseEvent.__table__), events)


def _case_values(
    row: HistoryRow, organisation: Organisation, zone: ZoneInfo, now: datetime
) -> dict[str, object]:
    steps = row.steps()
    received_at = step_time(row, row.received_on, zone)
    reason = row.decision_reason
    return {
        "reference": row.reference,
        "submission_key": f"history:{row.reference}",
        "kind": row.kind,
        "urgent": False,
        "status": row.status,
        "commune": row.commune,
        "qpv": "yes" if row.qpv else "no",
        "consent": "no",  # no consent was recorded in Relais: nobody is invited
        "answers": {},
        "source_member_id": None,
        "source_organisation_id": organisation.id,
        "source_kind": row.source,
        "imported": True,
        "created_at": received_at,
        "status_changed_at": step_time(row, steps[-1][1], zone) if steps else received_at,
        "intensity": reason if row.decision is CaseStatus.ACCEPTED else None,
        "redirected_to": reason if row.decision is CaseStatus.REDIRECTED else None,
        "decline_reason": reason if row.decision is CaseStatus.DECLINED else None,
        "outcome": row.outcome,
        "beneficiary_consent": False,
        # A closed imported case has nothing to erase: the retention job, which erases and
        # audits each closed case once, passes it by.
        "anonymised_at": now if row.closed_on else None,
    }


def _event_values(
    row: HistoryRow, case_id: int, zone: ZoneInfo, now: datetime
) -> list[dict[str, object]]:
    """Its timeline: received, each step on its day, and when it was imported."""
    received = step_time(row, row.received_on, zone)
    events = [_event(case_id, received, "created", to_status=CaseStatus.RECEIVED)]
    previous = CaseStatus.RECEIVED
    for status, day in row.steps():
        events.append(
            _event(case_id, step_time(row, day, zone), "status", from_status=previous,
                   to_status=status, reason=_reason_of(row, status))
        )  # fmt: skip
        previous = status
    events.append(_event(case_id, now, "imported"))
    return events


def _event(
    case_id: int,
    at: datetime,
    kind: str,
    *,
    from_status: CaseStatus | None = None,
    to_status: CaseStatus | None = None,
    reason: str | None = None,
) -> dict[str, object]:
    """A timeline row; nobody did it in Relais (no actor), and it carries no note."""
    return {"case_id": case_id, "at": at, "kind": kind, "actor_member_id": None,
            "from_status": from_status, "to_status": to_status, "reason": reason,
            "note": None}  # fmt: skip


def _reason_of(row: HistoryRow, status: CaseStatus) -> str | None:
    if status is row.decision:
        return row.decision_reason
    if status is CaseStatus.CLOSED:
        return row.outcome
    return None


def _as_rows(session: Session, cases: list[Row], zone: ZoneInfo) -> dict[str, HistoryRow]:
    """Imported cases read back as the rows they were imported from, by reference."""
    days: dict[int, dict[CaseStatus, date]] = defaultdict(dict)
    for start in range(0, len(cases), _CHUNK):
        ids = [case.id for case in cases[start : start + _CHUNK]]
        events = session.exec(
            select(CaseEvent.case_id, CaseEvent.to_status, CaseEvent.at)
            .where(col(CaseEvent.case_id).in_(ids), col(CaseEvent.kind).in_(STATUS_EVENTS))
            .order_by(col(CaseEvent.id))
        ).all()
        for case_id, status, at in events:
            if status is not None:
                days[case_id].setdefault(CaseStatus(status), _day(at, zone))
    return {case.reference: _as_row(case, days[case.id], zone) for case in cases}


def _as_row(case: Row, days: dict[CaseStatus, date], zone: ZoneInfo) -> HistoryRow:
    decision = next(
        (
            status
            for status in (CaseStatus.ACCEPTED, CaseStatus.REDIRECTED, CaseStatus.DECLINED)
            if status in days
        ),
        None,
    )
    reasons = {
        CaseStatus.ACCEPTED: case.intensity,
        CaseStatus.REDIRECTED: case.redirected_to,
        CaseStatus.DECLINED: case.decline_reason,
    }
    return HistoryRow(
        reference=case.reference,
        kind=case.kind,
        source=case.source_kind,
        received_on=_day(case.created_at, zone),
        qpv=case.qpv == "yes",
        commune=case.commune,
        diagnostic_on=days.get(CaseStatus.DIAGNOSTIC),
        commission_on=days.get(CaseStatus.COMMISSION),
        decision=decision,
        decision_reason=reasons[decision] if decision else None,
        contract_signed_on=days.get(CaseStatus.CONTRACT_SIGNED),
        closed_on=days.get(CaseStatus.CLOSED) if case.status is CaseStatus.CLOSED else None,
        outcome=case.outcome if case.status is CaseStatus.CLOSED else None,
    )


def _day(moment: datetime, zone: ZoneInfo) -> date:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()
