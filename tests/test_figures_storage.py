"""The programme's figures read from the database (storage.figures), on SQLite and PostgreSQL:
a year of cases moved by the same functions the bot uses, each at its own date, and every
figure counted by hand from the story below."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from domain.figures import Period, Selection
from domain.programme import load_programme
from domain.statuses import DeclineReason, Intensity, Move, Outcome
from domain.vocabulary import (
    AppointmentKind,
    CaseKind,
    CaseStatus,
    OrganisationKind,
    ReminderKind,
    ReminderStatus,
    Role,
    SourceKind,
)
from storage.appointments import record_outcome, schedule
from storage.case_flow import advance_phase, move_case
from storage.cases import submit_report, take_case
from storage.database import session_scope
from storage.drafts import save_draft, start_draft
from storage.figures import figures_for
from storage.homes import add_home, assign_home
from storage.models import Case, Member, Reminder
from tests.test_case_flow_storage import ANSWERS, enrolled

S = CaseStatus
PROGRAMME = load_programme()
YEAR_2027 = Period(datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
NOW = datetime(2028, 1, 10, 9, 0, tzinfo=UTC)
SERVICE = PROGRAMME.redirection_services[0]


def day(month: int, date: int, hour: int = 9, year: int = 2027) -> datetime:
    return datetime(year, month, date, hour, 0, tzinfo=UTC)


@dataclass(frozen=True)
class People:
    correspondent: Member
    gendarme: Member
    worker: Member


def team(engine: Engine) -> People:
    """A correspondent of the landlord, a gendarme and a Montjoie worker."""
    return People(
        correspondent=enrolled(engine, Role.CORRESPONDENT, 1, "Léa", "Sarthe Habitat"),
        gendarme=enrolled(
            engine, Role.GENDARMERIE, 2, "Morel", "Brigade", OrganisationKind.GENDARMERIE
        ),
        worker=enrolled(engine, Role.WORKER, 3, "Inès", "Montjoie", OrganisationKind.ASSOCIATION),
    )


@pytest.fixture
def people(engine: Engine) -> People:
    return team(engine)


def reported(engine: Engine, source: Member, kind: CaseKind, at: datetime) -> Case:
    draft = start_draft(engine, source.id, "kind")
    draft.answers, draft.current = dict(ANSWERS[kind]), "review"
    save_draft(engine, draft, at)
    case, created = submit_report(engine, draft, source, year=at.year, now=at)
    assert created
    return case


def moved(engine: Engine, case: Case, worker: Member, *steps: tuple[Move, datetime]) -> None:
    for move, at in steps:
        move_case(engine, case.id, worker, move, PROGRAMME, at)


def a_year_of_cases(engine: Engine, people: People, year: int = 2027) -> dict[str, Case]:
    """Five cases of `year` (and one of the year before), each step at a date chosen here."""

    def at(month: int, date: int, hour: int = 9, years_before: int = 0) -> datetime:
        return day(month, date, hour, year=year - years_before)

    worker = people.worker
    home = add_home(engine, label="T2 Sablé", commune="Sablé", size="T2", qpv=False,
                    kind=CaseKind.ADDICTION)  # fmt: skip
    cases = {}

    # A: addiction, a correspondent (QPV: yes in ANSWERS), taken after 3 hours, accepted,
    # signed on 1 March, housed, closed on 1 November as a positive exit: 245 days of support.
    a = cases["A"] = reported(engine, people.correspondent, CaseKind.ADDICTION, at(1, 10))
    take_case(engine, a.id, worker, now=at(1, 10, 12))
    moved(engine, a, worker,
          (Move(S.DIAGNOSTIC), at(1, 20)), (Move(S.COMMISSION), at(2, 1)),
          (Move(S.ACCEPTED, reason=Intensity.MEDIUM), at(2, 15)),
          (Move(S.CONTRACT_SIGNED, meeting_at=at(3, 1), consent=True), at(3, 1)))  # fmt: skip
    assign_home(engine, home.id, a.id, worker, at(3, 1, 10))
    moved(engine, a, worker, (Move(S.IN_SUPPORT), at(3, 2)))
    meeting = schedule(engine, a.id, worker, kind=AppointmentKind.FOLLOW_UP,
                       starts_at=at(4, 1), place="Sablé", attendees=["worker"],
                       now=at(3, 20))  # fmt: skip
    record_outcome(engine, meeting.id, worker, True, at(4, 1, 12))
    advance_phase(engine, a.id, worker, PROGRAMME, at(5, 2))
    moved(engine, a, worker, (Move(S.SHARED_REVIEW), at(10, 25)),
          (Move(S.CLOSED, reason=Outcome.POSITIVE_EXIT), at(11, 1)))  # fmt: skip

    # B: violence, the gendarmerie (QPV: no), taken after 1 hour, redirected on 10 March.
    b = cases["B"] = reported(engine, people.gendarme, CaseKind.VIOLENCE, at(2, 1))
    take_case(engine, b.id, worker, now=at(2, 1, 10))
    moved(engine, b, worker, (Move(S.DIAGNOSTIC), at(2, 5)), (Move(S.COMMISSION), at(3, 1)),
          (Move(S.REDIRECTED, reason=SERVICE), at(3, 10)))  # fmt: skip
    missed = schedule(engine, b.id, worker, kind=AppointmentKind.FOLLOW_UP,
                      starts_at=at(2, 20), place="Mamers", attendees=["worker"],
                      now=at(2, 10))  # fmt: skip
    record_outcome(engine, missed.id, worker, False, at(2, 20, 12))

    # C: addiction, a correspondent, taken after 5 hours, declined on 1 May (no capacity).
    c = cases["C"] = reported(engine, people.correspondent, CaseKind.ADDICTION, at(4, 1))
    take_case(engine, c.id, worker, now=at(4, 1, 14))
    moved(engine, c, worker, (Move(S.DIAGNOSTIC), at(4, 5)), (Move(S.COMMISSION), at(4, 20)),
          (Move(S.DECLINED, reason=DeclineReason.NO_CAPACITY), at(5, 1)))  # fmt: skip

    # D: addiction, a correspondent, signed on 1 July and still in support (first phase) at
    # the year's end; nothing has happened on it since 2 July.
    d = cases["D"] = reported(engine, people.correspondent, CaseKind.ADDICTION, at(6, 1))
    take_case(engine, d.id, worker, now=at(6, 1, 11))
    moved(engine, d, worker,
          (Move(S.DIAGNOSTIC), at(6, 5)), (Move(S.COMMISSION), at(6, 10)),
          (Move(S.ACCEPTED, reason=Intensity.LIGHT), at(6, 20)),
          (Move(S.CONTRACT_SIGNED, meeting_at=at(7, 1), consent=True), at(7, 1)),
          (Move(S.IN_SUPPORT), at(7, 2)))  # fmt: skip

    # E: violence, the gendarmerie, on 20 December, nobody took it yet.
    cases["E"] = reported(engine, people.gendarme, CaseKind.VIOLENCE, at(12, 20))

    # F: a case of 2026, closed in 2026: outside the year but for nothing.
    f = cases["F"] = reported(
        engine, people.correspondent, CaseKind.ADDICTION, at(12, 1, years_before=1)
    )
    take_case(engine, f.id, worker, now=at(12, 1, 10, years_before=1))
    moved(
        engine, f, worker, (Move(S.CLOSED, reason=Outcome.MOVED_AWAY), at(12, 5, years_before=1))
    )

    # Reminders: two sent and one failed in the year, one sent the year before, one cancelled.
    with session_scope(engine) as session:
        for key, status, due in (
            ("r1", ReminderStatus.SENT, at(3, 31)),
            ("r2", ReminderStatus.SENT, at(4, 1)),
            ("r3", ReminderStatus.FAILED, at(2, 19)),
            ("r4", ReminderStatus.SENT, at(12, 2, years_before=1)),
            ("r5", ReminderStatus.CANCELLED, at(4, 1)),
        ):
            session.add(Reminder(key=key, kind=ReminderKind.APPOINTMENT_EVE,
                                 member_id=worker.id, case_id=a.id if key != "r3" else b.id,
                                 due_at=due, original_due_at=due, status=status,
                                 sent_at=due if status is ReminderStatus.SENT else None))  # fmt: skip
    return cases


def hand_counts() -> dict[str, object]:
    """The figures of `a_year_of_cases`'s year, counted by hand, case by case."""
    return {
        # A, B, C, D, E were received in 2027; F in 2026.
        "referrals": 5,
        "referrals.addiction": 3,
        "referrals.violence": 2,
        "referrals.correspondent": 3,
        "referrals.gendarmerie": 2,
        "referrals.siao": 0,
        "referrals.other": 0,
        "referrals.qpv": 3,  # the addiction answers say QPV: yes
        "referrals.outside_qpv": 2,
        # Decided in 2027: A accepted, B redirected, C declined, D accepted.
        "studied": 4,
        "oriented": 3,
        "accepted": 2,
        "redirected": 1,
        f"redirected.{SERVICE}": 1,
        "declined": 1,
        "declined.no_capacity": 1,
        "declined.not_eligible": 0,
        "contracts_signed": 2,
        "new_entries": 2,
        "new_entries_target": 30.0,
        "in_support": 1,  # D
        "in_support.urgence": 1,
        # Only A was closed in 2027 (F in 2026).
        "closed": 1,
        "closed.positive_exit": 1,
        "closed.moved_away": 0,
        "positive_exits": 1,
        "support_months_mean": 8.2,  # 245 days / 30
        "support_months_median": 8.2,
        "support_length.under_6": 0,
        "support_length.6_to_12": 1,
        "support_length.over_12": 0,
        # A 3 h, B 1 h, C 5 h, D 2 h (E not taken): median of 1, 2, 3, 5.
        "hours_to_taken_median": 2.5,
        # A 36 days, B 37, C 30, D 19 (received → decided): median of 19, 30, 36, 37.
        "days_to_commission_median": 33.0,
        "homes_occupied": 0,  # A's home was freed at its closing
        "homes_reserved": 30,
        "homes_reserved.addiction": 20,
        "appointments_held": 1,
        "appointments_missed": 1,
        "reminders_sent": 2,
        "reminders_failed": 1,
        # A: 245 days in 2027; D: 1 July 09:00 → 1 January 00:00, 183 days and 15 hours:
        # 428.625 days, 14.29 months of 11,370 € a year.
        "support_months": 14.3,
        "support_cost_eur": 13_537,
        "cost_per_positive_exit_eur": 13_537,
        # Open, nothing since 10 December 2027: B (10 March), C (1 May), D (2 July). E is new.
        "stale_cases": 3,
    }


