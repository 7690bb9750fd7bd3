"""The programme's configurable values: phase durations, reminder times, retention periods
and what the figures measure against — and its partners (domain.partners), whose file also
gives the commission's redirection services.

Read from `programme.toml` (or the file named by PROGRAMME_FILE) and `partners.toml` (or
PARTNERS_FILE), checked once at start.
"""

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from domain.figures import FigureRules
from domain.partners import DEFAULT_FILE as DEFAULT_PARTNERS_FILE
from domain.partners import Partners, load_partners
from domain.reminders import ReminderRules
from domain.retention import RetentionRules
from domain.statuses import Outcome
from domain.vocabulary import DAYS_PER_MONTH, CaseKind

Rules = TypeVar("Rules", ReminderRules, RetentionRules, FigureRules)

DEFAULT_FILE = Path(__file__).with_name("programme.toml")

# The phases of each kind of support, in order (their durations come from the file).
PHASE_ORDER: dict[CaseKind, tuple[str, ...]] = {
    CaseKind.ADDICTION: ("urgence", "consolidation", "orientation"),
    CaseKind.VIOLENCE: ("emmenagement", "suivi", "soutien_psychologique"),
}


class ProgrammeError(ValueError):
    """The programme file is missing a phase or has impossible durations."""


@dataclass(frozen=True)
class Phase:
    key: str
    min_days: int
    max_days: int


@dataclass(frozen=True)
class Programme:
    phases: dict[CaseKind, tuple[Phase, ...]]
    partners: Partners
    reminders: ReminderRules = field(default_factory=ReminderRules)
    retention: RetentionRules = field(default_factory=RetentionRules)
    figures: FigureRules = field(default_factory=FigureRules)

    @property
    def redirection_services(self) -> tuple[str, ...]:
        """The services a commission can redirect a case to: the partners file's."""
        return self.partners.redirection_services

    def phase(self, kind: CaseKind, key: str) -> Phase:
        return next(phase for phase in self.phases[kind] if phase.key == key)

    def next_phase(self, kind: CaseKind, key: str | None) -> Phase | None:
        """The phase after `key` (the first one when None), or None after the last."""
        order = self.phases[kind]
        if key is None:
            return order[0]
        position = [phase.key for phase in order].index(key)
        return order[position + 1] if position + 1 < len(order) else None


def load_programme(
    path: Path = DEFAULT_FILE, partners_path: Path = DEFAULT_PARTNERS_FILE
) -> Programme:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    if "redirection" in data:
        # Refused rather than ignored: a list edited here would silently change nothing.
        raise ProgrammeError(
            f"{path}: [redirection] has moved to the partners file (PARTNERS_FILE, "
            "domain/partners.toml): remove it here and give each service "
            'redirection = "…" there'
        )
    try:
        phases = {
            kind: tuple(_phase(data["phases"][kind.value], key) for key in keys)
            for kind, keys in PHASE_ORDER.items()
        }
    except KeyError as missing:
        raise ProgrammeError(f"{path}: {missing} is missing") from None
    return Programme(
        phases,
        load_partners(partners_path),
        _rules(ReminderRules, "reminders", data, path),
        _rules(RetentionRules, "retention", data, path),
        _rules(FigureRules, "figures", data, path),
    )


def _rules(kind: type[Rules], section: str, data: dict, path: Path) -> Rules:
    values = dict(data.get(section, {}))
    try:
        if section == "reminders":
            values["phase_checkpoint_days"] = tuple(values.get("phase_checkpoint_days", (14, 1)))
            values["quarterly_reviews"] = tuple(
                date.fromisoformat(str(day)) for day in values.get("quarterly_reviews", ())
            )
        if section == "figures":
            values = _figure_values(values)
        return kind(**values)
    except (TypeError, ValueError) as error:
        raise ProgrammeError(f"{path}: [{section}] {error}") from None


def _figure_values(values: dict) -> dict:
    """The [figures] table as FigureRules takes it: kinds and outcomes of the fixed lists."""
    if "reserved_homes" in values:
        values["reserved_homes"] = {
            CaseKind(kind): int(count) for kind, count in values["reserved_homes"].items()
        }
    if "positive_outcomes" in values:
        values["positive_outcomes"] = tuple(
            Outcome(outcome) for outcome in values["positive_outcomes"]
        )
    return values


def _phase(table: dict[str, dict[str, int]], key: str) -> Phase:
    months = table[key]
    low, high = int(months["min_months"]), int(months["max_months"])
    if not 0 < low <= high:
        raise ProgrammeError(f"phase {key}: min_months and max_months must be 0 < min ≤ max")
    return Phase(key, low * DAYS_PER_MONTH, high * DAYS_PER_MONTH)
