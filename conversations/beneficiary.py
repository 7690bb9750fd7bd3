"""The supported person: invited by their worker, asked for consent before anything is kept.

1. On the case card a worker taps « Inviter la personne » (`bn:inv:<case id>`): a one-time
   link and its QR code, to scan during the meeting.
2. The person opens it (`/start <token>`): a plain explanation and « J'accepte » /
   « Non merci ». Those two buttons carry the token (`bf:ok:<token>`, `bf:no:<token>`) and
   are the only buttons the gate lets a stranger tap; nothing is written before « J'accepte ».
3. Then their choices, one message edited step by step: language (`bf:lang:<code>`), safe
   hours (`bf:h:<from>:<until>`, minutes after midnight) and auto-delete (`bf:ad:<hours>`).
4. /arreter withdraws consent; /effacer (conversations.erase) erases the chat.

Everything the bot sends the person goes through `send_to_beneficiary` (or, for answers to
their own commands, `reply_to_beneficiary`): protected from forwarding, silent in discreet
mode, and recorded so that /effacer and auto-delete find it. Texts to the person never name
the association, violence, addiction or a case reference.
"""

import io
from collections.abc import Callable
from datetime import datetime

import qrcode
from qrcode.image.pure import PyPNGImage
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler
from telegram.helpers import create_deep_linked_url

from bot import permissions
from bot.access import record_refusal
from bot.buttons import (
    AcceptReminders,
    AutoDelete,
    DeclineReminders,
    InvitePerson,
    PersonLanguage,
    SafeHours,
)
from bot.context import RelaisApplication, RelaisContext
from bot.i18n import _, current_language, format_datetime, set_language
from bot.menus import publish_member_commands
from bot.settings import SUPPORTED_LANGUAGES
from conversations.cases import load_worker_case
from conversations.common import refuse_button, replace_text, tell
from domain.vocabulary import CaseKind, Role
from storage.beneficiaries import (
    Consent,
    beneficiary_of,
    delete_time,
    give_consent,
    invite,
    inviter_of,
    look_up,
    record_sent,
    set_auto_delete,
    set_safe_hours,
    withdraw_consent,
)
from storage.members import get_member, note_app_language
from storage.members import set_language as store_language
from storage.models import Beneficiary, Member

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}  # each named in itself
SAFE_HOURS = ((9 * 60, 12 * 60), (12 * 60, 14 * 60), (14 * 60, 18 * 60), (18 * 60, 20 * 60))
ANY_TIME = (9 * 60, 20 * 60)
AUTO_DELETE_HOURS = (0, 24, 48)  # 0: never
SUGGESTED_AUTO_DELETE = 24  # for violence cases


# ------------------------------------------------------------------ sending to the person


def consenting(beneficiary: Beneficiary | None) -> bool:
    return (
        beneficiary is not None
        and beneficiary.consent_at is not None
        and beneficiary.withdrawn_at is None
    )


