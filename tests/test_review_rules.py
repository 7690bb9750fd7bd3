"""The review pack's rules, on a few cases written by hand (no bot, no database)."""

from datetime import UTC, date, datetime, timedelta

from domain.programme import load_programme
from domain.review import OpenCase, next_review, overdue_for_news, review_pack
from domain.vocabulary import CaseKind, CaseStatus

NOW = datetime(2027, 1, 8, 8, 0, tzinfo=UTC)
PROGRAMME = load_programme()


def a_case(reference: str, worker: tuple[int, str] | None, **fields: object) -> OpenCase:
    values: dict[str, object] = {
        "reference": reference,
        "kind": CaseKind.ADDICTION,
        "status": CaseStatus.RECEIVED,
        "worker_id": worker[0] if worker else None,
        "worker_name": worker[1] if worker else None,
        "phase": None,
        "phase_started_at": None,
        "last_event_at": NOW - timedelta(days=1),
        "next_appointment_at": None,
    }
    return OpenCase(**(values | fields))


def test_a_case_is_overdue_for_news_from_the_thirtieth_day_without_an_event() -> None:
    assert not overdue_for_news(NOW - timedelta(days=30) + timedelta(minutes=1), NOW, 30)
    assert overdue_for_news(NOW - timedelta(days=30), NOW, 30)


def test_the_pack_groups_cases_by_worker_name_and_puts_the_unassigned_last() -> None:
    paul, ines, zoe = (7, "Paul"), (3, "inès"), (9, "Zoé")
    pack = review_pack(
        [
            a_case("R-2026-0005", None),
            a_case("R-2026-0004", paul),
            a_case("R-2026-0002", zoe),
            a_case("R-2026-0003", ines),
            a_case("R-2026-0001", paul),
        ],
        NOW,
        PROGRAMME,
        date(2027, 1, 15),
    )
    assert [(g.worker_name, [line.case.reference for line in g.lines]) for g in pack.groups] == [
        ("inès", ["R-2026-0003"]),
        ("Paul", ["R-2026-0001", "R-2026-0004"]),
        ("Zoé", ["R-2026-0002"]),
        (None, ["R-2026-0005"]),
    ]
    assert pack.open_count == 5


def test_day_in_phase_is_read_against_the_phases_planned_maximum() -> None:
    # Consolidation (addiction): at most 12 months of 30 days = 360 days.
    within = a_case(
        "R-2026-0001", (1, "Inès"), status=CaseStatus.IN_SUPPORT, phase="consolidation",
        phase_started_at=NOW - timedelta(days=359, hours=1),
    )  # fmt: skip
    past = a_case(
        "R-2026-0002", (1, "Inès"), status=CaseStatus.IN_SUPPORT, phase="urgence",
        phase_started_at=NOW - timedelta(days=90), last_event_at=NOW - timedelta(days=45),
    )  # fmt: skip
    pack = review_pack([within, past], NOW, PROGRAMME, None)
    first, second = pack.lines
    assert (first.day_in_phase, first.phase_max_days, first.past_planned_length) == (
        360,
        360,
        False,
    )
    assert (second.day_in_phase, second.phase_max_days, second.past_planned_length) == (
        91,
        90,
        True,
    )
    assert [line.case.reference for line in pack.past_length] == ["R-2026-0002"]
    assert [line.case.reference for line in pack.overdue] == ["R-2026-0002"]
    assert second.days_without_news == 45


def test_the_coming_review_is_the_first_on_or_after_today() -> None:
    reviews = (date(2027, 1, 15), date(2027, 4, 15))
    assert next_review(reviews, date(2027, 1, 8)) == date(2027, 1, 15)
    assert next_review(reviews, date(2027, 1, 15)) == date(2027, 1, 15)
    assert next_review(reviews, date(2027, 1, 16)) == date(2027, 4, 15)
    assert next_review(reviews, date(2027, 4, 16)) is None
