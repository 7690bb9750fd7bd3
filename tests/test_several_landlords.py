"""Two landlords in one Relais, Sarthe Habitat and Podeliha: each one's correspondents report
from its own residences, its referents see and move its own cases, its reserved homes go to
its own cases, and its figures count its own cases."""

import csv
import io
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine

from domain.vocabulary import CaseKind, CaseStatus, OrganisationKind, Role
from playground.demo import file_report
from playground.fakebotapi import FakeBotAPI
from storage import homes
from storage.crypto import use_keys
from storage.database import make_engine, upgrade
from storage.invitations import create_invitation, redeem_invitation
from storage.members import ensure_organisation, landlords
from storage.models import Case, Member
from storage.sites import SitesFileError, active_sites, load_sites
from tests.databases import TEST_KEY
from tests.harness import Person, RelaisUnderTest, settings_for
from tests.stories import (
    ADDICTION,
    VIOLENCE,
    VIOLENCE_ANSWERS,
    cases,
    enroll,
    start_addiction_report,
)
from tests.test_case_follow_up import move, open_card
from tests.test_case_ownership import IN_SUPPORT, walk
from tests.test_command_line import run_bot
from tests.test_homes_and_commission import add_home

SH, PODELIHA = "Sarthe Habitat", "Podeliha"
SITES = (
    "name,commune,sector,qpv,landlord\n"
    f"Les Glonnières,Le Mans,Sud,yes,{SH}\n"
    f"Bellevue,Sablé-sur-Sarthe,Ouest,no,{SH}\n"
    f"Les Sablons,Le Mans,Est,yes,{PODELIHA}\n"
)
MONTJOIE = ("Montjoie", OrganisationKind.ASSOCIATION)
BRIGADE = ("Gendarmerie de Mamers", OrganisationKind.GENDARMERIE)
REFUSED = "Ce bouton n'est plus valable."


