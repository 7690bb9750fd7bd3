"""The partners file on its own: what it must hold, who serves which situation where, and
what the referrer of a redirected case may be given (the chat: tests/test_directory.py)."""

from pathlib import Path

import pytest

from domain.partners import PartnersError, Situation, load_partners
from domain.programme import load_programme
from tests.databases import TEST_KEY
from tests.test_command_line import run_bot

ENTRY = """
[[partner]]
name = "CCAS du Mans"
does = "Aides d'urgence."
situations = ["budget", "shelter"]
communes = ["Le Mans"]
phone = "02 43 00 00 05"
hours = "lun.–ven."
redirection = "CCAS"
"""

WHOLE_DEPARTEMENT = """
[[partner]]
name = "Maison des solidarités"
does = "Aides et démarches."
situations = ["budget"]
phone = "02 43 00 00 06"
hours = "lun.–ven."
redirection = "CCAS"

[[partner]]
name = "CCAS de Sablé"
does = "Aides d'urgence."
situations = ["budget"]
communes = ["Sablé-sur-Sarthe", "Écommoy"]
phone = "02 43 00 00 07"
hours = "lun.–ven."
redirection = "CCAS"
"""


def partners_file(folder: Path, text: str) -> Path:
    path = folder / "partners.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_loads_and_keeps_the_six_redirection_services_cases_already_carry() -> (
    None
):
    partners = load_partners()

    assert partners.redirection_services == (
        "CSAPA",
        "CHRS",
        "SAVS / SAMSAH",
        "Service mandataire judiciaire",
        "CCAS",
        "Accompagnement social du bailleur",
    )
    assert load_programme().redirection_services == partners.redirection_services
    assert partners.communes() == [
        "Allonnes",
        "Coulaines",
        "La Flèche",
        "Le Mans",
        "Sablé-sur-Sarthe",
    ]
    assert all(partners.serving(situation, "Le Mans") for situation in Situation), (
        "someone to call for every situation in Le Mans"
    )
    assert [p.name for p in partners.serving(Situation.ADDICTION, "La Flèche")] == [
        "CSAPA Montjoie — antenne Sud Sarthe"
    ]


def test_the_partners_of_the_commune_come_before_those_of_the_whole_departement(
    tmp_path: Path,
) -> None:
    partners = load_partners(partners_file(tmp_path, ENTRY + WHOLE_DEPARTEMENT))

    assert [p.name for p in partners.serving(Situation.BUDGET, "Le Mans")] == [
        "CCAS du Mans",
        "Maison des solidarités",
    ]
    assert [p.name for p in partners.serving(Situation.BUDGET, "le mans")] == [
        "CCAS du Mans",
        "Maison des solidarités",
    ], "a commune typed in a report"
    assert [p.name for p in partners.serving(Situation.BUDGET, None)] == ["Maison des solidarités"]
    assert [p.name for p in partners.serving(Situation.SHELTER, "Sablé-sur-Sarthe")] == []
    assert partners.communes(["Mamers"]) == ["Écommoy", "Le Mans", "Mamers", "Sablé-sur-Sarthe"]
    assert partners.redirection_services == ("CCAS",), "three partners, one name"


def test_the_referrer_of_a_redirected_case_gets_the_local_numbers_but_never_for_violence(
    tmp_path: Path,
) -> None:
    partners = load_partners(partners_file(tmp_path, ENTRY + WHOLE_DEPARTEMENT))

    assert [
        p.name for p in partners.referrer_contacts("CCAS", "Sablé-sur-Sarthe", violence=False)
    ] == [
        "CCAS de Sablé",
        "Maison des solidarités",
    ]
    assert [p.name for p in partners.referrer_contacts("CCAS", None, violence=False)] == [
        "Maison des solidarités"
    ]
    assert partners.referrer_contacts("CCAS", "Sablé-sur-Sarthe", violence=True) == []
    assert partners.referrer_contacts("CSAPA", "Le Mans", violence=False) == []


PREFIX = "partners.toml, partner 1 (CCAS du Mans)"


