"""The printable flyer handed to partners (gendarmerie brigades, social workers…): one A4 page
saying what the programme is for, who can be referred, what happens after a report, the
numbers to call first, and a QR code of the flyer's access-request link, written under it.

`sections` says what the flyer tells (tested apart from the drawing); `render_flyer` lays it
out with fpdf2. The QR code is drawn as vector squares from the qrcode library's matrix, so it
prints sharp at any size. The text is set in DejaVu Sans, the font matplotlib ships, which
has every letter of French and the narrow spaces of its punctuation. Rendering takes a few
hundred milliseconds (the font is subset): flows call it in a worker thread.

The flyer carries no personal data: only the organisation and the role the link is for.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import groupby
from pathlib import Path

import qrcode
from babel.dates import format_date
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from bot.i18n import N_, _, use_language
from bot.labels import role_label
from domain.vocabulary import Role

# Numbers to call before anything else, and the listening lines (DOMAIN: a report is never
# an emergency call).
EMERGENCY = (
    ("17", N_("Police ou gendarmerie")),
    ("112", N_("Urgences, depuis tout téléphone")),
    ("114", N_("Par SMS, quand parler est impossible ou dangereux")),
)
LISTENING = (
    ("3919", N_("Violences Femmes Info : gratuit, anonyme, jour et nuit")),
    ("116 006", N_("France Victimes : aide aux victimes, 7 jours sur 7")),
)

MARGIN, WIDTH = 18.0, 210.0 - 2 * 18.0  # millimetres, A4
QR_SIZE = 48.0
# From the foot up: the warning (two lines), the link (one line; a longer one wraps into the
# gap), the QR code and the steps beside it.
FOOT_TOP = 297.0 - 12.0 - 8.0
LINK_TOP = FOOT_TOP - 11.0
JOIN_TOP = LINK_TOP - 3.0 - QR_SIZE
TEAL, RED, GREY = (0, 94, 110), (178, 34, 34), (70, 70, 70)


class FlyerTooLong(ValueError):
    """The text (a translation made longer, say) no longer fits the page's layout."""


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]


def sections() -> tuple[Section, ...]:
    """What the flyer tells, in the current language."""
    return (
        Section(
            _("À quoi sert ce programme"),
            (
                _(
                    "Aider des ménages à garder leur logement ou à en trouver un vite, "
                    "avec l'accompagnement social et médico-social de l'association Montjoie."
                ),
            ),
        ),
        Section(
            _("Qui pouvez-vous orienter ?"),
            (
                _(
                    "Un locataire dont le comportement lié à une addiction "
                    "(alcool, drogues, jeux…) met le logement en danger."
                ),
                _(
                    "Une victime de violences intrafamiliales qui pourrait vite vivre "
                    "dans un logement à elle."
                ),
            ),
        ),
        Section(
            _("Après votre signalement"),
            (
                _("1. Vous décrivez la situation depuis votre téléphone, en quelques questions."),
                _("2. Un travailleur social de Montjoie est prévenu et prend le dossier."),
                _(
                    "3. Il rencontre la personne ; une commission décide de l'accompagnement "
                    "ou de l'orientation vers le bon service."
                ),
                _("4. Vous voyez où en est votre signalement, sans détail personnel."),
            ),
        ),
    )


def render_flyer(
    *, organisation: str, role: Role, link: str, language: str, valid_until: date | None = None
) -> bytes:
    """The flyer of one access-request link, as a one-page A4 PDF."""
    with use_language(language):
        pdf = _page()
        _header(pdf, organisation, role)
        for section in sections():
            _section(pdf, section)
        _numbers(pdf)
        _join(pdf, link, valid_until, language)
        return bytes(pdf.output())


@cache
def _font_folder() -> Path:
    import matplotlib  # only for where its fonts are; nothing of it is loaded

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _page() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_margins(MARGIN, MARGIN)
    pdf.set_auto_page_break(False)  # one page: the layout is sized for it (tested)
    pdf.add_font("DejaVu", "", _font_folder() / "DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", _font_folder() / "DejaVuSans-Bold.ttf")
    pdf.add_font("DejaVuMono", "", _font_folder() / "DejaVuSansMono.ttf")
    pdf.set_title("Relais")
    pdf.set_creator("Relais")
    pdf.add_page()
    return pdf


