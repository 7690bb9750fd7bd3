"""The right interlocutor: /annuaire finds who to call for a situation in a commune, the
commission redirects to the partners file's services, and the person who reported a case is
told which service took it over."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from domain.vocabulary import Role
from playground.fakebotapi import FakeBotAPI
from tests.conftest import SITES
from tests.harness import Person, RelaisUnderTest, settings_for
from tests.stories import (
    answer_addiction_report,
    cases,
    member,
    report_a_violence_victim_in_danger,
)
from tests.test_case_follow_up import move, open_card

PARTNERS = """
[[partner]]
name = "CSAPA du Mans"
does = "Consultations en addictologie."
situations = ["addiction"]
communes = ["Le Mans"]
phone = "02 43 00 00 01"
hours = "lun.–ven. 9 h – 17 h"
redirection = "CSAPA"

[[partner]]
name = "CSAPA de Sablé"
does = "Consultations en addictologie, antenne."
situations = ["addiction"]
communes = ["Sablé-sur-Sarthe"]
phone = "02 43 00 00 02"
hours = "mardi 9 h – 12 h"
redirection = "CSAPA"

[[partner]]
name = "Addictions Sarthe, ligne d'écoute"
does = "Écoute et orientation, pour toute la Sarthe."
situations = ["addiction"]
phone = "02 43 00 00 03"
hours = "tous les jours, 8 h – 20 h"

[[partner]]
name = "Foyer Mamers"
does = "Hébergement et accompagnement."
situations = ["shelter", "violence"]
communes = ["Mamers"]
phone = "02 43 00 00 04"
hours = "24 h/24"
redirection = "Centre d'hébergement"

