"""A worker schedules the appointments of a case; times are Paris times, clock changes included."""

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.vocabulary import Role
from tests.harness import Person, RelaisUnderTest
from tests.stories import answer_addiction_report, cases, member
from tests.test_case_follow_up import open_card
from tests.test_reminders import a_story

PARIS = ZoneInfo("Europe/Paris")


async def a_taken_case(intake: RelaisUnderTest) -> tuple[Person, str]:
    worker = await member(intake, "Inès", Role.WORKER)
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    await worker.tap("Je prends")
    [case] = cases(intake)
    return worker, case.reference


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


async def test_a_worker_schedules_a_diagnostic_with_a_typed_french_date(
    intake: RelaisUnderTest,
) -> None:
    intake.app.clock = lambda: at(2026, 11, 25, 18, 0)  # a Wednesday
    worker, reference = await a_taken_case(intake)
    await open_card(worker, reference)
    await worker.tap("Rendez-vous")
    assert "Aucun rendez-vous prévu." in worker.last_text
    await worker.tap("Nouveau rendez-vous")
    await worker.tap("diagnostic")
    await worker.send("mardi 9h")
    await worker.tap("Au domicile de la personne")
    await worker.tap("le référent bailleur")
    await worker.tap("Valider")
    assert worker.last_text == (
        f"Rendez-vous pour {reference} :\ndiagnostic, 1 décembre 2026 à 09:00\n"
        "Au domicile de la personne\nAvec : la personne accompagnée, le travailleur social, le référent bailleur"
    )
    await worker.tap("Enregistrer")
    assert "Prochain rendez-vous : 1 décembre 2026 à 09:00 — diagnostic" in worker.last_text
    assert "Inès : rendez-vous diagnostic fixé au 1 décembre 2026 à 09:00" in worker.last_text

    await worker.send("/rdv")
    assert worker.last_text == (
        f"Vos prochains rendez-vous :\n• {reference} — 1 décembre 2026 à 09:00 — diagnostic — Au domicile de la personne"
    )


async def test_past_unreadable_and_timeless_dates_are_refused_and_asked_again(
    intake: RelaisUnderTest,
) -> None:
    intake.app.clock = lambda: at(2026, 11, 25, 18, 0)
    worker, reference = await a_taken_case(intake)
    await open_card(worker, reference)
    await worker.tap("Rendez-vous")
    await worker.tap("Nouveau rendez-vous")
    await worker.tap("suivi")
    await worker.send("hier 10h")
    assert worker.last_text == "Cette date est passée : choisissez un moment à venir."
    await worker.send("mardi")
    assert worker.last_text == "Il manque l'heure. Exemple : mardi 9h."
    await worker.send("quand tu veux")
    assert worker.last_text.startswith("Je n'ai pas pu lire cette date.")
    await worker.send_media("sticker")
    await worker.send("12/12 14h30")
    assert worker.last_text.startswith("Où ?")
    await worker.send("x" * 121)
    assert worker.last_text.startswith("Il me faut le lieu en texte")
    await worker.send("Centre social des Sablons")
    await worker.tap("✓ le travailleur social")
    await worker.tap("✓ la personne accompagnée")
    await worker.tap("Valider")
    assert worker.alerts[-1] == "Cochez au moins une personne."
    await worker.tap("la personne accompagnée")
    await worker.tap("Valider")
    await worker.tap("Enregistrer")
    assert "Prochain rendez-vous : 12 décembre 2026 à 14:30 — suivi" in worker.last_text


async def test_on_the_spring_clock_change_day_a_skipped_hour_is_refused_and_10h_is_summer_time(
    intake: RelaisUnderTest,
) -> None:
    intake.app.clock = lambda: at(2027, 3, 25, 12, 0)
    worker, reference = await a_taken_case(intake)
    await open_card(worker, reference)
    await worker.tap("Rendez-vous")
    await worker.tap("Nouveau rendez-vous")
    await worker.tap("suivi")
    await worker.send("28/03 2h30")
    assert worker.last_text.startswith("Cette heure n'existe pas ce jour-là")
    await worker.tap("Calendrier…")
    await worker.tap("28")
    assert "02:30" not in worker.buttons()
    await worker.tap("10:00")
    await worker.tap("Locaux de Montjoie")
    await worker.tap("Valider")
    await worker.tap("Enregistrer")
    with intake.app.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT starts_at FROM appointment").scalar_one()
    assert str(stored).startswith("2027-03-28 08:00:00"), "10:00 in Paris that Sunday is 08:00 UTC"
    assert "Prochain rendez-vous : 28 mars 2027 à 10:00 — suivi" in worker.last_text


