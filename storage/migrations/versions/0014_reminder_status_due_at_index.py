"""reminder status due_at index

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 17:00:00

The dispatcher takes the first pending reminders by due time (storage.reminders.due_query).
With an index on the status and another on the due time, the database read every pending
row and sorted them (SQLite), or every row due by now, sent ones included (PostgreSQL): on
a million reminders 28 ms and 0.95 s, three hundred and two thousand times the time on ten
thousand (benchmarks/store_scale.py). One index on both reads only the rows it returns; it
also serves every query on the status alone, so the two single ones go.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_status_due_at', ['status', 'due_at'], unique=False)
        batch_op.drop_index(batch_op.f('ix_reminder_status'))
        batch_op.drop_index(batch_op.f('ix_reminder_due_at'))


def downgrade() -> None:
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_status'), ['status'], unique=False)
        batch_op.drop_index('ix_reminder_status_due_at')
