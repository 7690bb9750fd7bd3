"""encryption at rest: personal columns become Fernet-encrypted text

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

The keys must be installed (storage.crypto.use_keys, done by the bot before upgrading)
so that existing values are encrypted in place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.crypto import decrypt, encrypt

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, primary key, column, former type)
COLUMNS = (
    ("member", "id", "display_name", sa.String(120)),
    ("report_draft", "id", "answers", sa.JSON()),
    ("referral_case", "id", "answers", sa.JSON()),
    ("case_event", "id", "reason", sa.String(200)),
    ("case_event", "id", "note", sa.String(500)),
    ("case_note", "id", "text", sa.String(2000)),
    ("appointment", "id", "place", sa.String(120)),
    ("user_data", "user_id", "data", sa.JSON()),
)


def _retype(table: str, column: str, old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> None:
    using = f"{column}::text" if isinstance(new, sa.Text) else f"{column}::json"
    with op.batch_alter_table(table) as batch_op:
        batch_op.alter_column(column, existing_type=old, type_=new, postgresql_using=using)


def _rewrite(table: str, key: str, column: str, change) -> None:  # noqa: ANN001
    connection = op.get_bind()
    rows = connection.execute(sa.text(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
    for row_key, value in rows:
        connection.execute(
            sa.text(f"UPDATE {table} SET {column} = :value WHERE {key} = :key"),
            {"value": change(str(value)), "key": row_key},
        )


def upgrade() -> None:
    for table, key, column, old in COLUMNS:
        _retype(table, column, old, sa.Text())
        _rewrite(table, key, column, encrypt)
    op.create_table(
        "key_check",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_check")),
    )


def downgrade() -> None:
    op.drop_table("key_check")
    for table, key, column, old in COLUMNS:
        _rewrite(table, key, column, decrypt)
        _retype(table, column, sa.Text(), old)
