"""Reminder dispatch: Relais sending due reminders, against a raw loop of `bot.send_message`,
within Telegram's limits, and as several dispatcher processes sharing PostgreSQL.

The reminders are rows of the real schema, bulk-inserted for enrolled members: phase
checkpoints and stale-case notices to workers, the evening-before reminder of an appointment
to supported people (each one message). The programme's quiet hours are off here (a run at
night would hold the people's reminders till the morning, which is the rule, not the speed).

(4a) Pacing off: Relais' `dispatch_due` against a plain loop of `bot.send_message` to the
same chats, each on its own fake Bot API in this process, side by side.
(4b) The fake enforcing Telegram's limits and Relais' limiter at its production settings:
a few workers are owed 30 checkpoints at once, so the one-message-a-second pacing of a chat
is exercised beside everyone else's reminders.
(6) `python -m bot dispatch --once` in one, two and four processes on one PostgreSQL
database, against the fake Bot API served by this process.
"""

import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, insert, update
from sqlmodel import select
from telegram import Bot

from benchmarks.databases import postgres_reachable, postgres_schema
from benchmarks.table import Figure, Goal, markdown
from bot.app import build_application, prepare_database
from bot.pacing import CHAT_BURST
from bot.settings import Settings
from conversations.reminders import dispatch_due
from domain.programme import DEFAULT_FILE as PROGRAMME_FILE
from domain.vocabulary import AppointmentKind, CaseKind, OrganisationKind, ReminderKind, Role
from domain.vocabulary import ReminderStatus as S
from playground.fakebotapi import FakeBotAPI, User
from playground.fakebotapi.limits import FloodRules
from storage.database import session_scope
from storage.members import ensure_organisation
from storage.models import Appointment, Beneficiary, Case, Member, Reminder, SentMessage
from storage.types import utcnow

KEY = "Wq2HcNkbsK1L0xwBv9Q2OdC1n4d2n0Jz6m5WfQk3p8A="
ROOT = Path(__file__).resolve().parent.parent
BUSY_OWED = 30  # checkpoints one busy worker is owed at once
# The limiter spaces a chat's messages a second apart when it lets them go; on their way (the
# request made, the one event loop busy with the fake and the database) they shift by up to
# ~50 ms on a loaded machine: a chat paced at one a second may show two 0.96 s apart.
JITTER = 0.05
TEXT = "Dossier 26-A-0042 : la phase urgence atteint sa durée maximale dans 14 jours."


class Receiving(FakeBotAPI):
    """The fake Bot API, noting when each message it took arrived and in which chat."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self.arrivals: list[tuple[float, int]] = []

    def handle(self, method: str, params: dict):  # type: ignore[override]
        reply = super().handle(method, params)
        if method == "sendMessage" and reply.status == 200:
            self.arrivals.append((time.perf_counter(), int(params["chat_id"])))
        return reply

    def received(self) -> Counter[int]:
        return Counter(chat for _at, chat in self.arrivals)

    def rate(self) -> float:
        """Messages a second, from the first message received to the last."""
        if len(self.arrivals) < 2:
            return 0.0
        return (len(self.arrivals) - 1) / (self.arrivals[-1][0] - self.arrivals[0][0])

    def over_pace(self) -> int:
        """Messages a chat got beyond Relais' pace, a burst of CHAT_BURST then one a second:
        a bucket of CHAT_BURST that drains at one a second, replayed on the arrival times."""
        over = 0
        buckets: dict[int, tuple[float, float]] = {}  # chat → (level, when)
        for at, chat in self.arrivals:
            level, then = buckets.get(chat, (0.0, at))
            level = max(0.0, level - (at - then)) + 1
            over += level > CHAT_BURST + JITTER
            buckets[chat] = (level, at)
        return over

    def busiest_second(self, owed_at_once: int) -> int:
        """The most messages a chat owed `owed_at_once` or more got within a sliding second
        (less JITTER), beyond its first burst."""
        times: dict[int, list[float]] = defaultdict(list)
        for at, chat in self.arrivals:
            times[chat].append(at)
        most = 0
        for arrived in times.values():
            if len(arrived) < owed_at_once:
                continue
            paced, start = arrived[CHAT_BURST:], 0
            for end, at in enumerate(paced):
                while at - paced[start] >= 1.0 - JITTER:
                    start += 1
                most = max(most, end - start + 1)
        return most


@dataclass(frozen=True)
class Load:
    """Who is owed what: `reminders` in all, `busy` workers owed BUSY_OWED of them at once."""

    reminders: int
    busy: int = 0

    @property
    def beneficiaries(self) -> int:
        return (self.reminders - self.busy * BUSY_OWED) * 3 // 10

    @property
    def workers(self) -> int:
        return max(3, self.reminders // 10)

    def people(self, fake: FakeBotAPI) -> list[User]:
        """The members' Telegram accounts, in a fixed order (a new fake gives the same ids)."""
        users = [fake.add_user(f"Personne {n}") for n in range(self.workers + self.busy)]
        users += [fake.add_user(f"Bénéficiaire {n}") for n in range(self.beneficiaries)]
        for user in users:
            fake.start_chat(user)
        return users


