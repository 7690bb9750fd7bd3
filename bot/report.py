"""`python -m bot report`: the programme's figures for the funder's report.

`csv` is `indicator,value` rows under the stable keys of domain.figures, for another program;
`md` is the annual review in the programme sheet's own shape (« Nombre de dossiers étudiés et
orientés », « Sorties positives », « Durée moyenne d'un parcours », « Coût moyen d'un
parcours », the QPV split), in French or English.
"""

import csv
import io
from datetime import date
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal

from bot.i18n import N_, _, use_language
from bot.labels import kind_label, phase_label, reason_label, source_label
from domain.figures import FigureRules, Figures, Period, Selection, is_empty
from domain.periods import last_day
from domain.statuses import DeclineReason, Outcome
from domain.vocabulary import CaseKind, SourceKind

FORMATS = ("csv", "md", "xlsx")
NOTHING = "—"  # a figure that cannot be measured (no path ended, nobody taken)


def figures_csv(figures: Figures) -> str:
    """One `indicator,value` row per key, in the keys' order; an unmeasurable value is empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("indicator", "value"))
    for key, value in figures.items():
        writer.writerow((key, "" if value is None else value))
    return out.getvalue()


def annual_review(
    figures: Figures,
    period: Period,
    selection: Selection,
    rules: FigureRules,
    *,
    stale_days: int,
    zone: ZoneInfo,
    language: str,
    landlord: str | None = None,
) -> str:
    """The review the coordination used to write by hand, in Markdown (`landlord`: the
    name of the landlord whose cases `selection` covers)."""
    with use_language(language):
        lines = [f"# {_heading(period, selection, zone, language, landlord)}", ""]
        if is_empty(figures):
            lines.append(_("Aucun dossier sur cette période : aucun chiffre à donner."))
            return "\n".join(lines) + "\n"
        number = _Numbers(figures, language)
        lines += [
            "## " + _("Résultats et points forts"),
            "",
            _path_length(number),
            "",
            _(
                "**Nombre de dossiers étudiés et orientés :** {oriented} dossiers ont été "
                "étudiés et orientés vers le dispositif ou un service plus approprié "
                "({accepted} vers le dispositif, {redirected} vers un autre service ; "
                "{declined} refusés)."
            ).format(**number.of("oriented", "accepted", "redirected", "declined")),
            "",
            _(
                "**Sorties positives :** {positive_exits} sur {closed} sorties du dispositif ; "
                "{new_entries} entrées (contrats signés) pour un objectif de {target} sur la "
                "période ({yearly} par an)."
            ).format(
                **number.of("positive_exits", "closed", "new_entries"),
                target=number.value("new_entries_target"),
                yearly=number.plain(rules.yearly_target),
            ),
            "",
            _(
                "**Coût moyen d'un parcours :** {cost} € par an ; {months} mois "
                "d'accompagnement sur la période, soit {total} €, {per_exit} € par sortie "
                "positive."
            ).format(
                cost=number.plain(rules.cost_per_household_year_eur),
                months=number.value("support_months"),
                total=number.value("support_cost_eur"),
                per_exit=number.value("cost_per_positive_exit_eur"),
            ),
            "",
            "## " + _("Signalements reçus"),
            "",
            *_breakdown(number, "referrals", _referral_parts()),
            "",
            "## " + _("Accompagnement"),
            "",
            *_support(number, figures, stale_days),
            "",
            "## " + _("Décisions de la commission"),
            "",
            *_decisions(number, figures),
            "",
            "## " + _("Sorties du dispositif"),
            "",
            *_breakdown(number, "closed", [(o.value, reason_label(o)) for o in Outcome]),
        ]
        return "\n".join(lines) + "\n"


class _Numbers:
    """Figures written as the reader writes numbers (« 8,4 », « 11 370 »)."""

    def __init__(self, figures: Figures, language: str) -> None:
        self.figures, self.language = figures, language

    def plain(self, value: float | int | None) -> str:
        return NOTHING if value is None else format_decimal(value, locale=self.language)

    def value(self, key: str) -> str:
        return self.plain(self.figures.get(key))

    def of(self, *keys: str) -> dict[str, str]:
        return {key: self.value(key) for key in keys}


def _heading(
    period: Period, selection: Selection, zone: ZoneInfo, language: str, landlord: str | None
) -> str:
    first = format_date(period.start.astimezone(zone).date(), "long", locale=language)
    last = format_date(last_day(period, zone), "long", locale=language)
    heading = _("Bilan du dispositif, du {first} au {last}").format(first=first, last=last)
    chosen = [
        kind_label(selection.kind) if selection.kind else None,
        source_label(selection.source) if selection.source else None,
        None if selection.qpv is None else (_("en QPV") if selection.qpv else _("hors QPV")),
        landlord,
    ]
    named = [part for part in chosen if part]
    return f"{heading} ({', '.join(named)})" if named else heading


def _path_length(number: _Numbers) -> str:
    return _(
        "**Durée moyenne d'un parcours :** {mean} mois (médiane {median} mois) ; "
        "{under_6} de moins de 6 mois, {six_to_12} de 6 à 12 mois, {over_12} de plus de "
        "12 mois."
    ).format(
        mean=number.value("support_months_mean"),
        median=number.value("support_months_median"),
        under_6=number.value("support_length.under_6"),
        six_to_12=number.value("support_length.6_to_12"),
        over_12=number.value("support_length.over_12"),
    )


def _referral_parts() -> list[tuple[str, str]]:
    return [
        *((kind.value, kind_label(kind)) for kind in CaseKind),
        *((source.value, source_label(source)) for source in SourceKind),
        ("qpv", _("en quartier prioritaire (QPV)")),
        ("outside_qpv", _("hors QPV (financé par la DDCS)")),
        ("qpv_unknown", _("QPV non renseigné")),
    ]


def _breakdown(number: _Numbers, key: str, parts: list[tuple[str, str]]) -> list[str]:
    total = _("Total : {count}").format(count=number.value(key))
    return [
        f"- {total}",
        *(f"- {_item(label, number.value(f'{key}.{part}'))}" for part, label in parts),
    ]


# The support's lines: each field is a figure's key (domain.figures).
_SUPPORT_LINES = (
    N_("Contrats signés : {contracts_signed}"),
    N_("Accompagnés à la fin de la période : {in_support}"),
    N_("Logements réservés occupés : {homes_occupied} sur {homes_reserved}"),
    N_("Délai médian entre le signalement et sa prise en charge : {hours_to_taken_median} h"),
    N_("Délai médian entre le signalement et la commission : {days_to_commission_median} jours"),
    N_("Rendez-vous tenus : {appointments_held}, manqués : {appointments_missed}"),
    N_("Rappels envoyés : {reminders_sent}, en échec : {reminders_failed}"),
    N_("Dossiers ouverts sans nouvelles depuis {stale_days} jours : {stale_cases}"),
)


def _support(number: _Numbers, figures: Figures, stale_days: int) -> list[str]:
    phases = sorted(
        key.removeprefix("in_support.") for key in figures if key.startswith("in_support.")
    )
    by_phase = [
        "  - "
        + _item(
            _("sans phase en cours") if phase == "none" else phase_label(phase),
            number.value(f"in_support.{phase}"),
        )
        for phase in phases
    ]
    homes = [
        "  - "
        + _("{kind} : {occupied} sur {reserved}").format(
            kind=kind_label(kind),
            occupied=number.value(f"homes_occupied.{kind.value}"),
            reserved=number.value(f"homes_reserved.{kind.value}"),
        )
        for kind in CaseKind
    ]
    fields = _Fields(number, stale_days=str(stale_days))
    lines = ["- " + _(line).format_map(fields) for line in _SUPPORT_LINES]
    return [*lines[:2], *by_phase, lines[2], *homes, *lines[3:]]


class _Fields(dict):
    """A figure's key → its value as written, for str.format_map."""

    def __init__(self, number: "_Numbers", **extra: str) -> None:
        super().__init__(extra)
        self.number = number

    def __missing__(self, key: str) -> str:
        return self.number.value(key)


def _decisions(number: _Numbers, figures: Figures) -> list[str]:
    services = sorted(
        key.removeprefix("redirected.") for key in figures if key.startswith("redirected.")
    )
    return [
        "- " + _("Dossiers étudiés : {count}").format(count=number.value("studied")),
        "- " + _("Acceptés : {count}").format(count=number.value("accepted")),
        "- " + _("Réorientés : {count}").format(count=number.value("redirected")),
        *(f"  - {_item(service, number.value(f'redirected.{service}'))}" for service in services),
        "- " + _("Refusés : {count}").format(count=number.value("declined")),
        *(
            f"  - {_item(reason_label(reason), number.value(f'declined.{reason.value}'))}"
            for reason in DeclineReason
        ),
    ]


def _item(label: str, value: str) -> str:
    return _("{label} : {value}").format(label=label, value=value)


def parse_day(text: str) -> date:
    """`2015-01-01` or `01/01/2015`."""
    text = text.strip()
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date: {text!r} (YYYY-MM-DD or JJ/MM/AAAA)") from None
