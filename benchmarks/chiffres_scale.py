"""/chiffres on a large store: what one tap of « L'année dernière » costs on 100,000 imported
cases (benchmarks.figures_scale's history), and its files.

    .venv/bin/python -m benchmarks.chiffres_scale [--cases 100000] [--postgres URL]

Times, best of three: the reading (conversations.figures.read_figures: the cases of the
year, every indicator for all cases and for each kind), the chart (bot.charts.draw, the
first one included matplotlib's import), the XLSX and the CSV; and the process's peak
memory. Goal (issue 15): under 1 s for the figures, under 200 MB.
"""

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

from benchmarks.figures_scale import ZONE, fill
from bot import charts
from bot.i18n import use_language
from bot.spreadsheets import cases_csv, workbook
from conversations.figures import read_figures
from domain.periods import Span
from domain.programme import load_programme
from storage.crypto import new_key, use_keys
from storage.database import make_engine, upgrade

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # "last year" is 2025, as figures_scale's YEAR


def best(what: str, run: Callable[[], object]) -> object:
    timings, result = [], None
    for _attempt in range(3):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    print(f"{what}: best {min(timings):.3f} s of 3 (first {timings[0]:.3f} s)")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--postgres", help="an empty PostgreSQL database's URL")
    arguments = parser.parse_args()
    use_keys([new_key()])
    programme = load_programme()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(arguments.postgres or f"sqlite:///{folder}/chiffres.sqlite3")
        upgrade(engine)
        fill(engine, arguments.cases)
        print(f"store: {arguments.cases:,} cases ({engine.dialect.name})")
        reading = best(
            "the year's figures, all and by kind (read_figures)",
            lambda: read_figures(engine, programme, ZONE, NOW, Span.LAST_YEAR),
        )
        with use_language("fr"):
            plot = charts.funnel(reading.by_kind, reading.first, reading.last)
        best("the chart (PNG)", lambda: charts.draw(plot))
        xlsx = best(
            "the XLSX",
            lambda: workbook(
                reading.figures, reading.stories, reading.period, "fr", zone=ZONE, now=NOW
            ),
        )
        csv = best(
            "the CSV",
            lambda: cases_csv(reading.stories, reading.period, "fr", zone=ZONE, now=NOW),
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{len(reading.stories):,} cases read; XLSX {len(xlsx) / 1e6:.1f} MB, "
              f"CSV {len(csv) / 1e6:.1f} MB; peak memory {peak:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
