"""several landlords: sites, reserved homes and cases belong to a landlord organisation

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 20:00:00

A database of one landlord upgrades unchanged: its sites and reserved homes go to its one
landlord organisation (none, or several: left without one, the sites file names it at the
next start). A case goes to the organisation that reported it when its landlord referents
saw it before, by the rule of then (a landlord's staff, or an organisation with landlord
referents), so that every referent sees exactly the cases they saw; the others (the
gendarmerie's, the SIAO's, Montjoie's) belong to no landlord until the team gives them one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONLY_LANDLORD = """
(SELECT MIN(id) FROM organisation WHERE kind = 'landlord'
 HAVING COUNT(*) = 1)
"""
CASES = """
UPDATE referral_case SET landlord_id = source_organisation_id
WHERE source_organisation_id IN (
    SELECT id FROM organisation WHERE kind = 'landlord'
    UNION SELECT organisation_id FROM member WHERE role = 'landlord_referent')
"""


def upgrade() -> None:
    for table in ('site', 'reserved_home', 'referral_case'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('landlord_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f'fk_{table}_landlord_id_organisation'),
                'organisation', ['landlord_id'], ['id'],
            )
            if table == 'referral_case':
                batch_op.create_index(
                    batch_op.f('ix_referral_case_landlord_id'), ['landlord_id'], unique=False
                )
    op.execute(f"UPDATE site SET landlord_id = {ONLY_LANDLORD}")
    op.execute(f"UPDATE reserved_home SET landlord_id = {ONLY_LANDLORD}")
    op.execute(CASES)


def downgrade() -> None:
    for table in ('referral_case', 'reserved_home', 'site'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == 'referral_case':
                batch_op.drop_index(batch_op.f('ix_referral_case_landlord_id'))
            batch_op.drop_constraint(
                batch_op.f(f'fk_{table}_landlord_id_organisation'), type_='foreignkey'
            )
            batch_op.drop_column('landlord_id')
