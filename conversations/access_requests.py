"""Access requests through a flyer's link (storage.flyers).

1. Someone opens the link (`/start f_<token>`): the bot says what Relais would keep about
   them, with « Demander l'accès » / « Non merci » (`ar:ask:<token>`, `ar:no:<token>`, the
   only other buttons the gate lets a stranger tap). Nothing is written before they ask.
2. Every active admin gets « Demande d'accès : <Telegram name>, <role>, <organisation> »
   with « Accepter » / « Refuser » (`ar:y:<id>`, `ar:n:<id>`). The first answer decides;
   every admin's copy is edited to say who answered.
3. Accepted: the person is enrolled with the link's role and organisation, and welcomed.
   Refused: they are told, and the request is gone. Unanswered for the programme's
   [retention] access_request_days: the hourly sweep deletes it and tells them.
The admins' copies of a refused or expired request lose the person's name.
"""

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.buttons import AcceptAccess, AskAccess, NoAccess, RefuseAccess
from bot.context import RelaisApplication, RelaisContext
from bot.i18n import _, language_of, resolve_language, use_language
from bot.labels import role_label
from bot.limits import cut
from bot.menus import publish_member_commands
from conversations.common import refuse_button, replace_text, welcome_text
from domain.retention import cutoffs
from domain.vocabulary import Role
from storage.flyers import (
    Flyer,
    Opening,
    PendingRequest,
    answer_request,
    expire_requests,
    is_flyer_token,
    note_request_messages,
    oldest_request,
    open_flyer,
    request_access,
)
from storage.members import ORGANISATION_NAME_MAX, active_members
from storage.models import Member

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------ the person


async def open_link(update: Update, context: RelaisContext, token: str) -> bool:
    """`/start <token>` with a flyer's token: True when answered here; False when no flyer
    has this token (an invitation's may start the same way: /start goes on with it)."""
    if not is_flyer_token(token):
        return False
    opening, flyer = _open(context, token, update.effective_user.id)
    if opening is Opening.UNKNOWN:
        return False
    chat = update.effective_chat
    if opening is not Opening.OPEN:
        await chat.send_message(_answer(opening, context))
        return True
    assert flyer is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                AskAccess(token).button(_("Demander l'accès")),
                NoAccess(token).button(_("Non merci")),
            ]
        ]
    )
    await chat.send_message(
        _disclosure(flyer.role, flyer.organisation, context), reply_markup=keyboard
    )
    return True


async def ask(update: Update, context: RelaisContext) -> None:
    query, user = update.callback_query, update.effective_user
    now = context.relais.now()
    opening, request = request_access(
        context.engine,
        AskAccess.read(update).token,
        telegram_id=user.id,
        display_name=user.full_name,
        language=user.language_code,
        now=now,
        day_start=_day_start(context, now),
        limit=context.settings.access_requests_per_link_per_day,
    )
    if opening is Opening.UNKNOWN:  # forged: the same answer as any stale button
        await refuse_button(update, context)
        return
    await query.answer()
    if opening is not Opening.OPEN or request is None:
        await replace_text(query, _answer(opening, context))
        return
    days = context.relais.programme.retention.access_request_days
    await replace_text(
        query,
        _(
            "Votre demande est envoyée à la coordination de Relais. Vous aurez sa réponse ici, "
            "dans {days} jours au plus ; sans réponse d'ici là, elle sera supprimée."
        ).format(days=days),
    )
    await _send_to_admins(context.relais, request)


async def decline(update: Update, context: RelaisContext) -> None:
    await update.callback_query.answer()
    await replace_text(
        update.callback_query,
        _(
            "Entendu : rien n'a été enregistré à votre sujet. Vous pouvez fermer cette conversation."
        ),
    )


def _open(context: RelaisContext, token: str, telegram_id: int) -> tuple[Opening, Flyer | None]:
    now = context.relais.now()
    return open_flyer(
        context.engine,
        token,
        telegram_id,
        now=now,
        day_start=_day_start(context, now),
        limit=context.settings.access_requests_per_link_per_day,
    )


def _day_start(context: RelaisContext, now: datetime) -> datetime:
    """Local midnight: the day whose requests count against the link's limit."""
    zone = context.settings.zone
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


