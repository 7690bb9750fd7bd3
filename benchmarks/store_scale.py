"""Scale of the store: 100,000 cases and 1,000,000 reminders, on SQLite and on PostgreSQL.

Each figure is measured on the large store and, in the same run, on an empty one (the same
worker holding the same cases, and nothing else), the launches alternating:
(a) start-up: `python -m bot` spawned, polling a fake Bot API served by this process, until
    its answer to the worker's first message (/aide, queued before the spawn); best launch;
(b) that process's memory once it answered /dossiers and case cards (/proc: VmRSS, what it
    holds then; VmHWM, its peak); the highest of the launches;
(c) the due-reminder query (storage.reminders.due_query, what claim_due takes) on the
    reminder table at 1 % of its rows and, the same table grown, at all of them: best of
    several, and its plan (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN ANALYZE);
(d) /dossiers and a case card: from the update queued to the answer in the chat, median.

The large store: a tenth of the cases are live ones, reported by members and held by
workers, with their timelines, notes, phases and appointments; the rest is the programme's
history (benchmarks.figures_scale.fill). Of the reminders, 2 % are pending, half of those
due (at 10,000 rows, about what the dispatcher takes at once: 50), the rest sent, cancelled,
failed or skipped. Personal values are encrypted as
the app writes them (the models' column types, storage.crypto); PostgreSQL is analysed after
the load, as its autovacuum would. Telegram's pacing is off (CHAT_MESSAGES_PER_SECOND=0), as
in benchmarks.intake: the waits would be measured, not the work.

    .venv/bin/python -m benchmarks --only store_scale [--quick]
"""

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, func, insert, select
from sqlmodel import SQLModel

from benchmarks.databases import (
    bulk_insert,
    loading_engine,
    postgres_reachable,
    postgres_schema,
)
from benchmarks.figures_scale import fill
from benchmarks.table import Figure, Goal, markdown
from domain.vocabulary import (
    AppointmentKind,
    AppointmentStatus,
    CaseKind,
    CaseStatus,
    OrganisationKind,
    ReminderKind,
    ReminderStatus,
    Role,
    SourceKind,
)
from playground.fakebotapi import FakeBotAPI, User
from storage.crypto import new_key, use_keys
from storage.database import upgrade
from storage.models import (
    Appointment,
    Beneficiary,
    Case,
    CaseEvent,
    CaseNote,
    CasePhase,
    Member,
    Organisation,
    Reminder,
)
from storage.reminders import due_query
from storage.types import utcnow

S = CaseStatus
ROOT = Path(__file__).resolve().parent.parent
WORKER_TELEGRAM_ID = 100_000_001  # the first user a fresh FakeBotAPI adds: the worker measured
OWN_CASES = 24  # the worker's cases, in both stores: the same list and the same cards
OWN_REMINDERS = 4  # per case of the worker
LIVE_SHARE = 0.1  # of the cases; the rest is the programme's history
BATCH = 10_000
QUERY_ATTEMPTS = 20
PATIENCE = 120.0
DAY, HOUR = (
    timedelta(days=1),
    timedelta(hours=1),
)  # seconds a launch may take before the run gives up on it

# Who the members are: role → weight.
ROLES = {
    Role.BENEFICIARY: 50,
    Role.CORRESPONDENT: 26,
    Role.WORKER: 8,
    Role.LANDLORD_REFERENT: 6,
    Role.GENDARMERIE: 5,
    Role.SIAO: 4,
    Role.ADMIN: 1,
}
ORGANISATION_OF = {
    Role.BENEFICIARY: OrganisationKind.OTHER,
    Role.CORRESPONDENT: OrganisationKind.LANDLORD,
    Role.WORKER: OrganisationKind.ASSOCIATION,
    Role.LANDLORD_REFERENT: OrganisationKind.LANDLORD,
    Role.GENDARMERIE: OrganisationKind.GENDARMERIE,
    Role.SIAO: OrganisationKind.SIAO,
    Role.ADMIN: OrganisationKind.ASSOCIATION,
}
SOURCE_OF = {
    Role.CORRESPONDENT: SourceKind.CORRESPONDENT,
    Role.GENDARMERIE: SourceKind.GENDARMERIE,
    Role.SIAO: SourceKind.SIAO,
}
# A live case's status → weight; a received one is held by no one yet.
LIVE_STATUSES = {
    S.RECEIVED: 8,
    S.DIAGNOSTIC: 15,
    S.COMMISSION: 10,
    S.ACCEPTED: 5,
    S.CONTRACT_SIGNED: 5,
    S.IN_SUPPORT: 35,
    S.SHARED_REVIEW: 5,
    S.CLOSED: 17,
}
PATH = (S.RECEIVED, S.DIAGNOSTIC, S.COMMISSION, S.ACCEPTED, S.CONTRACT_SIGNED, S.IN_SUPPORT,
        S.SHARED_REVIEW, S.CLOSED)  # fmt: skip
