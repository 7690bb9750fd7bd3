"""A correspondent or a gendarme reports a situation; Montjoie's workers are alerted at once."""

import itertools
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from domain.vocabulary import Role
from storage.database import session_scope
from storage.models import CaseEvent, ReportDraft
from storage.types import utcnow
from tests.harness import Person, RelaisUnderTest
from tests.stories import (
    ADDICTION,
    VIOLENCE,
    answer_addiction_report,
    cases,
    member,
    report_a_violence_victim_in_danger,
    table_rows,
)

SITES = (
    "name,commune,sector,qpv\nLes Glonnières,Le Mans,Sud,yes\nBellevue,Sablé-sur-Sarthe,Ouest,no\n"
)


async def test_a_correspondent_reports_an_addiction_case_and_three_workers_and_the_team_are_alerted(
    intake: RelaisUnderTest,
) -> None:
    workers = [await member(intake, name, Role.WORKER) for name in ("Inès", "Paul", "Zoé")]
    correspondent = await member(intake, "Karim", Role.CORRESPONDENT)

    await answer_addiction_report(correspondent)
    assert correspondent.last_text.startswith(
        "Étape 14/14\nRécapitulatif — vérifiez avant d'envoyer :"
    )
    assert "• Résidence : Les Glonnières" in correspondent.last_text
    assert "• Constats : Troubles du voisinage, Impayés de loyer" in correspondent.last_text
    await correspondent.tap("Envoyer")

    [case] = cases(intake)
    # The year of Le Mans's calendar: on New Year's Eve after 23:00 UTC it is already the next.
    assert case.reference == f"R-{datetime.now(ZoneInfo('Europe/Paris')).year}-0001"
    assert (case.kind.value, case.urgent, case.status.value) == ("addiction", False, "received")
    assert (case.commune, case.sector, case.qpv, case.consent) == ("Le Mans", "Sud", "yes", "yes")
    assert case.answers["contact"] == "+33612345678"
    assert f"Signalement {case.reference} envoyé." in correspondent.last_text
    assert table_rows(intake, "report_draft") == 0

    for worker in workers:
        assert worker.last_text.startswith(f"Nouveau signalement {case.reference}")
        assert "Le Mans (secteur Sud)" in worker.last_text
        assert worker.buttons() == ["Je prends", "Voir"]
    group_alert = intake.fake.last_bot_message(intake.team_chat.id)
    assert group_alert.text == workers[0].last_text
    for private in ("M. D.", "06 12", "+336", "Voisins"):
        assert private not in group_alert.text


async def test_a_gendarme_reports_a_violence_victim_in_danger_and_sees_the_emergency_numbers_first(
    intake: RelaisUnderTest,
) -> None:
    worker = await member(intake, "Inès", Role.WORKER)
    gendarme = await member(intake, "Adjudant Morel", Role.GENDARMERIE)

    await gendarme.send("/signaler")
    await gendarme.tap(VIOLENCE)
    assert gendarme.last_text.startswith("Étape 2/")
    await gendarme.tap("Oui")
    numbers, next_question = gendarme.texts()[-2:]
    assert numbers.startswith("En cas de danger immédiat, appelez tout de suite :")
    for number in ("17", "112", "114", "3919"):
        assert number in numbers
    assert "Prénom ou initiales" in next_question

    await gendarme.send("S. B.")
    await gendarme.send("Mamers")
    await gendarme.tap("Je ne sais pas")
    await gendarme.tap("Pas encore")
    await gendarme.tap("Seulement par moi")
    assert gendarme.last_text.startswith("Étape 8/8\nRécapitulatif")
    await gendarme.tap("Envoyer")

    [case] = cases(intake)
    assert case.urgent
    assert (case.kind.value, case.consent, case.commune, case.qpv) == (
        "violence",
        "not_yet",
        "Mamers",
        "unknown",
    )
    assert worker.last_text.startswith(f"URGENT — nouveau signalement {case.reference}")


