"""Unfinished reports: one reminder after a day of silence, deletion after a week.

A job sweeps the drafts table (the database is the truth, not PTB's in-memory timeouts),
so a reminder due while the bot was stopped is sent at the next sweep.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from telegram import InlineKeyboardMarkup

from bot.buttons import ReportCancel, ReportResume
from bot.context import RelaisApplication, RelaisContext
from bot.i18n import _
from conversations.common import tell
from domain.retention import cutoffs
from storage.drafts import (
    discard_draft,
    drafts_to_remind,
    expired_drafts,
    mark_reminded,
    oldest_save,
)
from storage.members import get_member
from storage.models import ReportDraft


async def sweep_drafts(context: RelaisContext) -> None:
    application = context.relais
    now = application.now()
    settings, rules = application.settings, application.programme.retention
    for draft in expired_drafts(application.engine, cutoffs(now, rules).unfinished_report):
        discard_draft(application.engine, draft.id)
        await _tell_author(
            application,
            draft,
            lambda: _(
                "Votre signalement inachevé a été supprimé après {days} jours sans réponse. /signaler pour en commencer un autre."
            ).format(days=rules.unfinished_report_days),
        )
    for draft in drafts_to_remind(application.engine, now - settings.draft_reminder_delay):
        mark_reminded(application.engine, draft.id, now)
        await _tell_author(application, draft, _reminder_text, with_buttons=True)


def next_work(application: RelaisApplication) -> datetime | None:
    """When `sweep_drafts` next has a draft to remind or delete (the playground's clock
    moves from one such time to the next); None while no draft is waiting."""
    engine, rules = application.engine, application.programme.retention
    due = []
    if (saved := oldest_save(engine)) is not None:
        due.append(saved + timedelta(days=rules.unfinished_report_days))
    if (saved := oldest_save(engine, unreminded_only=True)) is not None:
        due.append(saved + application.settings.draft_reminder_delay)
    return min(due, default=None)


def _reminder_text() -> str:
    return _(
        "Vous avez un signalement commencé et pas encore envoyé. Le reprendre ou l'abandonner ?"
    )


async def _tell_author(
    application: RelaisApplication,
    draft: ReportDraft,
    text: Callable[[], str],
    *,
    with_buttons: bool = False,
) -> None:
    """Write to the draft's author in their language (`text` is called inside it)."""
    author = get_member(application.engine, draft.member_id)
    if author is None or not author.active:
        return

    def keyboard() -> InlineKeyboardMarkup | None:
        if not with_buttons:
            return None
        row = [ReportResume().button(_("Reprendre")), ReportCancel().button(_("Abandonner"))]
        return InlineKeyboardMarkup([row])

    await tell(application, author, text, "Draft notice", keyboard)