REMINDER_STATUSES = {
    ReminderStatus.SENT: 92,
    ReminderStatus.CANCELLED: 4,
    ReminderStatus.PENDING: 2,
    ReminderStatus.SKIPPED: 1,
    ReminderStatus.FAILED: 1,
}


@dataclass(frozen=True)
class Scale:
    cases: int
    reminders: int
    launches: int  # bot processes started on each store
    rounds: int  # /dossiers and cards asked of each

    @property
    def members(self) -> int:
        return max(60, self.cases // 20)

    @property
    def small_table(self) -> int:
        """The reminder rows the due query is first timed on: 1 %."""
        return self.reminders // 100


FULL = Scale(cases=100_000, reminders=1_000_000, launches=2, rounds=15)
QUICK = Scale(cases=200, reminders=2_000, launches=1, rounds=2)


# ---------------------------------------------------------------- the store


@dataclass
class Staff:
    """Whom the generated rows name: member ids, and the organisations' ids."""

    organisations: dict[OrganisationKind, int]
    worker: int  # the worker measured
    referent: int  # attached to the worker's cases
    correspondent: int  # who reported them
    by_role: dict[Role, list[int]] = field(default_factory=dict)

    def some(self, rng: random.Random, role: Role, fallback: int) -> int:
        members = self.by_role.get(role)
        return rng.choice(members) if members else fallback

    @property
    def everyone(self) -> list[int]:
        return [member for ids in self.by_role.values() for member in ids] or [self.worker]


def build_store(engine: Engine, cases: int, reminders: int, members: int,
                at_small_table: Callable[[], None] | None = None, small_table: int = 0) -> None:  # fmt: skip
    """The worker measured (and who reports and attends their cases) with their cases and
    reminders; then `members` more members, `cases` more cases and `reminders` more
    reminders. Once `small_table` of those reminders are in, `at_small_table` is called."""
    # The worker's cases are drawn apart, the same on every store.
    mine, rng = random.Random(16), random.Random(17)
    now = utcnow()
    with engine.begin() as connection:
        staff = _people(connection, rng, members, now)
        own = _live_cases(connection, mine, range(OWN_CASES), staff, now, holder=staff.worker)
        bulk_insert(connection, Reminder.__table__, _reminders(
            mine, "own", range(OWN_CASES * OWN_REMINDERS), [staff.worker], own, now))  # fmt: skip
    live = round(cases * LIVE_SHARE)
    if cases:
        fill(engine, cases - live)
    live_ids: list[int] = []
    for first in range(OWN_CASES, OWN_CASES + live, BATCH):
        with engine.begin() as connection:
            numbers = range(first, min(first + BATCH, OWN_CASES + live))
            live_ids += _live_cases(connection, rng, numbers, staff, now)
    for first, end in pairwise(sorted({*range(0, reminders, BATCH), small_table, reminders})):
        if first == small_table and at_small_table is not None:
            at_small_table()
        rows = _reminders(rng, "bench", range(first, end), staff.everyone, live_ids, now)
        with engine.begin() as connection:
            bulk_insert(connection, Reminder.__table__, rows)


def _people(connection: Connection, rng: random.Random, count: int, now: datetime) -> Staff:
    organisations = dict(zip(OrganisationKind, _ids(connection, Organisation, [
        {"name": f"Organisation {kind.value}", "kind": kind, "created_at": now}
        for kind in OrganisationKind
    ]), strict=True))  # fmt: skip

    def member(number: int, role: Role, telegram_id: int) -> dict[str, Any]:
        return {"telegram_id": telegram_id, "display_name": f"Personne {number}", "role": role,
                "organisation_id": organisations[ORGANISATION_OF[role]], "language": "fr",
                "app_language": "fr", "active": True, "created_at": now}  # fmt: skip

    measured = [
        member(0, Role.WORKER, WORKER_TELEGRAM_ID),
        member(1, Role.LANDLORD_REFERENT, 5_000_000_001),
        member(2, Role.CORRESPONDENT, 5_000_000_002),
    ]
    roles = rng.choices(list(ROLES), list(ROLES.values()), k=count)
    more = [member(number, role, 6_000_000_000 + number)
            for number, role in enumerate(roles, start=len(measured))]  # fmt: skip
    ids = _ids(connection, Member, measured + more)
    staff = Staff(organisations, worker=ids[0], referent=ids[1], correspondent=ids[2])
    for role, member_id in zip(roles, ids[len(measured) :], strict=True):
        staff.by_role.setdefault(role, []).append(member_id)
    return staff


def _ids(connection: Connection, model: type[SQLModel], rows: list[dict[str, Any]]) -> list[int]:
    """The rows inserted, one statement a batch (SQLAlchemy's "insertmanyvalues"): their ids,
    in their order."""
    if not rows:
        return []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, rows).scalars())


