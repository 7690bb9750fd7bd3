"""The user guides (docs/guides/) say only what the bot really does.

For every page, in French and in English:
- each command it names (`/signaler`, `/help`) exists, is spelled in the page's language, and
  is open to at least one of the roles the page is written for (bot.permissions);
- each button or text it quotes (« Envoyer » in French, “Send” in English) is a text of the
  bot in that language (the gettext catalogs), or one of the few labels built from one;
- both languages have a page for the same roles, and docs/guides/README.md links them all.
"""

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot import permissions
from bot.i18n import use_language
from bot.labels import status_label
from domain.vocabulary import CaseStatus, Role

ROOT = Path(__file__).resolve().parent.parent
GUIDES = ROOT / "docs" / "guides"

# One row per audience: its French page, its English page, the roles it is written for.
AUDIENCES = {
    "correspondent": ("fr/correspondant.md", "en/correspondent.md", {Role.CORRESPONDENT}),
    "gendarmerie and SIAO": (
        "fr/gendarmerie-siao.md",
        "en/gendarmerie-siao.md",
        {Role.GENDARMERIE, Role.SIAO},
    ),
    "social worker": ("fr/travailleur-social.md", "en/social-worker.md", {Role.WORKER}),
    "landlord referent": (
        "fr/referent-bailleur.md",
        "en/landlord-referent.md",
        {Role.LANDLORD_REFERENT},
    ),
    "coordination": ("fr/coordination.md", "en/coordination.md", {Role.ADMIN}),
}

# (language, page, roles) for every page of both languages.
PAGES = [
    (language, page, frozenset(roles))
    for french, english, roles in AUDIENCES.values()
    for language, page in (("fr", french), ("en", english))
]
PAGE_IDS = [page for _language, page, _roles in PAGES]

# A command: "/name" at the start of a line or after a space, a backtick or "(".
COMMAND = re.compile(r"(?<![^\s`(])/([a-z_]+)")
# A quoted bot text, and the quotes of the other language (a label quoted in them would
# escape the check).
QUOTED = {"fr": re.compile(r"«\s*([^«»]+?)\s*»"), "en": re.compile(r"“([^“”]+?)”")}
OTHER_QUOTES = {"fr": "“”", "en": "«»"}
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")


def read(page: str) -> str:
    return (GUIDES / page).read_text(encoding="utf-8")


@cache
def bot_texts(language: str) -> frozenset[str]:
    """Every text the bot shows in `language`: the French msgids, or the English msgstrs."""
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file)
    texts = set()
    for message in catalog:
        if not message.id:
            continue  # the catalog's header
        value = message.id if language == "fr" else message.string
        texts.update([value] if isinstance(value, str) else value)
    return frozenset(text for text in texts if text)


@cache
def status_labels(language: str) -> frozenset[str]:
    """The case statuses as the bot names them in `language` ("clos", "closed")."""
    with (ROOT / "locales" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        english = read_po(po_file)
    with use_language("fr"):
        french = {status_label(status) for status in CaseStatus}
    return frozenset(french if language == "fr" else (english[text].string for text in french))


def is_bot_text(label: str, language: str) -> bool:
    """The label as it stands in the catalog, or "→ " and a case status: a move on the case
    card (« → diagnostic », “→ closed”)."""
    texts = bot_texts(language)
    if label in texts:
        return True
    if label.startswith("→ "):
        return label.removeprefix("→ ") in status_labels(language)
    return False


@pytest.mark.parametrize(("language", "page", "roles"), PAGES, ids=PAGE_IDS)
def test_every_command_of_a_page_exists_in_its_language_and_is_open_to_its_readers(
    language: str, page: str, roles: frozenset[Role]
) -> None:
    names = COMMAND.findall(read(page))
    assert names, f"{page} names no command"
    for name in names:
        command = permissions.command_named(name)
        assert command is not None, f"{page}: /{name} is no command of the bot"
        assert name == command.name(language), (
            f"{page}: /{name} is spelled /{command.name(language)} in this language"
        )
        assert command.roles & roles, (
            f"{page}: /{name} is not open to {sorted(role.value for role in roles)}"
        )


@pytest.mark.parametrize(("language", "page", "roles"), PAGES, ids=PAGE_IDS)
def test_every_quoted_label_of_a_page_is_a_text_of_the_bot_in_its_language(
    language: str, page: str, roles: frozenset[Role]
) -> None:
    text = read(page)
    labels = [" ".join(label.split()) for label in QUOTED[language].findall(text)]
    assert labels, f"{page} quotes no button"
    unknown = [label for label in labels if not is_bot_text(label, language)]
    assert unknown == [], f"{page}: not texts of the bot in {language!r}"
    wrong = sorted({mark for mark in OTHER_QUOTES[language] if mark in text})
    assert wrong == [], f"{page}: the other language's quotes, whose labels go unchecked"


def test_both_languages_have_a_page_for_the_same_roles_and_the_index_links_them_all() -> None:
    for language in ("fr", "en"):
        written = {path.name for path in (GUIDES / language).glob("*.md")}
        listed = {
            page.removeprefix(f"{language}/") for lang, page, _r in PAGES if lang == language
        }
        assert written == listed, f"docs/guides/{language}/ differs from AUDIENCES"
    links = set(LINK_TARGET.findall((GUIDES / "README.md").read_text(encoding="utf-8")))
    assert {page for _language, page, _roles in PAGES} <= links
    broken = sorted(link for link in links if "://" not in link and not (GUIDES / link).exists())
    assert broken == [], "docs/guides/README.md links to missing pages"
