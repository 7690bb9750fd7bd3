"""Reminders reach people at the right local time, in their safe hours, and never silently fail."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from domain.programme import DEFAULT_FILE as DEFAULT_PROGRAMME
from domain.vocabulary import AppointmentKind, ReminderKind, ReminderStatus, Role
from storage.appointments import schedule
from storage.database import session_scope
from storage.models import Member, Reminder
from tests.harness import Person, RelaisUnderTest
from tests.stories import answer_addiction_report, cases, member
from tests.test_beneficiary import a_violence_case, invitation_link, token_of
from tests.test_case_follow_up import open_card

PARIS = ZoneInfo("Europe/Paris")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


class Story:
    """A taken case whose person agreed to reminders, ready for appointments."""

    def __init__(
        self, intake: RelaisUnderTest, worker: Person, person: Person, case_id: int
    ) -> None:
        self.intake, self.worker, self.person, self.case_id = intake, worker, person, case_id

    def appointment(
        self, starts_at: datetime, attendees: tuple[str, ...] = ("beneficiary", "worker")
    ) -> int:
        app = self.intake.app
        worker = _member(app.engine, self.worker.id)
        appointment = schedule(
            app.engine, self.case_id, worker, kind=AppointmentKind.FOLLOW_UP, starts_at=starts_at,
            place="Locaux", attendees=list(attendees), now=app.now(), planner=app.planner,
        )  # fmt: skip
        return appointment.id

    async def at(self, moment: datetime) -> None:
        """Move the bot's clock to `moment` and let the dispatcher run."""
        self.intake.app.clock = lambda: moment
        await self.intake.run_job("reminders")


def _member(engine, telegram_id: int) -> Member:
    with session_scope(engine) as session:
        return session.exec(select(Member).where(Member.telegram_id == telegram_id)).one()


async def a_story(
    intake: RelaisUnderTest, now: datetime, *, hours: str = "À tout moment (9 h – 20 h)"
) -> Story:
    """Inès takes an addiction case; its person agrees to reminders through the real flow."""
    intake.app.clock = lambda: now
    worker = await member(intake, "Inès", Role.WORKER)
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    await worker.tap("Je prends")
    [case] = cases(intake)
    person = intake.person("Sophie")
    await person.send(f"/start {token_of(await invitation_link(worker, case.reference))}")
    await person.tap("J'accepte")
    await person.tap("Français")
    await person.tap(hours)
    await person.tap("Non")
    return Story(intake, worker, person, case.id)


def received(person: Person) -> list[str]:
    """The reminders the person got (their chat also holds the enrollment messages)."""
    return [text for text in person.texts() if text.startswith("Rappel")]


def reminders(intake: RelaisUnderTest) -> list[Reminder]:
    with session_scope(intake.app.engine) as session:
        return list(session.exec(select(Reminder).order_by(Reminder.id)))


async def test_the_person_is_reminded_the_evening_before_and_two_hours_before(
    intake: RelaisUnderTest,
) -> None:
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    story.appointment(at(2026, 12, 1, 14, 0))

    await story.at(at(2026, 11, 30, 17, 59))
    assert received(story.person) == []
    await story.at(at(2026, 11, 30, 18, 0))
    assert received(story.person) == ["Rappel : rendez-vous le 1 décembre 2026 à 14:00."]
    assert story.person.buttons() == ["Je viens", "Je ne peux pas venir"]
    reminder = story.person.bot_messages()[-1]
    assert reminder.protect_content
    await story.at(at(2026, 12, 1, 12, 0))
    assert len(received(story.person)) == 2
    assert {r.status for r in reminders(intake) if r.appointment_id} == {ReminderStatus.SENT}


async def test_the_evening_before_a_monday_after_the_spring_clock_change_is_still_18h(
    intake: RelaisUnderTest,
) -> None:
    story = await a_story(intake, at(2027, 3, 24, 10, 0))
    story.appointment(at(2027, 3, 29, 10, 0))
    eve = next(r for r in reminders(intake) if r.kind == ReminderKind.APPOINTMENT_EVE)
    assert eve.due_at == at(2027, 3, 28, 18, 0)
    assert eve.due_at.utcoffset() == timedelta(0)
    assert eve.due_at.hour == 16, "18:00 summer time is 16:00 UTC"
    await story.at(at(2027, 3, 28, 17, 59))
    assert received(story.person) == []
    await story.at(at(2027, 3, 28, 18, 0))
    assert received(story.person) == ["Rappel : rendez-vous le 29 mars 2027 à 10:00."]


