"""The programme's figures: what each indicator counts, for a period, as plain rules.

Every figure is computed from the cases and their timelines (`CaseStory`: when a case
reached each step), never kept as a counter. Each has a stable key (`referrals`,
`positive_exits`...), breakdowns as `key.part` (`referrals.gendarmerie`,
`closed.positive_exit`): the chat, the spreadsheets and `python -m bot report` all read
the same keys.

A period is [start, end): a step counts in the period it was reached in; a state ("in
support", "homes occupied") is read at the period's end.
"""

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from domain.statuses import DeclineReason, Outcome
from domain.vocabulary import (
    DAYS_PER_MONTH,
    AppointmentStatus,
    CaseKind,
    CaseStatus,
    ReminderStatus,
    Role,
    SourceKind,
)

S = CaseStatus
DECISIONS = (S.ACCEPTED, S.REDIRECTED, S.DECLINED)
# The steps whose times the indicators read (the others are for the exports' dates).
COUNTED_STEPS = (*DECISIONS, S.CONTRACT_SIGNED)
QPV_PARTS = {"yes": "qpv", "no": "outside_qpv", "unknown": "qpv_unknown"}
# Who reported a case, by the reporter's role (a worker or an admin who reports: "other").
SOURCE_OF_ROLE: dict[Role, SourceKind] = {
    Role.CORRESPONDENT: SourceKind.CORRESPONDENT,
    Role.GENDARMERIE: SourceKind.GENDARMERIE,
    Role.SIAO: SourceKind.SIAO,
}
# Lengths of a path (contract signed → closed), in months: the programme sheet's 6 to 12.
LENGTHS = (("under_6", 0, 6), ("6_to_12", 6, 12), ("over_12", 12, None))


@dataclass(frozen=True)
class FigureRules:
    """The programme file's [figures]: what the review measures against."""

    yearly_target: int = 30  # households entering the support each year
    cost_per_household_year_eur: int = 11_370
    reserved_homes: dict[CaseKind, int] = field(
        default_factory=lambda: {CaseKind.ADDICTION: 20, CaseKind.VIOLENCE: 10}
    )
    positive_outcomes: tuple[str, ...] = (Outcome.POSITIVE_EXIT, Outcome.HANDOVER)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # excluded

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end

    @property
    def days(self) -> float:
        return (self.end - self.start) / timedelta(days=1)


@dataclass(frozen=True)
class Stay:
    """A span of a case's life: a support phase, or the time it held a reserved home."""

    key: str
    start: datetime
    end: datetime | None  # still on


@dataclass(frozen=True)
class CaseStory:
    """One case as the figures read it: its fixed-list values and the times of its steps."""

    reference: str
    kind: CaseKind
    source: SourceKind
    qpv: str  # yes / no / unknown
    received_at: datetime
    taken_at: datetime | None
    # The first time the case reached each status (a reopened case keeps its first times).
    reached: dict[CaseStatus, datetime]
    decision_reason: str | None  # the intensity, the service or the refusal's reason
    outcome: str | None
    closed_at: datetime | None  # its last closing, while closed
    last_event_at: datetime
    phases: tuple[Stay, ...] = ()
    homes: tuple[Stay, ...] = ()  # key: the home's kind
    commune: str | None = None
    landlord: int | None = None  # the landlord organisation it belongs to (domain.access)

    @property
    def decision(self) -> CaseStatus | None:
        return next((status for status in DECISIONS if status in self.reached), None)

    @property
    def decided_at(self) -> datetime | None:
        decision = self.decision
        return self.reached[decision] if decision is not None else None

    @property
    def contract_at(self) -> datetime | None:
        return self.reached.get(S.CONTRACT_SIGNED)


@dataclass(frozen=True)
class Occurrence:
    """An appointment or a reminder: its state, when it counts, and the case it is for (a
    day's digest is for no case: it counts only when the figures cover every case)."""

    status: AppointmentStatus | ReminderStatus
    at: datetime
    case: str | None = None  # the case's reference


@dataclass(frozen=True)
class Selection:
    """Which cases the figures cover: one kind, one source, in or outside QPV, one landlord's
    (None: all; a case of no landlord yet is in no landlord's figures)."""

    kind: CaseKind | None = None
    source: SourceKind | None = None
    qpv: bool | None = None
    landlord: int | None = None

    def takes(self, story: CaseStory) -> bool:
        return (
            (self.kind is None or story.kind is self.kind)
            and (self.source is None or story.source is self.source)
            and (self.qpv is None or (story.qpv == "yes") is self.qpv)
            and (self.landlord is None or story.landlord == self.landlord)
        )