def owe(engine: Engine, load: Load, users: list[User], now: datetime) -> Counter[int]:
    """Bulk-insert the members, cases, appointments and due reminders; returns how many
    messages each chat is owed."""
    organisation = ensure_organisation(engine, "Montjoie", OrganisationKind.ASSOCIATION).id
    staff = load.workers + load.busy
    with session_scope(engine) as session:
        member_ids = session.scalars(
            insert(Member).returning(Member.id, sort_by_parameter_order=True),
            [
                {"telegram_id": user.id, "display_name": user.first_name,
                 "role": Role.WORKER if number < staff else Role.BENEFICIARY,
                 "organisation_id": organisation, "language": "fr"}
                for number, user in enumerate(users)
            ],
        ).all()  # fmt: skip
        workers, people = member_ids[:staff], member_ids[staff:]
        case_ids = session.scalars(
            insert(Case).returning(Case.id, sort_by_parameter_order=True),
            [
                {"reference": f"26-B-{number:05d}", "submission_key": f"bench{number}",
                 "kind": CaseKind.ADDICTION, "consent": "yes", "answers": {},
                 "source_organisation_id": organisation,
                 "assigned_worker_id": workers[number % len(workers)]}
                for number in range(max(1, len(people)))
            ],
        ).all()  # fmt: skip
        if people:
            session.execute(
                insert(Beneficiary),
                [{"member_id": person, "case_id": case, "consent_at": now, "safe_from": 0,
                  "safe_until": 24 * 60} for person, case in zip(people, case_ids, strict=False)],
            )  # fmt: skip
            appointment_ids = session.scalars(
                insert(Appointment).returning(Appointment.id, sort_by_parameter_order=True),
                [{"case_id": case, "kind": AppointmentKind.FOLLOW_UP,
                  "starts_at": now + timedelta(days=1), "place": "Local de l'association",
                  "attendees": ["beneficiary"], "created_by_id": workers[0]}
                 for case in case_ids[: len(people)]],
            ).all()  # fmt: skip
        owed = []  # (kind, member, case, appointment)
        for busy in workers[load.workers :]:
            owed += [(ReminderKind.PHASE_CHECKPOINT, busy, case_ids[0], None)] * BUSY_OWED
        rest = [(ReminderKind.APPOINTMENT_EVE, person, case, appointment)
                for person, case, appointment in zip(people, case_ids, appointment_ids if people else [], strict=False)]  # fmt: skip
        for number in range(load.reminders - len(owed) - len(rest)):
            kind = ReminderKind.STALE_CASE if number % 10 == 9 else ReminderKind.PHASE_CHECKPOINT
            rest.append(
                (kind, workers[number % load.workers], case_ids[number % len(case_ids)], None)
            )
        random.Random(16).shuffle(rest)
        owed += rest  # the busy workers' first: owed first, they must not hold the rest back
        first = now - timedelta(hours=1)
        session.execute(
            insert(Reminder),
            [
                {"key": f"bench:{number}", "kind": kind, "member_id": member, "case_id": case,
                 "appointment_id": appointment,
                 "due_at": first + timedelta(milliseconds=number),
                 "original_due_at": first + timedelta(milliseconds=number),
                 "payload": {"phase": "urgence", "days": 14} if appointment is None
                 else {"starts_at": (now + timedelta(days=1)).isoformat()}}
                for number, (kind, member, case, appointment) in enumerate(owed)
            ],
        )  # fmt: skip
    by_member = Counter(member for _kind, member, _case, _appointment in owed)
    return Counter({user.id: by_member[member_ids[n]] for n, user in enumerate(users)})


