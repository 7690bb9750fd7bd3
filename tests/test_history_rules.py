"""Reading the programme's history (domain.history), without a database: what a row may hold,
and every bad row found with its line and why."""

from datetime import date

from domain.history import COLUMNS, BadRow, HistoryRow, read_history
from domain.vocabulary import CaseKind, CaseStatus, SourceKind

SERVICES = ("CSAPA", "CHRS", "CCAS")
TODAY = date(2026, 12, 1)
HEADER = list(COLUMNS)


def row(**values: str) -> list[str]:
    cells = {
        "reference": "H-2015-001",
        "kind": "addiction",
        "source": "correspondent",
        "received_on": "2015-01-12",
        "qpv": "yes",
    } | values
    return [cells.get(column, "") for column in COLUMNS]


def read(*rows: list[str], header: list[str] = HEADER):
    return read_history(
        header, enumerate(rows, start=2), redirection_services=SERVICES, today=TODAY
    )


def test_a_whole_path_is_read_with_either_date_format_and_any_case():
    reading = read(
        row(
            reference="h-2015-001",
            kind="Addiction",
            source="SIAO",
            received_on="12/01/2015",
            qpv="No",
            commune="Le Mans",
            diagnostic_on="2015-01-20",
            commission_on="10/02/2015",
            decision="accepted",
            decision_reason="Medium",
            contract_signed_on="2015-03-01",
            closed_on="02/11/2015",
            outcome="positive_exit",
        )
    )
    assert reading.errors == ()
    [found] = reading.rows
    assert found == HistoryRow(
        reference="H-2015-001",
        kind=CaseKind.ADDICTION,
        source=SourceKind.SIAO,
        received_on=date(2015, 1, 12),
        qpv=False,
        commune="Le Mans",
        diagnostic_on=date(2015, 1, 20),
        commission_on=date(2015, 2, 10),
        decision=CaseStatus.ACCEPTED,
        decision_reason="medium",
        contract_signed_on=date(2015, 3, 1),
        closed_on=date(2015, 11, 2),
        outcome="positive_exit",
    )
    assert found.line == 2
    assert found.status is CaseStatus.CLOSED
    assert found.steps() == [
        (CaseStatus.DIAGNOSTIC, date(2015, 1, 20)),
        (CaseStatus.COMMISSION, date(2015, 2, 10)),
        (CaseStatus.ACCEPTED, date(2015, 2, 10)),
        (CaseStatus.CONTRACT_SIGNED, date(2015, 3, 1)),
        (CaseStatus.IN_SUPPORT, date(2015, 3, 1)),
        (CaseStatus.CLOSED, date(2015, 11, 2)),
    ]


def test_a_case_still_open_stands_at_the_last_step_it_reached():
    reading = read(
        row(diagnostic_on="2015-01-20"),
        row(
            reference="H2",
            diagnostic_on="2015-01-20",
            commission_on="2015-02-10",
            decision="redirected",
            decision_reason="chrs",
        ),
        row(reference="H3"),
    )
    assert reading.errors == ()
    assert [found.status for found in reading.rows] == [
        CaseStatus.DIAGNOSTIC,
        CaseStatus.REDIRECTED,
        CaseStatus.RECEIVED,
    ]
    assert reading.rows[1].decision_reason == "CHRS", "the service as the programme names it"


def test_every_bad_row_is_reported_with_its_line_and_why():
    reading = read(
        row(reference="OK-1"),
        row(reference="B-1", kind="adiction"),
        row(reference="OK-2"),
        row(reference="B-2", received_on="2015-03-01", diagnostic_on="2015-02-01"),
        row(reference="B-3", source="police", qpv="peut-être", received_on="31/02/2015"),
    )
    assert reading.errors == (
        BadRow(3, 'unknown kind "adiction"'),
        BadRow(5, "dates out of order: diagnostic_on 2015-02-01 before received_on 2015-03-01"),
        BadRow(6, 'unknown source "police"'),
        BadRow(6, 'unknown qpv "peut-être"'),
        BadRow(6, 'bad date received_on "31/02/2015" (YYYY-MM-DD or JJ/MM/AAAA)'),
    )
    assert str(reading.errors[0]) == 'line 3: unknown kind "adiction"'
    assert not reading.ok
    assert [found.reference for found in reading.rows] == ["OK-1", "OK-2"]


