"""The chart of /chiffres: the funnel received → studied → accepted → contract → positive
exit, one series per kind of support, for a period.

`funnel` says what is drawn (title, steps, each kind's counts, taken from the figures) and is
tested apart from the drawing; `draw` renders it as a PNG with matplotlib's Agg backend,
imported only there (the bot starts and runs without loading it), through the object API
(no pyplot, no global state), so that it can run in a worker thread: the flow calls it with
`asyncio.to_thread`, never on the event loop. Matplotlib's default font (DejaVu Sans) has
every accented letter of French.
"""

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from bot.i18n import N_, _, current_language
from bot.labels import kind_label
from domain.figures import Figures
from domain.vocabulary import CaseKind

# The funnel's steps: the indicator counted at each, and its name under the bar.
FUNNEL = (
    ("referrals", N_("Reçus")),
    ("studied", N_("Étudiés")),
    ("accepted", N_("Acceptés")),
    ("contracts_signed", N_("Contrat signé")),
    ("positive_exits", N_("Sortie positive")),
)
WIDTH, HEIGHT, DPI = 960, 540, 96  # pixels: a photo Telegram shows whole on a phone
# One colour per kind, distinct for colour-blind readers (Okabe–Ito's blue and orange).
COLOURS = {CaseKind.ADDICTION: "#0072B2", CaseKind.VIOLENCE: "#E69F00"}


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int, ...]  # one count per step
    colour: str


@dataclass(frozen=True)
class FunnelPlot:
    title: str
    steps: tuple[str, ...]
    series: tuple[Series, ...]


def funnel(by_kind: Mapping[CaseKind, Figures], first: date, last: date) -> FunnelPlot:
    """What the chart shows, in the reader's language: each kind's figures along the path."""
    language = current_language()
    title = _("Du signalement à la sortie positive, du {first} au {last}").format(
        first=format_date(first, "medium", locale=language),
        last=format_date(last, "medium", locale=language),
    )
    series = tuple(
        Series(
            name=kind_label(kind).capitalize(),
            values=tuple(int(figures.get(key) or 0) for key, _label in FUNNEL),
            colour=COLOURS[kind],
        )
        for kind, figures in by_kind.items()
    )
    return FunnelPlot(title, tuple(_(label) for _key, label in FUNNEL), series)


def draw(plot: FunnelPlot) -> bytes:
    """The chart as PNG bytes, WIDTH × HEIGHT pixels (slow: run it off the event loop)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    count = max(len(plot.series), 1)
    width = 0.8 / count
    for index, series in enumerate(plot.series):
        offset = (index - (count - 1) / 2) * width
        bars = axes.bar(
            [step + offset for step in range(len(plot.steps))],
            series.values,
            width,
            label=series.name,
            color=series.colour,
        )
        axes.bar_label(bars, padding=2, fontsize=12)
    axes.set_xticks(range(len(plot.steps)), plot.steps)
    axes.tick_params(labelsize=12)
    axes.set_title(plot.title, fontsize=15)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(
        bottom=0, top=max((max(s.values, default=0) for s in plot.series), default=0) * 1.15 + 1
    )
    axes.spines[["top", "right"]].set_visible(False)
    if plot.series:
        axes.legend(loc="upper right", frameon=False, fontsize=12)
    figure.tight_layout()
    output = io.BytesIO()
    figure.savefig(output, format="png", dpi=DPI)
    return output.getvalue()
