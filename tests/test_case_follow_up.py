"""Montjoie workers and landlord referents carry a case from received to closed."""

from datetime import timedelta

from domain.vocabulary import OrganisationKind, Role
from storage.members import ensure_organisation
from storage.types import utcnow
from tests.harness import Person, RelaisUnderTest
from tests.stories import (
    VIOLENCE,
    answer_addiction_report,
    cases,
    enroll,
    member,
    report_a_violence_victim_in_danger,
)


async def open_card(person: Person, reference: str) -> None:
    await person.send("/dossiers")
    if reference not in " ".join(person.buttons()):
        await person.tap("Tous les dossiers")
    label = next(label for label in person.buttons() if label.startswith(reference))
    await person.tap(label)


NOTED = ("refusé", "réorienté", "clos")  # a free note may go with their reason


async def move(
    person: Person, status: str, *, reason: str | None = None, note: str | None = None
) -> None:
    await person.tap(f"→ {status}")
    await person.tap(reason or "Confirmer")
    if status in NOTED:
        await (person.send(note) if note else person.tap("Passer"))


async def test_an_addiction_case_goes_from_received_to_closed_through_every_status(
    intake: RelaisUnderTest,
) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    helene = await member(intake, "Hélène", Role.LANDLORD_REFERENT)
    nadia = await member(intake, "Nadia", Role.ADMIN)
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    [case] = cases(intake)
    await ines.tap("Je prends")

    await open_card(ines, case.reference)
    assert ines.last_text.startswith(f"Dossier {case.reference}")
    assert "Statut : reçu" in ines.last_text
    assert "Travailleur social : Inès" in ines.last_text
    assert ines.buttons() == [
        "→ diagnostic",
        "→ clos",
        "Ajouter une note",
        "Rendez-vous",
        "Inviter la personne",
        "Réattribuer",
        "Référent bailleur",
    ]
    await move(ines, "diagnostic")
    assert "Statut : diagnostic" in ines.last_text

    await ines.tap("Référent bailleur")
    await ines.tap("Hélène")
    assert "Référent bailleur : Hélène" in ines.last_text
    await ines.tap("Ajouter une note")
    await ines.send("Rencontre au domicile prévue avec l'infirmière du CSAPA.")
    assert ines.texts()[-2] == f"Note ajoutée au dossier {case.reference}."

    await open_card(helene, case.reference)
    assert "Rencontre au domicile prévue" in helene.last_text, (
        "the case's referent reads the notes"
    )
    await move(helene, "en commission")
    await move(helene, "accepté", reason="intensité moyenne")
    assert "Accompagnement : intensité moyenne" in helene.last_text

    await open_card(ines, case.reference)
    await ines.tap("→ contrat signé")
    await ines.tap("Hier")
    await ines.tap("Oui, le contrat est signé")
    assert "Statut : contrat signé" in ines.last_text
    await move(ines, "accompagnement en cours")
    assert "Phase : urgence — jour 1 sur 90 au plus" in ines.last_text

    start = utcnow()
    intake.app.clock = lambda: start + timedelta(days=46, hours=1)
    await open_card(ines, case.reference)
    assert "Phase : urgence — jour 47 sur 90 au plus" in ines.last_text
    for phase, limit in (("consolidation", 360), ("orientation", 180)):
        await ines.tap("Phase suivante")
        await ines.tap("Confirmer")
        assert f"Phase : {phase} — jour 1 sur {limit} au plus" in ines.last_text
    await ines.tap("Phase suivante")
    await ines.tap("Confirmer")
    assert (
        ines.alerts[-1]
        == "Ce n'est pas possible pour ce dossier maintenant : voici sa fiche à jour."
    )

    await move(ines, "bilan partagé")
    await move(ines, "clos", reason="passage de relais au bailleur")
    assert "Statut : clos" in ines.last_text
    assert "Issue : passage de relais au bailleur" in ines.last_text
    assert ines.buttons() == [
        "Ajouter une note",
        "Rendez-vous",
        "Réattribuer",
        "Référent bailleur",
    ]

    await nadia.send("/dossiers")
    await nadia.tap("Statut…")
    await nadia.tap("clos")
    await nadia.tap(next(label for label in nadia.buttons() if label.startswith(case.reference)))
    assert "Rencontre au domicile" not in nadia.last_text, "notes are not for admins"
    await nadia.tap("Rouvrir le dossier")
    assert "Statut : bilan partagé" in nadia.last_text
    assert "dossier rouvert (bilan partagé)" in nadia.last_text