def _disclosure(role: Role, organisation: str, context: RelaisContext) -> str:
    days = context.relais.programme.retention.access_request_days
    return _(
        "Bonjour ! Ce lien permet de demander l'accès à Relais, l'outil du programme "
        "d'accompagnement de Sarthe Habitat et de Montjoie, en tant que {role} ({organisation}).\n\n"
        "Si vous demandez l'accès, Relais enregistre : votre identifiant et votre nom Telegram, "
        "la langue de votre application, le rôle et l'organisation de ce lien, et la date de la "
        "demande. La coordination du programme voit votre nom Telegram et décide. Ces données "
        "sont gardées jusqu'à sa réponse, {days} jours au plus ; si elle refuse, elles sont "
        "effacées.\n\nRien n'est enregistré tant que vous n'avez pas appuyé sur « Demander l'accès »."
    ).format(
        role=role_label(role), organisation=cut(organisation, ORGANISATION_NAME_MAX), days=days
    )


def _answer(opening: Opening, context: RelaisContext) -> str:
    member = context.member
    if opening is Opening.ALREADY_MEMBER or member is not None:
        return _(
            "Vous avez déjà accès à Relais en tant que {role}. /aide liste ce que vous pouvez faire."
        ).format(role=role_label(member.role) if member else "?")
    return _PERSON_ANSWERS[opening]()


_PERSON_ANSWERS: dict[Opening, Callable[[], str]] = {
    Opening.UNKNOWN: lambda: _(
        "Ce lien n'est pas valable. Vérifiez qu'il est complet, ou demandez un nouveau flyer à la coordination du programme."
    ),
    Opening.EXPIRED: lambda: _(
        "Ce flyer a expiré : son lien ne permet plus de demander l'accès. Demandez-en un récent à la coordination du programme. Rien n'a été enregistré."
    ),
    Opening.REVOKED: lambda: _(
        "Ce flyer n'est plus valable : la coordination l'a retiré. Demandez-en un récent à la coordination du programme. Rien n'a été enregistré."
    ),
    Opening.PENDING: lambda: _(
        "Votre demande d'accès est déjà en attente : vous aurez la réponse de la coordination ici."
    ),
    Opening.LIMITED: lambda: _(
        "Ce flyer a reçu beaucoup de demandes aujourd'hui. Réessayez demain avec le même lien. Rien n'a été enregistré."
    ),
}


# ------------------------------------------------------------------ the admins


async def _send_to_admins(application: RelaisApplication, request: PendingRequest) -> None:
    default = application.settings.default_language
    sent = []
    for admin in active_members(application.engine, Role.ADMIN):
        language = language_of(admin, default)
        with use_language(language):
            text, keyboard = _request_text(request), _request_keyboard(request)
        try:
            message = await application.bot.send_message(
                admin.telegram_id, text, reply_markup=keyboard
            )
        except TelegramError as error:
            logger.warning(
                "Access request not delivered to member %s: %s", admin.id, type(error).__name__
            )
            continue
        sent.append((message.chat_id, message.message_id, language))
    note_request_messages(application.engine, request.id, sent)


async def accept(update: Update, context: RelaisContext) -> None:
    await _decide(update, context, AcceptAccess.read(update).request, accept=True)


async def refuse(update: Update, context: RelaisContext) -> None:
    await _decide(update, context, RefuseAccess.read(update).request, accept=False)


async def _decide(
    update: Update, context: RelaisContext, request_id: int, *, accept: bool
) -> None:
    admin = context.known_member
    answer = answer_request(
        context.engine, request_id, admin.id, accept=accept, now=context.relais.now()
    )
    if answer is None:  # answered by another admin, expired, or forged
        await refuse_button(update, context)
        return
    request, application = answer.request, context.relais
    if answer.already_member:  # invited meanwhile: already welcomed, nothing more to tell them
        await update.callback_query.answer(
            _("{name} avait déjà accès à Relais.").format(name=request.display_name)
        )
        await _edit_copies(application, request, lambda: _already_text(request))
        return
    if accept:
        await update.callback_query.answer(
            _("{name} a maintenant accès à Relais.").format(name=request.display_name)
        )
        await _edit_copies(application, request, lambda: _accepted_text(request, admin))
        if answer.member is not None:
            await _welcome(application, answer.member)
        return
    await update.callback_query.answer(_("Demande refusée : rien n'est gardé sur la personne."))
    await _edit_copies(application, request, lambda: _refused_text(request, admin))
    await _tell_person(
        application,
        request,
        lambda: _(
            "Votre demande d'accès à Relais n'a pas été acceptée. Rien n'a été gardé à votre sujet. "
            "Pour toute question, adressez-vous à la personne qui vous a remis le flyer."
        ),
    )


