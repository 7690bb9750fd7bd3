"""The rules of a case on their own: the programme file and French dates (its path and who
may move it: tests/test_case_access.py)."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.access import (
    Reader,
    fits_landlord,
    landlord_at_intake,
    landlord_of_reader,
    offers_site,
)
from domain.programme import DEFAULT_FILE, Phase, ProgrammeError, load_programme
from domain.vocabulary import CaseKind, Role
from domain.when import (
    WhenError,
    WhenProblem,
    day_slots,
    exists,
    future_local,
    parse_day,
    parse_when,
    quick_slots,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2027, 3, 4, 10, 0, tzinfo=PARIS)  # a Thursday, before the spring clock change

CUSTOM_PROGRAMME = """
[phases.addiction]
urgence = { min_months = 2, max_months = 4 }
consolidation = { min_months = 4, max_months = 8 }
orientation = { min_months = 1, max_months = 1 }

[phases.violence]
emmenagement = { min_months = 1, max_months = 2 }
suivi = { min_months = 2, max_months = 5 }
soutien_psychologique = { min_months = 3, max_months = 3 }
"""


def programme_file(folder: Path, text: str) -> Path:
    path = folder / "programme.toml"
    path.write_text(text, encoding="utf-8")
    return path


def when(text: str, now: datetime = NOW) -> datetime:
    return parse_when(text, now, PARIS)


def problem_with(text: str, now: datetime = NOW) -> WhenProblem:
    with pytest.raises(WhenError) as refused:
        parse_when(text, now, PARIS)
    return refused.value.problem


# The programme file


def test_the_shipped_programme_gives_the_phases_in_days_and_the_redirection_services() -> None:
    programme = load_programme()

    assert programme.phases[CaseKind.ADDICTION] == (
        Phase("urgence", 30, 90),
        Phase("consolidation", 90, 360),
        Phase("orientation", 90, 180),
    )
    assert programme.phases[CaseKind.VIOLENCE] == (
        Phase("emmenagement", 30, 90),
        Phase("suivi", 90, 180),
        Phase("soutien_psychologique", 90, 180),
    )
    assert programme.redirection_services == (
        "CSAPA",
        "CHRS",
        "SAVS / SAMSAH",
        "Service mandataire judiciaire",
        "CCAS",
        "Accompagnement social du bailleur",
    )
    assert load_programme(DEFAULT_FILE) == programme


def test_another_programme_file_changes_the_durations(tmp_path: Path) -> None:
    programme = load_programme(programme_file(tmp_path, CUSTOM_PROGRAMME))

    assert programme.phase(CaseKind.ADDICTION, "urgence") == Phase("urgence", 60, 120)
    assert programme.phase(CaseKind.ADDICTION, "orientation") == Phase("orientation", 30, 30)
    assert programme.phase(CaseKind.VIOLENCE, "suivi") == Phase("suivi", 60, 150)


@pytest.mark.parametrize(
    ("line", "replacement", "complaint"),
    [
        ("suivi = { min_months = 2, max_months = 5 }\n", "", "'suivi' is missing"),
        ("[phases.violence]", "[phases.violences]", "'violence' is missing"),
        (
            "orientation = { min_months = 1, max_months = 1 }",
            "orientation = { min_months = 1 }",
            "'max_months' is missing",
        ),
        (
            "orientation = { min_months = 1, max_months = 1 }",
            "orientation = { min_months = 7, max_months = 6 }",
            "phase orientation: min_months and max_months must be 0 < min ≤ max",
        ),
        (
            "urgence = { min_months = 2, max_months = 4 }",
            "urgence = { min_months = 0, max_months = 4 }",
            "phase urgence: min_months and max_months must be 0 < min ≤ max",
        ),
    ],
)
def test_an_impossible_programme_file_is_refused_at_start(
    tmp_path: Path, line: str, replacement: str, complaint: str
) -> None:
    assert line in CUSTOM_PROGRAMME
    path = programme_file(tmp_path, CUSTOM_PROGRAMME.replace(line, replacement))

    with pytest.raises(ProgrammeError, match=complaint):
        load_programme(path)


def test_a_programme_file_that_still_lists_the_redirections_is_refused_with_where_they_went(
    tmp_path: Path,
) -> None:
    old = CUSTOM_PROGRAMME + '\n[redirection]\nservices = ["CCAS", "Maison des solidarités"]\n'
    path = programme_file(tmp_path, old)

    with pytest.raises(ProgrammeError) as refused:
        load_programme(path)
    assert str(refused.value) == (
        f"{path}: [redirection] has moved to the partners file (PARTNERS_FILE, "
        'domain/partners.toml): remove it here and give each service redirection = "…" there'
    )


@pytest.mark.parametrize(
    ("kind", "order"),
    [
        (CaseKind.ADDICTION, ["urgence", "consolidation", "orientation"]),
        (CaseKind.VIOLENCE, ["emmenagement", "suivi", "soutien_psychologique"]),
    ],
)
def test_the_phases_follow_one_another_and_end_after_the_last(
    kind: CaseKind, order: list[str]
) -> None:
    programme = load_programme()
    walked: list[str] = []
    phase = programme.next_phase(kind, None)
    while phase is not None:
        walked.append(phase.key)
        phase = programme.next_phase(kind, phase.key)

    assert walked == order
    assert programme.next_phase(kind, order[-1]) is None


# French dates and times


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("12/03 14h30", datetime(2027, 3, 12, 14, 30, tzinfo=PARIS)),
        ("mardi 9h", datetime(2027, 3, 9, 9, 0, tzinfo=PARIS)),
        ("demain 10h", datetime(2027, 3, 5, 10, 0, tzinfo=PARIS)),
        ("14h30", datetime(2027, 3, 4, 14, 30, tzinfo=PARIS)),
        ("le 3 décembre à 9h15", datetime(2027, 12, 3, 9, 15, tzinfo=PARIS)),
        ("9:45", datetime(2027, 3, 5, 9, 45, tzinfo=PARIS)),
        # An English reader's hours
        ("tuesday 9am", datetime(2027, 3, 9, 9, 0, tzinfo=PARIS)),
        ("12/03 2:30 pm", datetime(2027, 3, 12, 14, 30, tzinfo=PARIS)),
        ("tomorrow 12 a.m.", datetime(2027, 3, 5, 0, 0, tzinfo=PARIS)),
        ("tomorrow 12pm", datetime(2027, 3, 5, 12, 0, tzinfo=PARIS)),
    ],
)
def test_a_date_and_time_typed_in_french_is_read_in_paris_time(
    typed: str, meant: datetime
) -> None:
    read = when(typed)

    assert read == meant
    assert read.tzinfo is PARIS


def test_a_time_already_gone_today_is_tomorrows() -> None:
    assert when("14h30", now=NOW.replace(hour=15)) == datetime(2027, 3, 5, 14, 30, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("hier 10h", WhenProblem.PAST),
        ("mardi", WhenProblem.NO_TIME),
        ("bla", WhenProblem.UNREADABLE),
    ],
)
def test_a_past_a_timeless_or_an_unreadable_answer_says_what_is_wrong(
    typed: str, problem: WhenProblem
) -> None:
    assert problem_with(typed) is problem


def test_half_past_two_does_not_exist_on_the_night_clocks_go_forward() -> None:
    assert problem_with("28/03 2h30") is WhenProblem.NONEXISTENT


def test_the_summer_offset_starts_on_the_sunday_clocks_go_forward() -> None:
    assert when("27/03 10h").utcoffset() == timedelta(hours=1)
    assert when("28/03 10h").utcoffset() == timedelta(hours=2)


def test_the_sunday_clocks_go_back_is_an_ordinary_day_on_winter_time() -> None:
    back = when("31/10 10h")

    assert back == datetime(2027, 10, 31, 10, 0, tzinfo=PARIS)
    assert back.utcoffset() == timedelta(hours=1)


def test_a_chosen_day_and_hour_become_a_paris_datetime_when_still_to_come() -> None:
    chosen = future_local(date(2027, 3, 5), time(9), NOW, PARIS)

    assert chosen == datetime(2027, 3, 5, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "at", "problem"),
    [
        (date(2027, 3, 4), time(10), WhenProblem.PAST),
        (date(2027, 3, 3), time(16), WhenProblem.PAST),
        (date(2027, 3, 28), time(2, 30), WhenProblem.NONEXISTENT),
    ],
)
def test_a_chosen_day_and_hour_now_gone_or_skipped_by_the_clock_is_refused(
    day: date, at: time, problem: WhenProblem
) -> None:
    with pytest.raises(WhenError) as refused:
        future_local(day, at, NOW, PARIS)

    assert refused.value.problem is problem


@pytest.mark.parametrize(
    ("local", "real"),
    [
        (datetime(2027, 3, 28, 1, 59, tzinfo=PARIS), True),
        (datetime(2027, 3, 28, 2, 0, tzinfo=PARIS), False),
        (datetime(2027, 3, 28, 2, 30, tzinfo=PARIS), False),
        (datetime(2027, 3, 28, 3, 0, tzinfo=PARIS), True),
        (datetime(2027, 10, 31, 2, 30, tzinfo=PARIS), True),
    ],
)
def test_only_the_hour_skipped_in_spring_does_not_exist(local: datetime, real: bool) -> None:
    assert exists(local) is real


def test_a_day_can_be_yesterday() -> None:
    assert parse_day("hier", NOW, PARIS) == date(2027, 3, 3)


def test_a_day_without_a_year_is_the_last_one_already_reached() -> None:
    assert parse_day("12/03", NOW, PARIS) == date(2026, 3, 12)
    assert parse_day("12/03", NOW.replace(day=22), PARIS) == date(2027, 3, 12)


def test_a_weekday_alone_is_the_last_one_gone_by() -> None:
    assert parse_day("mardi", NOW, PARIS) == date(2027, 3, 2)


def test_an_unreadable_day_is_refused() -> None:
    with pytest.raises(WhenError) as refused:
        parse_day("bla", NOW, PARIS)

    assert refused.value.problem is WhenProblem.UNREADABLE


def test_the_quick_choices_are_9_and_14_on_the_next_two_days_but_sunday() -> None:
    friday_evening = datetime(2027, 3, 26, 18, 0, tzinfo=PARIS)

    assert quick_slots(friday_evening, PARIS) == [
        datetime(2027, 3, 27, 9, 0, tzinfo=PARIS),
        datetime(2027, 3, 27, 14, 0, tzinfo=PARIS),
        datetime(2027, 3, 29, 9, 0, tzinfo=PARIS),
        datetime(2027, 3, 29, 14, 0, tzinfo=PARIS),
    ]


def test_the_quick_choices_count_days_in_paris_not_in_utc() -> None:
    saturday_half_past_midnight_in_paris = datetime(2027, 3, 26, 23, 30, tzinfo=UTC)

    slots = quick_slots(saturday_half_past_midnight_in_paris, PARIS)

    assert [slot.date() for slot in slots] == [date(2027, 3, 29)] * 2 + [date(2027, 3, 30)] * 2


def test_a_day_to_come_offers_every_half_hour_from_8_to_18_30() -> None:
    slots = day_slots(date(2027, 3, 5), NOW, PARIS)

    assert len(slots) == 22
    assert (slots[0], slots[-1]) == (
        datetime(2027, 3, 5, 8, 0, tzinfo=PARIS),
        datetime(2027, 3, 5, 18, 30, tzinfo=PARIS),
    )
    assert all(b - a == timedelta(minutes=30) for a, b in pairwise(slots))


def test_today_offers_only_the_half_hours_still_to_come() -> None:
    slots = day_slots(date(2027, 3, 4), NOW, PARIS)

    assert slots[0] == datetime(2027, 3, 4, 10, 30, tzinfo=PARIS)
    assert len(slots) == 17


def test_the_day_clocks_go_forward_offers_22_half_hours_that_all_exist() -> None:
    slots = day_slots(date(2027, 3, 28), NOW, PARIS)

    assert len(slots) == 22
    assert all(slot.tzinfo is PARIS and exists(slot) for slot in slots)
    assert all(slot.utcoffset() == timedelta(hours=2) for slot in slots)


# Landlords (organisations 10 and 11; the others are no landlord)


def test_a_report_belongs_to_its_residences_landlord_else_to_the_reporters_else_to_none() -> None:
    assert landlord_at_intake(10, 11) == 10
    assert landlord_at_intake(None, 11) == 11
    assert landlord_at_intake(None, None) is None


def test_a_case_of_one_landlord_takes_its_homes_and_referents_and_those_of_no_landlord() -> None:
    assert fits_landlord(10, 10)
    assert not fits_landlord(10, 11)
    assert fits_landlord(10, None)


def test_a_case_of_no_landlord_yet_takes_any_landlords_home_or_referent() -> None:
    assert fits_landlord(None, 11)


def test_a_correspondent_reports_only_from_their_landlords_residences_a_worker_from_any() -> None:
    correspondent = Reader(7, Role.CORRESPONDENT, 10)
    worker = Reader(1, Role.WORKER, 20)

    assert offers_site(correspondent, 10)
    assert not offers_site(correspondent, 11)
    assert offers_site(correspondent, None)
    assert offers_site(worker, 11)


def test_a_landlord_referent_keeps_to_their_landlord_and_an_admin_of_a_landlord_sees_all() -> None:
    assert landlord_of_reader(Reader(3, Role.LANDLORD_REFERENT, 10)) == 10
    assert landlord_of_reader(Reader(6, Role.ADMIN, 10)) is None
    assert landlord_of_reader(Reader(1, Role.WORKER, 20)) is None