@dataclass(frozen=True)
class _Story:
    """A live case as generated: its row, who holds it, when it reached each next status."""

    row: dict[str, Any]
    worker: int | None
    steps: list[datetime]


def _live_cases(connection: Connection, rng: random.Random, numbers: range, staff: Staff,
                now: datetime, holder: int | None = None) -> list[int]:  # fmt: skip
    """Cases reported in Relais in the last year and a half, with their timelines, notes,
    phases, coming appointments and consenting people; held by `holder` (and open), else
    by workers at random."""
    stories = [_live_case(rng, number, staff, now, holder) for number in numbers]
    ids = _ids(connection, Case, [story.row for story in stories])
    rows: dict[type[SQLModel], list[dict[str, Any]]] = {
        CaseEvent: [], CaseNote: [], CasePhase: [], Appointment: [], Beneficiary: []
    }  # fmt: skip
    people = iter(staff.by_role.get(Role.BENEFICIARY, [])[numbers.start : numbers.stop])
    for case_id, story in zip(ids, stories, strict=True):
        for model, more in _timeline(rng, case_id, story, now).items():
            rows[model] += more
        person = next(people, None) if holder is None else None
        if person is not None:
            rows[Beneficiary].append({"member_id": person, "case_id": case_id, "consent_at": now})
    for model, more in rows.items():
        bulk_insert(connection, model.__table__, more)
    return ids


def _live_case(rng: random.Random, number: int, staff: Staff, now: datetime,
               holder: int | None) -> _Story:  # fmt: skip
    kind = rng.choice((CaseKind.ADDICTION, CaseKind.ADDICTION, CaseKind.VIOLENCE))
    if holder is None:
        status = _pick(rng, LIVE_STATUSES)
        reporter = (Role.CORRESPONDENT if kind is CaseKind.ADDICTION
                    else rng.choice((Role.GENDARMERIE, Role.SIAO)))  # fmt: skip
        worker = None if status is S.RECEIVED else staff.some(rng, Role.WORKER, staff.worker)
        source = staff.some(rng, reporter, staff.correspondent)
        referent = staff.some(rng, Role.LANDLORD_REFERENT, staff.referent)
    else:
        status, reporter = rng.choice(PATH[1:-1]), Role.CORRESPONDENT
        worker, source, referent = holder, staff.correspondent, staff.referent
    created = now - timedelta(days=rng.uniform(30, 540))
    steps = sorted(created + (now - created) * rng.random() for _ in range(PATH.index(status)))
    row = {
        "reference": f"R-{created.year}-{number:05d}", "submission_key": f"live-{number}",
        "kind": kind, "urgent": rng.random() < 0.1, "status": status, "commune": "Le Mans",
        "sector": "Sud", "qpv": rng.choice(("yes", "no")), "consent": "yes",
        "answers": _answers(kind), "source_member_id": source,
        "source_organisation_id": staff.organisations[ORGANISATION_OF[reporter]],
        "source_kind": SOURCE_OF[reporter], "imported": False, "assigned_worker_id": worker,
        "landlord_referent_id": referent if kind is CaseKind.ADDICTION else None,
        "created_at": created, "taken_at": steps[0] if worker else None,
        "status_changed_at": steps[-1] if steps else created,
    }  # fmt: skip
    return _Story(row, worker, steps)


