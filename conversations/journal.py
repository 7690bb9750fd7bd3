"""/journal R-2026-0042: an admin reads who saw or changed a case, and when."""

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot import permissions
from bot.context import RelaisContext
from bot.i18n import _, format_datetime
from bot.labels import audit_label
from conversations.common import case_named
from storage.audit import case_audit, record_now
from storage.members import get_member


async def show_journal(update: Update, context: RelaisContext) -> None:
    message = update.effective_message
    case = await case_named(update, context, permissions.JOURNAL)
    if case is None:
        return
    admin = context.known_member
    record_now(
        context.engine, "audit.read", context.relais.now(), member_id=admin.id, case_id=case.id
    )
    lines = [
        _("Journal du dossier {reference} (le plus récent d'abord) :").format(
            reference=case.reference
        )
    ]
    for entry in case_audit(context.engine, case.id):
        who = get_member(context.engine, entry.member_id) if entry.member_id else None
        when = format_datetime(entry.at, context.settings.zone)
        name = who.display_name if who else "—"
        lines.append(f"• {when} — {name} — {audit_label(entry.action, entry.detail)}")
    await message.reply_text("\n".join(lines))


def handlers() -> list[BaseHandler]:
    return [CommandHandler(list(permissions.JOURNAL.names), show_journal)]