def test_the_steps_follow_the_path():
    reading = read(
        row(reference="A", contract_signed_on="2015-03-01", commission_on="2015-02-01",
            diagnostic_on="2015-01-20", decision="declined", decision_reason="no_capacity"),
        row(reference="B", commission_on="2015-02-01"),
        row(reference="C", diagnostic_on="2015-01-20", decision="accepted",
            decision_reason="light"),
        row(reference="D", closed_on="2015-02-01"),
        row(reference="E", outcome="eviction"),
        row(reference="F", diagnostic_on="2015-01-20", commission_on="2015-02-01",
            decision="accepted", decision_reason="enormous"),
        row(reference="G", diagnostic_on="2015-01-20", commission_on="2015-02-01",
            decision="redirected"),
        row(reference="H", decision_reason="CSAPA"),
        row(reference="I", closed_on="2015-02-01", outcome="happy"),
    )  # fmt: skip
    assert [str(bad) for bad in reading.errors] == [
        "line 2: a contract needs the decision accepted",
        "line 3: commission_on is given but diagnostic_on is empty",
        "line 4: a decision needs commission_on (the day it was taken)",
        "line 5: closed_on needs an outcome",
        "line 6: an outcome needs closed_on",
        'line 7: unknown decision_reason "enormous" for accepted',
        "line 8: decision_reason is empty (one of: CSAPA, CHRS, CCAS)",
        "line 9: decision_reason without a decision",
        'line 10: unknown outcome "happy"',
    ]
    assert reading.rows == ()


def test_the_closing_day_comes_last_and_no_day_is_in_the_future():
    reading = read(
        row(reference="A", diagnostic_on="2015-01-20", commission_on="2015-02-10",
            decision="accepted", decision_reason="strong", contract_signed_on="2015-03-01",
            closed_on="2015-02-15", outcome="eviction"),
        row(reference="B", received_on="2027-01-01"),
    )  # fmt: skip
    assert [str(bad) for bad in reading.errors] == [
        "line 2: dates out of order: closed_on 2015-02-15 before contract_signed_on 2015-03-01",
        "line 3: received_on 2027-01-01 is in the future",
    ]


def test_a_reference_twice_in_the_file_is_reported_on_its_second_line():
    reading = read(row(reference="H-1"), row(reference="H-2"), row(reference="h-1"))
    assert [str(bad) for bad in reading.errors] == ['line 4: reference "H-1" already on line 2']


def test_a_row_without_the_values_a_case_needs_says_each_one():
    reading = read(
        row(reference="", kind="", source="", received_on="", qpv="", commune="Le Mans")
    )
    assert [str(bad) for bad in reading.errors] == [
        "line 2: reference is empty",
        "line 2: kind is empty",
        "line 2: source is empty",
        "line 2: qpv is empty",
        "line 2: received_on is empty",
    ]


def test_empty_rows_are_skipped_and_the_header_may_have_other_columns_in_any_order():
    header = ["Notes", *reversed(COLUMNS)]
    cells = ["", *reversed(row())]
    reading = read(cells, [""] * len(header), [], header=header)
    assert reading.errors == ()
    assert [found.reference for found in reading.rows] == ["H-2015-001"]


def test_a_header_without_every_column_is_refused_on_line_1():
    reading = read(row(), header=[column for column in COLUMNS if column != "qpv"])
    assert [str(bad) for bad in reading.errors] == ["line 1: missing columns: qpv"]
    assert reading.rows == ()