async def test_safe_hours_move_the_send_but_never_past_its_allowance(
    intake: RelaisUnderTest,
) -> None:
    story = await a_story(intake, at(2026, 11, 25, 10, 0), hours="9 h – 12 h")
    story.appointment(at(2026, 12, 1, 10, 30))  # a morning appointment
    due = {r.kind: r.due_at for r in reminders(intake)}
    assert due[ReminderKind.APPOINTMENT_SOON] == at(2026, 12, 1, 9, 0), (
        "8:30 is before the person's 9:00"
    )
    assert ReminderKind.APPOINTMENT_EVE not in due, (
        "18:00 is outside 9–12, and 9:00 the next morning would be 15 h late"
    )
    await story.at(at(2026, 11, 30, 18, 0))
    await story.at(at(2026, 12, 1, 8, 59))
    assert received(story.person) == []
    await story.at(at(2026, 12, 1, 9, 0))
    assert received(story.person) == ["Rappel : rendez-vous le 1 décembre 2026 à 10:30."], (
        "one message, not the evening's and the morning's together"
    )


async def test_a_reminder_held_through_the_night_is_late_from_when_it_was_owed(
    intake: RelaisUnderTest,
) -> None:
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    story.appointment(at(2026, 12, 1, 14, 0))
    await story.at(at(2026, 11, 30, 22, 0))  # the bot was down from 17:00 until 22:00
    eve = next(r for r in reminders(intake) if r.kind == ReminderKind.APPOINTMENT_EVE)
    assert (eve.status, eve.last_error) == (ReminderStatus.SKIPPED, "too_late"), (
        "held until 09:00 it would be 15 h late: past the evening reminder's 12 h"
    )
    reference = cases(intake)[0].reference
    assert story.worker.last_text == (
        f"Dossier {reference} : le rappel de la veille du rendez-vous suivi du 1 décembre 2026"
        " à 14:00 n'a pas pu être envoyé à la personne (trop tard : le bot était arrêté ou"
        " Telegram injoignable)."
    )
    await story.at(at(2026, 12, 1, 9, 0))
    assert received(story.person) == []
    await story.at(at(2026, 12, 1, 12, 0))
    assert received(story.person) == ["Rappel : rendez-vous le 1 décembre 2026 à 14:00."]


async def test_a_reminder_moved_into_the_morning_is_late_from_the_evening_it_was_owed(
    intake: RelaisUnderTest, tmp_path: Path
) -> None:
    # A programme whose evening reminder is at 22:00, in the quiet hours: moved to 09:00, 11 h
    # later, within its 12 h.
    await with_programme(
        intake, tmp_path, "appointment_eve_hour = 18 ", "appointment_eve_hour = 22 "
    )
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    story.appointment(at(2026, 12, 1, 14, 0))
    eve = next(r for r in reminders(intake) if r.kind == ReminderKind.APPOINTMENT_EVE)
    assert (eve.original_due_at, eve.due_at) == (at(2026, 11, 30, 22, 0), at(2026, 12, 1, 9, 0))
    await story.at(at(2026, 12, 1, 10, 30))  # the bot was down from 8:00 until 10:30
    eve = next(r for r in reminders(intake) if r.kind == ReminderKind.APPOINTMENT_EVE)
    assert eve.status is ReminderStatus.SKIPPED, "12 h 30 after 22:00, however late after 9:00"
    assert received(story.person) == []


async def with_programme(intake: RelaisUnderTest, folder: Path, line: str, changed: str) -> None:
    """Restart the bot on the default programme with one line of it changed."""
    programme = folder / "programme.toml"
    default = DEFAULT_PROGRAMME.read_text(encoding="utf-8")
    assert line in default
    programme.write_text(default.replace(line, changed), encoding="utf-8")
    intake.settings = intake.settings.model_copy(update={"programme_file": programme})
    await intake.restart()


