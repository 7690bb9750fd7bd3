"""/annuaire (/directory): who to call for a situation, in a commune — the partners file's
services (domain.partners), chosen with buttons: a situation, then a commune, then the
services, a page at a time, in the same message. And the notice that tells a referrer which
service their redirected report went to.
"""

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import permissions
from bot.buttons import DirectoryCommunes, DirectoryServices, DirectoryStart
from bot.context import RelaisApplication, RelaisContext
from bot.i18n import _
from bot.labels import reason_label, situation_label
from bot.limits import button_text
from conversations.common import PAGE, page_of, page_rows, refuse_button, replace_text, tell
from conversations.report_texts import emergency_lines
from domain.partners import Partner, Situation
from domain.vocabulary import CaseKind
from storage.members import get_member
from storage.models import Case, Member
from storage.sites import active_sites

# Services a screen: five entries at their longest (domain.partners.LONGEST), the emergency
# lines and a title fit in one message.
SERVICES_PAGE = 5
# The commune button that names none: the whole département's services.
ANYWHERE = 0
# The services named to a referrer at most (the partners of the case's commune first).
CONTACTS_TOLD = 3


def _communes(context: RelaisContext) -> list[str]:
    """The communes to choose from: the partners file's and the residences'."""
    sites = active_sites(context.engine)
    return context.relais.programme.partners.communes(site.commune for site in sites)


async def ask_situation(update: Update, context: RelaisContext) -> None:
    await update.effective_message.reply_text(
        _("Annuaire : pour quelle situation ?"), reply_markup=_situations()
    )


async def back_to_situations(update: Update, context: RelaisContext) -> None:
    await update.callback_query.answer()
    await replace_text(
        update.callback_query, _("Annuaire : pour quelle situation ?"), reply_markup=_situations()
    )


def _situations() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [DirectoryCommunes(situation, 0).button(situation_label(situation))]
            for situation in Situation
        ]
    )


async def ask_commune(update: Update, context: RelaisContext) -> None:
    asked = DirectoryCommunes.read(update)
    communes = _communes(context)
    shown, page = page_of(communes, asked.page)
    first = page * PAGE + 1  # the buttons count the communes from 1 (ANYWHERE is 0)
    rows = [
        [DirectoryServices(asked.situation, first + n, 0).button(button_text(commune))]
        for n, commune in enumerate(shown)
    ]
    rows += page_rows(page, len(communes), lambda other: DirectoryCommunes(asked.situation, other))
    rows.append(
        [
            DirectoryServices(asked.situation, ANYWHERE, 0).button(
                _("Autre commune : les services de tout le département")
            )
        ]
    )
    rows.append([DirectoryStart().button(_("← Situations"))])
    await update.callback_query.answer()
    await replace_text(
        update.callback_query,
        _("{situation} : dans quelle commune ?").format(
            situation=situation_label(asked.situation)
        ),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def show_services(update: Update, context: RelaisContext) -> None:
    asked = DirectoryServices.read(update)
    communes = _communes(context)
    if asked.commune > len(communes):  # the list shrank since the button was made
        await refuse_button(update, context)
        return
    commune = communes[asked.commune - 1] if asked.commune != ANYWHERE else None
    found = context.relais.programme.partners.serving(asked.situation, commune)
    shown, page = page_of(found, asked.page, SERVICES_PAGE)
    where = commune if commune is not None else _("tout le département")
    blocks = [
        _("{situation} — {commune}").format(
            situation=situation_label(asked.situation), commune=where
        )
    ]
    if asked.situation is Situation.VIOLENCE:
        blocks.append(emergency_lines())
    blocks += [_entry(partner) for partner in shown]
    if not found:
        blocks.append(_("L'annuaire n'a pas de service pour cette situation ici."))
    rows = page_rows(
        page,
        len(found),
        lambda other: DirectoryServices(asked.situation, asked.commune, other),
        size=SERVICES_PAGE,
    )
    rows.append(
        [
            DirectoryCommunes(asked.situation, _commune_page(asked.commune)).button(
                _("← Communes")
            ),
            DirectoryStart().button(_("← Situations")),
        ]
    )
    await update.callback_query.answer()
    await replace_text(
        update.callback_query, "\n\n".join(blocks), reply_markup=InlineKeyboardMarkup(rows)
    )


def _commune_page(commune: int) -> int:
    """The page of the commune question that holds the `commune`-th commune."""
    return (commune - 1) // PAGE if commune != ANYWHERE else 0


def _entry(partner: Partner) -> str:
    return _("{name}\n{does}\n☎ {phone} — {hours}").format(
        name=partner.name, does=partner.does, phone=partner.phone, hours=partner.hours
    )


async def tell_redirected(application: RelaisApplication, case: Case, actor: Member) -> None:
    """The referrer of a case the commission redirected learns which service took it over,
    and whom to call there — but for a violence case, the service's name only
    (Partners.referrer_contacts)."""
    if case.source_member_id is None or case.source_member_id == actor.id:
        return  # imported from the history, or reported by the one who redirected it
    referrer = get_member(application.engine, case.source_member_id)
    if referrer is None or not referrer.active or case.redirected_to is None:
        return
    contacts = application.programme.partners.referrer_contacts(
        case.redirected_to, case.commune, violence=case.kind is CaseKind.VIOLENCE
    )

    def text() -> str:
        lines = [
            _(
                "Votre signalement {reference} a été orienté par la commission vers un service "
                "plus adapté : {service}."
            ).format(reference=case.reference, service=reason_label(case.redirected_to))
        ]
        if contacts:
            lines.append(_("À contacter :"))
            lines += [
                _("• {name} — {phone} ({hours})").format(
                    name=partner.name, phone=partner.phone, hours=partner.hours
                )
                for partner in contacts[:CONTACTS_TOLD]
            ]
        return "\n".join(lines)

    await tell(application, referrer, text, "Redirection notice")


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(list(permissions.DIRECTORY.names), ask_situation),
        CallbackQueryHandler(back_to_situations, pattern=DirectoryStart.pattern),
        CallbackQueryHandler(ask_commune, pattern=DirectoryCommunes.pattern),
        CallbackQueryHandler(show_services, pattern=DirectoryServices.pattern),
    ]
