"""/mes_signalements: a referrer's own reports, with their status in plain words."""

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot import permissions
from bot.context import RelaisContext
from bot.i18n import _, format_date
from bot.labels import reason_label
from domain.vocabulary import CaseStatus
from storage.cases import cases_reported_by
from storage.models import Case

LISTED = 20


def plain_status(case: Case) -> str:
    """What a referrer may know: where the case stands, never what was decided about the
    person — but for the service a redirected case went to, whom they may now call."""
    if case.status is CaseStatus.CLOSED:
        return _("clos")
    if case.status is CaseStatus.REDIRECTED and case.redirected_to is not None:
        return _("orienté vers : {service}").format(service=reason_label(case.redirected_to))
    if case.assigned_worker_id is None:
        return _("reçu, en attente de prise en charge")
    return _("pris en charge par Montjoie")


async def my_reports(update: Update, context: RelaisContext) -> None:
    cases = cases_reported_by(context.engine, context.known_member.id)
    if not cases:
        await update.effective_message.reply_text(
            _("Vous n'avez encore fait aucun signalement. /signaler pour en faire un.")
        )
        return
    lines = [_("Vos signalements :")]
    lines += [
        _("{reference} — {date} — {status}").format(
            reference=case.reference,
            date=format_date(case.created_at, context.settings.zone),
            status=plain_status(case),
        )
        for case in cases[:LISTED]
    ]
    await update.effective_message.reply_text("\n".join(lines))


def handlers() -> list[BaseHandler]:
    return [CommandHandler(list(permissions.MY_REPORTS.names), my_reports)]