[[partner]]
name = "Maison des solidarités"
does = "Aides et démarches."
situations = ["budget"]
phone = "02 43 00 00 05"
hours = "lun.–ven. 9 h – 17 h"
redirection = "Maison des solidarités"
"""

EMERGENCY_LINES = (
    "En cas de danger immédiat, appelez tout de suite :\n"
    "• 17 — Police / Gendarmerie\n"
    "• 112 — Urgences (depuis tout téléphone)\n"
    "• 114 — par SMS, si la personne ne peut pas parler\n"
    "Écoute et conseils : 3919 — Violences Femmes Info (gratuit, anonyme), "
    "116 006 — France Victimes."
)


@asynccontextmanager
async def relais_with(
    fake_api: FakeBotAPI, tmp_path: Path, partners_toml: str
) -> AsyncIterator[RelaisUnderTest]:
    """Relais with the landlord's two residences (Le Mans, Sablé-sur-Sarthe) and these
    partners."""
    sites, partners = tmp_path / "sites.csv", tmp_path / "partners.toml"
    sites.write_text(SITES, encoding="utf-8")
    partners.write_text(partners_toml, encoding="utf-8")
    settings = settings_for(
        fake_api,
        f"sqlite:///{tmp_path / 'relais.sqlite3'}",
        sites_file=sites,
        partners_file=partners,
    )
    relais = RelaisUnderTest(fake_api, settings)
    await relais.start()
    try:
        yield relais
    finally:
        await relais.stop()


@pytest.fixture
async def territory(fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[RelaisUnderTest]:
    """The two residences and the partners above."""
    async with relais_with(fake_api, tmp_path, PARTNERS) as relais:
        yield relais


async def test_a_correspondent_finds_the_addiction_services_of_le_mans_and_not_sables(
    territory: RelaisUnderTest,
) -> None:
    karim = await member(territory, "Karim", Role.CORRESPONDENT)

    await karim.send("/annuaire")
    assert karim.last_text == "Annuaire : pour quelle situation ?"
    assert karim.buttons() == [
        "Addictions",
        "Violences intrafamiliales",
        "Hébergement, mise à l'abri",
        "Santé mentale, handicap",
        "Aide aux victimes, droits",
        "Budget, dettes, protection",
        "Logement, bail, impayés",
    ]
    await karim.tap("Addictions")
    assert karim.last_text == "Addictions : dans quelle commune ?"
    assert karim.buttons() == [
        "Le Mans",
        "Mamers",
        "Sablé-sur-Sarthe",
        "Autre commune : les services de tout le département",
        "← Situations",
    ]
    await karim.tap("Le Mans")

    assert karim.last_text == (
        "Addictions — Le Mans\n\n"
        "CSAPA du Mans\nConsultations en addictologie.\n☎ 02 43 00 00 01 — lun.–ven. 9 h – 17 h\n\n"
        "Addictions Sarthe, ligne d'écoute\nÉcoute et orientation, pour toute la Sarthe.\n"
        "☎ 02 43 00 00 03 — tous les jours, 8 h – 20 h"
    )
    assert "Sablé" not in karim.last_text
    assert karim.buttons() == ["← Communes", "← Situations"]


async def test_another_commune_shows_only_the_services_of_the_whole_departement(
    territory: RelaisUnderTest,
) -> None:
    karim = await member(territory, "Karim", Role.CORRESPONDENT)
    await karim.send("/annuaire")
    await karim.tap("Addictions")
    await karim.tap("Autre commune : les services de tout le département")

    assert karim.last_text == (
        "Addictions — tout le département\n\n"
        "Addictions Sarthe, ligne d'écoute\nÉcoute et orientation, pour toute la Sarthe.\n"
        "☎ 02 43 00 00 03 — tous les jours, 8 h – 20 h"
    )
    await karim.tap("← Situations")
    assert karim.last_text == "Annuaire : pour quelle situation ?"


async def test_for_violence_the_emergency_and_listening_lines_come_first_even_with_no_service(
    territory: RelaisUnderTest,
) -> None:
    gendarme = await member(territory, "Adjudant Morel", Role.GENDARMERIE)
    await gendarme.send("/annuaire")
    await gendarme.tap("Violences intrafamiliales")
    await gendarme.tap("Sablé-sur-Sarthe")

    assert gendarme.last_text == (
        "Violences intrafamiliales — Sablé-sur-Sarthe\n\n"
        + EMERGENCY_LINES
        + "\n\nL'annuaire n'a pas de service pour cette situation ici."
    )
    await gendarme.tap("← Communes")
    await gendarme.tap("Mamers")
    assert gendarme.last_text == (
        "Violences intrafamiliales — Mamers\n\n"
        + EMERGENCY_LINES
        + "\n\nFoyer Mamers\nHébergement et accompagnement.\n☎ 02 43 00 00 04 — 24 h/24"
    )


async def test_an_english_speaking_worker_reads_the_directory_in_english(
    territory: RelaisUnderTest,
) -> None:
    paul = await member(territory, "Paul", Role.WORKER, language="en")
    await paul.send("/directory")
    assert paul.last_text == "Directory: for which situation?"
    await paul.tap("Budget, debts, protection")
    await paul.tap("Another commune: the services of the whole département")
    assert paul.last_text == (
        "Budget, debts, protection — the whole département\n\n"
        "Maison des solidarités\nAides et démarches.\n☎ 02 43 00 00 05 — lun.–ven. 9 h – 17 h"
    )


async def test_the_commission_redirects_to_the_partners_files_services_and_the_correspondent_learns_whom_to_call(
    territory: RelaisUnderTest,
) -> None:
    ines = await member(territory, "Inès", Role.WORKER)
    karim = await member(territory, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)  # at Les Glonnières, in Le Mans
    await karim.tap("Envoyer")
    [case] = cases(territory)
    await ines.tap("Je prends")
    await open_card(ines, case.reference)
    await move(ines, "diagnostic")
    await move(ines, "en commission")

    await ines.tap("→ réorienté")
    assert ines.buttons() == ["CSAPA", "Centre d'hébergement", "Maison des solidarités", "Annuler"]
    await ines.tap("CSAPA")
    await ines.tap("Passer")

    assert "Réorienté vers : CSAPA" in ines.last_text
    assert karim.last_text == (
        f"Votre signalement {case.reference} a été orienté par la commission vers un service "
        "plus adapté : CSAPA.\n"
        "À contacter :\n"
        "• CSAPA du Mans — 02 43 00 00 01 (lun.–ven. 9 h – 17 h)"
    )
    await karim.send("/mes_signalements")
    assert karim.last_text.startswith(f"Vos signalements :\n{case.reference} — ")
    assert karim.last_text.endswith(" — orienté vers : CSAPA")


async def test_a_gendarme_whose_violence_report_is_redirected_learns_the_service_but_no_local_number(
    territory: RelaisUnderTest,
) -> None:
    ines = await member(territory, "Inès", Role.WORKER)
    gendarme = await member(territory, "Adjudant Morel", Role.GENDARMERIE)
    await report_a_violence_victim_in_danger(gendarme)  # in Mamers, where the Foyer is
    [case] = cases(territory)
    await ines.tap("Je prends")
    await open_card(ines, case.reference)
    await move(ines, "diagnostic")
    await move(ines, "en commission")
    await move(ines, "réorienté", reason="Centre d'hébergement")

    assert gendarme.last_text == (
        f"Votre signalement {case.reference} a été orienté par la commission vers un service "
        "plus adapté : Centre d'hébergement."
    )
    assert "02 43" not in " ".join(gendarme.texts())


async def test_a_supported_person_is_not_offered_the_directory(
    territory: RelaisUnderTest,
) -> None:
    sam = await member(territory, "Sam", Role.BENEFICIARY)
    await sam.send("/aide")
    assert "/annuaire" not in sam.last_text
    karim = await member(territory, "Karim", Role.CORRESPONDENT)
    await karim.send("/aide")
    assert "/annuaire — Qui appeler, pour quelle situation" in karim.last_text


def many_partners(count: int) -> str:
    return "".join(
        f"""
