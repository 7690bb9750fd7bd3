"""The team's group chat: its id now, and whether it still takes alerts.

One row per ALERT_CHAT_ID, made on first need; every change is one conditional UPDATE, so
that the bot and the dispatchers sharing the database agree on who saw a change first (the
admins are told of a loss once, whoever met it).
"""

from datetime import datetime

from sqlalchemy import Engine, Update, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage.database import session_scope
from storage.models import TeamChat


def team_chat_id(engine: Engine, configured: int) -> int:
    """Where alerts for the team chat configured as `configured` go now."""
    with session_scope(engine) as session:
        row = session.get(TeamChat, configured)
        return row.chat_id if row is not None else configured


def follow_upgrade(engine: Engine, configured: int, old: int, new: int) -> bool:
    """The group `old` became the supergroup `new`: move there if the team chat was `old`."""
    _ensure_row(engine, configured)
    return _changed(
        engine,
        update(TeamChat)
        .where(col(TeamChat.configured_id) == configured, col(TeamChat.chat_id) == old)
        .values(chat_id=new),
    )


def mark_lost(engine: Engine, configured: int, at: datetime) -> bool:
    """The team chat refuses the bot: True only for the first to see it (who tells the admins)."""
    _ensure_row(engine, configured)
    return _changed(
        engine,
        update(TeamChat)
        .where(col(TeamChat.configured_id) == configured, col(TeamChat.lost_at).is_(None))
        .values(lost_at=at),
    )


def mark_back(engine: Engine, configured: int) -> bool:
    """The team chat takes alerts again: True if it had been lost."""
    return _changed(
        engine,
        update(TeamChat)
        .where(col(TeamChat.configured_id) == configured, col(TeamChat.lost_at).is_not(None))
        .values(lost_at=None),
    )


def _changed(engine: Engine, statement: Update) -> bool:
    with session_scope(engine) as session:
        return session.execute(statement).rowcount == 1


def _ensure_row(engine: Engine, configured: int) -> None:
    try:
        with session_scope(engine) as session:
            if session.get(TeamChat, configured) is None:
                session.add(TeamChat(configured_id=configured, chat_id=configured))
    except IntegrityError:
        pass  # another process made it meanwhile: it is there, which is all we need
