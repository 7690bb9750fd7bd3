"""The printable flyer: one A4 page a gendarmerie brigade or a social worker can pin up,
whose QR code opens the flyer's access-request link, with the numbers to call first.

The PDF is read back as a person would see it: turned into an image by poppler's pdftoppm
(Debian: poppler-utils) and its QR code decoded by zxing-cpp; its text read by pdftotext.
Without poppler the tests are skipped with the reason, unless RELAIS_REQUIRE_POPPLER is set
(CI installs it).
"""

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot.flyer import render_flyer
from bot.i18n import compile_catalogs
from bot.permissions import FLYER_ROLES
from domain.vocabulary import Role
from tests.harness import RelaisUnderTest
from tests.stories import BRIGADE, member, new_flyer

LINK = "https://t.me/RelaisSartheBot?start=f_Xq3vPz0kT9wLm2bR7yNc4hJd8sFa1uEe6gVo5iKtQ-_"
# What every flyer must carry, in either language (the issue: 17, 112, 114 by SMS; 3919,
# 116 006).
NUMBERS = ("17", "112", "114", "3919", "116 006")


@pytest.fixture(autouse=True)
def poppler() -> None:
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        if os.environ.get("RELAIS_REQUIRE_POPPLER"):
            pytest.fail("RELAIS_REQUIRE_POPPLER is set but poppler-utils is not installed")
        pytest.skip("poppler is not installed (Debian: apt-get install poppler-utils)")
    compile_catalogs()  # as the bot and its command line do at start


def flyer(tmp_path: Path, language: str, **overrides: object) -> Path:
    values: dict = {"organisation": BRIGADE, "role": Role.GENDARMERIE, "link": LINK}
    values.update(overrides)
    path = tmp_path / f"flyer-{language}.pdf"
    path.write_bytes(render_flyer(language=language, **values))
    return path


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(next(line for line in info.stdout.splitlines() if line.startswith("Pages:"))[6:])


def text_of(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return done.stdout.decode()


def qr_codes_of(pdf: Path, tmp_path: Path) -> list[str]:
    image = tmp_path / pdf.stem
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(image)], check=True
    )
    with Image.open(image.with_suffix(".png")) as page:
        return [code.text for code in zxingcpp.read_barcodes(page)]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_brigades_flyer_is_one_page_whose_qr_code_opens_its_link(
    tmp_path: Path, language: str
) -> None:
    pdf = flyer(tmp_path, language)

    assert pages(pdf) == 1
    assert qr_codes_of(pdf, tmp_path) == [LINK]
    # The link is written under the code, for a phone that cannot scan it.
    assert LINK in text_of(pdf).replace("\n", "")


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "fr",
            [
                "Danger immédiat ? Appelez d'abord",
                "Qui pouvez-vous orienter ?",
                "Après votre signalement",
                "Remis à : Brigade de Sablé-sur-Sarthe (gendarmerie)",
                "Lien valable jusqu'au 1 juin 2027.",
            ],
        ),
        (
            "en",
            [
                "Immediate danger? Call first",
                "Whom can you refer?",
                "After your report",
                "Given to: Brigade de Sablé-sur-Sarthe (gendarmerie)",
                "Link valid until June 1, 2027.",
            ],
        ),
    ],
)
def test_the_flyer_says_whom_to_refer_what_follows_and_the_numbers_to_call_first(
    tmp_path: Path, language: str, said: list[str]
) -> None:
    text = " ".join(text_of(flyer(tmp_path, language, valid_until=date(2027, 6, 1))).split())

    for sentence in said:
        assert sentence in text
    for number in NUMBERS:
        assert f" {number} " in f" {text} "


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("role", FLYER_ROLES)  # the roles a flyer can give
def test_the_longest_organisation_name_still_fits_one_page_with_a_readable_code(
    tmp_path: Path, language: str, role: Role
) -> None:
    longest = "Centre intercommunal d'action sociale " + "W" * 82  # 120, Organisation.name
    pdf = flyer(tmp_path, language, organisation=longest, role=role, valid_until=date(2027, 6, 1))

    assert pages(pdf) == 1
    assert qr_codes_of(pdf, tmp_path) == [LINK]


async def test_the_flyer_an_admin_gets_in_the_chat_scans_to_the_access_request_it_opens(
    relais: RelaisUnderTest, tmp_path: Path
) -> None:
    nadia = await member(relais, "Nadia", Role.ADMIN)
    token = await new_flyer(nadia)
    pdf = tmp_path / "from-the-chat.pdf"
    pdf.write_bytes(nadia.bot_messages()[-1].photo)

    [scanned] = qr_codes_of(pdf, tmp_path)
    assert scanned == f"https://t.me/{relais.fake.bot_username}?start={token}"
    assert scanned in text_of(pdf).replace("\n", "")

    morel = relais.person("Adjudant Morel")
    await morel.send(f"/start {scanned.rsplit('?start=', 1)[1]}")
    assert morel.buttons() == ["Demander l'accès", "Non merci"]
