"""What the flows share: how their state is kept, how they are abandoned, how the edits of
buttons are handled, how a long list is paged."""

import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy import Engine
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot import permissions
from bot.access import record_refusal
from bot.callback_data import Button
from bot.context import RelaisApplication, RelaisContext
from bot.i18n import _, current_language, language_of, use_language
from bot.labels import role_label
from bot.limits import cut
from domain.vocabulary import Role
from storage.cases import case_by_reference
from storage.members import ORGANISATION_NAME_MAX, active_members, get_organisation
from storage.models import Case, Member

logger = logging.getLogger(__name__)
T = TypeVar("T")
# A page of a list: ten lines of people's longest values fit one message (bot.limits), ten
# buttons leave a keyboard far from Telegram's 100.
PAGE = 10


def page_of(items: Sequence[T], page: int, size: int = PAGE) -> tuple[list[T], int]:
    """The items of page `page`, and its number: the last page when the list has shrunk
    since the button was made."""
    page = min(page, max(len(items) - 1, 0) // size)
    return list(items[page * size : (page + 1) * size]), page


def page_rows(
    page: int, count: int, button: Callable[[int], Button], size: int = PAGE
) -> list[list[InlineKeyboardButton]]:
    """« ‹ Précédents » and « Suivants › » under page `page` of `count` items shown `size`
    at a time (`button(page)`: the button of a page); none when one page holds all."""
    row = []
    if page > 0:
        row.append(button(page - 1).button(_("‹ Précédents")))
    if (page + 1) * size < count:
        row.append(button(page + 1).button(_("Suivants ›")))
    return [row] if row else []


async def case_named(
    update: Update, context: RelaisContext, command: permissions.Command
) -> Case | None:
    """The case an admin's command names (`/journal R-2026-0042`), or an example of use."""
    case = case_by_reference(context.engine, context.args[0]) if context.args else None
    if case is None:
        await update.effective_message.reply_text(
            _("Donnez la référence d'un dossier, par exemple : /{command} R-2026-0042").format(
                command=command.name(current_language())
            )
        )
    return case


async def tell(
    application: RelaisApplication,
    member: Member,
    text: Callable[[], str],
    what: str,
    keyboard: Callable[[], InlineKeyboardMarkup | None] = lambda: None,
) -> bool:
    """Write to a member who did not ask (a notice, an alert), `text()` and `keyboard()` made
    in their language. A failure is logged as `what` not delivered, never with the text, and
    goes no further: the change that caused the notice is already made. Whether it was sent."""
    with use_language(language_of(member, application.settings.default_language)):
        message, markup = text(), keyboard()
    try:
        await application.bot.send_message(member.telegram_id, message, reply_markup=markup)
    except TelegramError as error:
        logger.warning("%s not delivered to member %s: %s", what, member.id, type(error).__name__)
        return False
    return True


async def tell_admins(application: RelaisApplication, text: Callable[[], str], what: str) -> None:
    """Write to every active admin, `text()` being made in each one's language."""
    for admin in active_members(application.engine, Role.ADMIN):
        await tell(application, admin, text, what)


def welcome_text(engine: Engine, member: Member) -> str:
    """A newly enrolled member's welcome (by invitation, or an accepted access request)."""
    organisation = get_organisation(engine, member.organisation_id)
    return _(
        "Bienvenue dans Relais, {name} ! Vous êtes inscrit·e en tant que {role} ({organisation}). /aide liste ce que vous pouvez faire."
    ).format(
        name=member.display_name,
        role=role_label(member.role),
        # An organisation named on the command line before its length was checked: cut.
        organisation=cut(organisation.name, ORGANISATION_NAME_MAX) if organisation else "",
    )


async def refuse_button(update: Update, context: RelaisContext) -> None:
    """A stale, forged or forbidden button: one answer whatever the reason, so a forged
    button learns nothing (not even whether its case exists); the attempt is audited."""
    record_refusal(update, context, "stale")
    await update.callback_query.answer(_("Ce bouton n'est plus valable."), show_alert=True)


async def remove_buttons(query: CallbackQuery) -> None:
    await _unless_unchanged(query.edit_message_reply_markup(None))


async def replace_buttons(query: CallbackQuery, keyboard: InlineKeyboardMarkup) -> None:
    await _unless_unchanged(query.edit_message_reply_markup(keyboard))


async def replace_text(
    query: CallbackQuery, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    await _unless_unchanged(query.edit_message_text(text, reply_markup=reply_markup))


async def _unless_unchanged(edit: Awaitable[object]) -> None:
    """Make an edit; one that changes nothing (the second tap of a double tap) is no error.

    Telegram refuses such an edit with 400 "message is not modified"; the message already
    shows what was asked, so there is nothing to do.
    """
    try:
        await edit
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


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


async def abandon(update: Update, context: RelaisContext, *draft_keys: str) -> int:
    """/annuler or « Annuler » in a short flow: forget its draft, say nothing changed, end."""
    for key in draft_keys:
        context.user_data.pop(key, None)
    if update.callback_query is not None:
        await update.callback_query.answer()
        await remove_buttons(update.callback_query)
    await update.effective_chat.send_message(_("Abandonné : rien n'a changé."))
    return ConversationHandler.END


async def expect_buttons(update: Update, context: RelaisContext) -> None:
    """Typing or a sticker where a button is expected: say so, stay on the same step."""
    await update.effective_message.reply_text(
        _("Choisissez avec les boutons du message ci-dessus, ou /annuler.")
    )


async def expect_text(update: Update, context: RelaisContext) -> None:
    await update.effective_message.reply_text(_("J'attends du texte, ou /annuler."))