async def test_two_reminders_owed_together_are_sent_as_one_message(
    intake: RelaisUnderTest, tmp_path: Path
) -> None:
    # A programme whose second reminder comes a day before: for an appointment at 18:00, it
    # is owed with the evening-before one.
    await with_programme(
        intake, tmp_path, "appointment_soon_hours = 2 ", "appointment_soon_hours = 24 "
    )
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    story.appointment(at(2026, 12, 1, 18, 0))
    await story.at(at(2026, 11, 30, 18, 0))
    await story.at(at(2026, 11, 30, 18, 1))

    assert received(story.person) == ["Rappel : rendez-vous le 1 décembre 2026 à 18:00."]
    kinds = {r.kind: r for r in reminders(intake) if r.appointment_id}
    soon, eve = kinds[ReminderKind.APPOINTMENT_SOON], kinds[ReminderKind.APPOINTMENT_EVE]
    assert soon.status is ReminderStatus.SENT
    assert (eve.status, eve.last_error) == (ReminderStatus.CANCELLED, "merged")
    [row] = story.person.last_keyboard_message().reply_markup["inline_keyboard"]
    assert [button["callback_data"] for button in row] == [
        f"rm:yes:{soon.id}",
        f"rm:no:{soon.id}",
    ], "the later reminder's buttons"
    await open_card(story.worker, cases(intake)[0].reference)
    assert (
        "⏰ rappel de la veille, 30 novembre 2026 à 18:00 — annulé (regroupé avec le rappel suivant)"
        in story.worker.last_text
    )


async def test_moving_or_cancelling_the_appointment_moves_or_cancels_its_reminders(
    intake: RelaisUnderTest,
) -> None:
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    appointment = story.appointment(at(2026, 12, 1, 14, 0))
    await story.worker.send("/dossiers")
    await story.worker.tap(
        next(label for label in story.worker.buttons() if label.startswith("R-"))
    )
    await story.worker.tap("Rendez-vous")
    await story.worker.tap("Déplacer")
    await story.worker.send("3/12 10h")
    eve = next(r for r in reminders(intake) if r.kind == ReminderKind.APPOINTMENT_EVE)
    assert (eve.appointment_id, eve.due_at) == (appointment, at(2026, 12, 2, 18, 0))

    await story.worker.tap("Rendez-vous")
    await story.worker.tap("Annuler")
    await story.worker.tap("plus nécessaire")
    assert {r.status for r in reminders(intake) if r.appointment_id} == {ReminderStatus.CANCELLED}
    await story.at(at(2026, 12, 3, 9, 0))
    assert received(story.person) == []


async def test_je_ne_peux_pas_venir_tells_the_worker_at_once(intake: RelaisUnderTest) -> None:
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    story.appointment(at(2026, 12, 1, 14, 0))
    await story.at(at(2026, 11, 30, 18, 0))
    await story.person.tap("Je ne peux pas venir")
    assert story.person.alerts[-1] == "Merci, c'est noté."
    assert story.worker.last_text.endswith(
        "la personne ne pourra pas venir au rendez-vous du 1 décembre 2026 à 14:00."
    )


