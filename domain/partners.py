"""The partners of the territory: who to call for which situation, where — and the services a
commission can redirect a case to.

Read from `partners.toml` (or the file named by PARTNERS_FILE), checked once at start: a bad
entry stops the bot with one line naming the file and the entry. Every text is bounded so
that any screen of /annuaire fits one Telegram message, and a redirection's name fits the
case's `redirected_to` (80 characters).
"""

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("partners.toml")


class Situation(StrEnum):
    """What a person is facing, as the directory sorts its partners."""

    ADDICTION = "addiction"
    VIOLENCE = "violence"
    SHELTER = "shelter"  # hébergement, mise à l'abri (115)
    MENTAL_HEALTH = "mental_health"  # santé mentale, handicap
    VICTIM_SUPPORT = "victim_support"  # aide aux victimes, droits, justice
    BUDGET = "budget"  # budget, dettes, protection juridique
    TENANCY = "tenancy"  # maintien dans le logement, bail


# The longest text of each field, in characters. A name is also a button's text and, for a
# redirection, a case's `redirected_to` (80); five whole entries and a title fit in 4,096.
LONGEST = {"name": 80, "does": 300, "phone": 20, "hours": 100, "commune": 80, "redirection": 80}
# A phone as Telegram links it: digits with spaces, dots or a leading +.
PHONE = re.compile(r"\+?[0-9][0-9 .]*[0-9]")
FIELDS = {"name", "does", "situations", "communes", "phone", "hours", "redirection"}
REQUIRED = ("name", "does", "situations", "phone", "hours")
# The commission's list is shown as buttons and chosen by position (bot.buttons' Index).
MOST_REDIRECTIONS = 100


class PartnersError(ValueError):
    """The partners file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Partner:
    name: str
    does: str
    situations: frozenset[Situation]
    communes: frozenset[str]  # empty: the whole département
    phone: str
    hours: str
    redirection: str | None = None  # the commission's name for it, when it takes redirections

    @property
    def everywhere(self) -> bool:
        return not self.communes

    def reaches(self, commune: str | None) -> bool:
        """Works in this commune (None: no commune in particular, so only the whole département's)."""
        if self.everywhere:
            return True
        # A commune typed in a report ("le mans") is the file's "Le Mans".
        return commune is not None and _alphabetical(commune) in map(_alphabetical, self.communes)

    def serves(self, situation: Situation, commune: str | None) -> bool:
        return situation in self.situations and self.reaches(commune)


@dataclass(frozen=True)
class Partners:
    partners: tuple[Partner, ...]

    @property
    def redirection_services(self) -> tuple[str, ...]:
        """The commission's redirection list: each partner's redirection name once, in the
        file's order (several partners, a CCAS per town, can share one)."""
        return tuple(dict.fromkeys(p.redirection for p in self.partners if p.redirection))

    def communes(self, also: Iterable[str] = ()) -> list[str]:
        """The communes the partners name, and `also` (the residences'), in alphabetical order."""
        named = {commune for partner in self.partners for commune in partner.communes}
        return sorted(named | set(also), key=_alphabetical)

    def serving(self, situation: Situation, commune: str | None) -> list[Partner]:
        """Who to call: the partners of that commune first, then those of the whole
        département, each group in the file's order."""
        return _local_first(p for p in self.partners if p.serves(situation, commune))

    def referrer_contacts(
        self, service: str, commune: str | None, *, violence: bool
    ) -> list[Partner]:
        """Whom the referrer of a case redirected to `service` may call about it: the partners
        under that name working in the case's commune, local first. None for a violence case:
        a local shelter's or office's number could tell where the person now lives."""
        if violence:
            return []
        return _local_first(
            p for p in self.partners if p.redirection == service and p.reaches(commune)
        )


def _local_first(partners: Iterable[Partner]) -> list[Partner]:
    return sorted(partners, key=lambda partner: partner.everywhere)


def _alphabetical(text: str) -> str:
    """French order: "Écommoy" among the E, "Le Mans" before "Lombron"."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def load_partners(path: Path = DEFAULT_FILE) -> Partners:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise PartnersError(f"{path}: not a TOML file ({error})") from None
    if set(data) - {"partner"}:
        raise PartnersError(
            f"{path}: only [[partner]] entries, not {sorted(set(data) - {'partner'})}"
        )
    entries = data.get("partner", [])
    if not isinstance(entries, list) or not entries:
        raise PartnersError(f"{path}: no [[partner]] entry")
    partners = tuple(_partner(entry, f"{path}, partner {n}") for n, entry in enumerate(entries, 1))
    names = [partner.name for partner in partners]
    if duplicates := sorted({name for name in names if names.count(name) > 1}):
        raise PartnersError(f"{path}: each partner once, but twice: {', '.join(duplicates)}")
    found = Partners(partners)
    if not found.redirection_services:
        raise PartnersError(
            f'{path}: no partner takes redirections (give the commission\'s ones redirection = "…")'
        )
    if len(found.redirection_services) > MOST_REDIRECTIONS:
        raise PartnersError(f"{path}: {MOST_REDIRECTIONS} redirection names at most")
    return found


def _partner(entry: object, where: str) -> Partner:
    if not isinstance(entry, dict):
        raise PartnersError(f"{where}: not a [[partner]] table")
    where = f"{where} ({entry['name']})" if isinstance(entry.get("name"), str) else where
    if unknown := sorted(set(entry) - FIELDS):
        raise PartnersError(
            f"{where}: unknown field {', '.join(unknown)} ({', '.join(sorted(FIELDS))})"
        )
    if missing := [field for field in REQUIRED if field not in entry]:
        raise PartnersError(f"{where}: {', '.join(missing)} is missing")
    texts = {key: _text(entry[key], key, where) for key in ("name", "does", "phone", "hours")}
    if not PHONE.fullmatch(texts["phone"]):
        raise PartnersError(f"{where}: phone is digits, spaces or dots (02 43 00 00 01, 115)")
    redirection = entry.get("redirection")
    return Partner(
        situations=_situations(entry["situations"], where),
        communes=frozenset(
            _text(c, "commune", where)
            for c in _list(entry.get("communes", []), "communes", where, '["Le Mans"]')
        ),
        redirection=None if redirection is None else _text(redirection, "redirection", where),
        **texts,
    )


def _text(value: object, key: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PartnersError(f"{where}: {key} is a text, not empty")
    # Counted as Telegram counts (UTF-16 code units: an emoji counts two).
    if len(value.strip().encode("utf-16-le")) // 2 > LONGEST[key]:
        raise PartnersError(f"{where}: {key} has {LONGEST[key]} characters at most")
    return value.strip()


def _list(value: object, key: str, where: str, example: str) -> Sequence[object]:
    if not isinstance(value, list):
        raise PartnersError(f"{where}: {key} is a list, like {example}")
    return value


def _situations(value: object, where: str) -> frozenset[Situation]:
    known = ", ".join(Situation)
    situations = _list(value, "situations", where, '["addiction", "violence"]')
    if not situations:
        raise PartnersError(f"{where}: situations is empty (among {known})")
    try:
        return frozenset(Situation(str(situation)) for situation in situations)
    except ValueError as error:
        raise PartnersError(f"{where}: situations: {error} (among {known})") from None
