"""Counts behind the abuse limits that the database, not memory, must answer."""

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import col, select

from storage.database import session_scope
from storage.models import Invitation


def invitations_created_since(engine: Engine, member_id: int, since: datetime) -> list[datetime]:
    """When `member_id` created each invitation from `since` on, oldest first."""
    with session_scope(engine) as session:
        query = (
            select(Invitation.created_at)
            .where(Invitation.created_by_id == member_id, col(Invitation.created_at) >= since)
            .order_by(col(Invitation.created_at))
        )
        return list(session.exec(query))
