"""The programme's figures as rules (domain.figures), on a small history whose every count is
made by hand below, case by case."""

from datetime import UTC, datetime, timedelta

from domain.figures import (
    CaseStory,
    FigureRules,
    Occurrence,
    Period,
    Selection,
    Stay,
    indicators,
    is_empty,
)
from domain.vocabulary import (
    AppointmentStatus,
    CaseKind,
    CaseStatus,
    ReminderStatus,
    SourceKind,
)

S = CaseStatus
A, V = CaseKind.ADDICTION, CaseKind.VIOLENCE
YEAR_2016 = Period(datetime(2016, 1, 1, tzinfo=UTC), datetime(2017, 1, 1, tzinfo=UTC))
NOW = datetime(2017, 3, 1, 12, 0, tzinfo=UTC)
RULES = FigureRules()


def day(year: int, month: int, date: int, hour: int = 12) -> datetime:
    return datetime(year, month, date, hour, tzinfo=UTC)


def story(
    reference: str,
    kind: CaseKind,
    source: SourceKind,
    qpv: str,
    received: datetime,
    *,
    taken: timedelta | None = None,
    reached: dict[CaseStatus, datetime] | None = None,
    reason: str | None = None,
    closed: datetime | None = None,
    outcome: str | None = None,
    last: datetime | None = None,
    phases: tuple[Stay, ...] = (),
    homes: tuple[Stay, ...] = (),
) -> CaseStory:
    steps = dict(reached or {})
    if closed is not None:
        steps[S.CLOSED] = closed
    return CaseStory(
        reference=reference,
        kind=kind,
        source=source,
        qpv=qpv,
        received_at=received,
        taken_at=received + taken if taken is not None else None,
        reached=steps,
        decision_reason=reason,
        outcome=outcome,
        closed_at=closed,
        last_event_at=last or closed or max([received, *steps.values()]),
        phases=phases,
        homes=homes,
    )


HISTORY = (
    # A: accepted, signed, supported 8 months, a positive exit; it held a home meanwhile.
    story("A", A, SourceKind.CORRESPONDENT, "yes", day(2016, 1, 10), taken=timedelta(hours=6),
          reached={S.DIAGNOSTIC: day(2016, 1, 20), S.COMMISSION: day(2016, 2, 1),
                   S.ACCEPTED: day(2016, 2, 15), S.CONTRACT_SIGNED: day(2016, 3, 1),
                   S.IN_SUPPORT: day(2016, 3, 2)},
          reason="medium", closed=day(2016, 11, 1), outcome="positive_exit",
          phases=(Stay("urgence", day(2016, 3, 2), day(2016, 5, 1)),
                  Stay("consolidation", day(2016, 5, 1), day(2016, 11, 1))),
          homes=(Stay("addiction", day(2016, 3, 1), day(2016, 11, 1)),)),
    # B: redirected to the CHRS, then closed.
    story("B", V, SourceKind.GENDARMERIE, "no", day(2016, 2, 1), taken=timedelta(hours=2),
          reached={S.COMMISSION: day(2016, 2, 20), S.REDIRECTED: day(2016, 3, 1)},
          reason="CHRS", closed=day(2016, 3, 5), outcome="redirected"),
    # C: declined, no room left.
    story("C", V, SourceKind.SIAO, "no", day(2016, 4, 1), taken=timedelta(hours=30),
          reached={S.DECLINED: day(2016, 5, 1)}, reason="no_capacity",
          closed=day(2016, 5, 2), outcome="other"),
    # D: still in support at the year's end, in its first phase, in a home; no news since
    # the 1st of December.
    story("D", A, SourceKind.CORRESPONDENT, "yes", day(2016, 6, 1), taken=timedelta(hours=12),
          reached={S.ACCEPTED: day(2016, 7, 1), S.CONTRACT_SIGNED: day(2016, 8, 1),
                   S.IN_SUPPORT: day(2016, 8, 2)},
          reason="light", last=day(2016, 12, 1),
          phases=(Stay("urgence", day(2016, 8, 2), None),),
          homes=(Stay("addiction", day(2016, 8, 1), None),)),
    # E: reported and decided in 2015, signed in January 2016, handed over in December.
    story("E", A, SourceKind.OTHER, "unknown", day(2015, 12, 1), taken=timedelta(days=1),
          reached={S.ACCEPTED: day(2015, 12, 20), S.CONTRACT_SIGNED: day(2016, 1, 5)},
          reason="strong", closed=day(2016, 12, 20), outcome="handover"),
    # F: reported in December, nobody took it yet.
    story("F", V, SourceKind.SIAO, "no", day(2016, 12, 15)),
    # G: reported after the year; H: over before it.
    story("G", A, SourceKind.CORRESPONDENT, "yes", day(2017, 2, 1)),
    story("H", V, SourceKind.GENDARMERIE, "yes", day(2014, 5, 1),
          reached={S.CONTRACT_SIGNED: day(2014, 7, 1)}, closed=day(2015, 3, 1),
          outcome="eviction"),
)  # fmt: skip
APPOINTMENTS = (
    Occurrence(AppointmentStatus.HELD, day(2016, 3, 10)),
    Occurrence(AppointmentStatus.HELD, day(2016, 9, 10)),
    Occurrence(AppointmentStatus.MISSED, day(2016, 10, 10)),
    Occurrence(AppointmentStatus.HELD, day(2017, 1, 10)),  # after the year
    Occurrence(AppointmentStatus.CANCELLED, day(2016, 4, 10)),
)
REMINDERS = (
    Occurrence(ReminderStatus.SENT, day(2016, 3, 9)),
    Occurrence(ReminderStatus.SENT, day(2016, 9, 9)),
    Occurrence(ReminderStatus.SENT, day(2016, 10, 9)),
    Occurrence(ReminderStatus.SENT, day(2015, 10, 9)),  # before the year
    Occurrence(ReminderStatus.FAILED, day(2016, 10, 8)),
    Occurrence(ReminderStatus.SKIPPED, day(2016, 10, 7)),
)


