"""Moving to PostgreSQL: copy every row of the SQLite database into an empty PostgreSQL one.

Rows are copied as they are stored, so encrypted values stay encrypted (the same
ENCRYPTION_KEYS read them); the target gets the same schema first (Alembic), and its id
sequences continue after the copied ids. Run it with the bot stopped.
"""

from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlmodel import SQLModel

from storage.database import analyze, make_engine, schema_revision, upgrade
from storage.models import Member

BATCH = 500


class TransferRefused(RuntimeError):
    """The copy would mix two databases or copy between two different schemas."""


def copy_database(source: Engine, target_url: str) -> dict[str, int]:
    """Copy every table, parents before children; the rows copied per table."""
    target = make_engine(target_url)
    try:
        upgrade(target)
        if schema_revision(source) != schema_revision(target):
            raise TransferRefused("Upgrade the SQLite database first: python -m bot migrate.")
        with target.connect() as connection:
            if connection.execute(select(func.count()).select_from(Member)).scalar_one():
                raise TransferRefused("The target database is not empty: nothing was copied.")
        copied = {}
        with source.connect() as reading, target.begin() as writing:
            for table in SQLModel.metadata.sorted_tables:
                rows = [dict(row) for row in reading.execute(select(table)).mappings()]
                for start in range(0, len(rows), BATCH):
                    writing.execute(insert(table), rows[start : start + BATCH])
                copied[table.name] = len(rows)
            _continue_sequences(writing)
        analyze(target)
        return copied
    finally:
        target.dispose()


def _continue_sequences(connection: Connection) -> None:
    """PostgreSQL's serial ids go on after the copied ones (SQLite has no sequences)."""
    if connection.dialect.name != "postgresql":
        return
    for table in SQLModel.metadata.sorted_tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar_one()
            if sequence is not None:
                connection.execute(
                    text(
                        f'SELECT setval(:sequence, COALESCE((SELECT MAX("{column.name}") '
                        f'FROM "{table.name}"), 0) + 1, false)'
                    ),
                    {"sequence": sequence},
                )