async def test_a_violence_report_without_danger_asks_the_violence_questions(
    intake: RelaisUnderTest,
) -> None:
    siao = await member(intake, "Claire", Role.SIAO)
    await siao.send("/signaler")
    await siao.tap(VIOLENCE)
    await siao.tap("Non")
    await siao.send("Amina")
    await siao.send("1")
    await siao.send("2")
    await siao.send("Le Mans")
    await siao.tap("Oui")
    await siao.tap("Oui")
    await siao.send("+33 6 98 76 54 32")
    await siao.tap("Matin")
    await siao.tap("Valider")
    await siao.tap("Hébergement d'urgence")
    await siao.tap("Salaire")
    await siao.tap("Valider")
    await siao.tap("Oui")
    await siao.tap("Passer")
    await siao.tap("Passer")
    assert "• Où est la personne : Hébergement d'urgence" in siao.last_text
    assert "• Secteur souhaité : —" in siao.last_text
    await siao.tap("Envoyer")
    [case] = cases(intake)
    assert case.answers["children"] == 2
    assert case.answers["contact"] == "+33698765432"
    assert case.answers["wished_area"] is None


async def test_back_edit_and_cancel_move_through_the_form_without_saving_half_a_case(
    intake: RelaisUnderTest,
) -> None:
    correspondent = await member(intake, "Karim", Role.CORRESPONDENT)
    await correspondent.send("/signaler")
    await correspondent.tap(ADDICTION)
    await correspondent.tap("Non")
    assert "Prénom ou initiales" in correspondent.last_text
    await correspondent.tap("← Retour")
    assert "danger immédiat" in correspondent.last_text
    await correspondent.tap("← Retour")
    assert "Quelle situation signalez-vous ?" in correspondent.last_text

    await answer_addiction_report(correspondent)  # /signaler resumes the draft at its question
    await correspondent.tap("Modifier : Type")
    await correspondent.tap(VIOLENCE)
    # The violence branch needs its own answers before the review comes back.
    assert "Dans quelle commune ?" in correspondent.last_text
    await correspondent.send("Le Mans")
    await correspondent.tap("Oui")
    await correspondent.tap("Chez des proches")
    await correspondent.tap("Aucun")
    await correspondent.tap("Valider")
    await correspondent.tap("Non")
    await correspondent.send("Le Mans")
    assert correspondent.last_text.startswith("Étape 16/16\nRécapitulatif")
    assert "Constats" not in correspondent.last_text

    await correspondent.tap("Modifier : Adultes")
    await correspondent.tap("← Retour")
    assert correspondent.last_text.startswith("Étape 16/16\nRécapitulatif")
    await correspondent.tap("Annuler")
    assert correspondent.last_text == "Signalement abandonné : rien n'a été enregistré."
    assert cases(intake) == []
    assert table_rows(intake, "report_draft") == 0


async def test_bad_answers_repeat_the_question_with_an_example(intake: RelaisUnderTest) -> None:
    correspondent = await member(intake, "Karim", Role.CORRESPONDENT)
    await correspondent.send("/signaler")
    await correspondent.send("addiction")
    assert correspondent.texts()[-2].startswith(
        "Je n'ai pas pu lire cette réponse. Répondez avec les boutons"
    )
    assert "Étape 1/" in correspondent.last_text
    await correspondent.tap(ADDICTION)
    await correspondent.send_media("sticker")
    assert "Étape 2/" in correspondent.last_text
    await correspondent.tap("Non")
    await correspondent.send("X" * 41)
    assert "Exemple : Sophie, ou S. B." in correspondent.texts()[-2]
    await correspondent.send_media("voice")
    await correspondent.send("M. D.")
    for absurd in ("-1", "0", "300", "deux"):
        await correspondent.send(absurd)
        assert "Tapez un nombre entre 1 et 12" in correspondent.texts()[-2]
    await correspondent.send("2")
    await correspondent.send("16")
    assert "Tapez un nombre entre 0 et 15" in correspondent.texts()[-2]
    await correspondent.tap("0")
    await correspondent.send_media("photo")
    await correspondent.tap("Autre résidence / hors liste")
    await correspondent.send("Allonnes")
    await correspondent.tap("Non")
    await correspondent.tap("Oui")
    await correspondent.send("12 34")
    assert "Exemple : 06 12 34 56 78" in correspondent.texts()[-2]
    assert "Comment la joindre" in correspondent.last_text
    await correspondent.send("0612345678")
    await correspondent.tap("Valider")
    assert "À quels moments" in correspondent.last_text, "Valider needs at least one choice"
    stale = correspondent.last_keyboard_message().message_id
    await correspondent.tap("Midi")
    await correspondent.tap("Valider")
    await correspondent.tap_data("rep:kind:=violence", message_id=stale)
    assert correspondent.alerts[-1] == "Ce bouton n'est plus valable."
    await correspondent.tap_data("rep:observed:=nonsense")
    assert correspondent.alerts[-1] == "Ce bouton n'est plus valable."
    await correspondent.tap("Isolement")
    await correspondent.tap("Valider")
    await correspondent.tap("Non")
    await correspondent.tap("Médecin")
    await correspondent.tap("Valider")
    await correspondent.send("Y" * 1001)
    assert "Le texte dépasse 1000 caractères" in correspondent.texts()[-2]
    assert "1000 caractères au plus" in correspondent.last_text, "the limit is said before"
    await correspondent.tap("Passer")
    assert correspondent.last_text.startswith("Étape 16/16\nRécapitulatif")
    assert "• Commune : Allonnes" in correspondent.last_text
    assert cases(intake) == []


