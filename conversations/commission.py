"""/commission: the cases waiting for the commission's decision, decided during the meeting.

A landlord referent gets their landlord's (domain.access); with several landlords, admins
and workers first choose one landlord's commission, or every case."""

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import permissions
from bot.buttons import AskMove, CaseCard, CommissionLandlord
from bot.context import RelaisContext
from bot.i18n import _
from bot.limits import button_text, cut
from conversations.report_texts import option
from domain.access import landlord_of_reader
from domain.vocabulary import CaseStatus
from storage.access import reader, sees
from storage.cases import cases_in_status
from storage.members import landlords


async def ask_landlord(update: Update, context: RelaisContext) -> None:
    known = landlords(context.engine)
    if len(known) < 2 or landlord_of_reader(reader(context.known_member)) is not None:
        await waiting_cases(update, context, 0)
        return
    rows = [[CommissionLandlord(0).button(_("Tous les dossiers"))]]
    # A département has a handful of social landlords: one keyboard holds them.
    rows += [[CommissionLandlord(each.id).button(button_text(each.name))] for each in known]
    await update.effective_message.reply_text(
        _("La commission de quel bailleur ?"), reply_markup=InlineKeyboardMarkup(rows)
    )


async def choose_landlord(update: Update, context: RelaisContext) -> None:
    await update.callback_query.answer()
    await waiting_cases(update, context, CommissionLandlord.read(update).landlord)


async def waiting_cases(update: Update, context: RelaisContext, landlord: int) -> None:
    """The waiting cases the member sees (of one landlord, unless `landlord` is 0)."""
    member = context.known_member
    waiting = [
        case
        for case in cases_in_status(context.engine, CaseStatus.COMMISSION)
        if sees(member, case) and landlord in (0, case.landlord_id)
    ]
    if not waiting:
        await update.effective_chat.send_message(_("Aucun dossier n'attend la commission."))
        return
    await update.effective_chat.send_message(
        _("Dossiers en attente de la commission : {count}. Décidez sous chacun.").format(
            count=len(waiting)
        )
    )
    for case in waiting:
        text = cut(
            _("{reference} — {kind} — {place}").format(
                reference=case.reference, kind=option(case.kind.value), place=case.commune or "?"
            )
        )
        decisions = [
            (CaseStatus.ACCEPTED, _("Accepter")),
            (CaseStatus.REDIRECTED, _("Réorienter")),
            (CaseStatus.DECLINED, _("Refuser")),
        ]
        keyboard = InlineKeyboardMarkup(
            [
                [
                    AskMove(case=case.id, target=target.value).button(label)
                    for target, label in decisions
                ],
                [CaseCard(case.id).button(_("Voir la fiche"))],
            ]
        )
        await update.effective_chat.send_message(text, reply_markup=keyboard)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(list(permissions.COMMISSION.names), ask_landlord),
        CallbackQueryHandler(choose_landlord, pattern=CommissionLandlord.pattern),
    ]