def not_sent(engine: Engine) -> int:
    """Reminders left in any state but sent."""
    with session_scope(engine) as session:
        return len(session.exec(select(Reminder.id).where(Reminder.status != S.SENT)).all())


def wrong_deliveries(fake: Receiving, owed: Counter[int]) -> int:
    """Messages missing or doubled, over every chat."""
    received = fake.received()
    return sum(abs(received[chat] - owed[chat]) for chat in owed | received)


def programme_without_quiet_hours(folder: Path) -> Path:
    text = PROGRAMME_FILE.read_text(encoding="utf-8")
    text = text.replace("quiet_start_hour = 21", "quiet_start_hour = 24")
    text = text.replace("quiet_end_hour = 8 ", "quiet_end_hour = 0 ")
    path = folder / "programme.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _settings(fake: FakeBotAPI, folder: Path, url: str, paced: bool) -> Settings:
    """Paced: the production defaults; else no pacing at all."""
    unpaced = {} if paced else {"chat_messages_per_second": 0, "bot_messages_per_second": 0}
    return Settings(
        telegram_bot_token=fake.token,
        telegram_api_base_url=fake.base_url,
        database_url=url,
        encryption_keys=KEY,
        programme_file=programme_without_quiet_hours(folder),
        _env_file=None,
        **unpaced,
    )


@dataclass
class Run:
    rate: float  # messages a second
    wrong: int  # messages missing or doubled, plus reminders not marked sent
    fake: Receiving
    cpu: str = ""  # where the processor time went, for (6)


async def relais_run(load: Load, paced: bool = False) -> Run:
    """Relais' dispatcher, as `python -m bot dispatch` runs it, on a SQLite file."""
    fake = Receiving()
    await fake.start()
    users = load.people(fake)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'relais.sqlite3'}"
        application = build_application(_settings(fake, Path(folder), url, paced))
        try:
            async with application:
                owed = owe(application.engine, load, users, application.now())
                if paced:
                    fake.enforce_limits(FloodRules())
                started = time.perf_counter()
                await dispatch_due(application)
                elapsed = time.perf_counter() - started
                wrong = wrong_deliveries(fake, owed) + not_sent(application.engine)
        finally:
            application.engine.dispose()
            await fake.stop()
    return Run(fake.rate() if paced else load.reminders / elapsed, wrong, fake)


async def raw_run(load: Load) -> float:
    """The same number of messages, one `bot.send_message` after the other."""
    fake = Receiving(token="654321:RAW")
    await fake.start()
    chats = [user.id for user in load.people(fake)]
    try:
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            started = time.perf_counter()
            for number in range(load.reminders):
                await bot.send_message(chats[number % len(chats)], TEXT)
            elapsed = time.perf_counter() - started
    finally:
        await fake.stop()
    return load.reminders / elapsed


# ---------------------------------------------------------------- (6) several processes


async def processes_run(url: str, folder: Path, load: Load, processes: int) -> Run:
    """`processes` dispatchers at once on the reminders, every one pending again."""
    fake = Receiving()
    await fake.start()
    load.people(fake)
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TELEGRAM_", "DATABASE_"))
    } | {
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_URL": url,
        "ENCRYPTION_KEYS": KEY,
        "PROGRAMME_FILE": str(programme_without_quiet_hours(folder)),
        "CHAT_MESSAGES_PER_SECOND": "0",
        "BOT_MESSAGES_PER_SECOND": "0",
    }
    children, own, started = _cpu(resource.RUSAGE_CHILDREN), _cpu(), time.perf_counter()
    try:
        dispatchers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "dispatch",
                "--once",
                env=environment,
                cwd=folder,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(processes)
        ]
        outputs = await asyncio.gather(*(process.communicate() for process in dispatchers))
        for process, (_out, errors) in zip(dispatchers, outputs, strict=True):
            if process.returncode != 0:
                raise RuntimeError(f"a dispatcher failed: {errors.decode()[-2000:]}")
    finally:
        await fake.stop()
    cpu = (
        f"{processes}: dispatchers {_cpu(resource.RUSAGE_CHILDREN) - children:.0f} s, fake Bot "
        f"API {_cpu() - own:.0f} s of processor in {time.perf_counter() - started:.0f} s"
    )
    return Run(fake.rate(), 0, fake, cpu)


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def pending_again(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(Reminder).values(
                status=S.PENDING, attempts=0, claimed_at=None, sent_at=None, last_error=None
            )
        )
        session.execute(delete(SentMessage))


