"""Relais's backing store: SQLModel tables, small query functions and Alembic migrations."""

# Registers the audit trail's flush hook: every case event is audited in its transaction.
import storage.audit  # noqa: F401