def rules_for(
    rules: FigureRules, selection: Selection, landlords_homes: Mapping[int, Mapping[CaseKind, int]]
) -> FigureRules:
    """One landlord's figures measure its homes against its own reserved homes, as Relais
    holds them; the programme file's capacity is the whole programme's."""
    if selection.landlord is None:
        return rules
    return replace(rules, reserved_homes=dict(landlords_homes.get(selection.landlord, {})))


ALL_CASES = Selection()

Figures = dict[str, float | int | None]


def indicators(
    stories: Iterable[CaseStory],
    period: Period,
    rules: FigureRules,
    *,
    now: datetime,
    stale_days: int,
    appointments: Sequence[Occurrence] = (),
    reminders: Sequence[Occurrence] = (),
    selection: Selection = ALL_CASES,
) -> Figures:
    """Every indicator of the period, by its stable key (see the README's "Figures").

    `stale_days`: an open case without an event for that long is late (the programme's
    [reminders] stale_case_days, which also tells its worker)."""
    chosen = [story for story in stories if selection.takes(story)]
    if selection != ALL_CASES:
        references = {story.reference for story in chosen}
        appointments = [item for item in appointments if item.case in references]
        reminders = [item for item in reminders if item.case in references]
    figures: Figures = {}
    figures |= _referrals(chosen, period)
    figures |= _decisions(chosen, period)
    figures |= _support(chosen, period, rules)
    figures |= _closings(chosen, period, rules)
    figures |= _delays(chosen, period)
    figures |= _homes(chosen, period, rules)
    figures |= _occurrences(appointments, reminders, period)
    figures |= _cost(chosen, period, rules, figures, now)
    figures["stale_cases"] = sum(
        1
        for story in chosen
        if story.closed_at is None and story.last_event_at <= now - timedelta(days=stale_days)
    )
    return figures


def is_empty(figures: Figures) -> bool:
    """Nothing happened in the period, and nothing was going on: say so, not a wall of zeros."""
    return not any(
        figures.get(key)
        for key in ("referrals", "studied", "contracts_signed", "closed", "in_support")
    )


def _count(stories: Iterable[CaseStory], key: str, part: Callable[[CaseStory], str]) -> Figures:
    """How many stories fall in each `key.part` (`part` names a story's part)."""
    found: dict[str, int] = {}
    for story in stories:
        name = f"{key}.{part(story)}"
        found[name] = found.get(name, 0) + 1
    return dict(found)


def _zeros(key: str, parts: Iterable[object]) -> Figures:
    """`key.part` for every value a fixed list can take, so that a zero is said too."""
    return {f"{key}.{part}": 0 for part in parts}


def _referrals(stories: list[CaseStory], period: Period) -> Figures:
    received = [story for story in stories if period.holds(story.received_at)]
    return {
        "referrals": len(received),
        **_zeros("referrals", CaseKind),
        **_zeros("referrals", SourceKind),
        **_zeros("referrals", QPV_PARTS.values()),
        **_count(received, "referrals", lambda story: story.kind.value),
        **_count(received, "referrals", lambda story: story.source.value),
        **_count(received, "referrals", lambda story: QPV_PARTS.get(story.qpv, "qpv_unknown")),
    }


def _decisions(stories: list[CaseStory], period: Period) -> Figures:
    decided = [story for story in stories if period.holds(story.decided_at)]
    by = {status: [s for s in decided if s.decision is status] for status in DECISIONS}
    return {
        "studied": len(decided),
        "oriented": len(by[S.ACCEPTED]) + len(by[S.REDIRECTED]),
        "accepted": len(by[S.ACCEPTED]),
        "redirected": len(by[S.REDIRECTED]),
        "declined": len(by[S.DECLINED]),
        **_count(by[S.REDIRECTED], "redirected", lambda story: story.decision_reason),
        **_zeros("declined", DeclineReason),
        **_count(by[S.DECLINED], "declined", lambda story: story.decision_reason),
    }


def _in_support_at(story: CaseStory, moment: datetime) -> bool:
    contract = story.contract_at
    return (
        contract is not None
        and contract < moment
        and (story.closed_at is None or story.closed_at >= moment)
    )


