"""The French and English catalogs are complete and what the bot loads is up to date."""

import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, catalog_paths, compile_catalogs
from bot.settings import SUPPORTED_LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _texts_in_code() -> set[str]:
    found = set()
    for folder in ("bot", "conversations"):
        for _file, _line, message, _comments, _context in extract_from_dir(ROOT / folder):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _msgid(message_id: str | tuple[str, ...]) -> str:
    """A plural entry is known by its singular."""
    return message_id if isinstance(message_id, str) else message_id[0]


def _forms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _translated(messages: Iterable[Message]) -> dict[str, tuple[str, ...]]:
    """Each translated entry (a compiled plural with no translation falls back to its source)."""
    return {
        _msgid(m.id): _forms(m.string)
        for m in messages
        if m.id and any(_forms(m.string)) and _forms(m.string) != _forms(m.id)
    }


def _catalog(language: str):
    po_path, _ = catalog_paths(language)
    with po_path.open("rb") as po_file:
        return read_po(po_file, locale=language)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_text_of_the_code_is_in_the_catalog_and_nothing_else(language: str) -> None:
    catalog = _catalog(language)
    in_catalog = {_msgid(message.id) for message in catalog if message.id}
    code = _texts_in_code()
    assert code - in_catalog == set(), "missing: run pybabel extract and update (README)"
    assert in_catalog - code == set(), "stale entries: run pybabel extract and update (README)"
    assert [message.id for message in catalog if message.id and message.fuzzy] == []
    assert catalog.obsolete == {}, "obsolete entries: run pybabel update (README)"


def test_every_english_text_is_translated_with_the_same_placeholders() -> None:
    for message in _catalog("en"):
        if not message.id:
            continue
        sources = [message.id] if isinstance(message.id, str) else list(message.id)
        translations = (
            [message.string] if isinstance(message.string, str) else list(message.string)
        )
        assert all(translations), f"untranslated: {message.id!r}"
        for form, translation in enumerate(translations):
            # English has French's two forms: each says what its source form says.
            source = sources[min(form, len(sources) - 1)]
            assert set(PLACEHOLDER.findall(translation)) == set(PLACEHOLDER.findall(source)), (
                message.id
            )


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_compiled_catalog_says_what_the_catalog_says(language: str) -> None:
    compile_catalogs()
    mo_path = catalog_paths(language)[1]
    with mo_path.open("rb") as mo_file:
        compiled = _translated(read_mo(mo_file))
    assert compiled == _translated(_catalog(language))


def test_an_edited_catalog_is_compiled_again_at_start(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales)
    assert set(compile_catalogs(locales)) <= set(SUPPORTED_LANGUAGES)
    assert compile_catalogs(locales) == []  # nothing changed, nothing compiled

    po_path, mo_path = catalog_paths("en", locales)
    po_path.write_text(po_path.read_text().replace('"Cancel"', '"Stop"'))
    assert compile_catalogs(locales) == ["en"]
    with mo_path.open("rb") as mo_file:
        assert _translated(read_mo(mo_file))["Annuler"] == ("Stop",)
