"""audit trail keyed: the plain SHA-256 chain is verified as it was, then sealed with HMAC

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27

The keys must be installed (storage.crypto.use_keys, done by the bot before upgrading): the
chain's key is derived from them. The trail gets an `audit.rekeyed` entry saying so. A chain
already broken is re-keyed up to its first broken entry only, so that
`python -m bot verify-audit` still names that entry. No table changes.
"""

from collections.abc import Sequence

from alembic import op

from storage.audit import rekey
from storage.types import utcnow

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rekey(op.get_bind(), utcnow(), from_plain_sha256=True)


def downgrade() -> None:
    """The chain stays keyed: the code of revision 0008 would read it as broken."""