def test_a_year_of_cases_gives_the_figures_counted_by_hand(engine: Engine, people: People):
    a_year_of_cases(engine, people)
    figures = figures_for(engine, YEAR_2027, PROGRAMME, NOW)

    expected = hand_counts()
    assert {key: figures.get(key) for key in expected} == expected


def test_one_kind_and_one_source_are_figured_apart(engine: Engine, people: People):
    a_year_of_cases(engine, people)
    violence = figures_for(engine, YEAR_2027, PROGRAMME, NOW, Selection(kind=CaseKind.VIOLENCE))
    expected = {
        "referrals": 2, "studied": 1, "redirected": 1, "accepted": 0, "closed": 0,
        "appointments_held": 0, "appointments_missed": 1,  # B's
        "reminders_sent": 0, "reminders_failed": 1, "stale_cases": 1,
    }  # fmt: skip
    assert {key: violence[key] for key in expected} == expected

    correspondents = figures_for(
        engine, YEAR_2027, PROGRAMME, NOW, Selection(source=SourceKind.CORRESPONDENT)
    )
    assert (correspondents["referrals"], correspondents["studied"]) == (3, 3)


def test_a_year_before_anything_happened_is_empty(engine: Engine, people: People):
    a_year_of_cases(engine, people)
    figures = figures_for(
        engine, Period(day(1, 1, 0, year=2025), day(1, 1, 0, year=2026)), PROGRAMME, NOW
    )
    assert (figures["referrals"], figures["studied"], figures["in_support"]) == (0, 0, 0)
