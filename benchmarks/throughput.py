"""Throughput: form answers handled per second by Relais, against the bare PTB bot, when 200
people fill the report form at once with the network stubbed out.

Both bots talk to their own fake Bot API through `InProcessRequest` (no sockets: each call is
answered in this process), and both are polled as in production. Each person answers the
next question as soon as the bot has handled the last answer, so that 200 forms are under
way together and the bot always has work queued. Relais' pacing is off (Telegram's limits
would measure the waits, not the work; benchmarks.dispatch measures them). At the end every
case must hold its own person's answers: a lost or crossed answer fails the run.
"""

import asyncio
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select
from telegram import Update
from telegram.ext import Application

from benchmarks.intake import (
    FORM,
    Driver,
    _bare_button,
    _enrolled,
    _polling,
    _relais_settings,
    _stopping,
    bare_bot,
)
from benchmarks.table import Figure, Goal, markdown
from playground.fakebotapi import FakeBotAPI
from playground.fakebotapi.inprocess import InProcessRequest
from playground.offline import start_offline, stop_offline
from storage.models import Case, Member

PEOPLE = 200
ROUNDS = 3


@dataclass
class Measured:
    """Seconds each bot took for all the rounds, the answers each handled, and the people
    (by number) whose answers were lost or crossed, in either bot."""

    relais: float = 0.0
    bare: float = 0.0
    answers: int = 0
    crossed: list[int] = field(default_factory=list)


class TrackedDriver(Driver):
    """A driver for many people at once: an answer is settled when the bot has handled that
    very update (the queue as a whole never empties while the others go on)."""

    def __init__(self, fake: FakeBotAPI, application: Application) -> None:
        super().__init__(fake, application)
        self.handled: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)
        process = application.process_update

        async def process_update(update: object) -> None:
            try:
                await process(update)
            finally:
                if isinstance(update, Update):
                    self.handled[update.update_id].set()

        application.process_update = process_update  # type: ignore[method-assign]

    async def settle(self, update_id: int) -> None:
        await self.handled[update_id].wait()
        del self.handled[update_id]


def _typed_by(number: int) -> dict[str, str]:
    """What person `number` types, so that each case can be told from the others."""
    return {"M. D.": f"M. D. {number}", "Voisins inquiets depuis l'été.": f"Voisins de {number}."}


def _form_of(number: int) -> tuple[tuple[str, str], ...]:
    typed = _typed_by(number)
    return tuple((kind, typed.get(what, what) if kind == "send" else what) for kind, what in FORM)


async def _run(driver: TrackedDriver, people: list, tap_data, numbers: range) -> float:
    """Seconds for every person's form, all at once."""
    started = time.perf_counter()
    await asyncio.gather(
        *(
            driver.fill(user, tap_data, _form_of(number))
            for number, user in zip(numbers, people, strict=True)
        )
    )
    return time.perf_counter() - started


def _crossed_cases(engine: Engine, people: list, numbers: range) -> list[int]:
    """Persons whose case is missing or lacks their own typed answers (lost, or crossed)."""
    with Session(engine) as session:
        rows = session.exec(
            select(Member.telegram_id, Case).join(Case, Case.source_member_id == Member.id)
        )
        answers = {telegram_id: case.answers for telegram_id, case in rows}
    return [
        number
        for number, user in zip(numbers, people, strict=True)
        if not all(typed in answers.get(user.id, {}).values() for typed in _typed_by(number).values())
    ]  # fmt: skip


def _bare_people(fake: FakeBotAPI, numbers: range) -> list:
    people = [fake.add_user(f"Personne {number}") for number in numbers]
    for user in people:
        fake.start_chat(user)
    return people


def _bare_crossed(bare: Application, people: list, numbers: range) -> list[int]:
    return [
        number
        for number, user in zip(numbers, people, strict=True)
        if not all(typed in bare.user_data[user.id].get("typed", []) for typed in _typed_by(number).values())
    ]  # fmt: skip


async def measure(people: int, rounds: int) -> Measured:
    """Rounds of `people` at once, through each bot in turn (which one goes first alternates),
    so that the machine's noise falls on both alike."""
    relais_fake, bare_fake = FakeBotAPI(), FakeBotAPI(token="654321:BARE")
    measured = Measured()
    with tempfile.TemporaryDirectory() as folder:
        relais = await start_offline(
            _relais_settings(relais_fake, Path(folder)),
            requests=(InProcessRequest(relais_fake), InProcessRequest(relais_fake)),
        )
        bare = bare_bot(bare_fake, (InProcessRequest(bare_fake), InProcessRequest(bare_fake)))
        await _polling(bare)
        relais_driver, bare_driver = (
            TrackedDriver(relais_fake, relais),
            TrackedDriver(bare_fake, bare),
        )
        try:
            for round_ in range(rounds):
                numbers = range(round_ * people, (round_ + 1) * people)
                relais_people = [_enrolled(relais, relais_fake, n) for n in numbers]
                bare_people = _bare_people(bare_fake, numbers)
                runs = [
                    (relais_driver, relais_people, _label, "relais"),
                    (bare_driver, bare_people, _bare_button, "bare"),
                ]
                for driver, persons, tap_data, name in runs[:: 1 if round_ % 2 == 0 else -1]:
                    seconds = await _run(driver, persons, tap_data, numbers)
                    setattr(measured, name, getattr(measured, name) + seconds)
                measured.answers += len(FORM) * people
                measured.crossed += _crossed_cases(relais.engine, relais_people, numbers)
                measured.crossed += _bare_crossed(bare, bare_people, numbers)
        finally:
            await _stopping(bare)
            await stop_offline(relais)
    return measured


def _label(_kind: str, _label: str) -> None:
    return None  # Relais' buttons are tapped by their label


def figures(quick: bool = False) -> list[Figure]:
    people, rounds = (5, 1) if quick else (PEOPLE, ROUNDS)
    measured = asyncio.run(measure(people, rounds))
    if measured.crossed:
        raise AssertionError(f"answers lost or crossed, people {measured.crossed}")
    note = (
        f"{people} people at once, {rounds} rounds, {measured.answers:,} answers each bot, "
        "network stubbed, none lost or crossed"
    )
    return [
        Figure("form answers per second", measured.answers / measured.relais, "updates/s",
               Goal.ratio_at_least(0.5), measured.answers / measured.bare,
               "bare PTB ConversationHandler", note)
    ]  # fmt: skip


def main() -> None:
    print(markdown(figures()))


if __name__ == "__main__":
    main()
