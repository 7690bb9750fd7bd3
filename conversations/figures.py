"""/chiffres (/stats): the programme's figures for a period chosen with buttons — the main ones
in one short message, then the funnel as a chart, with its spreadsheets under it.

Admins and workers read the whole programme's figures, or one landlord's when there are
several; a landlord referent reads their landlord's (bot.permissions.FIGURE_READERS). They
carry no personal data. The reading, the chart and the workbook
run in worker threads, off the event loop; the files (bot.spreadsheets) are sent protected
from forwarding, and every export is audited (its format and period, nothing else).
"""

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import Engine
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import charts, permissions
from bot.buttons import ExportFigures, FiguresLandlord, FiguresPeriod
from bot.context import RelaisContext
from bot.i18n import N_, _, current_language
from bot.labels import kind_label
from bot.limits import button_text
from bot.spreadsheets import cases_csv, workbook
from domain.access import landlord_of_reader
from domain.figures import LENGTHS, CaseStory, Figures, Period, Selection, is_empty
from domain.periods import Span, last_day, span
from domain.programme import Programme
from domain.vocabulary import CaseKind
from storage.access import reader
from storage.audit import record_now
from storage.figures import first_case_day, read_period
from storage.members import get_organisation, landlords

PERIOD_BUTTONS = (
    (Span.THIS_QUARTER, N_("Ce trimestre")),
    (Span.LAST_QUARTER, N_("Le trimestre dernier")),
    (Span.THIS_YEAR, N_("Cette année")),
    (Span.LAST_YEAR, N_("L'année dernière")),
    (Span.SINCE_START, N_("Depuis le début")),
)


@dataclass(frozen=True)
class Reading:
    """A period's figures, for all cases (of one landlord) and for each kind, and the cases
    they come from."""

    period: Period
    first: date
    last: date
    figures: Figures
    by_kind: dict[CaseKind, Figures]
    stories: list[CaseStory]
    landlord: str | None = None  # the landlord's name, for one landlord's figures


def read_figures(
    engine: Engine,
    programme: Programme,
    zone: ZoneInfo,
    now: datetime,
    which: Span,
    landlord: int | None = None,
) -> Reading:
    """A period of /chiffres as of `now` (of one landlord's cases, with `landlord`): one
    reading of the database, then every count."""
    first_case = first_case_day(engine)
    period = span(
        which,
        now.astimezone(zone).date(),
        zone,
        first_case.astimezone(zone).date() if first_case else None,
    )
    # One reading for every count below, with every step (the files date each one).
    reading = read_period(engine, period)
    chosen = Selection(landlord=landlord)
    organisation = get_organisation(engine, landlord) if landlord is not None else None
    return Reading(
        period=period,
        first=period.start.astimezone(zone).date(),
        last=last_day(period, zone),
        figures=reading.figures(programme, now, chosen),
        by_kind={
            kind: reading.figures(programme, now, Selection(kind=kind, landlord=landlord))
            for kind in CaseKind
        },
        stories=[story for story in reading.stories if chosen.takes(story)],
        landlord=organisation.name if organisation else None,
    )


def _landlord(context: RelaisContext, asked: int) -> int | None:
    """Whose figures: a landlord referent's landlord, else the landlord asked for (0, or an
    organisation that is no landlord: everyone's)."""
    own = landlord_of_reader(reader(context.known_member))
    if own is not None:
        return own
    return asked if asked in {each.id for each in landlords(context.engine)} else None


async def _reading(context: RelaisContext, which: Span, asked: int) -> Reading:
    """Read in a worker thread: a long history takes seconds the bot must not stand still."""
    return await asyncio.to_thread(
        read_figures,
        context.engine,
        context.relais.programme,
        context.settings.zone,
        context.relais.now(),
        which,
        _landlord(context, asked),
    )


async def ask_figures(update: Update, context: RelaisContext) -> None:
    """/chiffres: with several landlords, admins and workers first choose whose figures."""
    known = landlords(context.engine)
    if len(known) < 2 or landlord_of_reader(reader(context.known_member)) is not None:
        await _ask_period(update, 0)
        return
    rows = [[FiguresLandlord(0).button(_("Tout le programme"))]]
    # A département has a handful of social landlords: one keyboard holds them.
    rows += [[FiguresLandlord(each.id).button(button_text(each.name))] for each in known]
    await update.effective_message.reply_text(
        _("Les chiffres de tout le programme, ou d'un bailleur ?"),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def choose_landlord(update: Update, context: RelaisContext) -> None:
    await update.callback_query.answer()
    await _ask_period(update, FiguresLandlord.read(update).landlord)


async def _ask_period(update: Update, landlord: int) -> None:
    rows = [
        [FiguresPeriod(which, landlord).button(_(label)) for which, label in PERIOD_BUTTONS[:2]],
        [FiguresPeriod(which, landlord).button(_(label)) for which, label in PERIOD_BUTTONS[2:4]],
        [FiguresPeriod(which, landlord).button(_(label)) for which, label in PERIOD_BUTTONS[4:]],
    ]
    await update.effective_chat.send_message(
        _("Les chiffres du programme : pour quelle période ?"),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def show_figures(update: Update, context: RelaisContext) -> None:
    """A period's main figures, then its chart (drawn in a worker thread) and the files."""
    chosen = FiguresPeriod.read(update)
    which = chosen.span
    await update.callback_query.answer()
    reading = await _reading(context, which, chosen.landlord)
    chat = update.effective_chat
    if is_empty(reading.figures):
        await chat.send_message(
            _(
                "Rien à compter du {first} au {last} : aucun signalement reçu, aucun dossier "
                "décidé, signé, clos ni en cours sur cette période."
            ).format(first=_day(reading.first), last=_day(reading.last))
        )
        return
    await chat.send_message(summary(reading))
    plot = charts.funnel(reading.by_kind, reading.first, reading.last)
    png = await asyncio.to_thread(charts.draw, plot)
    await chat.send_photo(
        png,
        caption=_(
            "Du signalement à la sortie positive, par type de situation. Les fichiers "
            "ci-dessous ne contiennent aucune donnée personnelle : le tableur a une feuille "
            "d'indicateurs et une feuille de dossiers, le CSV les dossiers (pour Excel)."
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    ExportFigures(which, "xlsx", chosen.landlord).button(_("Tableur (XLSX)")),
                    ExportFigures(which, "csv", chosen.landlord).button(_("CSV")),
                ]
            ]
        ),
    )


