"""Alembic environment: runs on the engine the caller hands over (see storage.database)."""

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables on SQLModel.metadata

engine = context.config.attributes["engine"]


def _run(connection: Connection) -> None:
    with connection.begin():
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
            compare_type=True,
        )
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")


with engine.connect() as connection:
    if connection.dialect.name != "sqlite":
        _run(connection)
    else:
        # Batch mode copies a table, drops the old one and renames the copy: with foreign keys
        # enforced (storage.database turns them on), the drop fails as soon as another table's
        # rows point at it. SQLite's own procedure for such changes: keys off outside the
        # transaction (the pragma does nothing inside one), then checked before committing.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            _run(connection)
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
