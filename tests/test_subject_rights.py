"""A person's rights and a member's departure, answered by an admin in the chat:
/exporter (a copy of everything about the person), /anonymiser (their erasure),
/desactiver (a member leaves, their cases stay with a colleague)."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from domain.statuses import IllegalTransition
from domain.vocabulary import AppointmentKind, ReminderKind, Role
from storage.appointments import schedule
from storage.audit import verify_chain
from storage.case_flow import reopen_case
from storage.database import session_scope
from storage.members import find_member
from storage.models import AuditEntry, Case, CaseEvent, Reminder
from tests.harness import Person, RelaisUnderTest
from tests.stories import cases, member, report_a_violence_victim_in_danger
from tests.test_beneficiary import a_violence_case, enrolled_person
from tests.test_case_follow_up import move, open_card
from tests.test_retention import STRANGER, the_case

PARIS = ZoneInfo("Europe/Paris")
USAGE = "Donnez la référence d'un dossier, par exemple : /{} R-2026-0042"


def audit_actions(relais: RelaisUnderTest, case_id: int) -> list[str]:
    with session_scope(relais.app.engine) as session:
        return list(session.exec(select(AuditEntry.action).where(AuditEntry.case_id == case_id)))


async def a_followed_person(intake: RelaisUnderTest) -> tuple[Person, Person, Case]:
    ines, case_id = await a_violence_case(intake)
    case = the_case(intake, case_id)
    sam = await enrolled_person(intake, ines, case.reference)
    await open_card(ines, case.reference)
    await ines.tap("Ajouter une note")
    await ines.send("Premier contact au domicile, tout va bien.")
    return ines, sam, case


async def test_an_admin_exports_everything_about_the_person_of_a_case(
    intake: RelaisUnderTest,
) -> None:
    _ines, _sam, case = await a_followed_person(intake)
    claire = await member(intake, "Claire", Role.ADMIN)

    await claire.send(f"/exporter {case.reference.lower()}")
    document = claire.bot_messages()[-1]
    assert document.kind == "document"
    assert document.media["file_name"] == f"relais-{case.reference}.json"
    assert document.protect_content, "the copy cannot be forwarded from the chat"
    exported = json.loads(document.photo)
    assert exported["case"]["reference"] == case.reference
    assert exported["case"]["answers"]["who"] == "S. B."
    assert [note["text"] for note in exported["notes"]] == [
        "Premier contact au domicile, tout va bien."
    ]
    [person] = exported["person"]
    assert person["name"] == "Sam"
    assert person["safe_hours"] == [14 * 60, 18 * 60]
    assert "consent_given" in [event["what"] for event in exported["timeline"]]
    assert {"action": "case.viewed", "by": "worker"}.items() <= exported["audit"][-1].items()
    assert "case.exported" in audit_actions(intake, case.id)

    await claire.send("/exporter")
    assert claire.last_text == USAGE.format("exporter")
    await claire.send("/export R-1999-0001")
    assert claire.last_text == USAGE.format("exporter")


async def test_an_erasure_request_waits_for_the_end_of_the_support_then_leaves_the_figures(
    intake: RelaisUnderTest,
) -> None:
    ines, sam, case = await a_followed_person(intake)
    claire = await member(intake, "Claire", Role.ADMIN)

    await claire.send(f"/anonymiser {case.reference}")
    assert "est en cours : clôturez-le d'abord" in claire.last_text
    await open_card(ines, case.reference)
    await move(ines, "clos", reason="arrêt par la personne")

    await claire.send(f"/anonymiser {case.reference}")
    await claire.tap("Annuler")
    assert claire.last_text == "Abandonné : rien n'a changé."
    assert the_case(intake, case.id).anonymised_at is None

    await claire.send(f"/anonymiser {case.reference}")
    assert "C'est définitif." in claire.last_text
    await claire.tap("Effacer définitivement")
    assert claire.last_text.startswith("C'est fait : les données personnelles du dossier")
    erased = the_case(intake, case.id)
    assert erased.anonymised_at is not None
    assert "who" not in erased.answers
    assert erased.kind.value == "violence"
    assert "case.anonymised" in audit_actions(intake, case.id)
    with session_scope(intake.app.engine) as session:
        by = session.exec(
            select(AuditEntry.member_id).where(
                AuditEntry.case_id == case.id, AuditEntry.action == "case.anonymised"
            )
        ).one()
    assert by == find_member(intake.app.engine, claire.id).id, "the audit names who erased"
    assert verify_chain(intake.app.engine) is None

    await claire.send(f"/exporter {case.reference}")
    exported = json.loads(claire.bot_messages()[-1].photo)
    assert exported["notes"] == []
    assert exported["person"][0]["name"] == "—"
    await claire.send(f"/anonymiser {case.reference}")
    assert "sont déjà effacées" in claire.last_text
    admin = find_member(intake.app.engine, claire.id)
    with pytest.raises(IllegalTransition):  # an erased case stays closed
        reopen_case(intake.app.engine, case.id, admin, erased.anonymised_at)
    await sam.send("/aide")
    assert sam.last_text.startswith(STRANGER)


async def test_a_worker_who_leaves_hands_their_cases_to_a_colleague_who_is_told(
    intake: RelaisUnderTest,
) -> None:
    ines, case_id = await a_violence_case(intake)
    paul = await member(intake, "Paul", Role.WORKER)
    claire = await member(intake, "Claire", Role.ADMIN)
    app = intake.app
    schedule(app.engine, case_id, find_member(app.engine, ines.id),
             kind=AppointmentKind.FOLLOW_UP, starts_at=app.now() + timedelta(days=3),
             place="Locaux de Montjoie", attendees=["worker"], now=app.now(),
             planner=app.planner)  # fmt: skip

    await claire.send("/desactiver")
    await claire.tap(next(label for label in claire.buttons() if label.startswith("Inès")))
    assert claire.last_text == "Inès suit 1 dossier en cours. Qui le reprend ?"
    assert claire.buttons() == ["Paul"]
    await claire.tap("Paul")
    assert (
        claire.last_text
        == "Accès à Relais fermé pour Inès. Son dossier en cours est confié à Paul."
    )
    reference = the_case(intake, case_id).reference
    assert (
        paul.last_text == f"Inès a quitté Relais : ces dossiers vous sont confiés : {reference}."
    )

    assert the_case(intake, case_id).assigned_worker_id is not None
    await open_card(paul, reference)
    assert "Paul" in paul.last_text
    with session_scope(intake.app.engine) as session:
        kinds = session.exec(select(CaseEvent.kind).where(CaseEvent.case_id == case_id))
        assert "reassigned" in list(kinds)
        assert session.exec(
            select(AuditEntry).where(AuditEntry.action == "member.deactivated")
        ).one()
    await ines.send("/dossiers")
    assert ines.last_text.startswith("Votre accès à Relais a été fermé.")
    digests = {
        reminder.member_id
        for reminder in pending_reminders(intake)
        if reminder.kind is ReminderKind.DAILY_DIGEST
    }
    assert digests == {find_member(app.engine, paul.id).id}, "the day's digest follows the case"


def pending_reminders(relais: RelaisUnderTest) -> list[Reminder]:
    with session_scope(relais.app.engine) as session:
        return list(session.exec(select(Reminder).where(Reminder.status == "pending")))


async def test_a_member_without_cases_leaves_after_a_confirmation(intake: RelaisUnderTest) -> None:
    lea = await member(intake, "Léa", Role.CORRESPONDENT)
    claire = await member(intake, "Claire", Role.ADMIN)
    await claire.send("/desactiver")
    assert not any(label.startswith("Claire") for label in claire.buttons()), "not oneself"
    await claire.tap(next(label for label in claire.buttons() if label.startswith("Léa")))
    assert claire.last_text == "Fermer l'accès à Relais pour Léa ?"
    await claire.tap("Fermer l'accès")
    assert claire.last_text == "Accès à Relais fermé pour Léa."
    await lea.send("/signaler")
    assert lea.last_text.startswith("Votre accès à Relais a été fermé.")


async def test_members_who_left_get_no_alert_no_reminder_and_no_digest(
    intake: RelaisUnderTest,
) -> None:
    now = [datetime(2027, 1, 4, 10, 0, tzinfo=PARIS)]  # a Monday; quarterly review on the 15th
    intake.app.clock = lambda: now[0]
    ines, case_id = await a_violence_case(intake)
    paul = await member(intake, "Paul", Role.WORKER)
    claire = await member(intake, "Claire", Role.ADMIN)
    nadia = await member(intake, "Nadia", Role.ADMIN)
    app = intake.app
    schedule(app.engine, case_id, find_member(app.engine, ines.id),
             kind=AppointmentKind.FOLLOW_UP, starts_at=datetime(2027, 1, 5, 14, 0, tzinfo=PARIS),
             place="Locaux de Montjoie", attendees=["worker"], now=app.now(),
             planner=app.planner)  # fmt: skip
    await claire.send("/desactiver")
    await claire.tap(next(label for label in claire.buttons() if label.startswith("Inès")))
    await claire.tap("Paul")
    await claire.send("/desactiver")
    await claire.tap(next(label for label in claire.buttons() if label.startswith("Nadia")))
    await claire.tap("Fermer l'accès")
    assert claire.last_text == "Accès à Relais fermé pour Nadia."
    heard = {person.id: len(person.bot_messages()) for person in (ines, nadia, paul, claire)}

    def since_then(person: Person) -> list[str]:
        return person.texts()[heard[person.id] :]

    await report_a_violence_victim_in_danger(
        await member(intake, "Adjudant Roux", Role.GENDARMERIE)
    )
    reference = cases(intake)[-1].reference
    assert [text.splitlines()[0] for text in since_then(paul)] == [
        f"URGENT — nouveau signalement {reference}"
    ]

    now[0] += timedelta(minutes=31)  # nobody took it: re-alerted, the admins told
    await intake.run_job("reminders")
    assert since_then(paul)[-1].startswith(
        "Relance : ce signalement attend toujours d'être pris en charge.\n"
        f"URGENT — nouveau signalement {reference}"
    )
    assert since_then(claire) == [
        f"Le signalement {reference} n'a toujours pas été pris en charge. "
        "Les travailleurs sociaux ont été relancés."
    ]

    now[0] = datetime(2027, 1, 5, 8, 0, tzinfo=PARIS)
    await intake.run_job("reminders")
    assert since_then(paul)[-1].startswith("Vos rendez-vous du jour :\n• 14:00 — ")

    now[0] = datetime(2027, 1, 8, 9, 0, tzinfo=PARIS)
    await intake.run_job("periodic_reminders")
    await intake.run_job("reminders")
    message, pack = since_then(paul)[-2:]
    assert message.startswith("Revue trimestrielle du 15 janv. 2027.")
    assert pack.startswith("Revue trimestrielle du 15 janv. 2027 : les dossiers ouverts")

    assert since_then(ines) == [], "no alert, no re-alert, no digest, no review notice"
    assert since_then(nadia) == [], "no escalation notice"