async def test_a_half_filled_form_survives_a_restart(intake: RelaisUnderTest) -> None:
    gendarme = await member(intake, "Adjudant Morel", Role.GENDARMERIE)
    await gendarme.send("/signaler")
    await gendarme.tap(VIOLENCE)
    await gendarme.tap("Non")
    await gendarme.send("Léa")

    await intake.restart()

    await gendarme.send("1")
    assert "Combien d'enfants" in gendarme.last_text
    await gendarme.tap("← Retour")
    assert "Combien d'adultes" in gendarme.last_text


async def test_a_double_tap_on_send_files_one_case(intake: RelaisUnderTest) -> None:
    await member(intake, "Inès", Role.WORKER)
    correspondent = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(correspondent)
    review = correspondent.last_keyboard_message().message_id
    first = intake.fake.tap(correspondent.user, review, label="Envoyer")
    second = intake.fake.tap(correspondent.user, review, label="Envoyer")
    await intake.settle(max(first, second))
    assert len(cases(intake)) == 1
    assert correspondent.alerts[-1] == "Ce bouton n'est plus valable."


async def test_two_workers_tap_je_prends_together_and_exactly_one_gets_the_case(
    intake: RelaisUnderTest,
) -> None:
    ines, paul = (
        await member(intake, "Inès", Role.WORKER),
        await member(intake, "Paul", Role.WORKER),
    )
    correspondent = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(correspondent)
    await correspondent.tap("Envoyer")
    [case] = cases(intake)

    ines_tap = intake.fake.tap(
        ines.user, ines.last_keyboard_message().message_id, label="Je prends"
    )
    paul_tap = intake.fake.tap(
        paul.user, paul.last_keyboard_message().message_id, label="Je prends"
    )
    await intake.settle(max(ines_tap, paul_tap))

    [taken] = cases(intake)
    assert taken.assigned_worker_id is not None
    assert paul.alerts[-1] == f"Trop tard : Inès a déjà pris le dossier {case.reference}."
    for person in (ines, paul):
        assert person.bot_messages()[-1].text.endswith("Pris en charge par Inès.")
        assert person.buttons() == ["Voir"]
    assert intake.fake.last_bot_message(intake.team_chat.id).text.endswith(
        "Pris en charge par Inès."
    )
    assert correspondent.last_text == (
        f"Votre signalement {case.reference} a été pris en charge par un travailleur social de Montjoie."
    )
    with session_scope(intake.app.engine) as session:
        kinds = [event.kind for event in session.exec(select(CaseEvent).order_by(CaseEvent.id))]
    assert kinds == ["created", "taken"]


async def test_voir_sends_the_details_privately_and_only_to_workers(
    intake: RelaisUnderTest,
) -> None:
    worker = await member(intake, "Inès", Role.WORKER)
    correspondent = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(correspondent)
    await correspondent.tap("Envoyer")

    group_alert = intake.fake.last_bot_message(intake.team_chat.id)
    intake.fake.add_member(intake.team_chat, worker.user)
    await intake.settle(
        intake.fake.tap(worker.user, group_alert.message_id, label="Voir", chat=intake.team_chat)
    )
    assert worker.alerts[-1] == "Détails envoyés en message privé."
    assert "• Personne : M. D." in worker.last_text
    assert "• Contact : +33 6 12 34 56 78" in worker.last_text
    assert "• Remarque : Voisins inquiets depuis l'été." in worker.last_text

    intake.fake.add_member(intake.team_chat, correspondent.user)
    await intake.settle(
        intake.fake.tap(
            correspondent.user, group_alert.message_id, label="Voir", chat=intake.team_chat
        )
    )
    assert correspondent.alerts[-1] == "Ce bouton n'est pas (ou plus) disponible pour vous."


