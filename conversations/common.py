"""What every flow shares: how a flow's state is kept."""

import warnings
from collections.abc import Sequence

from telegram.ext import BaseHandler, ConversationHandler
from telegram.warnings import PTBUserWarning


def persistent_flow(
    name: str,
    entry_points: Sequence[BaseHandler],
    states: dict[object, list[BaseHandler]],
    fallbacks: Sequence[BaseHandler],
) -> ConversationHandler:
    """A flow whose current step survives restarts (it is saved by storage.persistence).

    A flow is tracked per chat and user, not per message: its questions are several
    messages. PTB warns that buttons are then not tracked per message; that is the intent,
    so that one warning is silenced here, and only here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"If 'per_message=False'", category=PTBUserWarning
        )
        return ConversationHandler(
            entry_points=list(entry_points),
            states=states,
            fallbacks=list(fallbacks),
            name=name,
            persistent=True,
            allow_reentry=True,
        )
