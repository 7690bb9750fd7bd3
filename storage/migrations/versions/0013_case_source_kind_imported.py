"""case source kind, imported cases

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 13:40:00

Each case says which channel it came through (correspondent, gendarmerie, SIAO, other), for
the figures; existing cases take it from the kind of the organisation that reported them.
Cases imported from the programme's history have no reporting member.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCE_KIND = sa.Enum(
    'correspondent', 'gendarmerie', 'siao', 'other',
    name='sourcekind', native_enum=False, create_constraint=False, length=32,
)
# The organisation's kind → the channel (a landlord's staff report as site correspondents).
BACKFILL = """
UPDATE referral_case SET source_kind = CASE (
    SELECT organisation.kind FROM organisation
    WHERE organisation.id = referral_case.source_organisation_id)
  WHEN 'landlord' THEN 'correspondent'
  WHEN 'gendarmerie' THEN 'gendarmerie'
  WHEN 'siao' THEN 'siao'
  ELSE 'other' END
"""


def upgrade() -> None:
    with op.batch_alter_table('referral_case', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('source_kind', SOURCE_KIND, nullable=False, server_default='other')
        )
        batch_op.add_column(
            sa.Column('imported', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.alter_column('source_member_id', existing_type=sa.Integer(), nullable=True)
    op.execute(BACKFILL)


def downgrade() -> None:
    # A database holding imported cases (no reporting member) cannot go back below 0013.
    with op.batch_alter_table('referral_case', schema=None) as batch_op:
        batch_op.alter_column('source_member_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('imported')
        batch_op.drop_column('source_kind')