def _header(pdf: FPDF, organisation: str, role: Role) -> None:
    pdf.set_fill_color(*TEAL)
    pdf.rect(0, 0, 210, 36, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(MARGIN, 8)
    pdf.set_font("DejaVu", "B", 26)
    pdf.cell(WIDTH, 11, "Relais", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 12)
    pdf.multi_cell(
        WIDTH,
        6,
        _("Addictions, violences intrafamiliales : un relais vers le logement, en Sarthe"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(41)
    pdf.set_font("DejaVu", "", 10)
    remis = _("Remis à : {organisation} ({role})")
    _paragraph(pdf, remis.format(organisation=organisation, role=role_label(role)), height=5)
    pdf.ln(1)


def _paragraph(pdf: FPDF, text: str, width: float = WIDTH, height: float = 5.5) -> None:
    pdf.multi_cell(width, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _title(pdf: FPDF, text: str, colour: tuple[int, int, int] = TEAL) -> None:
    pdf.set_text_color(*colour)
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(WIDTH, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def _section(pdf: FPDF, section: Section) -> None:
    _title(pdf, section.title)
    pdf.set_font("DejaVu", "", 11)
    for line in section.lines:
        _paragraph(pdf, line)
        pdf.ln(0.8)
    pdf.ln(1)


def _numbers(pdf: FPDF) -> None:
    top = pdf.get_y()
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.8)
    pdf.set_xy(MARGIN + 4, top + 3)
    _title(pdf, _("Danger immédiat ? Appelez d'abord"), RED)
    _number_lines(pdf, EMERGENCY)
    pdf.ln(1)
    pdf.set_x(MARGIN + 4)
    _title(pdf, _("Pour écouter et conseiller"), RED)
    _number_lines(pdf, LISTENING)
    pdf.rect(MARGIN, top, WIDTH, pdf.get_y() + 3 - top)
    pdf.set_y(pdf.get_y() + 5)


def _number_lines(pdf: FPDF, numbers: tuple[tuple[str, str], ...]) -> None:
    for number, meaning in numbers:
        pdf.set_x(MARGIN + 4)
        pdf.set_font("DejaVu", "B", 14)
        pdf.cell(30, 7.5, number)
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(WIDTH - 38, 7.5, _(meaning), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _join(pdf: FPDF, link: str, valid_until: date | None, language: str) -> None:
    """The QR block, anchored at the foot of the page; the text above must end before it."""
    if pdf.get_y() > JOIN_TOP - 2:
        raise FlyerTooLong(f"the flyer's text reaches {pdf.get_y():.0f} mm, past {JOIN_TOP} mm")
    _qr_code(pdf, link, MARGIN, JOIN_TOP)
    beside = MARGIN + QR_SIZE + 8
    pdf.set_xy(beside, JOIN_TOP)
    _title(pdf, _("Rejoindre Relais"))
    pdf.set_font("DejaVu", "", 11)
    steps = [
        _("Scannez ce code avec votre téléphone, ou ouvrez le lien écrit dessous."),
        _("Telegram vous dit ce que Relais garde de vous ; rien n'est gardé sans votre accord."),
        _("La coordination du programme valide votre accès."),
    ]
    if valid_until is not None:
        steps.append(
            _("Lien valable jusqu'au {date}.").format(
                date=format_date(valid_until, "long", locale=language)
            )
        )
    for step in steps:
        pdf.set_x(beside)
        _paragraph(pdf, step, WIDTH - QR_SIZE - 8)
        pdf.ln(0.8)
    if pdf.get_y() > LINK_TOP:
        raise FlyerTooLong("the steps beside the QR code reach below it")
    pdf.set_y(LINK_TOP)
    pdf.set_font("DejaVuMono", "", 9)
    pdf.multi_cell(WIDTH, 4.5, link, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN)
    pdf.set_y(FOOT_TOP)
    pdf.set_font("DejaVu", "", 8.5)
    pdf.set_text_color(*GREY)
    _paragraph(
        pdf,
        _(
            "Document pour les professionnels : ne le laissez pas chez une personne victime "
            "de violences, l'auteur pourrait le trouver."
        ),
        height=4,
    )


def _qr_code(pdf: FPDF, link: str, x: float, y: float) -> None:
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(link)
    code.make(fit=True)
    matrix = code.get_matrix()
    module = QR_SIZE / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, cells in enumerate(matrix):
        column = 0
        # One rectangle per run of dark modules: no hairline between neighbours when printed.
        for dark, run in groupby(cells):
            length = len(list(run))
            if dark:
                pdf.rect(x + column * module, y + row * module, length * module, module, "F")
            column += length
