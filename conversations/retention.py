"""The daily retention job: what has been kept long enough goes (domain.retention's rules).

Closed cases are anonymised two years after the last contact, sent reminders lose their
text after 30 days, the audit trail keeps twelve months (unfinished reports are the drafts
sweep's, conversations.report_drafts). Each step is idempotent: a missed day is caught up
by the next run.
"""

import logging

from bot.context import RelaisContext
from domain.retention import cutoffs
from storage.audit import prune_audit
from storage.retention import anonymise_closed_cases, drop_sent_reminder_payloads

logger = logging.getLogger(__name__)


async def apply_retention(context: RelaisContext) -> None:
    application = context.relais
    now = application.now()
    limits = cutoffs(now, application.programme.retention)
    cases = anonymise_closed_cases(application.engine, limits.last_contact, now)
    reminders = drop_sent_reminder_payloads(application.engine, limits.sent_reminder)
    entries = prune_audit(application.engine, limits.audit, now)
    logger.info(
        "Retention: %d case(s) anonymised, %d reminder text(s) dropped, %d audit entries pruned",
        cases,
        reminders,
        entries,
    )