async def send_to_beneficiary(
    application: RelaisApplication,
    member: Member,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send `text` to a person who agreed to receive messages, and record it.

    `text` is already in the person's language (`use_language(language_of(member, …))`) and
    neutral. Returns None, sending nothing, when they did not agree, withdrew (/arreter) or
    were deactivated. Bot API errors are raised unchanged (`telegram.error.Forbidden` when
    they blocked the bot, `RetryAfter`, `NetworkError`, `TimedOut`…) for the caller to retry
    or report. Safe hours are the caller's business (domain.reminders.next_allowed).
    """
    beneficiary = beneficiary_of(application.engine, member.id)
    if not member.active or not consenting(beneficiary):
        return None
    return await reply_to_beneficiary(
        application, member.telegram_id, text, beneficiary, reply_markup=reply_markup
    )


async def reply_to_beneficiary(
    application: RelaisApplication,
    chat_id: int,
    text: str,
    beneficiary: Beneficiary | None,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    delete_at: datetime | None = None,
) -> Message:
    """Answer the person (also after they withdrew): protected, silent if discreet, recorded."""
    now = application.now()
    message = await application.bot.send_message(
        chat_id,
        text,
        reply_markup=reply_markup,
        protect_content=True,
        disable_notification=bool(beneficiary and beneficiary.discreet),
    )
    auto = delete_time(beneficiary.auto_delete_hours if beneficiary else None, now)
    record_sent(application.engine, chat_id, message.message_id, now, delete_at or auto)
    return message


# ------------------------------------------------------------------ the worker's invitation


async def invite_person(update: Update, context: RelaisContext) -> None:
    case = await load_worker_case(update, context, InvitePerson.read(update).case)
    if case is None:
        return
    query = update.callback_query
    invitation = invite(
        context.engine,
        case.id,
        context.known_member.id,
        ttl=context.settings.invite_ttl,
        now=context.relais.now(),
    )
    if invitation is None:
        await refuse_button(update, context)
        return
    await query.answer()
    link = create_deep_linked_url(context.bot.username, invitation.token)
    caption = _(
        "Invitation pour la personne du dossier {reference}.\n"
        "Faites-lui scanner ce QR code pendant votre rencontre, ou transmettez-lui le lien par un canal sûr. "
        "Il ne sert qu'une fois et expire le {expiry}. Rien n'est enregistré tant qu'elle n'a pas accepté.\n\n{link}"
    ).format(
        reference=case.reference,
        expiry=format_datetime(invitation.expires_at, context.settings.zone),
        link=link,
    )
    await update.effective_chat.send_photo(qr_png(link), caption=caption)


def qr_png(text: str) -> bytes:
    """A QR code of `text` as a PNG image (pure Python: no Pillow)."""
    buffer = io.BytesIO()
    qrcode.make(text, image_factory=PyPNGImage, box_size=8, border=4).save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------ opening the link


async def open_link(update: Update, context: RelaisContext) -> bool:
    """/start from a beneficiary, or anyone's /start with a beneficiary's link: True when
    handled here; False leaves it to the ordinary /start (staff invitations, greetings)."""
    member = context.member
    if member is not None and member.role is not Role.BENEFICIARY:
        return False
    token = context.args[0] if context.args else ""
    found = look_up(context.engine, token, context.relais.now()) if token else None
    if member is None:
        if found is None:
            return False
        await _offer(update, context, found)
        return True
    beneficiary = beneficiary_of(context.engine, member.id)
    if found is not None and not consenting(beneficiary):
        await _offer(update, context, found)  # a new link after /arreter
        return True
    text = _greeting() if consenting(beneficiary) else _greeting_stopped()
    await reply_to_beneficiary(context.relais, update.effective_chat.id, text, beneficiary)
    return True


async def _offer(
    update: Update, context: RelaisContext, found: tuple[Consent, CaseKind | None]
) -> None:
    """The explanation and the consent question; only `bf:` buttons carry the token."""
    outcome, kind = found
    chat = update.effective_chat
    if outcome is not Consent.OPEN:
        await chat.send_message(_refusal(outcome), protect_content=True)
        return
    token = context.args[0]
    keyboard = InlineKeyboardMarkup(
        [
            [
                AcceptReminders(token).button(_("J'accepte")),
                DeclineReminders(token).button(_("Non merci")),
            ]
        ]
    )
    await chat.send_message(_explanation(kind), reply_markup=keyboard, protect_content=True)


def _explanation(kind: CaseKind | None) -> str:
    parts = [
        _(
            "Bonjour. La personne qui vous accompagne vous propose de recevoir ici les rappels "
            "de vos rendez-vous avec elle : la veille et peu avant, avec un bouton pour dire si "
            "vous venez."
        ),
        _(
            "Relais ne vous enverra rien d'autre, et seulement si vous acceptez. Vous pourrez "
            "arrêter à tout moment avec /{stop}, et effacer cette conversation avec /{erase}."
        ).format(**_command_names()),
    ]
    if kind is CaseKind.VIOLENCE:
        parts.append(_phone_warning())
    parts.append(_("Acceptez-vous de recevoir ces rappels ?"))
    return "\n\n".join(parts)


def _phone_warning() -> str:
    return _(
        "Attention : toute personne qui peut ouvrir ce téléphone peut lire cette conversation. "
        "/{erase} efface à tout moment les messages de Relais."
    ).format(**_command_names())


def _command_names() -> dict[str, str]:
    language = current_language()
    return {
        "stop": permissions.STOP.name(language),
        "erase": permissions.ERASE.name(language),
    }


def _refusal(outcome: Consent) -> str:
    if outcome is Consent.STAFF:
        return _("Ce lien est destiné à une personne accompagnée, pas à votre compte.")
    return _(
        "Ce lien n'est plus valable. Demandez-en un nouveau à la personne qui vous accompagne."
    )


def _greeting() -> str:
    return _(
        "Bonjour ! Vous recevez ici les rappels de vos rendez-vous. /{stop} pour ne plus rien "
        "recevoir, /{erase} pour effacer cette conversation."
    ).format(**_command_names())


def _greeting_stopped() -> str:
    return _(
        "Bonjour ! Vous ne recevez plus de messages. /{erase} efface cette conversation."
    ).format(**_command_names())


# ------------------------------------------------------------------ consent


async def accept(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    user = update.effective_user
    outcome, enrollment = give_consent(
        context.engine,
        AcceptReminders.read(update).token,
        telegram_id=user.id,
        display_name=user.full_name,
        message_id=query.message.message_id if query.message else None,
        now=context.relais.now(),
        planner=context.relais.planner,
    )
    if outcome is Consent.ALREADY:
        await query.answer()
        return
    if enrollment is None:
        record_refusal(update, context, outcome.value)
        await query.answer(_refusal(outcome), show_alert=True)
        return
    member = enrollment.member
    context.member = member
    note_app_language(context.engine, member, user.language_code)
    await query.answer()
    await replace_text(
        query,
        _("Merci, c'est noté.") + "\n\n" + _("Dans quelle langue voulez-vous lire les messages ?"),
        reply_markup=InlineKeyboardMarkup(
            [[PersonLanguage(code).button(LANGUAGE_NAMES[code]) for code in SUPPORTED_LANGUAGES]]
        ),
    )
    await publish_member_commands(context.bot, member, context.settings)
    case = enrollment.case
    await _tell_worker(
        context.relais,
        (enrollment.invited_by_id, case.assigned_worker_id),
        lambda: _(
            "La personne du dossier {reference} a accepté de recevoir les rappels de ses rendez-vous."
        ).format(reference=case.reference),
    )


async def decline(update: Update, context: RelaisContext) -> None:
    """« Non merci »: nothing is written, and the person is told so."""
    query = update.callback_query
    token = DeclineReminders.read(update).token
    if look_up(context.engine, token, context.relais.now()) is None:
        await refuse_button(update, context)
        return
    await query.answer()
    await replace_text(
        query, _("C'est noté : rien n'a été enregistré, et vous ne recevrez aucun message.")
    )


# ------------------------------------------------------------------ the person's choices


async def _own(update: Update, context: RelaisContext) -> Beneficiary | None:
    """The tapping person's consent row, if they agreed and did not withdraw."""
    beneficiary = beneficiary_of(context.engine, context.known_member.id)
    if not consenting(beneficiary):
        await refuse_button(update, context)
        return None
    return beneficiary


async def choose_language(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    code = PersonLanguage.read(update).code
    if await _own(update, context) is None:
        return
    member = context.known_member
    store_language(context.engine, member.id, code)
    member.language = code
    set_language(code)
    await query.answer()
    await replace_text(
        query,
        _(
            "À quelles heures pouvez-vous recevoir des messages sans risque ? Relais n'écrira qu'à ces heures-là."
        ),
        reply_markup=_hours_keyboard(),
    )
    await publish_member_commands(context.bot, member, context.settings)


def _hours_keyboard() -> InlineKeyboardMarkup:
    rows = [
        [
            SafeHours(start=start, end=end).button(
                _("{start} – {end}").format(start=_hour(start), end=_hour(end))
            )
        ]
        for start, end in SAFE_HOURS
    ]
    rows.append(
        [
            SafeHours(start=ANY_TIME[0], end=ANY_TIME[1]).button(
                _("À tout moment ({start} – {end})").format(
                    start=_hour(ANY_TIME[0]), end=_hour(ANY_TIME[1])
                )
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


def _hour(minutes: int) -> str:
    return _("{hour} h").format(hour=minutes // 60)


async def choose_hours(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    chosen = SafeHours.read(update)
    start, end = chosen.start, chosen.end
    if (start, end) not in (*SAFE_HOURS, ANY_TIME):
        await refuse_button(update, context)
        return
    beneficiary = await _own(update, context)
    if beneficiary is None:
        return
    set_safe_hours(context.engine, beneficiary.member_id, start, end, context.relais.planner)
    await query.answer()
    await replace_text(
        query,
        _("Voulez-vous que les messages de Relais s'effacent d'eux-mêmes de cette conversation ?"),
        reply_markup=_auto_delete_keyboard(beneficiary),
    )


def _auto_delete_keyboard(beneficiary: Beneficiary) -> InlineKeyboardMarkup:
    buttons = []
    for hours in AUTO_DELETE_HOURS:
        if not hours:
            label = _("Non")
        elif beneficiary.discreet and hours == SUGGESTED_AUTO_DELETE:
            label = _("Après {hours} h (conseillé)").format(hours=hours)
        else:
            label = _("Après {hours} h").format(hours=hours)
        buttons.append(AutoDelete(hours).button(label))
    return InlineKeyboardMarkup([buttons])


async def choose_auto_delete(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    hours = AutoDelete.read(update).hours
    if hours not in AUTO_DELETE_HOURS:
        await refuse_button(update, context)
        return
    beneficiary = await _own(update, context)
    if beneficiary is None:
        return
    set_auto_delete(context.engine, beneficiary.member_id, hours or None)
    beneficiary.auto_delete_hours = hours or None
    await query.answer()
    await replace_text(query, _summary(beneficiary))


def _summary(beneficiary: Beneficiary) -> str:
    lines = [
        _(
            "C'est prêt. Vous recevrez ici les rappels de vos rendez-vous, seulement entre {start} et {end}."
        ).format(start=_hour(beneficiary.safe_from), end=_hour(beneficiary.safe_until))
    ]
    if beneficiary.auto_delete_hours:
        lines.append(
            _("Chaque message s'effacera de lui-même après {hours} heures.").format(
                hours=beneficiary.auto_delete_hours
            )
        )
    if beneficiary.discreet:
        lines.append(
            _(
                "Mode discret : les messages restent courts et neutres, arrivent sans son et ne peuvent pas être transférés."
            )
        )
    lines.append(_phone_warning())
    lines.append(_("/{stop} : ne plus rien recevoir, à tout moment.").format(**_command_names()))
    return "\n\n".join(lines)


# ------------------------------------------------------------------ /arreter


async def stop(update: Update, context: RelaisContext) -> None:
    member = context.known_member
    case = withdraw_consent(context.engine, member.id, context.relais.now())
    if case is not None:
        await _tell_worker(
            context.relais,
            (case.assigned_worker_id, inviter_of(context.engine, member.id)),
            lambda: _(
                "La personne du dossier {reference} a retiré son accord : Relais ne lui enverra plus de messages, et ses rappels en attente sont annulés."
            ).format(reference=case.reference),
        )
    await reply_to_beneficiary(
        context.relais,
        update.effective_chat.id,
        _("C'est noté : vous ne recevrez plus de messages."),
        beneficiary_of(context.engine, member.id),
    )


async def _tell_worker(
    application: RelaisApplication,
    candidates: tuple[int | None, ...],
    text: Callable[[], str],
) -> None:
    """Tell the first active worker among `candidates`, in their language."""
    for member_id in candidates:
        worker = get_member(application.engine, member_id) if member_id else None
        if worker is None or not worker.active or worker.role is not Role.WORKER:
            continue
        await tell(application, worker, text, "Consent notice")
        return


def handlers() -> list[BaseHandler]:
    return [
        CallbackQueryHandler(invite_person, pattern=InvitePerson.pattern),
        CallbackQueryHandler(accept, pattern=AcceptReminders.pattern),
        CallbackQueryHandler(decline, pattern=DeclineReminders.pattern),
        CallbackQueryHandler(choose_language, pattern=PersonLanguage.pattern),
        CallbackQueryHandler(choose_hours, pattern=SafeHours.pattern),
        CallbackQueryHandler(choose_auto_delete, pattern=AutoDelete.pattern),
        CommandHandler(list(permissions.STOP.names), stop),
    ]