async def test_an_appointment_is_moved_cancelled_with_a_reason_or_marked_as_held(
    intake: RelaisUnderTest,
) -> None:
    intake.app.clock = lambda: at(2026, 11, 25, 18, 0)
    worker, reference = await a_taken_case(intake)
    await open_card(worker, reference)
    for typed in ("demain 10h", "vendredi 14h"):
        await worker.tap("Rendez-vous")
        await worker.tap("Nouveau rendez-vous")
        await worker.tap("suivi")
        await worker.send(typed)
        await worker.tap("Locaux de Montjoie")
        await worker.tap("Valider")
        await worker.tap("Enregistrer")

    await worker.tap("Rendez-vous")
    assert worker.buttons() == [
        "Déplacer",
        "Annuler",
        "Déplacer",
        "Annuler",
        "Nouveau rendez-vous",
    ]
    await worker.tap_data(
        worker.last_keyboard_message().reply_markup["inline_keyboard"][0][0]["callback_data"]
    )
    await worker.send("lundi 11h")
    assert (
        worker.texts()[-2]
        == "Rendez-vous déplacé : 30 novembre 2026 à 11:00 — suivi — Locaux de Montjoie"
    )

    await worker.tap("Rendez-vous")
    await worker.tap("Annuler")
    await worker.tap("la personne ne peut pas venir")
    assert "annulé (la personne ne peut pas venir)" in worker.last_text

    intake.app.clock = lambda: at(2026, 11, 30, 12, 0)
    await worker.tap("Rendez-vous")
    assert worker.buttons() == ["Tenu", "Manqué", "Nouveau rendez-vous"]
    await worker.tap("Tenu")
    assert "rendez-vous du 30 novembre 2026 à 11:00 tenu" in worker.last_text
    assert "Prochain rendez-vous : —" in worker.last_text


async def test_only_workers_schedule_and_a_forged_appointment_button_changes_nothing(
    intake: RelaisUnderTest,
) -> None:
    intake.app.clock = lambda: at(2026, 11, 25, 18, 0)
    worker, reference = await a_taken_case(intake)
    referent = await member(intake, "Hélène", Role.LANDLORD_REFERENT)
    await open_card(referent, reference)
    assert "Rendez-vous" not in referent.buttons()
    [case] = cases(intake)
    await referent.tap_data(f"ap:new:{case.id}")
    assert referent.alerts[-1] == "Ce bouton n'est pas (ou plus) disponible pour vous."
    stale = "Ce bouton n'est plus valable."  # a button of Relais, on nothing the worker has
    not_ours = "Ce bouton n'est pas (ou plus) disponible pour vous."  # no button of Relais
    for forged, answer in (
        ("ap:x:999", stale),
        (f"ap:xr:{case.id}:77", stale),
        ("ap:h:abc", not_ours),
        ("ap:mv:0", not_ours),
    ):
        await worker.tap_data(forged)
        assert worker.alerts[-1] == answer, forged
    await referent.send("/rdv")
    assert referent.last_text == "Aucun rendez-vous à venir."


async def test_the_worker_is_told_which_reminders_cannot_reach_the_person_in_their_safe_hours(
    intake: RelaisUnderTest,
) -> None:
    story = await a_story(intake, at(2026, 11, 25, 10, 0), hours="9 h – 12 h")
    worker, reference = story.worker, cases(intake)[0].reference
    await open_card(worker, reference)
    await worker.tap("Rendez-vous")
    await worker.tap("Nouveau rendez-vous")
    await worker.tap("suivi")
    await worker.send("1/12 15h")
    await worker.tap("Locaux de Montjoie")
    await worker.tap("Valider")
    assert worker.last_text == (
        f"Rendez-vous pour {reference} :\nsuivi, 1 décembre 2026 à 15:00\nLocaux de Montjoie\n"
        "Avec : la personne accompagnée, le travailleur social\n"
        "⚠ Pas de rappel possible : hors des heures où la personne peut être contactée"
        " (rappel de la veille, rappel 2 h avant)."
    ), "18:00 the evening before and 13:00–15:00 are outside 9–12"
    await worker.tap("Enregistrer")
    assert (
        "⏰ Rendez-vous suivi du 1 décembre 2026 à 15:00 — pas de rappel possible : hors des"
        " heures où la personne peut être contactée (rappel de la veille, rappel 2 h avant)"
    ) in worker.last_text

    await worker.tap("Rendez-vous")
    await worker.tap("Déplacer")
    await worker.send("1/12 10h30")
    assert worker.texts()[-2] == (
        "Rendez-vous déplacé : 1 décembre 2026 à 10:30 — suivi — Locaux de Montjoie\n"
        "⚠ Pas de rappel possible : hors des heures où la personne peut être contactée"
        " (rappel de la veille)."
    ), "9:00, half an hour after 8:30, is within the 2-hours-before reminder's allowance"
    assert (
        "⏰ Rendez-vous suivi du 1 décembre 2026 à 10:30 — pas de rappel possible : hors des"
        " heures où la personne peut être contactée (rappel de la veille)"
    ) in worker.last_text
    assert "⏰ rappel 2 h avant, 1 décembre 2026 à 09:00 — prévu" in worker.last_text

    await worker.tap("Rendez-vous")
    await worker.tap("Nouveau rendez-vous")
    await worker.tap("suivi")
    await worker.send("2/12 15h")
    await worker.tap("Locaux de Montjoie")
    await worker.tap("✓ la personne accompagnée")
    await worker.tap("Valider")
    assert "Pas de rappel possible" not in worker.last_text, "the person does not come"
