"""Running the real application against the project's own Bot API, in this event loop.

The tests and the playground start Relais the same way: what `Application.run_polling`
does, without taking over the event loop, so the fake Telegram can serve it meanwhile.
"""

from datetime import datetime, timedelta

from telegram import Update

from bot.app import build_application
from bot.context import RelaisApplication
from bot.settings import Settings
from storage.types import utcnow


async def start_offline(settings: Settings) -> RelaisApplication:
    application = build_application(settings)
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
    """Real time plus an offset the trainer moves forward ("+1 jour")."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, minutes: int) -> None:
        if minutes < 0:
            raise ValueError("the clock only moves forward")
        self.offset += timedelta(minutes=minutes)


async def run_sweeps(application: RelaisApplication) -> None:
    """Run every repeating job now (reminders, escalations, drafts…), as the JobQueue would."""
    for job in application.job_queue.jobs():
        await job.run(application)
