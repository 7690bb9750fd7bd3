"""reminder original due at

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:09:35.793378
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The reminders already planned were owed when they are due: filled in, then required.
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('original_due_at', storage.types.UTCDateTime(timezone=True), nullable=True))
    op.execute('UPDATE reminder SET original_due_at = due_at')
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.alter_column('original_due_at', existing_type=storage.types.UTCDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_column('original_due_at')
