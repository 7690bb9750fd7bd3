"""New-case alerts to Montjoie workers: fan-out, "Je prends", "Voir", and escalation.

An alert says what a worker needs to decide to take a case, and nothing that identifies
the person: no name, no phone, no free text, so it is safe in the team's group chat.
Full details go only to a worker's private chat, on "Voir".
"""

import logging
from functools import partial

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.buttons import TakeCase, ViewCase
from bot.context import RelaisApplication, RelaisContext
from bot.i18n import _, language_of, use_language
from bot.limits import cut
from conversations import team_chat
from conversations.common import refuse_button, tell, tell_admins
from conversations.report_texts import answer_label, option, short_name
from domain.referral import QUESTIONS
from domain.vocabulary import Role
from storage.audit import record_now
from storage.cases import (
    alerts_of,
    get_case,
    mark_escalated,
    record_alert,
    take_case,
)
from storage.members import active_members, get_member, get_organisation
from storage.models import Case, Member

logger = logging.getLogger(__name__)


async def announce(
    application: RelaisApplication, case: Case, *, escalation: bool = False
) -> None:
    """Send the alert to every active worker and to the team's group chat, if any.

    The group chat is reached through conversations.team_chat, which follows it when it
    becomes a supergroup and tells the admins when it refuses the bot.
    """
    default = application.settings.default_language
    recipients = [
        (partial(application.bot.send_message, worker.telegram_id), language_of(worker, default))
        for worker in active_members(application.engine, Role.WORKER)
    ]
    if application.settings.alert_chat_id is not None:
        recipients.append((partial(team_chat.send_message, application), default))
    for send, language in recipients:
        with use_language(language):
            text = _alert_text(application, case, escalation=escalation)
            keyboard = _alert_keyboard(case)
        try:
            message = await send(text, reply_markup=keyboard)
        except TelegramError as error:
            logger.warning(
                "Alert for case %s not delivered to one chat: %s", case.id, type(error).__name__
            )
            continue
        record_alert(application.engine, case.id, message.chat_id, message.message_id, language)


async def take(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    worker = context.known_member
    taken, case = take_case(
        context.engine, TakeCase.read(update).case, worker, context.relais.now()
    )
    if case is None or case.imported:
        await refuse_button(update, context)
        return
    if not taken:
        holder = get_member(context.engine, case.assigned_worker_id)
        await query.answer(
            _("Trop tard : {name} a déjà pris le dossier {reference}.").format(
                name=holder.display_name if holder else "?", reference=case.reference
            ),
            show_alert=True,
        )
        return
    await query.answer(
        _("Le dossier {reference} vous est attribué.").format(reference=case.reference)
    )
    await _mark_alerts_taken(context.relais, case, worker)
    await _tell_referrer(context.relais, case)


async def view(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    case = get_case(context.engine, ViewCase.read(update).case)
    if case is None:
        await refuse_button(update, context)
        return
    worker = context.known_member
    record_now(
        context.engine,
        "case.details_viewed",
        context.relais.now(),
        member_id=worker.id,
        case_id=case.id,
    )
    try:
        await context.bot.send_message(worker.telegram_id, case_details(context.relais, case))
    except TelegramError:
        await query.answer(
            _("Ouvrez d'abord une conversation privée avec moi, puis réessayez."), show_alert=True
        )
        return
    in_private = query.message is not None and query.message.chat.type == "private"
    await query.answer(None if in_private else _("Détails envoyés en message privé."))


async def escalate_case(application: RelaisApplication, case: Case) -> None:
    """Nobody took the case in time: re-alert every worker, and tell the admins."""
    mark_escalated(application.engine, case.id, application.now())
    await announce(application, case, escalation=True)
    await tell_admins(
        application,
        lambda: _(
            "Le signalement {reference} n'a toujours pas été pris en charge. Les travailleurs sociaux ont été relancés."
        ).format(reference=case.reference),
        "Escalation notice",
    )


def case_details(application: RelaisApplication, case: Case) -> str:
    """Everything the referrer said, for a worker's private chat only."""
    lines = [_alert_text(application, case, escalation=False), ""]
    for key, value in case.answers.items():
        if key in QUESTIONS and key not in ("kind", "danger"):
            lines.append(f"• {short_name(key)} : {answer_label(application.engine, key, value)}")
    return cut("\n".join(lines))


def _alert_text(application: RelaisApplication, case: Case, *, escalation: bool) -> str:
    organisation = get_organisation(application.engine, case.source_organisation_id)
    place = case.commune or "?"
    if case.sector:
        place = _("{commune} (secteur {sector})").format(commune=place, sector=case.sector)
    lines = [
        (
            _("URGENT — nouveau signalement {reference}")
            if case.urgent
            else _("Nouveau signalement {reference}")
        ).format(reference=case.reference),
        _("Type : {kind}").format(kind=option(case.kind.value)),
        _("Lieu : {place}").format(place=place),
        _("QPV : {qpv}").format(qpv=option(case.qpv)),
        _("Signalé par : {organisation}").format(
            organisation=organisation.name if organisation else "?"
        ),
    ]
    if escalation:
        lines.insert(0, _("Relance : ce signalement attend toujours d'être pris en charge."))
    return cut("\n".join(lines))


def _alert_keyboard(case: Case, *, taken: bool = False) -> InlineKeyboardMarkup:
    view_button = ViewCase(case.id).button(_("Voir"))
    if taken:
        return InlineKeyboardMarkup([[view_button]])
    return InlineKeyboardMarkup([[TakeCase(case.id).button(_("Je prends")), view_button]])


async def _mark_alerts_taken(application: RelaisApplication, case: Case, worker: Member) -> None:
    for alert in alerts_of(application.engine, case.id):
        with use_language(alert.language):
            text = cut(
                _alert_text(application, case, escalation=False)
                + "\n\n"
                + _("Pris en charge par {name}.").format(name=worker.display_name)
            )
            keyboard = _alert_keyboard(case, taken=True)
        try:
            await application.bot.edit_message_text(
                text, chat_id=alert.chat_id, message_id=alert.message_id, reply_markup=keyboard
            )
        except (BadRequest, TelegramError) as error:
            logger.warning("Alert %s could not be updated: %s", alert.id, type(error).__name__)


async def _tell_referrer(application: RelaisApplication, case: Case) -> None:
    if case.source_member_id is None:  # imported from the programme's history
        return
    referrer = get_member(application.engine, case.source_member_id)
    if referrer is None or not referrer.active:
        return
    await tell(
        application,
        referrer,
        lambda: _(
            "Votre signalement {reference} a été pris en charge par un travailleur social de Montjoie."
        ).format(reference=case.reference),
        "Taken notice",
    )


def handlers() -> list[BaseHandler]:
    return [
        CallbackQueryHandler(take, pattern=TakeCase.pattern),
        CallbackQueryHandler(view, pattern=ViewCase.pattern),
    ]