def _support(stories: list[CaseStory], period: Period, rules: FigureRules) -> Figures:
    signed = [story for story in stories if period.holds(story.contract_at)]
    supported = [story for story in stories if _in_support_at(story, period.end)]
    target = rules.yearly_target * period.days / 365.25
    figures: Figures = {
        "contracts_signed": len(signed),
        "new_entries": len(signed),
        "new_entries_target": round(target, 1),
        "in_support": len(supported),
    }

    def phase_at_end(story: CaseStory) -> str:
        open_phase = next((stay for stay in story.phases if _spans(stay, period.end)), None)
        return open_phase.key if open_phase else "none"

    return figures | _count(supported, "in_support", phase_at_end)


def _spans(stay: Stay, moment: datetime) -> bool:
    return stay.start < moment and (stay.end is None or stay.end >= moment)


def _closings(stories: list[CaseStory], period: Period, rules: FigureRules) -> Figures:
    closed = [story for story in stories if period.holds(story.closed_at)]
    paths = [
        (story.closed_at - story.contract_at) / timedelta(days=DAYS_PER_MONTH)
        for story in closed
        if story.contract_at is not None and story.closed_at is not None
    ]
    figures: Figures = {
        "closed": len(closed),
        **_zeros("closed", Outcome),
        **_count(closed, "closed", lambda story: story.outcome or "none"),
        "positive_exits": sum(1 for story in closed if story.outcome in rules.positive_outcomes),
        "support_months_mean": round(statistics.fmean(paths), 1) if paths else None,
        "support_months_median": round(statistics.median(paths), 1) if paths else None,
    }
    for name, low, high in LENGTHS:
        figures[f"support_length.{name}"] = sum(
            1 for months in paths if months >= low and (high is None or months < high)
        )
    return figures


def _delays(stories: list[CaseStory], period: Period) -> Figures:
    received = [story for story in stories if period.holds(story.received_at)]
    hours = [
        (story.taken_at - story.received_at) / timedelta(hours=1)
        for story in received
        if story.taken_at is not None
    ]
    days = [
        (story.decided_at - story.received_at) / timedelta(days=1)
        for story in stories
        if period.holds(story.decided_at) and story.decided_at is not None
    ]
    return {
        "hours_to_taken_median": round(statistics.median(hours), 1) if hours else None,
        "days_to_commission_median": round(statistics.median(days), 1) if days else None,
    }


def _homes(stories: list[CaseStory], period: Period, rules: FigureRules) -> Figures:
    figures: Figures = {}
    for kind in CaseKind:
        occupied = sum(
            1
            for story in stories
            for stay in story.homes
            if stay.key == kind.value and _spans(stay, period.end)
        )
        figures[f"homes_occupied.{kind.value}"] = occupied
        figures[f"homes_reserved.{kind.value}"] = rules.reserved_homes.get(kind, 0)
    figures["homes_occupied"] = sum(figures[f"homes_occupied.{kind.value}"] for kind in CaseKind)
    figures["homes_reserved"] = sum(rules.reserved_homes.values())
    return figures


def _occurrences(
    appointments: Sequence[Occurrence], reminders: Sequence[Occurrence], period: Period
) -> Figures:
    def count(items: Sequence[Occurrence], status: object) -> int:
        return sum(1 for item in items if item.status is status and period.holds(item.at))

    return {
        "appointments_held": count(appointments, AppointmentStatus.HELD),
        "appointments_missed": count(appointments, AppointmentStatus.MISSED),
        "reminders_sent": count(reminders, ReminderStatus.SENT),
        "reminders_failed": count(reminders, ReminderStatus.FAILED),
    }


def support_days(story: CaseStory, period: Period, now: datetime) -> float:
    """How many days of the period the case spent in support (contract signed → closed),
    up to now for a period still going on."""
    contract = story.contract_at
    if contract is None:
        return 0.0
    start = max(contract, period.start)
    end = min(story.closed_at or now, period.end, now)
    return max((end - start) / timedelta(days=1), 0.0)


def _cost(
    stories: list[CaseStory], period: Period, rules: FigureRules, figures: Figures, now: datetime
) -> Figures:
    months = sum(support_days(story, period, now) for story in stories) / DAYS_PER_MONTH
    cost = months * rules.cost_per_household_year_eur / 12
    exits = figures["positive_exits"]
    return {
        "support_months": round(months, 1),
        "support_cost_eur": round(cost),
        "cost_per_positive_exit_eur": round(cost / exits) if exits else None,
    }
