"""Configuration, read once from the environment and an optional `.env` file.

Every setting has a default that works on a laptop except the bot token, which only
Telegram's @BotFather can give; `require_token` says so in one line.
"""

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from domain.partners import DEFAULT_FILE as DEFAULT_PARTNERS_FILE
from domain.programme import DEFAULT_FILE as DEFAULT_PROGRAMME_FILE

SUPPORTED_LANGUAGES = ("fr", "en")
DATA_DIR = Path("data")


class SettingsError(Exception):
    """A setting is missing or wrong; the message is meant for the person running the bot."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    encryption_keys: SecretStr | None = None  # Fernet keys, comma-separated, newest first
    database_url: str = f"sqlite:///{DATA_DIR / 'relais.sqlite3'}"
    telegram_api_base_url: str | None = None
    timezone: str = "Europe/Paris"
    default_language: str = "fr"
    invite_ttl_days: int = Field(default=7, ge=1, le=90)
    persistence_flush_seconds: float = Field(default=60.0, gt=0)
    telegram_timeout_seconds: float = Field(default=10.0, gt=0)
    dispatch_stuck_seconds: int = Field(default=300, ge=1)
    alert_chat_id: int | None = None
    sites_file: Path | None = None
    programme_file: Path = DEFAULT_PROGRAMME_FILE  # phase durations, reminder times, retention
    partners_file: Path = DEFAULT_PARTNERS_FILE  # /annuaire and the redirection services
    escalation_minutes: int = Field(default=240, ge=1)
    urgent_escalation_minutes: int = Field(default=30, ge=1)
    draft_reminder_hours: int = Field(default=24, ge=1)
    # Abuse limits: updates a person may send per minute, invitations an admin may create per hour.
    user_messages_per_minute: int = Field(default=30, ge=1)
    # Messages the bot sends one person in a second, after a burst of three (Telegram: ~1; a
    # little under it, as for the whole bot and for groups, so that messages a few tens of ms
    # late on their way still arrive a second apart); 0 turns the pacing off (the tests).
    chat_messages_per_second: float = Field(default=0.9, ge=0, le=30)
    # Messages the whole bot sends in a second (Telegram: ~30); 0 turns it off (the tests and
    # the benchmarks of the bot's own speed).
    bot_messages_per_second: int = Field(default=28, ge=0, le=30)
    invites_per_admin_per_hour: int = Field(default=10, ge=1)
    # A flyer's link: how long it opens access requests, how many a day it may bring.
    flyer_ttl_days: int = Field(default=183, ge=1, le=3660)
    access_requests_per_link_per_day: int = Field(default=20, ge=1)
    log_format: Literal["text", "json"] = "text"
    # The audit trail's daily checkpoints, outside the database (storage.audit); by default
    # beside the SQLite file (see audit_checkpoints).
    audit_checkpoint_file: Path | None = None
    # Webhook mode (python -m bot --webhook): Telegram posts to WEBHOOK_URL (https, behind a
    # reverse proxy) which forwards to WEBHOOK_LISTEN:WEBHOOK_PORT; WEBHOOK_SECRET is checked
    # on every request.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r} (example: Europe/Paris)") from error
        return value

    @field_validator("sites_file", "programme_file", "partners_file")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("audit_checkpoint_file")
    @classmethod
    def _not_a_folder(cls, value: Path | None) -> Path | None:
        if value is not None and value.is_dir():
            raise ValueError(f"{value} is a folder: name the file to append the checkpoints to")
        return value

    @field_validator("default_language")
    @classmethod
    def _supported_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            backend = None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(
                "must be sqlite:///path/to/file.sqlite3 or postgresql://user:password@host/db"
            )
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(
                "must start with http:// or https:// (example: http://127.0.0.1:8081/bot)"
            )
        return value or None

    @field_validator("webhook_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value and not value.startswith("https://"):
            raise ValueError("must start with https:// (Telegram only posts to HTTPS)")
        return value or None

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("1 to 256 characters among A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @property
    def bot_api_base_url(self) -> str:
        """Where the Bot API is: Telegram's, unless TELEGRAM_API_BASE_URL names another."""
        return self.telegram_api_base_url or "https://api.telegram.org/bot"

    @property
    def audit_checkpoints(self) -> Path:
        """AUDIT_CHECKPOINT_FILE, else beside the SQLite file and named after it (so that two
        databases never share one), else in the data folder."""
        if self.audit_checkpoint_file is not None:
            return self.audit_checkpoint_file
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            database = Path(url.database)
            return database.with_name(f"{database.name}.audit-checkpoints.jsonl")
        return DATA_DIR / "audit-checkpoints.jsonl"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def invite_ttl(self) -> timedelta:
        return timedelta(days=self.invite_ttl_days)

    @property
    def flyer_ttl(self) -> timedelta:
        return timedelta(days=self.flyer_ttl_days)

    @property
    def escalation_delay(self) -> timedelta:
        return timedelta(minutes=self.escalation_minutes)

    @property
    def urgent_escalation_delay(self) -> timedelta:
        return timedelta(minutes=self.urgent_escalation_minutes)

    @property
    def draft_reminder_delay(self) -> timedelta:
        return timedelta(hours=self.draft_reminder_hours)

    def require_token(self) -> str:
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: ask @BotFather on Telegram for a token "
                "(/newbot), then put TELEGRAM_BOT_TOKEN=<token> in the environment or in .env."
            )
        return self.telegram_bot_token.get_secret_value()


def webhook_options(settings: Settings) -> dict[str, object]:
    """What PTB's run_webhook / start_webhook need, or a one-line SettingsError."""
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise SettingsError(
            "--webhook needs WEBHOOK_URL (https://…) and WEBHOOK_SECRET (README, Operations)."
        )
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlsplit(settings.webhook_url).path.strip("/"),
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret.get_secret_value(),
    }


def require_encryption_keys(settings: Settings) -> list[str]:
    keys = settings.encryption_keys.get_secret_value() if settings.encryption_keys else ""
    if not keys.strip():
        raise SettingsError(
            "ENCRYPTION_KEYS is not set: create a key with `python -m bot new-key`, keep a copy "
            "somewhere safe, and put ENCRYPTION_KEYS=<key> in the environment or in .env."
        )
    return keys.split(",")


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a wrong value becomes one readable `SettingsError`."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']).upper()}: {issue['msg']}"
            for issue in error.errors()
        )
        raise SettingsError(f"Invalid settings: {problems}") from None