def summary(reading: Reading) -> str:
    """The main figures in a few lines, in the reader's language."""
    figures = reading.figures
    mean = figures.get("support_months_mean")
    length = (
        _("• Durée moyenne d'un parcours : {months} mois (parcours terminés : {paths})").format(
            months=_number(mean), paths=_paths(figures)
        )
        if mean is not None
        else _("• Durée moyenne d'un parcours : aucun parcours terminé sur la période")
    )
    lines = [
        _("Chiffres du {first} au {last}, tout le programme :").format(
            first=_day(reading.first), last=_day(reading.last)
        )
        if reading.landlord is None
        else _("Chiffres du {first} au {last}, {landlord} :").format(
            first=_day(reading.first), last=_day(reading.last), landlord=reading.landlord
        ),
        _(
            "• Signalements reçus : {count} ({addiction} : {addictions}, {violence} : {violences})"
        ).format(
            count=_count(figures, "referrals"),
            addiction=kind_label(CaseKind.ADDICTION),
            addictions=_count(figures, "referrals.addiction"),
            violence=kind_label(CaseKind.VIOLENCE),
            violences=_count(figures, "referrals.violence"),
        ),
        _(
            "• Dossiers étudiés : {studied}, dont orientés : {oriented} (acceptés : {accepted}, "
            "réorientés : {redirected}) et refusés : {declined}"
        ).format(
            studied=_count(figures, "studied"),
            oriented=_count(figures, "oriented"),
            accepted=_count(figures, "accepted"),
            redirected=_count(figures, "redirected"),
            declined=_count(figures, "declined"),
        ),
        _("• Contrats d'accompagnement signés : {count}").format(
            count=_count(figures, "contracts_signed")
        ),
        _("• En accompagnement au {day} : {count}").format(
            day=_day(reading.last), count=_count(figures, "in_support")
        ),
        _("• Sorties positives : {count} (dossiers clos : {closed})").format(
            count=_count(figures, "positive_exits"), closed=_count(figures, "closed")
        ),
        length,
    ]
    return "\n".join(lines)


async def export(update: Update, context: RelaisContext) -> None:
    """« Tableur (XLSX) » or « CSV »: the period's file, protected from forwarding, audited."""
    chosen = ExportFigures.read(update)
    await update.callback_query.answer()
    reading = await _reading(context, chosen.span, chosen.landlord)
    now, zone, language = context.relais.now(), context.settings.zone, current_language()
    if chosen.format == "xlsx":
        content = await asyncio.to_thread(
            workbook,
            reading.figures,
            reading.stories,
            reading.period,
            language,
            zone=zone,
            now=now,
        )
        name = _("chiffres")
    else:
        content = await asyncio.to_thread(
            cases_csv, reading.stories, reading.period, language, zone=zone, now=now
        )
        name = _("dossiers")
    record_now(
        context.engine,
        "figures.exported",
        now,
        member_id=context.known_member.id,
        detail=f"format={chosen.format}; period={chosen.span}; "
        f"from={reading.first.isoformat()}; to={reading.last.isoformat()}"
        + (f"; landlord={_landlord(context, chosen.landlord)}" if reading.landlord else ""),
    )
    await update.effective_chat.send_document(
        content,
        filename=f"relais-{name}-{reading.first.isoformat()}-{reading.last.isoformat()}"
        f".{chosen.format}",
        caption=_(
            "Chiffres du {first} au {last}, sans donnée personnelle (ni nom, ni téléphone, "
            "ni texte saisi). Ce fichier ne peut pas être transféré depuis la conversation."
        ).format(first=_day(reading.first), last=_day(reading.last)),
        protect_content=True,
    )


def _day(day: date) -> str:
    return format_date(day, "medium", locale=current_language())


def _count(figures: Figures, key: str) -> str:
    return str(figures.get(key) or 0)


def _paths(figures: Figures) -> int:
    """How many paths ended in the period (contract signed → closed)."""
    return sum(int(figures.get(f"support_length.{name}") or 0) for name, _low, _high in LENGTHS)


def _number(value: float | int | None) -> str:
    return format_decimal(value or 0, locale=current_language())


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler(list(permissions.FIGURES.names), ask_figures),
        CallbackQueryHandler(choose_landlord, pattern=FiguresLandlord.pattern),
        CallbackQueryHandler(show_figures, pattern=FiguresPeriod.pattern),
        CallbackQueryHandler(export, pattern=ExportFigures.pattern),
    ]
