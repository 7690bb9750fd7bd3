"""How long Relais keeps what: the rules of the programme file's [retention] section.

The defaults follow the CNIL's guidance for social-support files (see the file for each
reason); the daily retention job (conversations.retention) applies them.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetentionRules:
    closed_case_days: int = 730
    unfinished_report_days: int = 7
    sent_reminder_days: int = 30
    audit_days: int = 365
    access_request_days: int = 7

    def __post_init__(self) -> None:
        for name, days in vars(self).items():
            if not isinstance(days, int) or days < 1:
                raise ValueError(f"{name} must be a whole number of days, at least 1")


@dataclass(frozen=True)
class Cutoffs:
    """Everything older than these moments goes (or loses its personal values)."""

    last_contact: datetime  # closed cases whose last contact is older are anonymised
    unfinished_report: datetime
    sent_reminder: datetime
    audit: datetime
    access_request: datetime  # access requests made before it, still unanswered, go


def cutoffs(now: datetime, rules: RetentionRules) -> Cutoffs:
    return Cutoffs(
        last_contact=now - timedelta(days=rules.closed_case_days),
        unfinished_report=now - timedelta(days=rules.unfinished_report_days),
        sent_reminder=now - timedelta(days=rules.sent_reminder_days),
        audit=now - timedelta(days=rules.audit_days),
        access_request=now - timedelta(days=rules.access_request_days),
    )
