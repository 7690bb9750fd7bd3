"""The reserved homes: /logements lists them with who lives there; an admin adds one; a
worker gives a free one to a case at move-in and frees it at the end."""

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import buttons, permissions
from bot.access import record_refusal
from bot.buttons import (
    AddHome,
    CaseCard,
    FreeHome,
    GiveHome,
    HomeKind,
    HomeLandlord,
    HomeQpv,
    HomeSize,
    HomesPage,
    HomesToPickPage,
    PickHome,
)
from bot.callback_data import Button
from bot.context import RelaisContext
from bot.i18n import _
from bot.limits import button_text, cut
from conversations.cases import load_worker_case, send_card
from conversations.common import (
    abandon,
    expect_buttons,
    expect_text,
    page_of,
    page_rows,
    persistent_flow,
    refuse_button,
    remove_buttons,
    replace_buttons,
    replace_text,
)
from conversations.report_texts import option
from domain.access import landlord_of_reader
from domain.vocabulary import CaseKind, Role
from storage.access import reader
from storage.cases import get_case
from storage.homes import (
    SIZES,
    HomeRefused,
    add_home,
    assign_home,
    free_homes,
    homes,
    release_home,
)
from storage.members import landlords
from storage.models import ReservedHome

LABEL, COMMUNE, SIZE, QPV, KIND, LANDLORD = "label", "commune", "size", "qpv", "kind", "landlord"
DRAFT = "home"
TEXT_MAX = {LABEL: 120, COMMUNE: 80}


def home_line(home: ReservedHome, owners: dict[int, str] | None = None) -> str:
    """The home as lists show it; with `owners` (the landlords' names, when there are several),
    whose it is."""
    line = _("{label} ({size}, {commune}{qpv})").format(
        # What the form takes, even from an older database (SQLite keeps longer texts).
        label=cut(home.label, TEXT_MAX[LABEL]),
        size=home.size,
        commune=cut(home.commune, TEXT_MAX[COMMUNE]),
        qpv=", QPV" if home.qpv else "",
    )
    owner = (owners or {}).get(home.landlord_id)
    return f"{line} — {owner}" if owner else line


def landlord_names(context: RelaisContext) -> dict[int, str]:
    """The landlords' names when there are several (one landlord's homes need no name)."""
    known = landlords(context.engine)
    return {each.id: each.name for each in known} if len(known) > 1 else {}


async def list_homes(update: Update, context: RelaisContext) -> None:
    text, keyboard = _homes_page(context, 0)
    await update.effective_message.reply_text(text, reply_markup=keyboard)


async def homes_page(update: Update, context: RelaisContext) -> None:
    """« Suivants › » under /logements (the whole case team reads it)."""
    await update.callback_query.answer()
    text, keyboard = _homes_page(context, HomesPage.read(update).page)
    await replace_text(update.callback_query, text, reply_markup=keyboard)


