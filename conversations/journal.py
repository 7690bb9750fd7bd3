"""/journal R-2026-0042: an admin reads who saw or changed a case, and when, a page at a time.

Opening the journal is itself audited; turning its pages (`cs:j:<case>:<page>`, a case-team
prefix the gate lets through, so the page checks the reader is an admin) continues the same
reading and adds nothing, so the pages do not shift under the reader.
"""

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import permissions
from bot.context import RelaisContext
from bot.i18n import _, format_datetime
from bot.labels import audit_label
from bot.limits import cut
from conversations.common import (
    ID,
    PAGE,
    PAGE_NUMBER,
    case_named,
    id_in,
    page_rows,
    refuse_button,
    replace_text,
)
from domain.vocabulary import Role
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
    _cs, _j, case_id, page = query.data.split(":")  # its pattern checked them
    known = id_in(case_id)
    case = get_case(context.engine, known) if known else None
    if case is None or context.known_member.role is not Role.ADMIN:
        await refuse_button(update, context)
        return
    await query.answer()
    text, keyboard = _page(context, case, int(page))
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
    rows = page_rows(page, total, lambda other: f"cs:j:{case.id}:{other}")
    return cut("\n".join(lines)), InlineKeyboardMarkup(rows) if rows else None


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(list(permissions.JOURNAL.names), show_journal),
        CallbackQueryHandler(journal_page, pattern=rf"^cs:j:{ID}:{PAGE_NUMBER}$"),
    ]