async def test_once_the_person_cannot_come_nothing_more_is_sent_until_the_worker_moves_it(
    intake: RelaisUnderTest,
) -> None:
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    story.appointment(at(2026, 12, 1, 14, 0))
    await story.at(at(2026, 11, 30, 18, 0))
    eve = next(r for r in reminders(intake) if r.kind == ReminderKind.APPOINTMENT_EVE)
    await story.person.tap("Je ne peux pas venir")
    await story.person.tap_data(f"rm:no:{eve.id}")  # again, as a second device would
    told = "la personne ne pourra pas venir au rendez-vous du 1 décembre 2026 à 14:00."
    assert [text for text in story.worker.texts() if text.endswith(told)] == [
        f"Dossier {cases(intake)[0].reference} : {told}"
    ], "told once"
    # The same safe hours again, on the enrollment's message: every reminder is re-planned.
    [choices] = [m for m in story.person.bot_messages() if m.text.startswith("C'est prêt.")]
    await story.person.tap_data("bf:h:540:1200", message_id=choices.message_id)
    soon = next(r for r in reminders(intake) if r.kind == ReminderKind.APPOINTMENT_SOON)
    assert (soon.status, soon.last_error) == (ReminderStatus.CANCELLED, "cannot_come")

    reference = cases(intake)[0].reference
    await story.at(at(2026, 12, 1, 8, 0))
    assert story.worker.last_text == (
        f"Vos rendez-vous du jour :\n• 14:00 — {reference} — suivi — Locaux"
        " — la personne ne peut pas venir"
    )
    await story.at(at(2026, 12, 1, 12, 0))
    assert received(story.person) == ["Rappel : rendez-vous le 1 décembre 2026 à 14:00."], (
        "the evening's only: the 2-hours-before one is not sent"
    )
    await open_card(story.worker, reference)
    card = story.worker.last_text
    assert "⚠ Rendez-vous suivi du 1 décembre 2026 à 14:00 : la personne ne peut pas venir" in card
    assert (
        "⏰ rappel 2 h avant, 1 décembre 2026 à 12:00 — annulé (la personne ne peut pas venir)"
        in card
    )
    assert "la personne ne peut pas venir au rendez-vous du 1 décembre 2026 à 14:00" in card

    await story.worker.tap("Rendez-vous")
    await story.worker.tap("Déplacer")
    await story.worker.send("3/12 10h")
    card = story.worker.last_text
    assert "⚠ Rendez-vous" not in card, "moved: the mark is cleared"
    assert "⏰ rappel 2 h avant, 3 décembre 2026 à 09:00 — prévu" in card, "8:00, safe from 9:00"
    await story.at(at(2026, 12, 3, 9, 0))
    assert received(story.person)[-1] == "Rappel : rendez-vous le 3 décembre 2026 à 10:00."


async def test_an_answer_to_the_reminder_of_a_moved_appointment_is_not_taken_for_the_new_time(
    intake: RelaisUnderTest,
) -> None:
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    story.appointment(at(2026, 12, 1, 14, 0))
    await story.at(at(2026, 11, 30, 18, 0))
    reminder_message = story.person.last_keyboard_message().message_id
    await open_card(story.worker, cases(intake)[0].reference)
    await story.worker.tap("Rendez-vous")
    await story.worker.tap("Déplacer")
    await story.worker.send("3/12 10h")
    await story.person.tap("Je ne peux pas venir", message_id=reminder_message)
    assert story.person.alerts[-1] == (
        "Ce rendez-vous a changé depuis ce rappel : votre réponse n'est pas enregistrée."
    )
    assert not any("ne pourra pas venir" in text for text in story.worker.texts())
    await open_card(story.worker, cases(intake)[0].reference)
    assert "la personne ne peut pas venir" not in story.worker.last_text


async def test_a_person_who_blocked_the_bot_is_failed_at_once_and_the_worker_told(
    intake: RelaisUnderTest,
) -> None:
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    story.appointment(at(2026, 12, 1, 14, 0))
    intake.fake.block(story.person.user)
    await story.at(at(2026, 11, 30, 18, 0))
    eve = next(r for r in reminders(intake) if r.kind == ReminderKind.APPOINTMENT_EVE)
    assert (eve.status, eve.attempts, eve.last_error) == (
        ReminderStatus.FAILED,
        1,
        "blocked",
    )
    reference = cases(intake)[0].reference
    assert story.worker.last_text == (
        f"Dossier {reference} : le rappel de la veille du rendez-vous suivi du 1 décembre 2026"
        " à 14:00 n'a pas pu être envoyé à la personne (la personne a bloqué le bot)."
    )
    await story.at(at(2026, 12, 1, 12, 0))
    assert story.worker.last_text == (
        f"Dossier {reference} : le rappel 2 h avant du rendez-vous suivi du 1 décembre 2026"
        " à 14:00 n'a pas pu être envoyé à la personne (la personne a bloqué le bot)."
    ), "the second notice names the other reminder"