async def test_a_case_nobody_takes_is_escalated_to_workers_and_admins(
    intake: RelaisUnderTest,
) -> None:
    worker = await member(intake, "Inès", Role.WORKER)
    admin = await member(intake, "Nadia", Role.ADMIN)
    correspondent = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(correspondent)
    await correspondent.tap("Envoyer")
    [case] = cases(intake)

    start = utcnow()
    intake.app.clock = lambda: start + timedelta(hours=3, minutes=59)
    await intake.run_job("reminders")
    assert worker.last_text.startswith("Nouveau signalement")

    intake.app.clock = lambda: start + timedelta(hours=4, minutes=1)
    await intake.run_job("reminders")
    assert worker.last_text.startswith(
        "Relance : ce signalement attend toujours d'être pris en charge."
    )
    assert (
        admin.last_text
        == f"Le signalement {case.reference} n'a toujours pas été pris en charge. Les travailleurs sociaux ont été relancés."
    )

    await intake.restart()
    intake.app.clock = lambda: start + timedelta(hours=9)
    await intake.run_job("reminders")
    assert len(admin.texts()) == 2, "escalated once, even after a restart"

    await worker.tap("Je prends")
    assert all(
        message.text.endswith("Pris en charge par Inès.") for message in worker.bot_messages()[-2:]
    )


async def test_an_urgent_case_is_escalated_after_thirty_minutes(intake: RelaisUnderTest) -> None:
    worker = await member(intake, "Inès", Role.WORKER)
    gendarme = await member(intake, "Adjudant Morel", Role.GENDARMERIE)
    await report_a_violence_victim_in_danger(gendarme)

    intake.app.clock = lambda: utcnow() + timedelta(minutes=31)
    await intake.run_job("reminders")
    assert worker.last_text.startswith("Relance")


async def test_an_idle_draft_is_reminded_once_then_discarded_after_a_week(
    intake: RelaisUnderTest,
) -> None:
    correspondent = await member(intake, "Karim", Role.CORRESPONDENT)
    await correspondent.send("/signaler")
    await correspondent.tap(ADDICTION)

    start = utcnow()
    intake.app.clock = lambda: start + timedelta(hours=25)
    await intake.run_job("drafts")
    assert correspondent.last_text.startswith("Vous avez un signalement commencé")
    await intake.run_job("drafts")
    assert (
        len(
            [t for t in correspondent.texts() if t.startswith("Vous avez un signalement commencé")]
        )
        == 1
    )

    await correspondent.tap("Reprendre")
    assert "danger immédiat" in correspondent.last_text

    with session_scope(intake.app.engine) as session:
        draft = session.exec(select(ReportDraft)).one()
        draft.updated_at = start - timedelta(days=8)
    await intake.run_job("drafts")
    assert correspondent.last_text.startswith(
        "Votre signalement inachevé a été supprimé après 7 jours"
    )
    assert table_rows(intake, "report_draft") == 0
    await correspondent.tap("Non")
    assert (
        correspondent.texts()[-1].startswith("Ce signalement n'est plus en cours")
        or correspondent.alerts[-1] == "Ce signalement n'est plus en cours."
    )


async def test_the_referrer_follows_their_own_reports(intake: RelaisUnderTest) -> None:
    worker = await member(intake, "Inès", Role.WORKER)
    karim, lea = (
        await member(intake, "Karim", Role.CORRESPONDENT),
        await member(intake, "Léa", Role.CORRESPONDENT),
    )
    await karim.send("/mes_signalements")
    assert karim.last_text.startswith("Vous n'avez encore fait aucun signalement.")
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    [case] = cases(intake)

    await karim.send("/mes_signalements")
    assert f"{case.reference} — " in karim.last_text
    assert karim.last_text.endswith("reçu, en attente de prise en charge")
    await worker.tap("Je prends")
    await karim.send("/my_reports")
    assert karim.last_text.endswith("pris en charge par Montjoie")
    await lea.send("/mes_signalements")
    assert case.reference not in lea.last_text


