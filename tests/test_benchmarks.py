"""The benchmarks run for a moment each, so that they cannot rot: no timing is checked here
(speed is measured by `python -m benchmarks`, never by the tests)."""

import pytest

from benchmarks import figures_scale
from benchmarks.__main__ import BENCHMARKS, main


@pytest.mark.parametrize("name", BENCHMARKS)
def test_each_benchmark_runs_for_a_moment_and_prints_its_figures(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--quick", "--only", name]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0].startswith("| figure | Relais | baseline | ratio | goal |")
    assert len(rows) > 1, out


def test_the_figures_benchmark_runs_on_a_small_store(capsys: pytest.CaptureFixture[str]) -> None:
    figures_scale.main(["--cases", "300"])
    out = capsys.readouterr().out
    assert "store: 300 cases" in out
    assert "python -m bot report (whole command" in out
