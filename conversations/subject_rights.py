"""A person's rights, answered by an admin: /exporter R-… (a copy of everything Relais holds
about the person of a case, as a JSON file) and /anonymiser R-… (their erasure).

Erasure is the retention job's anonymisation, done now: personal values go, figures stay.
A case still in progress is closed first (with its outcome), so that no support goes on
without its file. Both are audited; neither tells the person anything through the bot.
"""

import json

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import permissions
from bot.buttons import ConfirmErasure, KeepData
from bot.context import RelaisContext
from bot.i18n import _
from conversations.common import case_named, refuse_button, remove_buttons
from domain.vocabulary import CaseStatus
from storage.audit import record_now
from storage.cases import get_case
from storage.database import session_scope
from storage.models import Case
from storage.retention import anonymise_case
from storage.subject_access import person_file


async def export(update: Update, context: RelaisContext) -> None:
    case = await case_named(update, context, permissions.EXPORT)
    if case is None:
        return
    now = context.relais.now()
    content = json.dumps(person_file(context.engine, case.id, now), ensure_ascii=False, indent=2)
    record_now(
        context.engine, "case.exported", now, member_id=context.known_member.id, case_id=case.id
    )
    await update.effective_chat.send_document(
        content.encode(),
        filename=f"relais-{case.reference}.json",
        caption=_(
            "Tout ce que Relais garde sur la personne du dossier {reference}. "
            "À remettre à la personne seulement : ne le transférez pas."
        ).format(reference=case.reference),
        protect_content=True,
    )


async def ask_erasure(update: Update, context: RelaisContext) -> None:
    case = await case_named(update, context, permissions.ERASE_PERSON)
    if case is None:
        return
    message = update.effective_message
    if case.anonymised_at is not None:
        await message.reply_text(
            _("Les données personnelles du dossier {reference} sont déjà effacées.").format(
                reference=case.reference
            )
        )
    elif case.status is not CaseStatus.CLOSED:
        await message.reply_text(
            _(
                "Le dossier {reference} est en cours : clôturez-le d'abord (issue « arrêt par "
                "la personne »), puis recommencez."
            ).format(reference=case.reference)
        )
    else:
        await message.reply_text(
            _(
                "Effacer les données personnelles du dossier {reference} ? Noms, téléphone, "
                "textes, notes, lieux et compte de la personne disparaissent ; les chiffres "
                "restent. C'est définitif."
            ).format(reference=case.reference),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        ConfirmErasure(case.id).button(_("Effacer définitivement")),
                        KeepData().button(_("Annuler")),
                    ]
                ]
            ),
        )


async def erase(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    case_id = ConfirmErasure.read(update).case
    with session_scope(context.engine) as session:
        case = session.get(Case, case_id)
        erasable = (
            case is not None and case.status is CaseStatus.CLOSED and case.anonymised_at is None
        )
        if erasable:
            anonymise_case(session, case, context.relais.now(), context.known_member.id)
    if not erasable:
        await refuse_button(update, context)
        return
    await query.answer()
    await remove_buttons(query)
    await update.effective_chat.send_message(
        _("C'est fait : les données personnelles du dossier {reference} sont effacées.").format(
            reference=get_case(context.engine, case_id).reference
        )
    )


async def keep(update: Update, context: RelaisContext) -> None:
    await update.callback_query.answer()
    await remove_buttons(update.callback_query)
    await update.effective_chat.send_message(_("Abandonné : rien n'a changé."))


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(list(permissions.EXPORT.names), export),
        CommandHandler(list(permissions.ERASE_PERSON.names), ask_erasure),
        CallbackQueryHandler(erase, pattern=ConfirmErasure.pattern),
        CallbackQueryHandler(keep, pattern=KeepData.pattern),
    ]
