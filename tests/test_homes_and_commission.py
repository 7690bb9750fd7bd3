"""The commission decides the waiting cases; reserved homes are given at move-in and freed."""

from sqlmodel import select

from domain.vocabulary import CaseStatus, Role
from storage.database import session_scope
from storage.homes import homes
from storage.models import CaseEvent
from tests.harness import Person, RelaisUnderTest
from tests.stories import answer_addiction_report, cases, member
from tests.test_case_follow_up import move, open_card


async def a_case_in_commission(intake: RelaisUnderTest, worker: Person) -> str:
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    await worker.tap("Je prends")
    reference = cases(intake)[-1].reference
    await open_card(worker, reference)
    await move(worker, "diagnostic")
    await move(worker, "en commission")
    return reference


async def add_home(admin: Person, label: str, size: str, kind: str) -> None:
    await admin.send("/logements")
    await admin.tap("Ajouter un logement")
    await admin.send(label)
    await admin.send("Le Mans")
    await admin.tap(size)
    await admin.tap("Oui")
    await admin.tap(kind)


async def test_the_commission_lists_the_waiting_cases_and_records_its_decision(
    intake: RelaisUnderTest,
) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    helene = await member(intake, "Hélène", Role.LANDLORD_REFERENT)
    await helene.send("/commission")
    assert helene.last_text == "Aucun dossier n'attend la commission."
    reference = await a_case_in_commission(intake, ines)

    await helene.send("/commission")
    assert helene.texts()[-2] == "Dossiers en attente de la commission : 1. Décidez sous chacun."
    assert helene.last_text.startswith(
        f"{reference} — Difficultés dans le logement liées à une addiction — Le Mans"
    )
    await helene.tap("Refuser")
    await helene.tap("refus de la personne")
    assert helene.last_text.endswith("Tapez-la, ou touchez « Passer ».")
    await helene.send("Elle préfère rester chez sa sœur pour l'instant.")
    assert "Statut : refusé" in helene.last_text
    assert "Motif du refus : refus de la personne" in helene.last_text
    with session_scope(intake.app.engine) as session:
        decision = session.exec(
            select(CaseEvent).where(CaseEvent.to_status == CaseStatus.DECLINED)
        ).one()
    assert decision.reason == "refused_by_person", "the reason, from the fixed list"
    assert decision.note == "Elle préfère rester chez sa sœur pour l'instant."
    await helene.send("/commission")
    assert helene.last_text == "Aucun dossier n'attend la commission."


async def test_a_reserved_home_is_given_at_move_in_refused_when_taken_and_freed_at_closure(
    intake: RelaisUnderTest,
) -> None:
    nadia = await member(intake, "Nadia", Role.ADMIN)
    ines = await member(intake, "Inès", Role.WORKER)
    await add_home(
        nadia, "Les Tilleuls, apt 12", "T3", "Difficultés dans le logement liées à une addiction"
    )
    assert nadia.last_text == "Logement ajouté : Les Tilleuls, apt 12 (T3, Le Mans, QPV)."
    await add_home(nadia, "Les Tilleuls, apt 12", "T2", "Victime de violences intrafamiliales")
    assert nadia.last_text == "Un logement porte déjà ce nom : rien n'a été ajouté."
    await add_home(nadia, "Gare, apt 3", "T2", "Victime de violences intrafamiliales")

    first = await a_case_in_commission(intake, ines)
    await move(ines, "accepté", reason="intensité légère")
    assert "Logement réservé" not in ines.buttons(), (
        "a home is given at move-in, once the contract is signed"
    )
    await ines.tap("→ contrat signé")
    await ines.tap("Aujourd'hui")
    await ines.tap("Oui, le contrat est signé")
    await ines.tap("Logement réservé")
    assert ines.buttons() == ["Les Tilleuls, apt 12 (T3, Le Mans, QPV)", "Annuler"], (
        "only free homes of its kind"
    )
    await ines.tap("Les Tilleuls, apt 12 (T3, Le Mans, QPV)")
    assert "Logement réservé : Les Tilleuls, apt 12 (T3, Le Mans)" in ines.last_text

    second = await a_case_in_commission(intake, ines)
    await move(ines, "accepté", reason="intensité forte")
    await ines.tap("→ contrat signé")
    await ines.tap("Aujourd'hui")
    await ines.tap("Oui, le contrat est signé")
    [_, second_case] = cases(intake)
    [taken] = [home for home, _case in homes(intake.app.engine) if home.case_id is not None]
    await ines.tap_data(f"hm:set:{second_case.id}:{taken.id}")
    assert ines.alerts[-1] == "Ce logement n'est plus libre, ou pas pour ce dossier."
    await ines.tap("Logement réservé")
    assert ines.last_text == "Aucun logement réservé libre pour ce type d'accompagnement."

    await nadia.send("/logements")
    assert (
        f"Les Tilleuls, apt 12 (T3, Le Mans, QPV) — Difficultés dans le logement liées à une addiction — occupé ({first})"
        in nadia.last_text
    )
    assert (
        "Gare, apt 3 (T2, Le Mans, QPV) — Victime de violences intrafamiliales — libre"
        in nadia.last_text
    )

    await open_card(ines, first)
    await move(ines, "clos", reason="déménagement")
    assert "logement Les Tilleuls, apt 12 libéré" in ines.last_text
    await open_card(ines, second)
    await ines.tap("Logement réservé")
    await ines.tap("Les Tilleuls, apt 12 (T3, Le Mans, QPV)")
    await ines.tap("Libérer le logement")
    assert "Logement réservé :" not in ines.last_text
    assert "Logement réservé" in ines.buttons()