def year_2016(selection: Selection = Selection()) -> dict:  # noqa: B008
    return indicators(
        HISTORY,
        YEAR_2016,
        RULES,
        now=NOW,
        stale_days=30,
        appointments=APPOINTMENTS,
        reminders=REMINDERS,
        selection=selection,
    )


def test_the_year_s_referrals_by_kind_source_and_qpv() -> None:
    figures = year_2016()

    assert figures["referrals"] == 5  # A B C D F
    assert (figures["referrals.addiction"], figures["referrals.violence"]) == (2, 3)
    assert figures["referrals.correspondent"] == 2  # A D
    assert figures["referrals.gendarmerie"] == 1  # B
    assert figures["referrals.siao"] == 2  # C F
    assert figures["referrals.other"] == 0
    assert figures["referrals.qpv"] == 2  # A D
    assert figures["referrals.outside_qpv"] == 3  # B C F
    assert figures["referrals.qpv_unknown"] == 0


def test_the_files_studied_and_oriented_are_the_commission_s_decisions_of_the_year() -> None:
    figures = year_2016()

    assert figures["studied"] == 4  # A B C D (E was decided in 2015)
    assert figures["oriented"] == 3  # accepted A D, redirected B
    assert (figures["accepted"], figures["redirected"], figures["declined"]) == (2, 1, 1)
    assert figures["redirected.CHRS"] == 1
    assert figures["declined.no_capacity"] == 1
    assert figures["declined.not_eligible"] == 0


def test_contracts_support_and_the_yearly_target() -> None:
    figures = year_2016()

    assert figures["contracts_signed"] == figures["new_entries"] == 3  # A D E
    assert figures["new_entries_target"] == 30.1  # 30 a year, over 366 days
    assert figures["in_support"] == 1  # D, on the 1st of January 2017
    assert figures["in_support.urgence"] == 1


