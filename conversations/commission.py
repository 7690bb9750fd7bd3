"""/commission: the cases waiting for the commission's decision, decided during the meeting."""

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler

from bot import permissions
from bot.buttons import AskMove, CaseCard
from bot.context import RelaisContext
from bot.i18n import _
from bot.limits import cut
from conversations.report_texts import option
from domain.vocabulary import CaseStatus
from storage.access import sees
from storage.cases import cases_in_status


async def waiting_cases(update: Update, context: RelaisContext) -> None:
    member = context.known_member
    waiting = [
        case
        for case in cases_in_status(context.engine, CaseStatus.COMMISSION)
        if sees(member, case)
    ]
    if not waiting:
        await update.effective_message.reply_text(_("Aucun dossier n'attend la commission."))
        return
    await update.effective_message.reply_text(
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
        await update.effective_message.reply_text(text, reply_markup=keyboard)


def handlers() -> list[BaseHandler]:
    return [CommandHandler(list(permissions.COMMISSION.names), waiting_cases)]