async def test_with_one_call_in_five_failing_every_reminder_is_delivered(
    intake: RelaisUnderTest,
) -> None:
    # A short read timeout, so that a slow Telegram is a timeout within the test.
    intake.settings = intake.settings.model_copy(update={"telegram_timeout_seconds": 0.5})
    await intake.restart()
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    for day in range(1, 11):
        story.appointment(at(2026, 12, day, 14, 0))
    for kind in ("500", "502", "429", "timeout"):  # 4 faults for 20 reminders
        intake.fake.inject_fault(
            "sendMessage", kind, chat_id=story.person.id, retry_after=1, delay=1.0
        )
    for _wake_up in range(200):  # the dispatcher wakes at each due time, retries included
        pending = [r.due_at for r in reminders(intake) if r.status is ReminderStatus.PENDING]
        if not pending:
            break
        await story.at(min(pending))

    for_the_person = [r for r in reminders(intake) if r.appointment_id is not None]
    assert len(for_the_person) == 20
    assert {r.status for r in for_the_person} == {ReminderStatus.SENT}
    assert max(r.attempts for r in for_the_person) > 1, "some were retried"
    texts = set(received(story.person))
    for day in range(1, 11):
        assert f"Rappel : rendez-vous le {day} décembre 2026 à 14:00." in texts


async def test_a_reminder_missed_while_the_bot_was_down_is_sent_late_or_skipped_and_the_worker_told(
    intake: RelaisUnderTest,
) -> None:
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    story.appointment(at(2026, 12, 1, 14, 0))
    await intake.stop()
    await intake.start()
    await story.at(at(2026, 12, 1, 12, 30))  # the bot was down from the evening before until now
    assert received(story.person) == ["Rappel : rendez-vous le 1 décembre 2026 à 14:00."], (
        "one reminder, late but useful"
    )
    eve = next(r for r in reminders(intake) if r.kind == ReminderKind.APPOINTMENT_EVE)
    assert eve.status is ReminderStatus.SKIPPED, (
        "the evening reminder is 17 h late: past its grace"
    )
    assert "trop tard" in story.worker.last_text


async def test_workers_get_the_days_digest_at_8(intake: RelaisUnderTest) -> None:
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    story.appointment(at(2026, 12, 1, 14, 0))
    story.appointment(at(2026, 12, 1, 9, 30))
    await story.at(at(2026, 12, 1, 7, 59))
    assert not story.worker.last_text.startswith("Vos rendez-vous du jour")
    await story.at(at(2026, 12, 1, 8, 0))
    reference = cases(intake)[0].reference
    assert story.worker.last_text == (
        f"Vos rendez-vous du jour :\n• 09:30 — {reference} — suivi — Locaux\n• 14:00 — {reference} — suivi — Locaux"
    )


async def test_the_case_card_shows_whether_the_person_was_reminded(
    intake: RelaisUnderTest,
) -> None:
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    story.appointment(at(2026, 12, 1, 14, 0))
    intake.fake.block(story.person.user)
    await story.at(at(2026, 11, 30, 18, 0))
    await story.worker.send("/dossiers")
    await story.worker.tap(
        next(label for label in story.worker.buttons() if label.startswith("R-"))
    )
    card = story.worker.last_text
    assert (
        "⏰ rappel de la veille, 30 novembre 2026 à 18:00 — échoué (la personne a bloqué le bot)"
        in card
    )
    assert "⏰ rappel 2 h avant, 1 décembre 2026 à 12:00 — prévu" in card


async def test_the_worker_is_told_14_days_and_1_day_before_a_phase_reaches_its_maximum(
    intake: RelaisUnderTest,
) -> None:
    start = at(2026, 11, 25, 10, 0)
    story = await a_story(intake, start)
    worker = story.worker
    await worker.send("/dossiers")
    await worker.tap(next(label for label in worker.buttons() if label.startswith("R-")))
    for step in ("→ diagnostic", "→ en commission"):
        await worker.tap(step)
        await worker.tap("Confirmer")
    await worker.tap("→ accepté")
    await worker.tap("intensité légère")
    await worker.tap("→ contrat signé")
    await worker.tap("Aujourd'hui")
    await worker.tap("Oui, le contrat est signé")
    await worker.tap("→ accompagnement en cours")
    await worker.tap("Confirmer")  # urgence: at most 90 days
    reference = cases(intake)[0].reference

    await story.at(start + timedelta(days=75, minutes=-1))
    assert "atteint sa durée maximale" not in worker.last_text
    await story.at(start + timedelta(days=76))
    assert (
        worker.last_text
        == f"Dossier {reference} : la phase urgence atteint sa durée maximale dans 14 jours."
    )
    await story.at(start + timedelta(days=89))
    assert (
        worker.last_text
        == f"Dossier {reference} : la phase urgence atteint sa durée maximale dans 1 jour."
    )