def test_closings_positive_exits_and_the_length_of_a_path() -> None:
    figures = year_2016()

    assert figures["closed"] == 4  # A B C E
    assert figures["closed.positive_exit"] == 1
    assert figures["closed.handover"] == 1
    assert figures["closed.redirected"] == 1
    assert figures["closed.other"] == 1
    assert figures["closed.eviction"] == 0  # H closed in 2015
    assert figures["positive_exits"] == 2  # A E
    # A: 1 March → 1 November = 245 days, 8.17 months; E: 5 January → 20 December = 350
    # days, 11.67 months (a month counts 30 days).
    assert figures["support_months_mean"] == 9.9
    assert figures["support_months_median"] == 9.9
    assert figures["support_length.under_6"] == 0
    assert figures["support_length.6_to_12"] == 2
    assert figures["support_length.over_12"] == 0


def test_delays_homes_appointments_reminders_and_late_cases() -> None:
    figures = year_2016()

    assert figures["hours_to_taken_median"] == 9.0  # 2 6 12 30 hours (F not taken)
    assert figures["days_to_commission_median"] == 30.0  # 29 30 30 36 days
    assert figures["homes_occupied.addiction"] == 1  # D's
    assert figures["homes_occupied.violence"] == 0
    assert figures["homes_occupied"] == 1
    assert (figures["homes_reserved.addiction"], figures["homes_reserved.violence"]) == (20, 10)
    assert figures["homes_reserved"] == 30
    assert (figures["appointments_held"], figures["appointments_missed"]) == (2, 1)
    assert (figures["reminders_sent"], figures["reminders_failed"]) == (3, 1)
    assert figures["stale_cases"] == 2  # D (1 December) and F (15 December), on 1 March


def test_the_cost_of_the_year_s_support() -> None:
    figures = year_2016()

    # A 245 days, D 152.5 (1 August at noon → 1 January), E 350: 747.5 days, 24.9 months.
    assert figures["support_months"] == 24.9
    assert figures["support_cost_eur"] == 23_609  # 747.5 / 30 × 11,370 / 12 = 23,608.5
    assert figures["cost_per_positive_exit_eur"] == 11_804  # two positive exits


def test_one_kind_one_source_or_one_side_of_the_qpv_line() -> None:
    violence = year_2016(Selection(kind=CaseKind.VIOLENCE))
    siao = year_2016(Selection(source=SourceKind.SIAO))
    in_qpv = year_2016(Selection(qpv=True))

    assert (violence["referrals"], violence["studied"], violence["closed"]) == (3, 2, 2)
    assert violence["positive_exits"] == 0
    assert violence["cost_per_positive_exit_eur"] is None
    assert (siao["referrals"], siao["declined"]) == (2, 1)
    assert (in_qpv["referrals"], in_qpv["accepted"], in_qpv["in_support"]) == (2, 2, 1)


def test_a_period_where_nothing_happened_says_so() -> None:
    long_ago = Period(datetime(2010, 1, 1, tzinfo=UTC), datetime(2011, 1, 1, tzinfo=UTC))
    figures = indicators(HISTORY, long_ago, RULES, now=NOW, stale_days=30)

    assert is_empty(figures)
    assert figures["support_months_mean"] is None
    assert not is_empty(year_2016())


def test_a_case_whose_qpv_answer_is_none_of_the_three_counts_as_unknown() -> None:
    odd = story("Q", A, SourceKind.CORRESPONDENT, "", day(2016, 3, 1))

    figures = indicators((odd,), YEAR_2016, RULES, now=NOW, stale_days=30)

    assert figures["referrals"] == 1
    assert figures["referrals.qpv_unknown"] == 1
    assert figures["referrals.qpv"] == figures["referrals.outside_qpv"] == 0


def test_a_case_in_support_past_its_last_phase_counts_in_support_in_no_phase() -> None:
    overrun = story("P", A, SourceKind.CORRESPONDENT, "yes", day(2016, 6, 1),
                    reached={S.CONTRACT_SIGNED: day(2016, 8, 1), S.IN_SUPPORT: day(2016, 8, 2)},
                    phases=(Stay("urgence", day(2016, 8, 2), day(2016, 11, 2)),))  # fmt: skip

    figures = indicators((overrun,), YEAR_2016, RULES, now=NOW, stale_days=30)

    assert figures["in_support"] == 1
    assert figures["in_support.none"] == 1
    assert figures.get("in_support.urgence", 0) == 0