async def _welcome(application: RelaisApplication, member: Member) -> None:
    await publish_member_commands(application.bot, member, application.settings)
    with use_language(language_of(member, application.settings.default_language)):
        text = welcome_text(application.engine, member)
    try:
        await application.bot.send_message(member.telegram_id, text)
    except TelegramError as error:
        logger.warning("Welcome not delivered to member %s: %s", member.id, type(error).__name__)


async def _edit_copies(
    application: RelaisApplication, request: PendingRequest, text: Callable[[], str]
) -> None:
    for copy in request.messages:
        with use_language(copy.language):
            words = text()
        try:
            await application.bot.edit_message_text(
                words, chat_id=copy.chat_id, message_id=copy.message_id
            )
        except TelegramError as error:
            logger.warning("Access request copy %s not updated: %s", copy.id, type(error).__name__)


async def _tell_person(
    application: RelaisApplication, request: PendingRequest, text: Callable[[], str]
) -> None:
    default = application.settings.default_language
    with use_language(resolve_language(None, request.language, default)):
        words = text()
    try:
        await application.bot.send_message(request.telegram_id, words)
    except TelegramError as error:
        logger.warning("Access request answer not delivered: %s", type(error).__name__)


def _what(request: PendingRequest) -> str:
    return _("{role}, {organisation}").format(
        role=role_label(request.role),
        organisation=cut(request.organisation, ORGANISATION_NAME_MAX),
    )


def _request_text(request: PendingRequest) -> str:
    return _("Demande d'accès : {name}, {what}").format(
        name=request.display_name, what=_what(request)
    )


def _request_keyboard(request: PendingRequest) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                AcceptAccess(request.id).button(_("Accepter")),
                RefuseAccess(request.id).button(_("Refuser")),
            ]
        ]
    )


def _accepted_text(request: PendingRequest, admin: Member) -> str:
    return _("{request}\n\nAcceptée par {admin}.").format(
        request=_request_text(request), admin=admin.display_name
    )


def _already_text(request: PendingRequest) -> str:
    return _("{request}\n\nCette personne a déjà accès à Relais.").format(
        request=_request_text(request)
    )


def _refused_text(request: PendingRequest, admin: Member) -> str:
    # The person's name is not kept, here either.
    return _("Demande d'accès ({what}) refusée par {admin}.").format(
        what=_what(request), admin=admin.display_name
    )


# ------------------------------------------------------------------ the sweep


async def sweep_requests(context: RelaisContext) -> None:
    """Delete the requests no admin answered in time, and tell each person."""
    application = context.relais
    now = application.now()
    rules = application.programme.retention
    days = rules.access_request_days
    for request in expire_requests(application.engine, cutoffs(now, rules).access_request, now):
        await _edit_copies(
            application,
            request,
            lambda request=request: _(
                "Demande d'accès ({what}) supprimée sans réponse après {days} jours."
            ).format(what=_what(request), days=days),
        )
        await _tell_person(
            application,
            request,
            lambda: _(
                "Votre demande d'accès à Relais n'a pas reçu de réponse en {days} jours : elle a été supprimée, avec ce qu'elle contenait. Vous pouvez la refaire avec le lien du flyer."
            ).format(days=days),
        )


def next_work(application: RelaisApplication) -> datetime | None:
    """When `sweep_requests` next has a request to delete (the playground's clock)."""
    made = oldest_request(application.engine)
    days = application.programme.retention.access_request_days
    return None if made is None else made + timedelta(days=days)


def handlers() -> list[BaseHandler]:
    return [
        CallbackQueryHandler(ask, pattern=AskAccess.pattern),
        CallbackQueryHandler(decline, pattern=NoAccess.pattern),
        CallbackQueryHandler(accept, pattern=AcceptAccess.pattern),
        CallbackQueryHandler(refuse, pattern=RefuseAccess.pattern),
    ]
