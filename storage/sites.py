"""The landlords' residences, from a CSV file the coordination keeps (SITES_FILE).

Columns: name, commune, sector, qpv (yes/no), landlord (the landlord organisation's name,
created if new). A file without the landlord column (from before several landlords) is the
one landlord's while the database has one. Once it has several (a correspondent invited into
a new organisation makes one), such a file still starts the bot, with a warning: each site
stays whose it was, and a new one is nobody's (offered to every correspondent) until the file
says whose. The file is read at every start: a site added there appears in the form; a site
removed is kept for old cases but no longer offered.
"""

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import select

from domain.access import offers_site
from domain.vocabulary import OrganisationKind
from storage.access import reader
from storage.database import session_scope
from storage.members import ORGANISATION_NAME_MAX, ensure_organisation, landlords
from storage.models import Member, Site

log = logging.getLogger(__name__)

COLUMNS = ("name", "commune", "sector", "qpv", "landlord")
# The columns of a file of one landlord, from before several landlords.
ONE_LANDLORD_COLUMNS = COLUMNS[:4]
# The longest name, commune and sector the database keeps (and the form shows).
LENGTHS = {column: Site.__table__.c[column].type.length for column in COLUMNS[:3]} | {
    "landlord": ORGANISATION_NAME_MAX
}


@dataclass(frozen=True)
class SiteLine:
    """One line of the sites file; `landlord` is None in a file without that column."""

    name: str
    commune: str
    sector: str
    qpv: bool
    landlord: str | None = None


class SitesFileError(ValueError):
    """The sites file cannot be read; the message names the line."""


def read_sites_file(path: Path) -> list[SiteLine]:
    # utf-8-sig: a spreadsheet's "CSV UTF-8" starts with a byte-order mark.
    with path.open(newline="", encoding="utf-8-sig") as handle:
        lines = csv.DictReader(handle)
        columns = tuple(lines.fieldnames or ())
        if columns not in (COLUMNS, ONE_LANDLORD_COLUMNS):
            raise SitesFileError(
                f"{path}: the header must be {','.join(COLUMNS)}"
                " (without landlord while there is one landlord)"
            )
        sites = [_site(row, columns, path, lines.line_num) for row in lines]
    names = [site.name for site in sites]
    if duplicates := sorted({name for name in names if names.count(name) > 1}):
        raise SitesFileError(f"{path}: each site once, but twice: {', '.join(duplicates)}")
    return sites


def _site(row: dict[str, str | None], columns: tuple[str, ...], path: Path, line: int) -> SiteLine:
    # A short line leaves its missing columns as None.
    values = {column: (row.get(column) or "").strip() for column in columns}
    qpv = values["qpv"].lower()
    if qpv not in ("yes", "no", "oui", "non") or not all(values.values()):
        raise SitesFileError(f"{path}, line {line}: every column is needed, qpv is yes or no")
    for column, longest in LENGTHS.items():
        if len(values.get(column, "")) > longest:
            raise SitesFileError(
                f"{path}, line {line}: the {column} has {longest} characters at most"
            )
    return SiteLine(
        name=values["name"],
        commune=values["commune"],
        sector=values["sector"],
        qpv=qpv in ("yes", "oui"),
        landlord=values.get("landlord"),
    )


def load_sites(engine: Engine, path: Path) -> None:
    """Read the sites file and make its sites the active ones, each with its landlord (the
    landlords it names are created if new; a file without the column is the only one's)."""
    lines = read_sites_file(path)
    named = {line.landlord for line in lines if line.landlord is not None}
    ids: dict[str | None, int | None] = {}
    kept: dict[str, int | None] = {}
    if any(line.landlord is None for line in lines):  # one landlord's file, from before
        known = landlords(engine)
        ids[None] = known[0].id if len(known) == 1 else None
        if len(known) > 1:
            log.warning(
                "%s has no landlord column but there are %d landlords: each site stays whose "
                "it was; add the column (%s) to say whose each is",
                path,
                len(known),
                ",".join(COLUMNS),
            )
            kept = {site.name: site.landlord_id for site in _every_site(engine)}
    for name in sorted(named):
        organisation = ensure_organisation(engine, name, OrganisationKind.LANDLORD)
        if organisation.kind is not OrganisationKind.LANDLORD:
            raise SitesFileError(f"{path}: {name} is an organisation, but not a landlord")
        ids[name] = organisation.id
    sites = [
        Site(name=line.name, commune=line.commune, sector=line.sector, qpv=line.qpv,
             landlord_id=kept.get(line.name, ids[line.landlord]))
        for line in lines
    ]  # fmt: skip
    sync_sites(engine, sites)


def _every_site(engine: Engine) -> list[Site]:
    with session_scope(engine) as session:
        return list(session.exec(select(Site)))


def sync_sites(engine: Engine, sites: list[Site]) -> None:
    """Make the active sites exactly those given, keeping ids stable by name."""
    wanted = {site.name: site for site in sites}
    with session_scope(engine) as session:
        for existing in session.exec(select(Site)):
            new = wanted.pop(existing.name, None)
            existing.active = new is not None
            if new is not None:
                existing.commune, existing.sector, existing.qpv = new.commune, new.sector, new.qpv
                existing.landlord_id = new.landlord_id
        session.add_all(wanted.values())


def active_sites(engine: Engine) -> list[Site]:
    with session_scope(engine) as session:
        return list(session.exec(select(Site).where(Site.active).order_by(Site.name)))


def sites_for(engine: Engine, member: Member) -> list[Site]:
    """The active sites this member reports from (a correspondent: their landlord's)."""
    return [site for site in active_sites(engine) if offers_site(reader(member), site.landlord_id)]


def get_site(engine: Engine, site_id: int) -> Site | None:
    with session_scope(engine) as session:
        return session.get(Site, site_id)