def _timeline(rng: random.Random, case_id: int, story: _Story,
              now: datetime) -> dict[type[SQLModel], list[dict[str, Any]]]:  # fmt: skip
    events = [{"case_id": case_id, "at": story.row["created_at"], "actor_member_id": None,
               "kind": "created", "from_status": None, "to_status": S.RECEIVED}]  # fmt: skip
    events += [
        {"case_id": case_id, "at": at, "actor_member_id": story.worker, "kind": "status",
         "from_status": before, "to_status": after}
        for before, after, at in zip(PATH, PATH[1:], story.steps, strict=False)
    ]  # fmt: skip
    rows: dict[type[SQLModel], list[dict[str, Any]]] = {CaseEvent: events}
    if story.worker is None:
        return rows
    rows[CaseNote] = [
        {"case_id": case_id, "author_id": story.worker, "created_at": at,
         "text": "Visite faite, la personne est d'accord pour un rendez-vous."}
        for at in story.steps[: rng.randint(0, 3)]
    ]  # fmt: skip
    status = story.row["status"]
    if status in (S.IN_SUPPORT, S.SHARED_REVIEW):
        rows[CasePhase] = [{"case_id": case_id, "phase": "urgence",
                            "started_at": story.steps[-1], "ended_at": None}]  # fmt: skip
    if status is not S.CLOSED and rng.random() < 0.4:
        rows[Appointment] = [{
            "case_id": case_id, "kind": AppointmentKind.FOLLOW_UP,
            "starts_at": now + timedelta(days=rng.uniform(1, 30)),
            "place": "Au logement, 12 rue des Glonnières", "attendees": ["worker"],
            "status": AppointmentStatus.SCHEDULED, "created_by_id": story.worker,
            "created_at": story.steps[-1],
        }]  # fmt: skip
    return rows


def _answers(kind: CaseKind) -> dict[str, Any]:
    """A report's answers as the form keeps them (encrypted in the row)."""
    answers: dict[str, Any] = {"kind": kind.value, "danger": "no", "who": "M. D.", "adults": 1,
                               "children": 0, "consent": "yes", "contact": "06 12 34 56 78",
                               "safe_times": ["evening"], "note": "Voisins inquiets depuis l'été."}  # fmt: skip
    if kind is CaseKind.ADDICTION:
        answers |= {"site": 1, "observed": ["neighbours", "unpaid_rent"], "eviction": "unknown",
                    "support": ["none"]}  # fmt: skip
    else:
        answers |= {"commune": "Le Mans", "qpv": "no", "whereabouts": "relatives",
                    "resources": ["benefits"], "complaint": "yes"}  # fmt: skip
    return answers


def _reminders(rng: random.Random, prefix: str, numbers: range, members: list[int],
               cases: list[int], now: datetime) -> list[dict[str, Any]]:  # fmt: skip
    """Reminders to `members`, three in five about one of `cases`: mostly sent; the pending
    ones due in the coming two months, half of them by now. (Drawn a batch at a time:
    a million rows must not take longer to draw than to write.)"""
    count = len(numbers)
    statuses = rng.choices(list(REMINDER_STATUSES), list(REMINDER_STATUSES.values()), k=count)
    about = rng.choices(cases, k=count) if cases else [None] * count
    rows = []
    for number, status, kind, member, case, draw in zip(
        numbers, statuses, rng.choices(list(ReminderKind), k=count),
        rng.choices(members, k=count), about, [rng.random() for _ in numbers], strict=True,
    ):  # fmt: skip
        pending = status is ReminderStatus.PENDING
        if not pending:
            due = now - DAY * (0.1 + 730 * draw)
        elif draw < 0.5:
            due = now - HOUR * 4 * draw  # within the last two hours
        else:
            due = now + HOUR * 1440 * draw
        rows.append({
            "key": f"{prefix}:{number}", "kind": kind, "member_id": member,
            "case_id": case if draw < 0.6 else None, "appointment_id": None, "due_at": due,
            "original_due_at": due, "status": status, "attempts": 0 if pending else 1,
            "last_error": None, "claimed_at": None if pending else due,
            "sent_at": due if status is ReminderStatus.SENT else None, "payload": {},
            "created_at": due - DAY * 30 * draw,
        })  # fmt: skip
    return rows


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), list(weights.values()))[0]


# ---------------------------------------------------------------- (c) the due query


@dataclass(frozen=True)
class QueryTiming:
    rows: int
    best: float
    plan: list[str]


