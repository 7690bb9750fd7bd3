"""`python -m bot playground`: start the fake Telegram, the real bot and the web chat page.

`open_playground` is what the command and the browser test share; `serve` is the command:
it prints the page's address and runs until Ctrl-C.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet

from bot.context import RelaisApplication
from bot.settings import DATA_DIR, Settings
from playground.demo import PERSONAS, SITES_CSV, DemoWorld, build_demo
from playground.fakebotapi import FakeBotAPI
from playground.offline import MovableClock, let_time_pass, start_offline, stop_offline
from playground.web import Pane, Playground, pane_role
from storage.reminders import next_pending_due

DEFAULT_PORT = 8080
TEAM_CHAT = "Équipe Montjoie"
ZONE = ZoneInfo("Europe/Paris")


@dataclass
class OpenPlayground:
    fake: FakeBotAPI
    application: RelaisApplication
    demo: DemoWorld
    page: Playground

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.fake.port}/"

    async def close(self) -> None:
        await stop_offline(self.application)
        await self.fake.stop()


async def open_playground(
    port: int = 0, data_dir: Path = DATA_DIR, clock: MovableClock | None = None
) -> OpenPlayground:
    """`clock`: the one the bot, the fake Telegram and the page all read (by default, real
    time, moved forward by the page's buttons)."""
    clock = clock or MovableClock()
    fake = FakeBotAPI(bot_username="relais_playground_bot", clock=clock.timestamp)
    team = fake.add_group(TEAM_CHAT)
    page = Playground(fake, clock, ZONE)
    await fake.start(port=port, routes=page.routes())
    application = await start_offline(_settings(fake, team.id, data_dir))
    application.clock = clock
    page.fast_forward = _fast_forward(application, clock, page)
    demo = await build_demo(application, fake, team)
    for persona in PERSONAS:
        user = demo.people[persona.key]
        page.panes.append(Pane(user, persona.name, pane_role(persona.role)))
    worker = next(persona for persona in PERSONAS if persona.key == "worker")
    page.panes.append(Pane(demo.people["worker"], worker.name, TEAM_CHAT, chat=team))
    return OpenPlayground(fake, application, demo, page)


def _fast_forward(
    application: RelaisApplication, clock: MovableClock, page: Playground
) -> Callable[[int | None], Awaitable[None]]:
    """The page's clock buttons: on by some minutes, or (None) until the bot next writes by
    itself (the next reminder, an escalation...), as if the bot had been running meanwhile."""
    one_at_a_time = asyncio.Lock()  # two presses at once would run the same sweeps twice

    async def fast_forward(minutes: int | None) -> None:
        async with one_at_a_time:
            if minutes is not None:
                await let_time_pass(application, clock, until=clock() + timedelta(minutes=minutes))
                return
            written = page.written_by_bot()

            def reminded() -> bool:
                nothing_left = next_pending_due(application.engine) is None
                return page.written_by_bot() > written or nothing_left

            await let_time_pass(application, clock, stop=reminded)

    return fast_forward


def _settings(fake: FakeBotAPI, team_chat_id: int, data_dir: Path) -> Settings:
    """A world of its own: a fresh database and key each time, never the production ones."""
    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / "playground.sqlite3"
    for old in data_dir.glob(database.name + "*"):
        old.unlink()
    sites = data_dir / "playground-sites.csv"
    sites.write_text(SITES_CSV, encoding="utf-8")
    return Settings(
        _env_file=None,
        telegram_bot_token=fake.token,
        telegram_api_base_url=fake.base_url,
        database_url=f"sqlite:///{database}",
        encryption_keys=Fernet.generate_key().decode(),
        sites_file=sites,
        alert_chat_id=team_chat_id,
        timezone=ZONE.key,
        default_language="fr",
    )


async def serve(port: int = DEFAULT_PORT) -> None:
    playground = await open_playground(port)
    print(f"Relais playground: open {playground.url} in a browser (Ctrl-C to stop).", flush=True)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()
    finally:
        await playground.close()
