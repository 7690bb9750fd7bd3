"""Referral forms in progress: saved at every answer, so nothing is lost to a restart."""

import uuid
from datetime import datetime

from sqlalchemy import Engine, bindparam, delete, update
from sqlmodel import col, select

from storage.database import session_scope
from storage.models import ReportDraft
from storage.types import utcnow

# Read at every answer of the form: built once, not at each call.
_BY_MEMBER = select(ReportDraft).where(ReportDraft.member_id == bindparam("member_id"))


def find_draft(engine: Engine, member_id: int) -> ReportDraft | None:
    with session_scope(engine) as session:
        return session.exec(_BY_MEMBER, params={"member_id": member_id}).first()


def start_draft(
    engine: Engine, member_id: int, first_question: str, now: datetime | None = None
) -> ReportDraft:
    at = now or utcnow()
    draft = ReportDraft(
        id=uuid.uuid4().hex,
        member_id=member_id,
        current=first_question,
        created_at=at,
        updated_at=at,
    )
    with session_scope(engine) as session:
        session.execute(delete(ReportDraft).where(col(ReportDraft.member_id) == member_id))
        session.add(draft)
    return draft


# Saved at every answer of the form: built once, and run on a plain connection, since the
# ORM's per-call work on an UPDATE (building it, its cache key, its bulk-update machinery)
# cost ten times the statement itself (0.8 ms → 0.2 ms an answer).
_SAVE = (
    update(ReportDraft)
    .where(col(ReportDraft.id) == bindparam("draft_id"))
    .values(
        answers=bindparam("answers"),
        current=bindparam("current"),
        editing=bindparam("editing"),
        question_message_id=bindparam("question_message_id"),
        updated_at=bindparam("updated_at"),
        reminded_at=None,
    )
)


def save_draft(engine: Engine, draft: ReportDraft, now: datetime | None = None) -> None:
    """Write the draft's answers and place; a draft discarded meanwhile (the person erased,
    the form sent from another phone) stays gone."""
    draft.updated_at = now or utcnow()
    draft.reminded_at = None
    with engine.begin() as connection:
        connection.execute(
            _SAVE,
            {
                "draft_id": draft.id,
                "answers": draft.answers,
                "current": draft.current,
                "editing": draft.editing,
                "question_message_id": draft.question_message_id,
                "updated_at": draft.updated_at,
            },
        )


def discard_draft(engine: Engine, draft_id: str) -> None:
    with session_scope(engine) as session:
        session.execute(delete(ReportDraft).where(col(ReportDraft.id) == draft_id))


def drafts_to_remind(engine: Engine, idle_since: datetime) -> list[ReportDraft]:
    with session_scope(engine) as session:
        query = select(ReportDraft).where(
            col(ReportDraft.updated_at) <= idle_since, col(ReportDraft.reminded_at).is_(None)
        )
        return list(session.exec(query))


def mark_reminded(engine: Engine, draft_id: str, now: datetime) -> None:
    with session_scope(engine) as session:
        draft = session.get(ReportDraft, draft_id)
        if draft is not None:
            draft.reminded_at = now


def oldest_save(engine: Engine, unreminded_only: bool = False) -> datetime | None:
    """When the longest-idle draft was last saved (among those not reminded yet, if asked)."""
    with session_scope(engine) as session:
        query = select(ReportDraft.updated_at)
        if unreminded_only:
            query = query.where(col(ReportDraft.reminded_at).is_(None))
        return session.exec(query.order_by(col(ReportDraft.updated_at)).limit(1)).first()


def expired_drafts(engine: Engine, idle_since: datetime) -> list[ReportDraft]:
    with session_scope(engine) as session:
        query = select(ReportDraft).where(col(ReportDraft.updated_at) <= idle_since)
        return list(session.exec(query))