def time_due_query(engine: Engine) -> QueryTiming:
    """claim_due's select at this moment: best of QUERY_ATTEMPTS, and its plan."""
    statement = due_query(utcnow(), limit=50)
    with engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(Reminder)).scalar_one()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE reminder")
            connection.commit()
        timings = []
        for _attempt in range(QUERY_ATTEMPTS):
            started = time.perf_counter()
            connection.execute(statement).all()
            timings.append(time.perf_counter() - started)
            connection.rollback()  # PostgreSQL's row locks go with the transaction
        plan = _plan(connection, statement)
    return QueryTiming(rows, min(timings), plan)


def _plan(connection: Connection, statement: Any) -> list[str]:
    """The database's own plan of the statement as SQLAlchemy sends it (same SQL, same values)."""
    sent: list[tuple[str, Any]] = []

    def keep(_connection, _cursor, sql, parameters, _context, _many) -> None:
        sent.append((sql, parameters))

    event.listen(connection, "before_cursor_execute", keep)
    try:
        connection.execute(statement).all()
    finally:
        event.remove(connection, "before_cursor_execute", keep)
        connection.rollback()
    sql, parameters = sent[0]
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters).all()
        depth: dict[int, int] = {0: 0}
        lines = []
        for node, parent, _unused, detail in rows:
            depth[node] = depth.get(parent, 0) + 1
            lines.append("  " * (depth[node] - 1) + detail)
    else:
        rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", parameters).all()
        lines = [row[0] for row in rows]
    connection.rollback()
    return lines


# ---------------------------------------------------------------- (a, b, d) the bot process


@dataclass
class Launch:
    startup: float
    rss: float  # MB
    peak: float  # MB
    dossiers: list[float]
    cards: list[float]


async def launch(url: str, key: str, folder: Path, rounds: int, number: int) -> Launch:
    """`python -m bot` on this database, polling a fake Bot API of this process; the
    worker's first message is waiting when it starts."""
    fake = FakeBotAPI()
    await fake.start()
    worker = fake.add_user("Travailleuse", language_code="fr")
    assert worker.id == WORKER_TELEGRAM_ID, "the store names the first user of a fresh fake"
    fake.start_chat(worker)
    fake.send_text(worker, "/aide")
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))
    }
    environment |= {
        "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url, "DATABASE_URL": url, "ENCRYPTION_KEYS": key,
        "CHAT_MESSAGES_PER_SECOND": "0", "BOT_MESSAGES_PER_SECOND": "0",
        "USER_MESSAGES_PER_MINUTE": "100000",
    }  # fmt: skip
    log = folder / f"bot-{number}.log"
    with log.open("w") as errors:
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=folder, env=environment,
            stdout=asyncio.subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
        chat = _Chat(fake, worker, process, log)
        try:
            await chat.answer()
            startup = time.perf_counter() - started
            dossiers, cards = [], []
            for _round in range(rounds):
                dossiers.append(await chat.timed(partial(fake.send_text, worker, "/dossiers")))
                listing = fake.last_bot_message(worker)
                first_case = listing.buttons[0]["callback_data"]
                cards.append(await chat.timed(partial(fake.tap, worker, listing, first_case)))
            rss, peak = _memory(process.pid)
        finally:
            if process.returncode is None:
                process.terminate()
                await process.wait()
            await fake.stop()
    return Launch(startup, rss, peak, dossiers, cards)


@dataclass(frozen=True)
class _Chat:
    """The worker's chat with the bot process."""

    fake: FakeBotAPI
    worker: User
    process: asyncio.subprocess.Process
    log: Path

    async def timed(self, act: Callable[[], int]) -> float:
        started = time.perf_counter()
        await self.answer(act)
        return time.perf_counter() - started

    async def answer(self, act: Callable[[], int] | None = None) -> None:
        """Until the bot's next message to the worker (after `act`, if given)."""
        before = len(self.fake.bot_messages(self.worker))
        if act is not None:
            act()
        answered = asyncio.ensure_future(self.fake.wait_for(
            lambda: len(self.fake.bot_messages(self.worker)) > before, PATIENCE, "the answer"))  # fmt: skip
        ended = asyncio.ensure_future(self.process.wait())
        done, _ = await asyncio.wait((answered, ended), return_when=asyncio.FIRST_COMPLETED)
        if answered not in done:
            answered.cancel()
            told = await asyncio.to_thread(self.log.read_text)
            raise RuntimeError(f"python -m bot ended ({self.process.returncode}):\n{told[-2000:]}")
        ended.cancel()
        answered.result()


def _memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of the process, in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM"))


# ---------------------------------------------------------------- the run


