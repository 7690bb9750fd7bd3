"""The benchmarks run for a moment each, so that they cannot rot: no timing is checked here
(speed is measured by `python -m benchmarks...`, never by the tests)."""

import pytest

from benchmarks import figures_scale, intake


def test_the_intake_benchmark_runs_one_round(capsys: pytest.CaptureFixture[str]) -> None:
    intake.main(rounds=1)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["intake answer p50", "intake answer p95"]


def test_the_figures_benchmark_runs_on_a_small_store(capsys: pytest.CaptureFixture[str]) -> None:
    figures_scale.main(["--cases", "300"])
    out = capsys.readouterr().out
    assert "store: 300 cases" in out
    assert "python -m bot report (whole command" in out