@pytest.fixture
async def relais(fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[RelaisUnderTest]:
    """Relais with both landlords' residences (the sites file names their landlords)."""
    sites = tmp_path / "sites.csv"
    sites.write_text(SITES, encoding="utf-8")
    settings = settings_for(fake_api, f"sqlite:///{tmp_path / 'relais.sqlite3'}", sites_file=sites)
    bot = RelaisUnderTest(fake_api, settings)
    await bot.start()
    yield bot
    await bot.stop()


async def person(
    relais: RelaisUnderTest,
    name: str,
    role: Role,
    org: str,
    kind: OrganisationKind = OrganisationKind.LANDLORD,
) -> Person:
    someone = relais.person(name)
    await enroll(relais, someone, role, org, kind)
    return someone


async def report_from(correspondent: Person, site: str) -> str:
    """A whole addiction report from this residence: the new case's reference."""
    await start_addiction_report(correspondent)
    await correspondent.tap(site)
    await correspondent.tap("Oui")
    await correspondent.send("06 12 34 56 78")
    await correspondent.tap("Soir")
    await correspondent.tap("Valider")
    await correspondent.tap("Troubles du voisinage")
    await correspondent.tap("Valider")
    await correspondent.tap("Je ne sais pas")
    await correspondent.tap("Aucun")
    await correspondent.tap("Valider")
    await correspondent.tap("Passer")
    await correspondent.tap("Envoyer")
    return cases(correspondent.relais)[-1].reference


def case_named(relais: RelaisUnderTest, reference: str) -> Case:
    return next(case for case in cases(relais) if case.reference == reference)


async def to_commission(worker: Person, reference: str) -> None:
    """The worker takes the case just reported (its alert) and brings it to the commission."""
    await worker.tap("Je prends")
    await open_card(worker, reference)
    await move(worker, "diagnostic")
    await move(worker, "en commission")


def listed(person: Person) -> str:
    """What /dossiers showed: its text and its buttons."""
    return person.last_text + " ".join(person.buttons())


async def test_a_correspondent_is_offered_only_the_residences_of_their_own_landlord(
    relais: RelaisUnderTest,
) -> None:
    karim = await person(relais, "Karim", Role.CORRESPONDENT, SH)
    louise = await person(relais, "Louise", Role.CORRESPONDENT, PODELIHA)

    await start_addiction_report(karim)
    assert karim.buttons()[:3] == ["Bellevue", "Les Glonnières", "Autre résidence / hors liste"]
    await start_addiction_report(louise)
    assert louise.buttons()[:2] == ["Les Sablons", "Autre résidence / hors liste"]

    sablons = next(site for site in active_sites(relais.app.engine) if site.name == "Les Sablons")
    await karim.tap_data(f"rep:site:={sablons.id}")
    assert karim.alerts[-1] == REFUSED, "another landlord's residence, forged: refused"
    assert "Dans quelle résidence habite la personne ?" in karim.last_text
    assert [landlord.name for landlord in landlords(relais.app.engine)] == [PODELIHA, SH], (
        "the landlords the sites file names are organisations of kind landlord"
    )


async def test_a_landlord_referent_sees_and_moves_only_the_cases_of_their_own_landlord(
    relais: RelaisUnderTest,
) -> None:
    karim = await person(relais, "Karim", Role.CORRESPONDENT, SH)
    louise = await person(relais, "Louise", Role.CORRESPONDENT, PODELIHA)
    ines = await person(relais, "Inès", Role.WORKER, *MONTJOIE)
    helene = await person(relais, "Hélène", Role.LANDLORD_REFERENT, SH)
    ours = await report_from(karim, "Les Glonnières")
    await to_commission(ines, ours)
    theirs = await report_from(louise, "Les Sablons")
    await to_commission(ines, theirs)

    await helene.send("/dossiers")
    if "Tous les dossiers" in helene.buttons():
        await helene.tap("Tous les dossiers")
    assert ours in listed(helene)
    assert theirs not in listed(helene)
    await helene.send("/commission")
    assert helene.texts()[-2] == "Dossiers en attente de la commission : 1. Décidez sous chacun."
    assert helene.last_text.startswith(ours)

    other = case_named(relais, theirs)
    await helene.tap_data(f"cs:c:{other.id}")
    assert helene.alerts[-1] == REFUSED, "another landlord's card: as if it did not exist"
    await helene.tap_data(f"cs:y:{other.id}:declined")
    assert helene.alerts[-1] == REFUSED
    assert case_named(relais, theirs).status is CaseStatus.COMMISSION

    await helene.tap("Accepter")
    await helene.tap("intensité légère")
    assert case_named(relais, ours).status is CaseStatus.ACCEPTED, "her own landlord's: moved"

    by_ines = await report_from(ines, "Les Glonnières")
    assert case_named(relais, by_ines).landlord_id == _landlord_id(relais, SH), (
        "a report naming a residence is its landlord's, whoever reports it"
    )
    await ines.send("/commission")
    assert ines.buttons() == ["Tous les dossiers", PODELIHA, SH], "the worker chooses whose"
    await ines.tap(PODELIHA)
    assert ines.texts()[-2] == "Dossiers en attente de la commission : 1. Décidez sous chacun."
    assert ines.last_text.startswith(theirs)


async def test_a_landlord_s_reserved_homes_go_only_to_its_cases_and_its_referents_list_them(
    relais: RelaisUnderTest,
) -> None:
    nadia = await person(relais, "Nadia", Role.ADMIN, SH)
    karim = await person(relais, "Karim", Role.CORRESPONDENT, SH)
    ines = await person(relais, "Inès", Role.WORKER, *MONTJOIE)
    helene = await person(relais, "Hélène", Role.LANDLORD_REFERENT, SH)
    paul = await person(relais, "Paul", Role.LANDLORD_REFERENT, PODELIHA)
    await add_home(nadia, "Les Tilleuls, apt 12", "T3", ADDICTION)
    assert nadia.last_text == "Logement de quel bailleur ?"
    assert nadia.buttons() == [PODELIHA, SH]
    await nadia.tap(SH)
    await add_home(nadia, "Les Sablons, apt 4", "T2", ADDICTION)
    await nadia.tap(PODELIHA)
    assert nadia.last_text == "Logement ajouté : Les Sablons, apt 4 (T2, Le Mans, QPV)."

    await helene.send("/logements")
    assert "Les Tilleuls, apt 12" in helene.last_text
    assert "Les Sablons, apt 4" not in helene.last_text
    await paul.send("/logements")
    assert "Les Sablons, apt 4" in paul.last_text
    assert "Les Tilleuls, apt 12" not in paul.last_text

    reference = await report_from(karim, "Bellevue")
    await to_commission(ines, reference)
    await move(ines, "accepté", reason="intensité légère")
    await ines.tap("→ contrat signé")
    await ines.tap("Aujourd'hui")
    await ines.tap("Oui, le contrat est signé")
    await ines.tap("Logement réservé")
    assert ines.buttons() == ["Les Tilleuls, apt 12 (T3, Le Mans, QPV)", "Annuler"], (
        "only its own landlord's homes"
    )
    [theirs] = [home for home, _case in homes.homes(relais.app.engine) if "Sablons" in home.label]
    await ines.tap_data(f"hm:set:{case_named(relais, reference).id}:{theirs.id}")
    assert ines.alerts[-1] == "Ce logement n'est plus libre, ou pas pour ce dossier."
    assert homes.home_of(relais.app.engine, case_named(relais, reference).id) is None


async def a_victim_reported_by_the_gendarmerie(relais: RelaisUnderTest, worker: Person) -> Case:
    """A victim in danger reported by a brigade (no residence): the worker takes the case."""
    morel = await person(relais, "Adjudant Morel", Role.GENDARMERIE, *BRIGADE)
    await morel.send("/signaler")
    await morel.tap(VIOLENCE)
    await morel.tap("Oui")
    await morel.send("S. B.")
    await morel.send("Mamers")
    await morel.tap("Non")
    await morel.tap("Oui")
    await morel.tap("Seulement par moi")
    await morel.tap("Envoyer")
    await worker.tap("Je prends")
    [case] = cases(relais)
    assert case.landlord_id is None
    return case


async def test_a_violence_victim_s_case_belongs_to_no_landlord_until_one_of_its_referents_is_on_it(
    relais: RelaisUnderTest,
) -> None:
    ines = await person(relais, "Inès", Role.WORKER, *MONTJOIE)
    helene = await person(relais, "Hélène", Role.LANDLORD_REFERENT, SH)
    paul = await person(relais, "Paul", Role.LANDLORD_REFERENT, PODELIHA)
    case = await a_victim_reported_by_the_gendarmerie(relais, ines)

    for referent in (helene, paul):
        await referent.tap_data(f"cs:c:{case.id}")
        assert referent.alerts[-1] == REFUSED, "no landlord's referent sees it yet"
    await open_card(ines, case.reference)
    await ines.tap("Référent bailleur")
    assert ines.buttons() == ["Hélène", "Paul", "Annuler"], "a referent of any landlord"
    await ines.tap("Paul")

    assert case_named(relais, case.reference).landlord_id == _landlord_id(relais, PODELIHA)
    await paul.tap_data(f"cs:c:{case.id}")
    assert paul.last_text.startswith(f"Dossier {case.reference}")
    await helene.tap_data(f"cs:c:{case.id}")
    assert helene.alerts[-1] == REFUSED, "it is Podeliha's now"


def _landlord_id(relais: RelaisUnderTest, name: str) -> int:
    return next(org.id for org in landlords(relais.app.engine) if org.name == name)


# ------------------------------------------------------------------ the sites file, the report


def a_member(engine: Engine, role: Role, org: str, kind: OrganisationKind, number: int) -> Member:
    organisation = ensure_organisation(engine, org, kind)
    invitation = create_invitation(
        engine, role=role, organisation_id=organisation.id, ttl=timedelta(days=7)
    )
    _outcome, member = redeem_invitation(
        engine, invitation.token, telegram_id=number, display_name=f"M{number}"
    )
    assert member is not None
    return member


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    use_keys([TEST_KEY])
    engine = make_engine(f"sqlite:///{tmp_path / 'relais.sqlite3'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def sites_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sites.csv"
    path.write_text(text, encoding="utf-8")
    return path


ONE_LANDLORD_SITES = "name,commune,sector,qpv\nLes Glonnières,Le Mans,Sud,yes\n"


def test_a_sites_file_without_the_landlord_column_is_the_only_landlord_s(
    engine: Engine, tmp_path: Path
) -> None:
    only = ensure_organisation(engine, SH, OrganisationKind.LANDLORD)

    load_sites(engine, sites_file(tmp_path, ONE_LANDLORD_SITES))

    assert [(site.name, site.landlord_id) for site in active_sites(engine)] == [
        ("Les Glonnières", only.id)
    ]


def test_once_there_are_two_landlords_a_file_without_the_column_keeps_each_site_whose_it_was(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A correspondent invited into a new organisation makes a second landlord: the next
    start must not fail on the old file; its sites stay whose they were, a new one is
    nobody's, and the log says to add the column."""
    load_sites(engine, sites_file(tmp_path, SITES))
    sarthe_habitat = ensure_organisation(engine, SH, OrganisationKind.LANDLORD).id
    path = sites_file(tmp_path, ONE_LANDLORD_SITES + "La Gare,Mamers,Nord,no\n")

    load_sites(engine, path)

    assert [(site.name, site.landlord_id) for site in active_sites(engine)] == [
        ("La Gare", None),
        ("Les Glonnières", sarthe_habitat),
    ]
    assert f"{path} has no landlord column but there are 2 landlords" in caplog.text


def test_a_sites_file_naming_an_organisation_that_is_no_landlord_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    ensure_organisation(engine, "Montjoie", OrganisationKind.ASSOCIATION)
    path = sites_file(
        tmp_path, "name,commune,sector,qpv,landlord\nBellevue,Sablé,Ouest,no,Montjoie\n"
    )

    with pytest.raises(SitesFileError, match="Montjoie is an organisation, but not a landlord"):
        load_sites(engine, path)


def figures_of(tmp_path: Path, *arguments: str) -> dict[str, str]:
    result = run_bot(
        "report", "--from", "2025-01-01", "--to", "2025-12-31", "--format", "csv", *arguments,
        cwd=tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'relais.sqlite3'}",
        ENCRYPTION_KEYS=TEST_KEY, TIMEZONE="UTC",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(list(csv.reader(io.StringIO(result.stdout)))[1:])


def test_the_report_for_one_landlord_counts_its_cases_and_its_reserved_homes_only(
    engine: Engine, tmp_path: Path
) -> None:
    """Sarthe Habitat's correspondent reports two victims, Podeliha's one, the gendarmerie
    one (no landlord's yet); Sarthe Habitat has two reserved homes, Podeliha one."""
    load_sites(engine, sites_file(tmp_path, SITES))
    karim = a_member(engine, Role.CORRESPONDENT, SH, OrganisationKind.LANDLORD, 1)
    louise = a_member(engine, Role.CORRESPONDENT, PODELIHA, OrganisationKind.LANDLORD, 2)
    morel = a_member(engine, Role.GENDARMERIE, *BRIGADE, 3)
    march = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    for source in (karim, karim, louise, morel):
        file_report(engine, source, VIOLENCE_ANSWERS, march)
    ids = {landlord.name: landlord.id for landlord in landlords(engine)}
    for label, kind, landlord in (
        ("A", CaseKind.ADDICTION, SH), ("B", CaseKind.VIOLENCE, SH),
        ("C", CaseKind.VIOLENCE, PODELIHA),
    ):  # fmt: skip
        homes.add_home(engine, label=label, commune="Le Mans", size="T2", qpv=False, kind=kind,
                 landlord_id=ids[landlord])  # fmt: skip

    sarthe_habitat = figures_of(tmp_path, "--landlord", SH)
    podeliha = figures_of(tmp_path, "--landlord", "Podeliha")
    everyone = figures_of(tmp_path)

    keys = ("referrals", "referrals.violence", "homes_reserved", "homes_reserved.addiction")
    assert [sarthe_habitat[key] for key in keys] == ["2", "2", "2", "1"]
    assert [podeliha[key] for key in keys] == ["1", "1", "1", "0"]
    assert [everyone[key] for key in keys] == ["4", "4", "30", "20"], "the programme file's"
    workbook = tmp_path / "podeliha.xlsx"
    result = run_bot(
        "report", "--from", "2025-01-01", "--to", "2025-12-31", "--format", "xlsx",
        "-o", str(workbook), "--landlord", PODELIHA, cwd=tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'relais.sqlite3'}", ENCRYPTION_KEYS=TEST_KEY,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(openpyxl.load_workbook(workbook)["Dossiers"].iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["R-2025-0003"], "Podeliha's one case, no other"


def test_the_report_for_a_landlord_nobody_knows_says_so_in_one_line(
    engine: Engine, tmp_path: Path
) -> None:
    load_sites(engine, sites_file(tmp_path, SITES))
    result = run_bot(
        "report", "--from", "2025-01-01", "--to", "2025-12-31", "--landlord", "Podelia",
        cwd=tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'relais.sqlite3'}",
        ENCRYPTION_KEYS=TEST_KEY,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "No landlord is called 'Podelia'; the landlords are: Podeliha, Sarthe Habitat.\n"
    )


async def figures_text(reader: Person) -> str:
    """The main figures of this year, as /chiffres gives them once its questions answered."""
    await reader.tap("Cette année")
    return next(text for text in reversed(reader.texts()) if text.startswith("Chiffres du"))


async def test_each_landlord_s_referent_reads_its_figures_and_the_coordination_chooses_whose(
    relais: RelaisUnderTest,
) -> None:
    karim = await person(relais, "Karim", Role.CORRESPONDENT, SH)
    louise = await person(relais, "Louise", Role.CORRESPONDENT, PODELIHA)
    helene = await person(relais, "Hélène", Role.LANDLORD_REFERENT, SH)
    nadia = await person(relais, "Nadia", Role.ADMIN, SH)
    await report_from(karim, "Les Glonnières")
    await report_from(karim, "Bellevue")
    await report_from(louise, "Les Sablons")

    await helene.send("/chiffres")
    assert helene.last_text == "Les chiffres du programme : pour quelle période ?"
    hers = await figures_text(helene)
    assert ", Sarthe Habitat :" in hers.splitlines()[0]
    assert "• Signalements reçus : 2 (" in hers

    await nadia.send("/chiffres")
    assert nadia.buttons() == ["Tout le programme", PODELIHA, SH]
    await nadia.tap(PODELIHA)
    assert "• Signalements reçus : 1 (" in await figures_text(nadia)
    await nadia.send("/chiffres")
    await nadia.tap("Tout le programme")
    everything = await figures_text(nadia)
    assert ", tout le programme :" in everything.splitlines()[0]
    assert "• Signalements reçus : 3 (" in everything


async def test_a_violence_victim_s_case_given_a_landlord_s_home_belongs_to_that_landlord(
    relais: RelaisUnderTest,
) -> None:
    ines = await person(relais, "Inès", Role.WORKER, *MONTJOIE)
    helene = await person(relais, "Hélène", Role.LANDLORD_REFERENT, SH)
    paul = await person(relais, "Paul", Role.LANDLORD_REFERENT, PODELIHA)
    case = await a_victim_reported_by_the_gendarmerie(relais, ines)
    ids = {landlord.name: landlord.id for landlord in landlords(relais.app.engine)}
    for label, landlord in (("Gare, apt 3", PODELIHA), ("Les Tilleuls, apt 2", SH)):
        homes.add_home(relais.app.engine, label=label, commune="Le Mans", size="T2", qpv=False,
                       kind=CaseKind.VIOLENCE, landlord_id=ids[landlord])  # fmt: skip
    walk(relais, case.id, ines, *IN_SUPPORT[:-1])

    await open_card(ines, case.reference)
    await ines.tap("Logement réservé")
    assert ines.buttons() == [
        "Gare, apt 3 (T2, Le Mans) — Podeliha",
        "Les Tilleuls, apt 2 (T2, Le Mans) — Sarthe Habitat",
        "Annuler",
    ], "a case of no landlord yet: every landlord's free homes, each saying whose"
    await ines.tap("Gare, apt 3 (T2, Le Mans) — Podeliha")

    assert case_named(relais, case.reference).landlord_id == ids[PODELIHA]
    await paul.tap_data(f"cs:c:{case.id}")
    assert paul.last_text.startswith(f"Dossier {case.reference}")
    await helene.tap_data(f"cs:c:{case.id}")
    assert helene.alerts[-1] == REFUSED, "it is Podeliha's now"
