"""The real Relais Application running against the fake Bot API, and people acting on it.

`RelaisUnderTest` starts the application exactly as `python -m bot` does (same builder, same
handlers, same persistence), only pointed at the fake server. `Person` is a Telegram user:
they send texts and tap buttons, then wait until the bot has fully handled the update
(the fake saw the update confirmed, and the application's update queue is drained).
"""

import tempfile
from collections.abc import Iterable
from pathlib import Path

from bot.context import RelaisApplication
from bot.settings import Settings
from playground.fakebotapi import FakeBotAPI
from playground.offline import start_offline, stop_offline
from tests.databases import TEST_KEY


def settings_for(fake: FakeBotAPI, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "telegram_bot_token": fake.token,
        "telegram_api_base_url": fake.base_url,
        "database_url": database_url,
        "encryption_keys": TEST_KEY,
        # Stories go faster than any person; tests/test_abuse.py sets the real limit.
        "user_messages_per_minute": 10_000,
        # ... and than Telegram's one message a second to a person: tests/test_flood_limits.py
        # keeps them.
        "chat_messages_per_second": 0,
        "bot_messages_per_second": 0,
        "_env_file": None,
    }
    if not database_url.startswith("sqlite"):
        # Beside a SQLite file by default; never the data folder's, which tests on PostgreSQL
        # would otherwise share.
        values["audit_checkpoint_file"] = Path(tempfile.mkdtemp()) / "audit-checkpoints.jsonl"
    return Settings(**(values | overrides))


class RelaisUnderTest:
    def __init__(self, fake: FakeBotAPI, settings: Settings) -> None:
        self.fake = fake
        self.settings = settings
        self.application: RelaisApplication | None = None
        self.team_chat = None  # a group chat, when a test gives the bot one

    @property
    def app(self) -> RelaisApplication:
        assert self.application is not None, "the bot is not running"
        return self.application

    async def start(self) -> None:
        self.application = await start_offline(self.settings)

    async def stop(self) -> None:
        if self.application is None:
            return
        await stop_offline(self.application)
        self.application = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def settle(self, update_id: int) -> None:
        """Return once the bot has received `update_id` and handled everything queued."""
        await self.fake.wait_confirmed(update_id)
        await self.app.update_queue.join()

    async def run_job(self, name: str) -> None:
        """Run a scheduled job now, as the JobQueue would (tests move `app.clock` instead of waiting)."""
        [job] = self.app.job_queue.get_jobs_by_name(name)
        await job.run(self.app)

    def person(self, first_name: str, language_code: str = "fr") -> "Person":
        return Person(self, self.fake.add_user(first_name=first_name, language_code=language_code))


class Person:
    def __init__(self, relais: RelaisUnderTest, user) -> None:
        self.relais = relais
        self.fake = relais.fake
        self.user = user

    @property
    def id(self) -> int:
        return self.user.id

    async def send(self, text: str) -> None:
        await self.relais.settle(self.fake.send_text(self.user, text))

    async def send_media(self, kind: str) -> None:
        await self.relais.settle(self.fake.send_media(self.user, kind))

    async def tap(self, label: str, message_id: int | None = None) -> None:
        """Tap the button `label` on a given message, by default the last one with buttons."""
        message_id = message_id or self.last_keyboard_message().message_id
        await self.relais.settle(self.fake.tap(self.user, message_id, label=label))

    async def tap_data(self, data: str, message_id: int | None = None) -> None:
        """Send a callback with arbitrary data, as a forged or stale button would."""
        message_id = message_id or self.bot_messages()[-1].message_id
        await self.relais.settle(self.fake.forge_callback(self.user, message_id, data))

    def bot_messages(self):
        return self.fake.bot_messages(self.id)

    def texts(self) -> list[str]:
        return [message.text for message in self.bot_messages()]

    @property
    def last_text(self) -> str:
        messages = self.bot_messages()
        assert messages, "the bot has not written to this person"
        return messages[-1].text

    def last_keyboard_message(self):
        for message in reversed(self.bot_messages()):
            if message.reply_markup and message.reply_markup.get("inline_keyboard"):
                return message
        raise AssertionError("no message with buttons in this chat")

    def buttons(self) -> list[str]:
        rows: Iterable[list[dict]] = self.last_keyboard_message().reply_markup["inline_keyboard"]
        return [button["text"] for row in rows for button in row]

    @property
    def alerts(self) -> list[str]:
        """Texts of the pop-ups the bot answered this person's button taps with."""
        return self.fake.callback_answer_texts(self.id)
