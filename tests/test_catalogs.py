"""The French and English catalogs are complete and what the bot loads is up to date."""

import re
import shutil
from pathlib import Path

import pytest
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


def _catalog(language: str):
    po_path, _ = catalog_paths(language)
    with po_path.open("rb") as po_file:
        return read_po(po_file, locale=language)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_text_of_the_code_is_in_the_catalog_and_nothing_else(language: str) -> None:
    catalog = _catalog(language)
    in_catalog = {message.id for message in catalog if message.id}
    code = _texts_in_code()
    assert code - in_catalog == set(), "missing: run pybabel extract and update (README)"
    assert in_catalog - code == set(), "stale entries: run pybabel extract and update (README)"
    assert [message.id for message in catalog if message.id and message.fuzzy] == []


def test_every_english_text_is_translated_with_the_same_placeholders() -> None:
    for message in _catalog("en"):
        if not message.id:
            continue
        assert message.string, f"untranslated: {message.id!r}"
        assert set(PLACEHOLDER.findall(message.string)) == set(PLACEHOLDER.findall(message.id))


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_compiled_catalog_says_what_the_catalog_says(language: str) -> None:
    compile_catalogs()
    mo_path = catalog_paths(language)[1]
    with mo_path.open("rb") as mo_file:
        compiled = {message.id: message.string for message in read_mo(mo_file) if message.id}
    written = {m.id: m.string for m in _catalog(language) if m.id and m.string}
    assert compiled == written


def test_an_edited_catalog_is_compiled_again_at_start(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales)
    assert set(compile_catalogs(locales)) <= set(SUPPORTED_LANGUAGES)
    assert compile_catalogs(locales) == []  # nothing changed, nothing compiled

    po_path, mo_path = catalog_paths("en", locales)
    po_path.write_text(po_path.read_text().replace('"Cancel"', '"Stop"'))
    assert compile_catalogs(locales) == ["en"]
    with mo_path.open("rb") as mo_file:
        assert {m.id: m.string for m in read_mo(mo_file)}["Annuler"] == "Stop"