def measure(backend: str, database: Callable[[str], AbstractContextManager[str]],
            scale: Scale, key: str, folder: Path) -> list[Figure]:  # fmt: skip
    queries: list[QueryTiming] = []  # on the small table, then on the whole one
    with database("empty") as empty_url, database("large") as large_url:
        stores = {}
        for name, url in (("empty", empty_url), ("large", large_url)):
            engine = loading_engine(url)
            upgrade(engine)
            started = time.perf_counter()
            if name == "empty":
                build_store(engine, 0, 0, 0)
            else:
                queries = _large_store(engine, scale)
                print(f"{backend}: {scale.cases:,} cases, {scale.reminders:,} reminders, "
                      f"{scale.members:,} members in {time.perf_counter() - started:.0f} s")  # fmt: skip
            engine.dispose()
            stores[name] = url
        launches: dict[str, list[Launch]] = {"empty": [], "large": []}
        for number in range(scale.launches):
            for name, url in stores.items():
                launches[name].append(asyncio.run(
                    launch(url, key, folder, scale.rounds, number)))  # fmt: skip
    for query in queries:
        print(f"{backend}, due-reminder query at {query.rows:,} rows: best "
              f"{query.best * 1000:.2f} ms of {QUERY_ATTEMPTS}; plan:")  # fmt: skip
        print("\n".join(f"    {line}" for line in query.plan))
    return _figures(backend, scale, launches, queries)


def _large_store(engine: Engine, scale: Scale) -> list[QueryTiming]:
    """The large store, and the due query's timings on its small table, then its whole one."""
    queries: list[QueryTiming] = []

    def on_small_table() -> None:
        queries.append(time_due_query(engine))

    build_store(engine, scale.cases, scale.reminders, scale.members, on_small_table,
                scale.small_table)  # fmt: skip
    if engine.dialect.name == "postgresql":
        # What autovacuum does soon after a load. Without it the planner plans for tables as
        # small as they were: a case card took 96 ms, 3.6 times the empty store's (28 ms).
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    queries.append(time_due_query(engine))
    return queries


def _figures(backend: str, scale: Scale, launches: dict[str, list[Launch]],
             queries: list[QueryTiming]) -> list[Figure]:  # fmt: skip
    empty, large = launches["empty"], launches["large"]
    answers = scale.launches * scale.rounds
    small, whole = queries

    def side_by_side(name: str, unit: str, goal: Goal, value: Callable[[list[Launch]], float],
                     note: str) -> Figure:  # fmt: skip
        return Figure(f"{name}, {backend}", value(large), unit, goal, value(empty),
                      "empty store", note)  # fmt: skip

    return [
        side_by_side("start-up to the first answer", "s", Goal.at_most(2),
                     lambda runs: min(run.startup for run in runs), f"best of {scale.launches}"),
        side_by_side("bot process memory, VmRSS", "MB", Goal.at_most(150),
                     lambda runs: max(run.rss for run in runs), "after /dossiers and cards"),
        side_by_side("bot process memory, peak VmHWM", "MB", Goal.at_most(150),
                     lambda runs: max(run.peak for run in runs), "after /dossiers and cards"),
        Figure(f"due-reminder query at {whole.rows:,} rows, {backend}", whole.best * 1000, "ms",
               Goal.ratio_at_most(1.5), small.best * 1000, f"{small.rows:,} rows",
               f"best of {QUERY_ATTEMPTS}"),
        side_by_side("/dossiers answer", "ms", Goal.at_most(50),
                     lambda runs: 1000 * statistics.median(t for run in runs for t in run.dossiers),
                     f"median of {answers}"),
        side_by_side("case card answer", "ms", Goal.at_most(50),
                     lambda runs: 1000 * statistics.median(t for run in runs for t in run.cards),
                     f"median of {answers}"),
    ]  # fmt: skip


def figures(quick: bool = False) -> list[Figure]:
    scale = QUICK if quick else FULL
    key = new_key()
    use_keys([key])
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)

        @contextmanager
        def sqlite(name: str) -> Iterator[str]:
            yield f"sqlite:///{here / name}.sqlite3"

        found = measure("SQLite", sqlite, scale, key, here)
        if postgres_reachable():
            found += measure("PostgreSQL", lambda _name: postgres_schema(), scale, key, here)
        else:
            print("PostgreSQL unreachable (BENCHMARK_DATABASE_URL): its figures are left out.")
    return found


def main() -> None:
    print(markdown(figures()))


if __name__ == "__main__":
    main()
