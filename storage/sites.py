"""The landlord's residences, from a CSV file the coordination keeps (SITES_FILE).

Columns: name, commune, sector, qpv (yes/no). The file is read at every start: a site
added there appears in the form; a site removed is kept for old cases but no longer offered.
"""

import csv
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import select

from storage.database import session_scope
from storage.models import Site

COLUMNS = ("name", "commune", "sector", "qpv")
# The longest name, commune and sector the database keeps (and the form shows).
LENGTHS = {column: Site.__table__.c[column].type.length for column in COLUMNS[:3]}


class SitesFileError(ValueError):
    """The sites file cannot be read; the message names the line."""


def read_sites_file(path: Path) -> list[Site]:
    # utf-8-sig: a spreadsheet's "CSV UTF-8" starts with a byte-order mark.
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise SitesFileError(f"{path}: the header must be {','.join(COLUMNS)}")
        sites = [_site(row, path, reader.line_num) for row in reader]
    names = [site.name for site in sites]
    if duplicates := sorted({name for name in names if names.count(name) > 1}):
        raise SitesFileError(f"{path}: each site once, but twice: {', '.join(duplicates)}")
    return sites


def _site(row: dict[str, str | None], path: Path, line: int) -> Site:
    # A short line leaves its missing columns as None.
    values = {column: (row.get(column) or "").strip() for column in COLUMNS}
    qpv = values["qpv"].lower()
    if qpv not in ("yes", "no", "oui", "non") or not all(values.values()):
        raise SitesFileError(f"{path}, line {line}: every column is needed, qpv is yes or no")
    for column, longest in LENGTHS.items():
        if len(values[column]) > longest:
            raise SitesFileError(
                f"{path}, line {line}: the {column} has {longest} characters at most"
            )
    return Site(
        name=values["name"],
        commune=values["commune"],
        sector=values["sector"],
        qpv=qpv in ("yes", "oui"),
    )


def sync_sites(engine: Engine, sites: list[Site]) -> None:
    """Make the active sites exactly those given, keeping ids stable by name."""
    wanted = {site.name: site for site in sites}
    with session_scope(engine) as session:
        for existing in session.exec(select(Site)):
            new = wanted.pop(existing.name, None)
            existing.active = new is not None
            if new is not None:
                existing.commune, existing.sector, existing.qpv = new.commune, new.sector, new.qpv
        session.add_all(wanted.values())


def active_sites(engine: Engine) -> list[Site]:
    with session_scope(engine) as session:
        return list(session.exec(select(Site).where(Site.active).order_by(Site.name)))


def get_site(engine: Engine, site_id: int) -> Site | None:
    with session_scope(engine) as session:
        return session.get(Site, site_id)
