"""Builds the Relais Application from the settings: reading this file shows the whole bot."""

import logging

from sqlalchemy import Engine
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import BaseRequest

from bot.access import gate
from bot.context import RelaisApplication, RelaisContext
from bot.errors import on_error
from bot.i18n import compile_catalogs
from bot.menus import publish_default_commands
from bot.operations import checkpoint_audit
from bot.pacing import PacedRateLimiter
from bot.settings import Settings, require_encryption_keys
from bot.update_log import JsonLines
from conversations import (
    access_requests,
    alerts,
    appointments,
    beneficiary,
    case_input,
    cases,
    commission,
    directory,
    erase,
    fallback,
    figures,
    flyers,
    help_command,
    homes,
    invite,
    journal,
    language,
    leaving,
    my_reports,
    reminders,
    report,
    report_drafts,
    retention,
    review_pack,
    start,
    subject_rights,
    team_chat,
)
from domain.programme import load_programme
from storage.crypto import check_keys, use_keys
from storage.database import make_engine, upgrade
from storage.persistence import DatabasePersistence
from storage.sites import load_sites

# Flows in the order they are tried; the fallback answers what none of them took.
FLOWS = (
    start,
    help_command,
    language,
    beneficiary,
    erase,
    invite,
    flyers,
    access_requests,
    report,
    my_reports,
    alerts,
    case_input,  # before `cases`: it takes the card's buttons that need typing
    cases,
    appointments,
    commission,
    homes,
    review_pack,
    journal,
    figures,
    directory,
    leaving,
    subject_rights,
    reminders,
    fallback,
)
# Sweeps of the database (the truth) for what is due; APScheduler only wakes them up.
SWEEPS = (
    (report_drafts.sweep_drafts, "drafts", 300),
    (erase.sweep_deletions, "auto_delete", 300),
    (access_requests.sweep_requests, "access_requests", 3600),
    (reminders.dispatch, "reminders", 15),
    (reminders.plan_periodic, "periodic_reminders", 3600),
    (retention.apply_retention, "retention", 24 * 3600),
    (checkpoint_audit, "audit_checkpoint", 24 * 3600),
)
FIRST_SWEEP_SECONDS = 300  # a daily sweep still runs soon after a start
Requests = tuple[BaseRequest, BaseRequest]


def prepare_database(settings: Settings) -> Engine:
    """Install the encryption keys, open the database, bring its schema up to date (Alembic),
    and refuse keys that cannot read it."""
    use_keys(require_encryption_keys(settings))
    engine = make_engine(settings.database_url)
    upgrade(engine)
    check_keys(engine)
    return engine


def build_application(
    settings: Settings, engine: Engine | None = None, requests: Requests | None = None
) -> RelaisApplication:
    """The bot; `requests` (for getUpdates, for the rest) replace HTTP to the Bot API (the
    benchmarks' Bot API in the same process)."""
    # The coordination's files first: a wrong one is one line, before any database work.
    programme = load_programme(settings.programme_file, settings.partners_file)
    compile_catalogs()
    engine = engine or prepare_database(settings)
    builder = (
        ApplicationBuilder()
        .application_class(RelaisApplication)
        .token(settings.require_token())
        .context_types(ContextTypes(context=RelaisContext))
        .persistence(
            DatabasePersistence(engine, update_interval=settings.persistence_flush_seconds)
        )
        # Telegram's flood limits, per chat too (bot.pacing); a 429 is waited out and retried.
        .rate_limiter(
            PacedRateLimiter(settings.chat_messages_per_second, settings.bot_messages_per_second)
        )
        .post_init(_on_startup)
    )
    if requests is None:
        builder = builder.read_timeout(settings.telegram_timeout_seconds).write_timeout(
            settings.telegram_timeout_seconds
        )
    else:
        builder = builder.get_updates_request(requests[0]).request(requests[1])
    if settings.telegram_api_base_url:
        server, _, path = settings.telegram_api_base_url.rpartition("/bot")
        builder = builder.base_url(settings.telegram_api_base_url).base_file_url(
            f"{server}/file/bot{path}"
        )
    application = builder.build()
    assert isinstance(application, RelaisApplication)
    application.settings = settings
    application.engine = engine
    application.programme = programme
    if settings.sites_file is not None:
        load_sites(engine, settings.sites_file)
    _register(application)
    return application


def _register(application: Application) -> None:
    # Telegram's own news of the team chat (the bot removed, the group upgraded) is no
    # person's update: it is read before the gate, which lets nothing from a group through.
    application.add_handlers(team_chat.handlers(), group=-2)
    application.add_handler(TypeHandler(Update, gate), group=-1)
    for flow in FLOWS:
        application.add_handlers(flow.handlers())
    application.add_error_handler(on_error)
    for callback, name, seconds in SWEEPS:
        application.job_queue.run_repeating(
            callback,
            interval=seconds,
            first=min(seconds, FIRST_SWEEP_SECONDS),
            name=name,
            # A late sweep still runs (APScheduler's default grace is one second).
            job_kwargs={"misfire_grace_time": seconds, "coalesce": True},
        )


async def _on_startup(application: Application) -> None:
    assert isinstance(application, RelaisApplication)
    await publish_default_commands(application.bot, application.settings)


def configure_logging(json_lines: bool = False) -> None:
    """Log lines as text, or (LOG_FORMAT=json) one JSON object per line."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonLines()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(handlers=[handler], level=logging.INFO)
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # PTB logs whole updates (what people typed) at DEBUG: never let that reach a log file.
    logging.getLogger("telegram").setLevel(logging.INFO)