async def scaling(load: Load, counts: tuple[int, ...]) -> dict[int, Run]:
    """Throughput of 1, 2, 4… dispatcher processes on one PostgreSQL schema."""
    runs = {}
    with postgres_schema() as url, tempfile.TemporaryDirectory() as folder:
        seeding = FakeBotAPI()
        engine = prepare_database(_settings(seeding, Path(folder), url, paced=False))
        try:
            owed = owe(engine, load, load.people(seeding), utcnow())
            for processes in counts:
                pending_again(engine)
                run = await processes_run(url, Path(folder), load, processes)
                run.wrong = wrong_deliveries(run.fake, owed) + not_sent(engine)
                runs[processes] = run
        finally:
            engine.dispose()
    return runs


# ---------------------------------------------------------------- the figures


async def measure(quick: bool) -> list[Figure]:
    sending = Load(20 if quick else 10_000)
    raw = await raw_run(sending)
    relais = await relais_run(sending)
    paced_load = Load(12) if quick else Load(1_000, busy=3)
    paced = await relais_run(paced_load, paced=True)
    figures = [
        Figure(
            "reminders sent, pacing off (4a)", relais.rate, "msg/s", Goal.ratio_at_least(0.8),
            raw, "a loop of bot.send_message",
            note=f"{sending.reminders:,} reminders, SQLite; {relais.wrong} missing or doubled",
        ),
        Figure(
            "reminders sent within Telegram's limits (4b)", paced.rate, "msg/s",
            Goal.at_least(28),
            note=f"{paced_load.reminders:,} reminders (10,000 would take 6 min at 28/s), "
            f"{paced_load.busy} workers owed {BUSY_OWED} at once; first to last message; "
            f"{paced.wrong} missing or doubled",
        ),
        Figure("refused with 429 (4b)", len(paced.fake.limits.refused), "", Goal.at_most(0)),
        Figure(
            "messages beyond a chat's pace, a burst of 3 then 1/s (4b)",
            paced.fake.over_pace(), "", Goal.at_most(0),
            note="a bucket of 3 draining at 1/s replayed on the fake's arrival times, "
            "50 ms of leeway",
        ),
        Figure(
            f"most messages to a worker owed {BUSY_OWED} at once in a sliding second, "
            "after the burst (4b)",
            paced.fake.busiest_second(BUSY_OWED), "msg", Goal.at_most(1),
            note=f"a window of {1 - JITTER:g} s: a message shifts by up to 50 ms on its way",
        ),
    ]  # fmt: skip
    if not postgres_reachable():
        unreachable = Figure("dispatch processes, PostgreSQL (6)", 0, "", note="unreachable")
        return [*figures, unreachable]
    scale_load = Load(40 if quick else 5_000)
    counts = (1, 2) if quick else (1, 2, 4)
    runs = await scaling(scale_load, counts)
    wrong = sum(run.wrong for run in runs.values())
    cores = os.cpu_count()
    for processes in counts[1:]:
        figures.append(
            Figure(
                f"reminders sent by {processes} dispatch processes, PostgreSQL (6)",
                runs[processes].rate, "msg/s",
                Goal.ratio_at_least(1.8) if processes == 2 else None,
                runs[1].rate, "1 process",
                note=f"{scale_load.reminders:,} reminders (not 10,000: the time budget), first "
                f"to last message; {cores} cores "
                f"shared with the fake Bot API and PostgreSQL; {runs[1].cpu}; "
                f"{runs[processes].cpu}",
            )
        )  # fmt: skip
    figures.append(
        Figure("reminders not sent exactly once, over the runs of (6)", wrong, "", Goal.at_most(0))
    )
    return figures


def figures(quick: bool = False) -> list[Figure]:
    return asyncio.run(measure(quick))


def main() -> None:
    print(markdown(figures(quick="--quick" in sys.argv)))


if __name__ == "__main__":
    main()