@pytest.mark.parametrize(
    ("line", "replacement", "complaint"),
    [
        ('situations = ["budget", "shelter"]', 'situations = ["budjet"]',
         f"{PREFIX}: situations: 'budjet' is not a valid Situation (among addiction, violence, "
         "shelter, mental_health, victim_support, budget, tenancy)"),
        ('situations = ["budget", "shelter"]', "situations = []",
         f"{PREFIX}: situations is empty (among addiction, violence, shelter, mental_health, "
         "victim_support, budget, tenancy)"),
        ('phone = "02 43 00 00 05"', "", f"{PREFIX}: phone is missing"),
        ('phone = "02 43 00 00 05"', 'phone = "appeler le standard"',
         f"{PREFIX}: phone is digits, spaces or dots (02 43 00 00 01, 115)"),
        ('hours = "lun.–ven."', 'horaires = "lun.–ven."',
         f"{PREFIX}: unknown field horaires (communes, does, hours, name, phone, redirection, "
         "situations)"),
        ('communes = ["Le Mans"]', 'communes = "Le Mans"',
         f'{PREFIX}: communes is a list, like ["Le Mans"]'),
        ('redirection = "CCAS"', f'redirection = "{"C" * 81}"',
         f"{PREFIX}: redirection has 80 characters at most"),
        ('does = "Aides d\'urgence."', f'does = "{"🏠" * 151}"',
         f"{PREFIX}: does has 300 characters at most"),
        ('does = "Aides d\'urgence."', 'does = " "', f"{PREFIX}: does is a text, not empty"),
        ('name = "CCAS du Mans"', f'name = "{"N" * 81}"',
         "partners.toml, partner 1 (" + "N" * 81 + "): name has 80 characters at most"),
        ("[[partner]]", "[[partners]]", "partners.toml: only [[partner]] entries, not ['partners']"),
        ('redirection = "CCAS"', "",
         'partners.toml: no partner takes redirections (give the commission\'s ones redirection = "…")'),
        ('phone = "02 43 00 00 05"', 'phone = "02 43 00 00 05', "partners.toml: not a TOML file"),
        ('name = "CCAS du Mans"', "", "partners.toml, partner 1: name is missing"),
        ('phone = "02 43 00 00 05"\nhours = "lun.–ven."', "", f"{PREFIX}: phone, hours is missing"),
        ('hours = "lun.–ven."', 'horaires = "lun.–ven."\ntel = "115"',
         f"{PREFIX}: unknown field horaires, tel (communes, does, hours, name, phone, "
         "redirection, situations)"),
        ('communes = ["Le Mans"]', 'communes = ["Le Mans", ""]',
         f"{PREFIX}: commune is a text, not empty"),
        ('situations = ["budget", "shelter"]', 'situations = "budget"',
         f'{PREFIX}: situations is a list, like ["addiction", "violence"]'),
        ('redirection = "CCAS"', 'redirection = "CCAS"\n[settings]',
         "partners.toml: only [[partner]] entries, not ['settings']"),
        (ENTRY, "", "partners.toml: no [[partner]] entry"),
        (ENTRY, 'partner = ["CCAS du Mans"]', "partners.toml, partner 1: not a [[partner]] table"),
    ],
)  # fmt: skip
def test_a_partners_file_with_a_wrong_entry_is_refused_naming_the_file_and_the_entry(
    tmp_path: Path, line: str, replacement: str, complaint: str
) -> None:
    assert line in ENTRY
    path = partners_file(tmp_path, ENTRY.replace(line, replacement))

    with pytest.raises(PartnersError) as refused:
        load_partners(path)
    assert str(refused.value).startswith(str(tmp_path / complaint)), str(refused.value)


def test_a_partner_named_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PartnersError) as refused:
        load_partners(partners_file(tmp_path, ENTRY + ENTRY))
    assert (
        str(refused.value)
        == f"{tmp_path}/partners.toml: each partner once, but twice: CCAS du Mans"
    )


def test_each_partner_named_twice_is_named_in_the_refusal(tmp_path: Path) -> None:
    twice = (ENTRY + WHOLE_DEPARTEMENT) * 2

    with pytest.raises(PartnersError) as refused:
        load_partners(partners_file(tmp_path, twice))
    assert str(refused.value) == (
        f"{tmp_path}/partners.toml: each partner once, but twice: "
        "CCAS de Sablé, CCAS du Mans, Maison des solidarités"
    )


def test_a_text_of_exactly_its_longest_length_is_accepted_an_emoji_counting_two(
    tmp_path: Path,
) -> None:
    longest = ENTRY.replace("CCAS du Mans", "N" * 80).replace("Aides d'urgence.", "🏠" * 150)

    partner = load_partners(partners_file(tmp_path, longest)).partners[0]
    assert (partner.name, partner.does) == ("N" * 80, "🏠" * 150)


def test_the_commission_is_offered_100_redirection_services_at_most(tmp_path: Path) -> None:
    hundred = "".join(ENTRY.replace("CCAS", f"Service {n}") for n in range(1, 101))

    assert len(load_partners(partners_file(tmp_path, hundred)).redirection_services) == 100
    with pytest.raises(PartnersError) as refused:
        load_partners(partners_file(tmp_path, hundred + ENTRY))
    assert str(refused.value) == f"{tmp_path}/partners.toml: 100 redirection names at most"


def test_the_bot_does_not_start_on_a_wrong_partners_file_and_says_why_in_one_line(
    tmp_path: Path,
) -> None:
    path = partners_file(tmp_path, ENTRY.replace('phone = "02 43 00 00 05"', ""))

    result = run_bot(
        cwd=tmp_path,
        TELEGRAM_BOT_TOKEN="1:x",
        ENCRYPTION_KEYS=TEST_KEY,
        PARTNERS_FILE=str(path),
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"{path}, partner 1 (CCAS du Mans): phone is missing"
    ]


def test_a_partners_file_that_does_not_exist_is_a_wrong_setting(tmp_path: Path) -> None:
    result = run_bot(cwd=tmp_path, TELEGRAM_BOT_TOKEN="1:x", PARTNERS_FILE="nowhere.toml")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Invalid settings: PARTNERS_FILE: Value error, no such file: nowhere.toml"
    ]
