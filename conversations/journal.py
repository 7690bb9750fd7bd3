"""/journal R-2026-0042: an admin reads who saw or changed a case, and when, a page at a time.

Opening the journal is itself audited; turning its pages (bot.buttons.JournalPage, an
admin's button) continues the same reading and adds nothing, so the pages do not shift
under the reader.
"""

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import permissions
from bot.buttons import JournalPage
from bot.context import RelaisContext
from bot.i18n import _, format_datetime
from bot.labels import audit_label
from bot.limits import cut
from conversations.common import (
    PAGE,
    case_named,
    page_rows,
    refuse_button,
    replace_text,
)
from storage.audit import case_audit, case_audit_count, record_now
from storage.cases import get_case
from storage.members import get_member
from storage.models import Case


async def show_journal(update: Update, context: RelaisContext) -> None:
    case = await case_named(update, context, permissions.JOURNAL)
    if case is None:
        return
    admin = context.known_member
    record_now(
        context.engine, "audit.read", context.relais.now(), member_id=admin.id, case_id=case.id
    )
    text, keyboard = _page(context, case, 0)
    await update.effective_message.reply_text(text, reply_markup=keyboard)


async def journal_page(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    turned = JournalPage.read(update)
    case = get_case(context.engine, turned.case)
    if case is None:
        await refuse_button(update, context)
        return
    await query.answer()
    text, keyboard = _page(context, case, turned.page)
    await replace_text(query, text, reply_markup=keyboard)


def _page(
    context: RelaisContext, case: Case, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    total = case_audit_count(context.engine, case.id)
    page = min(page, max(total - 1, 0) // PAGE)
    lines = [
        _("Journal du dossier {reference} (le plus récent d'abord) :").format(
            reference=case.reference
        )
    ]
    for entry in case_audit(context.engine, case.id, limit=PAGE, offset=page * PAGE):
        who = get_member(context.engine, entry.member_id) if entry.member_id else None
        when = format_datetime(entry.at, context.settings.zone)
        name = who.display_name if who else "—"
        lines.append(f"• {when} — {name} — {audit_label(entry.action, entry.detail)}")
    rows = page_rows(page, total, lambda other: JournalPage(case=case.id, page=other))
    return cut("\n".join(lines)), InlineKeyboardMarkup(rows) if rows else None


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(list(permissions.JOURNAL.names), show_journal),
        CallbackQueryHandler(journal_page, pattern=JournalPage.pattern),
    ]
