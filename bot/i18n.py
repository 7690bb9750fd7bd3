"""Texts in the reader's language.

Every text goes through `_()` with a whole French sentence as its id (French is the source
language). The reader's language is resolved once per update (see bot.access) into a
ContextVar, as aiogram's i18n middleware does, so handlers just call `_()`. Messages to
someone else (an alert to a worker) are written inside `use_language(their_language)`.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date as format_date_babel
from babel.dates import format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.settings import SUPPORTED_LANGUAGES
from storage.models import Member

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

_language: ContextVar[str] = ContextVar("relais_language", default=SUPPORTED_LANGUAGES[0])


def N_(message: str) -> str:
    """Mark a text for extraction where it is defined; it is translated where it is shown."""
    return message


def current_language() -> str:
    return _language.get()


def set_language(language: str) -> None:
    _language.set(language)


@contextmanager
def use_language(language: str) -> Iterator[None]:
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def resolve_language(chosen: str | None, telegram_code: str | None, default: str) -> str:
    """The member's choice, else their Telegram app's language if supported, else the default."""
    if chosen in SUPPORTED_LANGUAGES:
        return chosen
    app_language = (telegram_code or "").split("-")[0].lower()
    return app_language if app_language in SUPPORTED_LANGUAGES else default


def language_of(member: Member, default: str) -> str:
    """The language to write to a member in, when they are not the one talking."""
    return resolve_language(member.language, member.app_language, default)


@cache
def _translations(language: str) -> Translations:
    return Translations.load(str(LOCALES_DIR), [language], DOMAIN)


def _(message: str) -> str:
    return _translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translations(current_language()).ngettext(singular, plural, count)


def format_datetime(value: datetime, zone: ZoneInfo) -> str:
    """A date and time as the reader says it ("2 décembre 2026 à 17:05"), in the local zone."""
    local = value.astimezone(zone)
    language = current_language()
    return _("{date} à {time}").format(
        date=format_date_babel(local, "long", locale=language),
        time=format_time(local, "short", locale=language),
    )


def format_date(value: datetime, zone: ZoneInfo) -> str:
    """A date as the reader says it ("2 déc. 2026"), in the local zone."""
    return format_date_babel(value.astimezone(zone), "medium", locale=current_language())


def catalog_paths(language: str, locales: Path = LOCALES_DIR) -> tuple[Path, Path]:
    folder = locales / language / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


def compile_catalogs(locales: Path = LOCALES_DIR) -> list[str]:
    """Compile each `.po` whose `.mo` is missing or older (what `pybabel compile` does).

    Run at every start, so a fresh checkout or an edited catalog never needs a manual step.
    Returns the languages compiled.
    """
    compiled = []
    for language in SUPPORTED_LANGUAGES:
        po_path, mo_path = catalog_paths(language, locales)
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language, domain=DOMAIN)
        # Written aside, then renamed: a bot, its dispatcher and a command started together
        # each compile, and none may read another's half-written file.
        partial = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.partial")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        partial.replace(mo_path)
        compiled.append(language)
    _translations.cache_clear()
    return compiled
