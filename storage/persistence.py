"""PTB persistence in Relais's own database: conversation states and per-user data.

Chat data, bot data and callback data are not used by Relais and are not stored. An empty
`user_data` is never written, so a stranger who talks to the bot leaves no row behind.

PTB holds every conversation's state and every user's data in memory and hands them here
after each update, changed or not; what was last written is remembered, so that only a change
reaches the database (two transactions fewer for most answers of a form).
"""

import json
from typing import Any

from sqlalchemy import Engine, delete
from sqlmodel import select
from telegram.ext import BasePersistence, PersistenceInput

from storage.database import session_scope
from storage.models import ConversationState, UserData
from storage.types import utcnow

ConversationKey = tuple[int | str, ...]


def stored_key(key: ConversationKey) -> str:
    """How a conversation's key (chat id, user id…) is kept in the conversation_state table."""
    return json.dumps(list(key))


class DatabasePersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    def __init__(self, engine: Engine, update_interval: float = 60) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.engine = engine
        # What this process last read or wrote. Erasing a person deletes their rows behind
        # it (storage.retention): an unchanged repeat then writes nothing back, as wanted.
        self._user_data: dict[int, str] = {}
        self._states: dict[tuple[str, str], object] = {}

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        with session_scope(self.engine) as session:
            loaded = {row.user_id: dict(row.data) for row in session.exec(select(UserData))}
        self._user_data = {user_id: _written(data) for user_id, data in loaded.items()}
        return loaded

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        written = _written(data) if data else None
        if self._user_data.get(user_id) == written:
            return
        with session_scope(self.engine) as session:
            row = session.get(UserData, user_id)
            if not data:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(UserData(user_id=user_id, data=data))
            else:
                row.data = data
                row.updated_at = utcnow()
        if written is None:
            self._user_data.pop(user_id, None)
        else:
            self._user_data[user_id] = written

    async def drop_user_data(self, user_id: int) -> None:
        self._user_data.pop(user_id, None)
        with session_scope(self.engine) as session:
            session.execute(delete(UserData).where(UserData.user_id == user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        """Nothing to do: the database is only written by this process."""

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        with session_scope(self.engine) as session:
            rows = session.exec(select(ConversationState).where(ConversationState.name == name))
            states = {row.key: row.state for row in rows}
        self._states.update(((name, key), state) for key, state in states.items())
        return {tuple(json.loads(key)): state for key, state in states.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        encoded_key = stored_key(key)
        if self._states.get((name, encoded_key)) == new_state:
            return
        with session_scope(self.engine) as session:
            row = session.get(ConversationState, (name, encoded_key))
            if new_state is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(ConversationState(name=name, key=encoded_key, state=new_state))
            else:
                row.state = new_state
        if new_state is None:
            self._states.pop((name, encoded_key), None)
        else:
            self._states[(name, encoded_key)] = new_state

    async def flush(self) -> None:
        """Every write above is committed at once; nothing is buffered."""

    # Relais keeps no chat, bot or callback data (see store_data above); PTB never calls these.
    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: object) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None


def _written(data: dict[str, Any]) -> str:
    """A user's data as the JSON column keeps it, to tell a change from a repeat."""
    return json.dumps(data, sort_keys=True, default=str)
