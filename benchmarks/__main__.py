"""Every benchmark, one table: `python -m benchmarks` (under ten minutes on a 2-core machine).

    .venv/bin/python -m benchmarks [--only intake,throughput,...] [--quick]

Each figure is printed beside its baseline, measured in the same run, with the ratio and the
goal of issue 16. `--quick` runs each benchmark for about a second (what the smoke test does):
its numbers then mean nothing.
"""

import argparse
import importlib
import time

from benchmarks.table import Figure, machine, markdown

# In the order of the table; each module has figures(quick) -> list[Figure].
BENCHMARKS = ("intake", "throughput", "dispatch", "store_scale")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="a comma-separated list among: " + ", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="a second each: a smoke run")
    arguments = parser.parse_args(argv)
    chosen = arguments.only.split(",") if arguments.only else list(BENCHMARKS)
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}")
    print(machine(), flush=True)
    figures: list[Figure] = []
    started = time.perf_counter()
    for name in chosen:
        begun = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        measured = module.figures(quick=arguments.quick)
        print(
            f"{name}: {len(measured)} figures in {time.perf_counter() - begun:.0f} s", flush=True
        )
        figures += measured
    print()
    print(markdown(figures))
    print(f"\nWhole run: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