async def test_a_violence_case_is_redirected_by_the_commission_and_closed(
    intake: RelaisUnderTest,
) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    gendarme = await member(intake, "Adjudant Morel", Role.GENDARMERIE)
    await report_a_violence_victim_in_danger(gendarme)
    [case] = cases(intake)
    await ines.tap("Je prends")

    await open_card(ines, case.reference)
    await move(ines, "diagnostic")
    await move(ines, "en commission")
    await ines.tap("→ réorienté")
    assert ines.last_text == f"Dossier {case.reference} → réorienté : vers quel service ?"
    await ines.tap("CHRS")
    await ines.tap("Passer")
    assert "Réorienté vers : CHRS" in ines.last_text
    assert ines.buttons()[0] == "→ clos"
    await move(ines, "clos", reason="réorientation")
    assert "Statut : clos" in ines.last_text


async def test_a_violence_case_walks_its_own_phases(intake: RelaisUnderTest) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    siao = await member(intake, "Claire", Role.SIAO)
    await siao.send("/signaler")
    await siao.tap(VIOLENCE)
    await siao.tap("Oui")
    await siao.send("A. K.")
    await siao.send("Le Mans")
    await siao.tap("Oui")
    await siao.tap("Oui")
    await siao.tap("Seulement par moi")
    await siao.tap("Envoyer")
    [case] = cases(intake)
    await ines.tap("Je prends")
    await open_card(ines, case.reference)
    await move(ines, "diagnostic")
    await move(ines, "en commission")
    await move(ines, "accepté", reason="intensité forte")
    await ines.tap("→ contrat signé")
    await ines.send("hier")
    await ines.tap("Oui, le contrat est signé")
    await move(ines, "accompagnement en cours")
    assert "Phase : emménagement — jour 1 sur 90 au plus" in ines.last_text
    await ines.tap("Phase suivante")
    await ines.tap("Confirmer")
    assert "Phase : suivi" in ines.last_text
    await ines.tap("Phase suivante")
    await ines.tap("Confirmer")
    assert "Phase : soutien psychologique" in ines.last_text
    await move(ines, "bilan partagé")
    await move(ines, "clos", reason="sortie positive")
    assert "Issue : sortie positive" in ines.last_text


async def test_illegal_moves_and_forged_buttons_change_nothing(intake: RelaisUnderTest) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    [case] = cases(intake)

    await open_card(ines, case.reference)
    assert ines.buttons() == ["Je prends"], "nobody took it yet: it moves on once taken"
    await ines.tap_data(f"cs:y:{case.id}:diagnostic")
    assert (
        ines.alerts[-1]
        == "Ce n'est pas possible pour ce dossier maintenant : voici sa fiche à jour."
    )
    assert "Statut : reçu" in ines.last_text
    await ines.tap("Je prends")

    for forged in (
        f"cs:y:{case.id}:accepted",
        f"cs:r:{case.id}:closed:99",
        f"cs:y:{case.id}:nonsense",
        "cs:c:abc",
        "cs:c:99999",
    ):
        await ines.tap_data(forged)
    [unchanged] = cases(intake)
    assert unchanged.status.value == "received"
    assert ines.alerts[-2] == "Ce bouton n'est pas (ou plus) disponible pour vous."
    assert ines.alerts[-1] == "Ce bouton n'est plus valable."

    await karim.tap_data(f"cs:c:{case.id}")
    assert karim.alerts[-1] == "Ce bouton n'est pas (ou plus) disponible pour vous."
    await karim.send("/dossiers")
    assert karim.last_text.startswith("Cette action n'est pas ouverte à votre rôle.")


async def test_a_landlord_referent_sees_only_the_cases_of_their_organisation(
    intake: RelaisUnderTest,
) -> None:
    await member(intake, "Inès", Role.WORKER)
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    [case] = cases(intake)

    other_org = ensure_organisation(intake.app.engine, "Podeliha", OrganisationKind.LANDLORD)
    outsider = intake.person("Marc")
    await enroll(intake, outsider, Role.LANDLORD_REFERENT, org=other_org.name)
    await outsider.send("/dossiers")
    assert case.reference not in " ".join(outsider.buttons())
    await outsider.tap_data(f"cs:c:{case.id}")
    assert outsider.alerts[-1] == "Ce bouton n'est plus valable."

    beneficiary = await member(intake, "Bénéficiaire", Role.BENEFICIARY)
    await beneficiary.send("/dossiers")
    assert beneficiary.last_text.startswith("Cette action n'est pas ouverte à votre rôle.")


async def test_a_worker_reading_in_english_gets_the_card_in_english(
    intake: RelaisUnderTest,
) -> None:
    worker = await member(intake, "Paul", Role.WORKER, language="en")
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    assert worker.last_text.startswith("New report R-")
    await worker.tap("I'll take it")
    await worker.send("/cases")
    await worker.tap(next(label for label in worker.buttons() if label.startswith("R-")))
    assert worker.last_text.startswith("Case R-")
    assert "Type: Difficulties in the home linked to an addiction" in worker.last_text
    assert "Status: received (since " in worker.last_text
    assert worker.buttons()[:2] == ["→ diagnostic", "→ closed"]