def _homes_page(context: RelaisContext, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    own = landlord_of_reader(reader(context.known_member))
    everything = homes(context.engine, own)
    names = landlord_names(context) if own is None else {}
    shown, page = page_of(everything, page)
    lines = [_("Logements réservés :")]
    for home, case in shown:
        occupant = (
            _("occupé ({reference})").format(reference=case.reference) if case else _("libre")
        )
        lines.append(f"• {home_line(home, names)} — {option(home.kind.value)} — {occupant}")
    if not everything:
        lines.append(_("Aucun logement enregistré."))
    rows = page_rows(page, len(everything), HomesPage)
    if context.known_member.role is Role.ADMIN:
        rows.append([AddHome().button(_("Ajouter un logement"))])
    return cut("\n".join(lines)), InlineKeyboardMarkup(rows) if rows else None


# --- a worker gives or frees a home ------------------------------------------------------


async def offer_homes(update: Update, context: RelaisContext) -> None:
    query = update.callback_query
    button = buttons.find(query.data)
    case = await load_worker_case(update, context, button.case)
    if case is None:
        return
    free = free_homes(context.engine, case)
    await query.answer()
    if not free:
        await update.effective_chat.send_message(
            _("Aucun logement réservé libre pour ce type d'accompagnement.")
        )
        return
    turning = isinstance(button, HomesToPickPage)
    shown, page = page_of(free, button.page if turning else 0)
    # A case of no landlord yet is offered every landlord's homes: say whose each is.
    names = landlord_names(context) if case.landlord_id is None else {}
    rows = [
        [GiveHome(case=case.id, home=home.id).button(button_text(home_line(home, names)))]
        for home in shown
    ]
    rows += page_rows(page, len(free), lambda other: HomesToPickPage(case=case.id, page=other))
    rows.append([CaseCard(case.id).button(_("Annuler"))])
    if turning:  # « Suivants › » under the question: other homes
        await replace_buttons(query, InlineKeyboardMarkup(rows))
        return
    await update.effective_chat.send_message(
        _("Quel logement pour {reference} ?").format(reference=case.reference),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def give_home(update: Update, context: RelaisContext) -> None:
    chosen = GiveHome.read(update)
    case = await load_worker_case(update, context, chosen.case)
    if case is None:
        return
    try:
        assign_home(
            context.engine,
            chosen.home,
            case.id,
            context.known_member,
            context.relais.now(),
        )
    except HomeRefused:
        record_refusal(update, context, "rule")
        await update.callback_query.answer(
            _("Ce logement n'est plus libre, ou pas pour ce dossier."), show_alert=True
        )
        return
    await update.callback_query.answer(_("C'est fait."))
    await remove_buttons(update.callback_query)
    await send_card(update, context, get_case(context.engine, case.id))


async def free_home(update: Update, context: RelaisContext) -> None:
    case = await load_worker_case(update, context, FreeHome.read(update).case)
    if case is None:
        return
    try:
        release_home(context.engine, case.id, context.known_member, context.relais.now())
    except HomeRefused:
        record_refusal(update, context, "rule")
        await update.callback_query.answer(
            _("Ce dossier n'a pas de logement réservé."), show_alert=True
        )
        return
    await update.callback_query.answer(_("C'est fait."))
    await send_card(update, context, get_case(context.engine, case.id))


# --- an admin adds a home ----------------------------------------------------------------


async def begin(update: Update, context: RelaisContext) -> str:
    """« Ajouter un logement » (admins: bot.buttons.AddHome)."""
    context.user_data[DRAFT] = {}
    await update.callback_query.answer()
    await update.effective_chat.send_message(
        _("Nouveau logement réservé. Son nom ou son adresse ? (exemple : Les Tilleuls, apt 12)")
    )
    return LABEL


async def typed(update: Update, context: RelaisContext) -> str | int:
    """The name, then the commune, both typed."""
    step = LABEL if "label" not in context.user_data[DRAFT] else COMMUNE
    text = " ".join((update.effective_message.text or "").split())
    if not text or len(text) > TEXT_MAX[step]:
        await update.effective_message.reply_text(
            _("Il me faut un texte de {limit} caractères au plus.").format(limit=TEXT_MAX[step])
        )
        return step
    context.user_data[DRAFT][step] = text
    if step == LABEL:
        await update.effective_message.reply_text(_("Dans quelle commune ?"))
        return COMMUNE
    rows = [[HomeSize(size).button(size) for size in SIZES]]
    await update.effective_message.reply_text(
        _("Quelle taille ?"), reply_markup=InlineKeyboardMarkup(rows)
    )
    return SIZE


async def choose_size(update: Update, context: RelaisContext) -> str:
    context.user_data[DRAFT]["size"] = HomeSize.read(update).size
    await _chosen(update)
    rows = [[HomeQpv(answer).button(option(answer)) for answer in ("yes", "no")]]
    await update.effective_chat.send_message(
        _("Dans un quartier prioritaire (QPV) ?"), reply_markup=InlineKeyboardMarkup(rows)
    )
    return QPV


async def choose_qpv(update: Update, context: RelaisContext) -> str:
    context.user_data[DRAFT]["qpv"] = HomeQpv.read(update).answer
    await _chosen(update)
    rows = [[HomeKind(kind).button(option(kind.value))] for kind in CaseKind]
    await update.effective_chat.send_message(
        _("Réservé à quel accompagnement ?"), reply_markup=InlineKeyboardMarkup(rows)
    )
    return KIND


async def choose_kind(update: Update, context: RelaisContext) -> str | int:
    context.user_data[DRAFT]["kind"] = HomeKind.read(update).kind.value
    await _chosen(update)
    known = landlords(context.engine)
    if len(known) < 2:  # the one landlord's home (or, before any landlord, nobody's)
        context.user_data[DRAFT]["landlord"] = known[0].id if known else None
        return await _save(update, context, context.user_data[DRAFT])
    # A département has a handful of social landlords: one keyboard holds them.
    rows = [[HomeLandlord(landlord.id).button(button_text(landlord.name))] for landlord in known]
    await update.effective_chat.send_message(
        _("Logement de quel bailleur ?"), reply_markup=InlineKeyboardMarkup(rows)
    )
    return LANDLORD


async def choose_landlord(update: Update, context: RelaisContext) -> int:
    chosen = HomeLandlord.read(update).landlord
    if chosen not in {landlord.id for landlord in landlords(context.engine)}:
        await refuse_button(update, context)
        return LANDLORD
    context.user_data[DRAFT]["landlord"] = chosen
    await _chosen(update)
    return await _save(update, context, context.user_data[DRAFT])


async def _chosen(update: Update) -> None:
    await update.callback_query.answer()
    await remove_buttons(update.callback_query)


async def _save(update: Update, context: RelaisContext, draft: dict) -> int:
    try:
        home = add_home(
            context.engine,
            label=draft["label"],
            commune=draft["commune"],
            size=draft["size"],
            qpv=draft["qpv"] == "yes",
            kind=CaseKind(draft["kind"]),
            landlord_id=draft.get("landlord"),
        )
    except HomeRefused:
        await update.effective_chat.send_message(
            _("Un logement porte déjà ce nom : rien n'a été ajouté.")
        )
    else:
        await update.effective_chat.send_message(
            _("Logement ajouté : {home}.").format(home=home_line(home))
        )
    context.user_data.pop(DRAFT, None)
    return ConversationHandler.END


def handlers() -> list[BaseHandler]:
    text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    other = filters.UpdateType.MESSAGE & ~filters.COMMAND

    def step(choose: Callable[..., Awaitable[object]], button: type[Button]) -> list[BaseHandler]:
        """Each step takes its own buttons only: another step's is a stale button."""
        return [
            CallbackQueryHandler(choose, pattern=button.pattern),
            MessageHandler(other, expect_buttons),
        ]

    return [
        persistent_flow(
            "home",
            entry_points=[CallbackQueryHandler(begin, pattern=AddHome.pattern)],
            states={
                LABEL: [MessageHandler(text, typed), MessageHandler(other, expect_text)],
                COMMUNE: [MessageHandler(text, typed), MessageHandler(other, expect_text)],
                SIZE: step(choose_size, HomeSize),
                QPV: step(choose_qpv, HomeQpv),
                KIND: step(choose_kind, HomeKind),
                LANDLORD: step(choose_landlord, HomeLandlord),
            },
            fallbacks=[CommandHandler(list(permissions.CANCEL.names), _abandon)],
        ),
        CommandHandler(list(permissions.HOMES.names), list_homes),
        CallbackQueryHandler(homes_page, pattern=HomesPage.pattern),
        CallbackQueryHandler(offer_homes, pattern=PickHome.pattern),
        CallbackQueryHandler(offer_homes, pattern=HomesToPickPage.pattern),
        CallbackQueryHandler(give_home, pattern=GiveHome.pattern),
        CallbackQueryHandler(free_home, pattern=FreeHome.pattern),
    ]


async def _abandon(update: Update, context: RelaisContext) -> int:
    return await abandon(update, context, DRAFT)