@pytest.mark.parametrize("role", [Role.BENEFICIARY, Role.LANDLORD_REFERENT])
async def test_who_may_not_report_is_refused(intake: RelaisUnderTest, role: Role) -> None:
    person = await member(intake, "Sam", role)
    await person.send("/signaler")
    assert person.last_text.startswith("Cette action n'est pas ouverte à votre rôle.")
    assert table_rows(intake, "report_draft") == 0


async def test_a_stranger_cannot_report(intake: RelaisUnderTest) -> None:
    stranger = intake.person("Inconnu")
    await stranger.send("/signaler")
    assert "demandez un lien d'invitation" in stranger.last_text
    await stranger.tap_data("rep:kind:=violence")
    assert stranger.alerts[-1].startswith("Bonjour ! Relais est réservé")
    assert table_rows(intake, "report_draft") == 0


def tap(*labels: str) -> list[tuple[str, str]]:
    return [("tap", label) for label in labels]


def typed(text: str) -> list[tuple[str, str]]:
    return [("send", text)]


# The longest path (15 questions) and the shortest (6), answered as a correspondent would.
LONGEST_WALK = [
    tap(ADDICTION), tap("Non"), typed("M. D."), tap("1"), tap("0"),
    tap("Autre résidence / hors liste"), typed("Allonnes"), tap("Non"), tap("Oui"),
    typed("06 12 34 56 78"), tap("Midi", "Valider"), tap("Troubles du voisinage", "Valider"),
    tap("Je ne sais pas"), tap("Aucun", "Valider"), typed("Voisins inquiets."),
]  # fmt: skip
SHORTEST_WALK = [
    tap(ADDICTION), tap("Oui"), typed("M. D."), tap("Les Glonnières"), tap("Oui"),
    tap("Seulement par moi"),
]  # fmt: skip
VIOLENCE_IN_DANGER_WALK = [
    tap(VIOLENCE), tap("Oui"), typed("S. B."), typed("Mamers"), tap("Non"), tap("Pas encore"),
    tap("Seulement par moi"),
]  # fmt: skip
STEP = re.compile(r"Étape (\d+)/(\d+)")


def step_read(person: Person) -> tuple[int, int]:
    """The « Étape k/n » a question (or the review) opens with."""
    found = STEP.fullmatch(person.last_text.splitlines()[0])
    assert found, person.last_text
    return int(found[1]), int(found[2])


@pytest.mark.parametrize(
    ("walk", "expected"),
    [
        (LONGEST_WALK, [(step, 16) for step in range(1, 17)]),
        (SHORTEST_WALK, [(1, 16), (2, 16), (3, 10), (4, 10), (5, 8), (6, 8), (7, 7)]),
        (
            VIOLENCE_IN_DANGER_WALK,
            [(1, 16), (2, 16), (3, 9), (4, 9), (5, 9), (6, 9), (7, 9), (8, 8)],
        ),
    ],
    ids=["longest", "shortest", "violence in danger"],
)
async def test_the_steps_count_up_by_one_and_the_total_never_grows(
    intake: RelaisUnderTest, walk: list[list[tuple[str, str]]], expected: list[tuple[int, int]]
) -> None:
    correspondent = await member(intake, "Karim", Role.CORRESPONDENT)
    await correspondent.send("/signaler")
    reads = [step_read(correspondent)]
    for answer in walk:
        for verb, text in answer:
            await (correspondent.tap(text) if verb == "tap" else correspondent.send(text))
        reads.append(step_read(correspondent))

    assert reads == expected
    steps, totals = [step for step, _ in reads], [total for _, total in reads]
    assert steps == list(range(1, len(reads) + 1)), "one step at a time"
    assert all(later <= earlier for earlier, later in itertools.pairwise(totals)), totals
    assert reads[-1] == (len(reads), len(reads)), "the last step reads n/n"
    assert correspondent.last_text.splitlines()[1] == "Récapitulatif — vérifiez avant d'envoyer :"
