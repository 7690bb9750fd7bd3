"""Running the real application against the project's own Bot API, in this event loop.

The tests and the playground start Relais the same way: what `Application.run_polling`
does, without taking over the event loop, so the fake Telegram can serve it meanwhile.
The playground also moves the bot's clock forward (`let_time_pass`) as if the time had
passed with the bot running.
"""

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Update
from telegram.ext import Job

from bot.app import Requests, build_application
from bot.context import RelaisApplication
from bot.settings import Settings
from conversations import access_requests, erase, reminders, report_drafts
from storage.reminders import next_pending_due
from storage.types import utcnow


async def start_offline(settings: Settings, requests: Requests | None = None) -> RelaisApplication:
    application = build_application(settings, requests=requests)
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.updater.start_polling(
        poll_interval=0, timeout=5, allowed_updates=Update.ALL_TYPES
    )
    await application.start()
    return application


async def stop_offline(application: RelaisApplication) -> None:
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    application.engine.dispose()


class MovableClock:
    """A base clock (real time; a fixed moment in tests) plus an offset moved forward."""

    def __init__(self, base: Callable[[], datetime] = utcnow) -> None:
        self.base = base
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return self.base() + self.offset

    def timestamp(self) -> float:
        """Unix seconds: the fake Bot API's clock (message dates) is this one."""
        return self().timestamp()

    def move_to(self, moment: datetime) -> None:
        """On to `moment`; a moment already past leaves the clock where it is."""
        self.offset += max(moment - self(), timedelta())


# A sweep whose next piece of work has a known time (None: no work yet) runs at its first run
# from that time; the others run at each of their runs.
NEXT_WORK: dict[Callable, Callable[[RelaisApplication], datetime | None]] = {
    reminders.dispatch: lambda application: next_pending_due(application.engine),
    report_drafts.sweep_drafts: report_drafts.next_work,
    erase.sweep_deletions: erase.next_work,
    access_requests.sweep_requests: access_requests.next_work,
}


@dataclass(eq=False)
class _Runs:
    """A JobQueue job's runs on the moved clock: its next one, then one every `every`."""

    job: Job
    at: datetime
    every: timedelta | None  # None: a job that runs once

    def first_from(self, moment: datetime) -> datetime:
        """Its first run at or after `moment`."""
        if self.every is None or moment <= self.at:
            return max(self.at, moment)
        return self.at + math.ceil((moment - self.at) / self.every) * self.every

    def next_one(self, application: RelaisApplication, now: datetime) -> datetime | None:
        work = NEXT_WORK.get(self.job.callback)
        if work is None:
            return self.first_from(now)
        due = work(application)
        return None if due is None else self.first_from(max(due, now))


async def let_time_pass(
    application: RelaisApplication,
    clock: MovableClock,
    until: datetime | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Move `clock` on to `until`, or until `stop()`, as if the bot had been running all along:
    from one run of its JobQueue jobs to the next, each run at the time it would have had
    (the dispatcher's first run after a reminder's due time, every hourly sweep...).

    The JobQueue is paused meanwhile, then takes over from where the moved clock stands.
    """
    scheduler = application.job_queue.scheduler
    scheduler.pause()
    runs = [
        _Runs(job, clock() + (job.next_t - utcnow()), getattr(job.job.trigger, "interval", None))
        for job in application.job_queue.jobs()
        if job.next_t is not None
    ]
    try:
        while not stop():
            now = clock()
            coming = {
                run: at for run in runs if (at := run.next_one(application, now)) is not None
            }
            moment = min(coming.values(), default=None)
            if moment is None or (until is not None and moment > until):
                if until is not None:
                    clock.move_to(until)
                return
            clock.move_to(moment)
            await asyncio.sleep(0)  # the page and the bot's polling go on meanwhile
            for run, at in coming.items():
                if at != moment:
                    continue
                await run.job.run(application)
                if run.every is not None:
                    run.at = moment + run.every
                else:  # its one run is done: the JobQueue must not run it again
                    run.job.schedule_removal()
                    runs.remove(run)
    finally:
        for run in runs:  # each next run, as far ahead in real time as on the moved clock
            run.job.job.modify(next_run_time=utcnow() + (run.first_from(clock()) - clock()))
        scheduler.resume()
