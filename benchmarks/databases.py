"""The databases a benchmark runs on: a SQLite file, and a fresh schema on the PostgreSQL server
named by BENCHMARK_DATABASE_URL (default: the local server's `test` database), dropped after.
Without a reachable server the PostgreSQL figures are left out, and the table says so."""

import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from storage.database import make_engine

POSTGRES_URL = os.environ.get(
    "BENCHMARK_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def postgres_reachable() -> bool:
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections live in a new, empty schema (other runs cannot collide)."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def loading_engine(url: str) -> Engine:
    """An engine to fill a database in bulk: on SQLite, one that waits for no disk write and
    caches 256 MB (the file holds the same rows, written in half the time)."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _load_fast)
    return engine


def _load_fast(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.execute("PRAGMA cache_size=-262144")
    cursor.close()


def bulk_insert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows (each naming the same columns) in one go, each value made by its column's type as
    an INSERT makes it (encrypted, in UTC...): COPY on PostgreSQL, where an INSERT of many
    rows is several times slower; executemany elsewhere."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    dialect = connection.dialect
    # COPY knows no Python-side default: a constant one is written here, a computed one must
    # be in the rows.
    defaults = {
        column.name: column.default
        for column in table.columns
        if column.default is not None and column.name not in rows[0]
    }
    computed = sorted(name for name, default in defaults.items() if not default.is_scalar)
    if computed:
        raise ValueError(f"{table.name}: give {', '.join(computed)} (COPY computes no default)")
    constants = {name: default.arg for name, default in defaults.items()}
    columns = [*rows[0], *constants]
    processors = [
        table.c[column].type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)
        for column in columns
    ]
    names = ", ".join(f'"{column}"' for column in columns)
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            whole = {**constants, **row}
            copy.write_row([
                process(whole[column]) for process, column in zip(processors, columns, strict=True)
            ])  # fmt: skip
