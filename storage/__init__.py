"""Relais's backing store: SQLModel tables, small query functions and Alembic migrations."""
