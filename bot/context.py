"""The Application and CallbackContext Relais runs with."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.settings import Settings
from bot.update_log import logged
from domain.programme import Programme
from storage.models import Member
from storage.reminders import Planner
from storage.types import utcnow


class RelaisApplication(Application):
    """PTB's Application, holding the bot's settings and database, and saving state at once.

    PTB writes its persistence every `update_interval` seconds: a crash would lose up to a
    minute of half-filled forms. Flushing after each update costs one small write per update.
    Each update also gets its log line (bot.update_log).
    """

    settings: Settings
    engine: Engine
    programme: Programme
    # What time it is for the bot's rules (escalations, drafts); tests move it forward.
    clock: Callable[[], datetime] = staticmethod(utcnow)

    def now(self) -> datetime:
        return self.clock()

    @property
    def planner(self) -> Planner:
        """Plans the reminders that follow from a change to a case or an appointment."""
        return Planner(self.programme.reminders, self.settings.zone)

    async def process_update(self, update: object) -> None:
        await logged(update, super().process_update(update))
        if self.persistence is not None and isinstance(update, Update):
            await self.update_persistence()


class RelaisContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    """`context.member` is the enrolled member behind the update (set by bot.access.gate)."""

    member: Member | None = None

    @property
    def relais(self) -> RelaisApplication:
        application = self.application
        assert isinstance(application, RelaisApplication)
        return application

    @property
    def engine(self) -> Engine:
        return self.relais.engine

    @property
    def settings(self) -> Settings:
        return self.relais.settings

    @property
    def known_member(self) -> Member:
        """The member, for handlers the gate only lets members reach."""
        if self.member is None:
            raise LookupError("handler reached without an enrolled member")
        return self.member