[[partner]]
name = "Service {n:03d}"
does = "Aides."
situations = ["budget"]
communes = ["Commune {n:03d}"]
phone = "02 43 00 00 00"
hours = "lun."
redirection = "Service {n:03d}"
"""
        for n in range(count)
    )


@pytest.fixture
async def crowded(fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[RelaisUnderTest]:
    """Relais with the two residences and 23 partners in 23 communes, each a redirection
    of its own."""
    async with relais_with(fake_api, tmp_path, many_partners(23)) as relais:
        yield relais


async def test_more_communes_than_a_screen_holds_are_paged_and_each_leads_to_its_own(
    crowded: RelaisUnderTest,
) -> None:
    karim = await member(crowded, "Karim", Role.CORRESPONDENT)
    await karim.send("/annuaire")
    await karim.tap("Budget, dettes, protection")
    assert karim.buttons()[:2] == ["Commune 000", "Commune 001"]
    assert karim.buttons()[9:] == [
        "Commune 009",
        "Suivants ›",
        "Autre commune : les services de tout le département",
        "← Situations",
    ]
    await karim.tap("Suivants ›")
    await karim.tap("Suivants ›")
    assert karim.buttons()[:3] == ["Commune 020", "Commune 021", "Commune 022"]
    await karim.tap("Commune 021")
    assert karim.last_text == (
        "Budget, dettes, protection — Commune 021\n\nService 021\nAides.\n☎ 02 43 00 00 00 — lun."
    )
    await karim.tap("← Communes")
    assert karim.buttons()[0] == "Commune 020", "back to the page it came from"


async def test_more_redirections_than_a_screen_holds_are_paged_and_each_redirects_to_its_own(
    crowded: RelaisUnderTest,
) -> None:
    ines = await member(crowded, "Inès", Role.WORKER)
    karim = await member(crowded, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    [case] = cases(crowded)
    await ines.tap("Je prends")
    await open_card(ines, case.reference)
    await move(ines, "diagnostic")
    await move(ines, "en commission")

    await ines.tap("→ réorienté")
    assert ines.buttons()[0] == "Service 000"
    assert ines.buttons()[9:] == ["Service 009", "Suivants ›", "Annuler"]
    await ines.tap("Suivants ›")
    await ines.tap("Suivants ›")
    assert ines.buttons() == [
        "Service 020",
        "Service 021",
        "Service 022",
        "‹ Précédents",
        "Annuler",
    ]
    await ines.tap("Service 022")
    await ines.tap("Passer")
    assert "Réorienté vers : Service 022" in ines.last_text
    assert karim.last_text == (
        f"Votre signalement {case.reference} a été orienté par la commission vers un service "
        "plus adapté : Service 022."
    ), "Service 022 works in Commune 022, not in the case's Le Mans: no one to call there"


async def stale(person: Person, data: str) -> None:
    await person.tap_data(data)
    assert person.alerts[-1] == "Ce bouton n'est plus valable."


async def test_a_commune_button_past_the_end_of_the_list_is_refused(
    territory: RelaisUnderTest,
) -> None:
    karim = await member(territory, "Karim", Role.CORRESPONDENT)
    await karim.send("/annuaire")
    await stale(karim, "an:r:addiction:4:0")
