"""What a benchmark reports: figures, each beside its baseline from the same run, and a goal.

Every benchmark module has `figures(quick: bool) -> list[Figure]`; `python -m benchmarks`
runs them all and prints one table. `quick` runs a benchmark for about a second (the smoke
test, so that none can rot): its numbers then mean nothing.
"""

import os
import platform
import sys
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Goal:
    """A bound on the ratio to the baseline, or on the value itself."""

    bound: float
    upper: bool  # the bound is a most (else a least)
    on_ratio: bool

    @classmethod
    def ratio_at_most(cls, bound: float) -> "Goal":
        return cls(bound, upper=True, on_ratio=True)

    @classmethod
    def ratio_at_least(cls, bound: float) -> "Goal":
        return cls(bound, upper=False, on_ratio=True)

    @classmethod
    def at_most(cls, bound: float) -> "Goal":
        return cls(bound, upper=True, on_ratio=False)

    @classmethod
    def at_least(cls, bound: float) -> "Goal":
        return cls(bound, upper=False, on_ratio=False)

    def text(self, unit: str) -> str:
        sign = "≤" if self.upper else "≥"
        return f"ratio {sign} {self.bound:g}" if self.on_ratio else f"{sign} {self.bound:g} {unit}"


@dataclass(frozen=True)
class Figure:
    """One measured value; `baseline` is measured in the same run, side by side."""

    name: str
    value: float
    unit: str
    goal: Goal | None = None
    baseline: float | None = None
    baseline_name: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        measured = self.ratio if self.goal.on_ratio else self.value
        if measured is None:
            return None
        return measured <= self.goal.bound if self.goal.upper else measured >= self.goal.bound


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{shown} {unit}".strip()


def machine() -> str:
    """The machine the run was on: the figures mean little without it."""
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.machine()}, {os.cpu_count()} cores"
        f" · load average {load} · Python {sys.version.split()[0]} · {platform.platform()}"
    )


def markdown(figures: list[Figure]) -> str:
    """The table, in Markdown (it reads as well in a terminal as in the README)."""
    lines = [
        "| figure | Relais | baseline | ratio | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for figure in figures:
        baseline = (
            f"{_number(figure.baseline, figure.unit)} ({figure.baseline_name})"
            if figure.baseline is not None
            else "—"
        )
        ratio = f"{figure.ratio:.2f}" if figure.ratio is not None else "—"
        goal = figure.goal.text(figure.unit) if figure.goal else "—"
        met = {True: "yes", False: "**no**", None: "—"}[figure.met]
        name = f"{figure.name} ({figure.note})" if figure.note else figure.name
        lines.append(
            f"| {name} | {_number(figure.value, figure.unit)} | {baseline} | {ratio} | {goal} "
            f"| {met} |"
        )
    return "\n".join(lines)