async def test_a_case_without_news_for_30_days_is_pointed_out_once(
    intake: RelaisUnderTest,
) -> None:
    start = at(2026, 11, 25, 10, 0)
    story = await a_story(intake, start)
    reference = cases(intake)[0].reference
    intake.app.clock = lambda: start + timedelta(days=31)
    await intake.run_job("periodic_reminders")
    await intake.run_job("periodic_reminders")
    await story.at(start + timedelta(days=31))
    assert (
        story.worker.texts().count(f"Dossier {reference} : aucun événement depuis 30 jours.") == 1
    )


async def test_the_quarterly_review_is_announced_a_week_before_with_the_review_pack(
    intake: RelaisUnderTest,
) -> None:
    story = await a_story(intake, at(2027, 1, 1, 10, 0))
    referent = await member(intake, "Hélène", Role.LANDLORD_REFERENT)
    reference = cases(intake)[0].reference
    intake.app.clock = lambda: at(2027, 1, 8, 9, 0)
    await intake.run_job("periodic_reminders")
    await story.at(at(2027, 1, 8, 9, 0))
    for person in (story.worker, referent):
        message, document = person.bot_messages()[-2:]
        assert message.text.startswith(
            "Revue trimestrielle du 15 janv. 2027.\nDossiers ouverts : 1."
        )
        assert document.kind == "document"
        assert f"{reference} — addiction — reçu\n" in document.photo.decode("utf-8")
    # The test of the pack itself: tests/test_review_pack.py.
    review = [r for r in reminders(intake) if r.kind == ReminderKind.QUARTERLY_REVIEW]
    assert [r.status for r in review] == [ReminderStatus.SENT] * 2


@pytest.mark.parametrize(("language", "button"), [("fr", "Français"), ("en", "English")])
async def test_a_violence_victims_reminders_are_discreet_in_french_and_english(
    intake: RelaisUnderTest, language: str, button: str
) -> None:
    intake.app.clock = lambda: at(2026, 11, 25, 10, 0)
    worker, case_id = await a_violence_case(intake)
    [case] = cases(intake)
    person = intake.person("Sam", language_code=language)
    await person.send(f"/start {token_of(await invitation_link(worker, case.reference))}")
    await person.tap("J'accepte" if language == "fr" else "I agree")
    await person.tap(button)
    await person.tap(person.buttons()[-1])  # any time, 9:00 to 20:00
    await person.tap(person.buttons()[0])
    story = Story(intake, worker, person, case_id)
    story.appointment(at(2026, 12, 1, 14, 0))
    await story.at(at(2026, 11, 30, 18, 0))
    await story.at(at(2026, 12, 1, 12, 0))

    reminders_sent = [
        m
        for m in person.bot_messages()
        if any(b["callback_data"].startswith("rm:") for b in m.buttons)
    ]
    assert len(reminders_sent) == 2
    assert all(m.disable_notification and m.protect_content for m in reminders_sent)
    for message in person.bot_messages():
        for word in ("montjoie", "violence", "addiction", "sarthe habitat", "association", "R-20"):
            assert word.lower() not in message.text.lower(), (word, message.text)


async def test_a_worker_who_blocked_the_bot_does_not_stop_the_person_saying_they_cannot_come(
    intake: RelaisUnderTest,
) -> None:
    failures: list[BaseException] = []

    async def record(_update: object, context) -> None:
        failures.append(context.error)

    intake.app.add_error_handler(record)
    story = await a_story(intake, at(2026, 11, 25, 10, 0))
    story.appointment(at(2026, 12, 1, 14, 0))
    await story.at(at(2026, 11, 30, 18, 0))
    intake.fake.block(story.worker.user)

    await story.person.tap("Je ne peux pas venir")

    assert failures == [], "the worker's notice is not delivered, and nothing breaks"
    assert story.person.alerts[-1] == "Merci, c'est noté."
    soon = next(r for r in reminders(intake) if r.kind == ReminderKind.APPOINTMENT_SOON)
    assert (soon.status, soon.last_error) == (ReminderStatus.CANCELLED, "cannot_come")
