"""The programme's figures on a large store: 100,000 imported cases, a whole year's figures.

    .venv/bin/python -m benchmarks.figures_scale [--cases 100000] [--postgres URL]

Builds a database of `--cases` cases of the history's shape (2015 → 2026, both kinds, most
studied, a share redirected or declined, half of the last year and a half's still open) with
their timelines, then times
`storage.figures.figures_for` and the annual review for one year, in this process (best of
three), and the whole `python -m bot report` command in a child process, with its peak memory.
Goals (issue 15): under 1 s for a year's figures, under 200 MB.
"""

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, text

from benchmarks.databases import bulk_insert
from bot.report import annual_review
from domain.figures import Selection
from domain.periods import days
from domain.programme import load_programme
from domain.statuses import DeclineReason, Intensity, Outcome
from domain.vocabulary import CaseKind, CaseStatus, OrganisationKind, SourceKind
from storage.crypto import new_key, use_keys
from storage.database import make_engine, upgrade
from storage.figures import figures_for
from storage.models import Case, CaseEvent, CasePhase, Organisation

S = CaseStatus
ROOT = Path(__file__).resolve().parent.parent
ZONE = ZoneInfo("Europe/Paris")
YEAR = 2025
BATCH = 5_000
OPEN_SINCE = datetime(YEAR - 1, 7, 1, tzinfo=UTC)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--postgres", help="an empty PostgreSQL database's URL")
    arguments = parser.parse_args(argv)
    key = new_key()
    use_keys([key])
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.postgres or f"sqlite:///{folder}/figures.sqlite3"
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        events = fill(engine, arguments.cases)
        print(f"store: {arguments.cases:,} cases, {events:,} events in "
              f"{time.perf_counter() - started:.1f} s ({engine.dialect.name})")  # fmt: skip
        in_process(engine)
        whole_command(url, key, folder)


def fill(engine: Engine, count: int) -> int:
    """`count` imported cases with their timelines, inserted in batches."""
    rng = random.Random(15)
    services = load_programme().redirection_services
    with engine.begin() as connection:
        organisation = connection.execute(
            insert(Organisation).values(
                name="Historique du programme",
                kind=OrganisationKind.OTHER,
                created_at=datetime.now(UTC),
            )
        ).inserted_primary_key[0]
    events = 0
    for first in range(0, count, BATCH):
        cases, timeline, phases = [], [], []
        for number in range(first, min(first + BATCH, count)):
            case, steps, phase = _history(rng, number, organisation, services)
            cases.append(case)
            timeline.append(steps)
            phases.append(phase)
        with engine.begin() as connection:
            # One statement per batch (SQLAlchemy's "insertmanyvalues"), ids in the rows' order.
            ids = (
                connection.execute(
                    insert(Case).returning(Case.id, sort_by_parameter_order=True), cases
                )
                .scalars()
                .all()
            )
            rows = [
                {"case_id": case_id, "at": at, "kind": "status", "to_status": status}
                for case_id, steps in zip(ids, timeline, strict=True)
                for status, at in steps
            ]
            bulk_insert(connection, CaseEvent.__table__, rows)
            phase_rows = [
                {"case_id": case_id, "phase": "urgence", "started_at": start, "ended_at": end}
                for case_id, phase in zip(ids, phases, strict=True)
                if phase
                for start, end in [phase]
            ]
            bulk_insert(connection, CasePhase.__table__, phase_rows)
        events += len(rows)
    return events


def _history(rng: random.Random, number: int, organisation: int, services: tuple[str, ...]):
    received = datetime(2015, 1, 1, 11, tzinfo=UTC) + timedelta(days=rng.uniform(0, 4380))
    kind = rng.choice((CaseKind.ADDICTION, CaseKind.ADDICTION, CaseKind.VIOLENCE))
    steps = [(S.RECEIVED, received)]
    at = received
    status, reason, outcome, phase = S.RECEIVED, {}, None, None
    for step in (S.DIAGNOSTIC, S.COMMISSION):
        if rng.random() < 0.93:
            at += timedelta(days=rng.uniform(3, 25))
            steps.append((step, at))
            status = step
    if status is S.COMMISSION:
        at += timedelta(days=rng.uniform(1, 15))
        draw = rng.random()
        if draw < 0.65:
            status, reason = S.ACCEPTED, {"intensity": rng.choice(list(Intensity))}
        elif draw < 0.85:
            status, reason = S.REDIRECTED, {"redirected_to": rng.choice(services)}
        else:
            status, reason = S.DECLINED, {"decline_reason": rng.choice(list(DeclineReason))}
        steps.append((status, at))
    if status is S.ACCEPTED and rng.random() < 0.9:
        at += timedelta(days=rng.uniform(5, 30))
        steps += [(S.CONTRACT_SIGNED, at), (S.IN_SUPPORT, at)]
        status = S.IN_SUPPORT
        phase = (at, None)
    # Paths last 6 to 12 months: what was received before the last year and a half is over.
    if received < OPEN_SINCE or rng.random() < 0.5:
        at += timedelta(days=rng.uniform(60, 420))
        steps.append((S.CLOSED, at))
        status, outcome = S.CLOSED, rng.choice(list(Outcome))
        phase = (phase[0], at) if phase else None
    case = {
        "reference": f"H-{number:06d}",
        "submission_key": f"history-{number}",
        "kind": kind,
        "status": status,
        "qpv": rng.choice(("yes", "no")),
        "consent": "no",
        "answers": {},
        "source_organisation_id": organisation,
        "source_kind": rng.choice(list(SourceKind)),
        "imported": True,
        "created_at": received,
        "status_changed_at": at,
        "outcome": outcome,
        # Every row names every column: one batch is one statement.
        **dict.fromkeys(("intensity", "redirected_to", "decline_reason")),
        **reason,
    }
    return case, steps, phase


def in_process(engine: Engine) -> None:
    programme = load_programme()
    period = days(date(YEAR, 1, 1), date(YEAR, 12, 31), ZONE)
    now = datetime.now(UTC)
    timings = []
    for _attempt in range(3):
        started = time.perf_counter()
        figures = figures_for(engine, period, programme, now)
        annual_review(figures, period, Selection(), programme.figures,
                      stale_days=30, zone=ZONE, language="fr")  # fmt: skip
        timings.append(time.perf_counter() - started)
    with engine.connect() as connection:
        cases = connection.execute(text("SELECT count(*) FROM referral_case")).scalar_one()
    print(f"figures of {YEAR} + annual review, in process: best {min(timings):.3f} s "
          f"of 3 (goal < 1 s), {figures['referrals']:,} referrals of {cases:,} cases")  # fmt: skip


def whole_command(url: str, key: str, folder: str) -> None:
    environment = os.environ | {"DATABASE_URL": url, "ENCRYPTION_KEYS": key,
                                "PYTHONPATH": str(ROOT)}  # fmt: skip
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "report", "--from", f"{YEAR}-01-01", "--to",
         f"{YEAR}-12-31", "--format", "md", "-o", f"{folder}/bilan.md"],
        env=environment, check=True, capture_output=True, cwd=folder,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"python -m bot report (whole command, start-up included): {elapsed:.2f} s, "
          f"peak memory {peak:.0f} MB (goal < 200 MB)")  # fmt: skip


if __name__ == "__main__":
    main()
