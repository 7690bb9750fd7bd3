"""A case belongs to the people on it: its worker moves it, a colleague reads it and may take
it over, and a button tapped after the case moved on gets the fresh card at its first tap."""

from datetime import timedelta

from sqlmodel import select

from domain.statuses import Intensity, Move
from domain.vocabulary import AppointmentKind, CaseStatus, ReminderKind, ReminderStatus, Role
from storage.appointments import schedule
from storage.case_flow import move_case
from storage.database import session_scope
from storage.members import find_member
from storage.models import AuditEntry, Reminder
from tests.harness import Person, RelaisUnderTest
from tests.stories import answer_addiction_report, cases, member
from tests.test_case_follow_up import open_card

REFUSED = "Ce n'est pas possible pour ce dossier maintenant : voici sa fiche à jour."


async def a_case_taken_by(intake: RelaisUnderTest, worker: Person) -> int:
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    await worker.tap("Je prends")
    [case] = cases(intake)
    return case.id


def walk(intake: RelaisUnderTest, case_id: int, worker: Person, *statuses: CaseStatus) -> None:
    """Move the case on as its worker would (set-up only: the stories tap the buttons)."""
    app = intake.app
    actor = find_member(app.engine, worker.id)
    carry = {
        CaseStatus.ACCEPTED: {"reason": Intensity.MEDIUM},
        CaseStatus.CONTRACT_SIGNED: {"meeting_at": app.now() - timedelta(days=1), "consent": True},
    }
    for status in statuses:
        move = Move(status, **carry.get(status, {}))
        move_case(app.engine, case_id, actor, move, app.programme, app.now(), app.planner)


def status_of(intake: RelaisUnderTest, case_id: int) -> CaseStatus:
    [case] = [case for case in cases(intake) if case.id == case_id]
    return case.status


def questions_asked(person: Person, since: int) -> list[str]:
    """What the bot wrote since message `since` that is not a case card."""
    return [text for text in person.texts()[since:] if not text.startswith("Dossier R-")]


IN_SUPPORT = (
    CaseStatus.DIAGNOSTIC,
    CaseStatus.COMMISSION,
    CaseStatus.ACCEPTED,
    CaseStatus.CONTRACT_SIGNED,
    CaseStatus.IN_SUPPORT,
)


async def test_a_colleague_reads_the_case_and_may_only_take_it_over_for_a_reason(
    intake: RelaisUnderTest,
) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    paul = await member(intake, "Paul", Role.WORKER)
    case_id = await a_case_taken_by(intake, ines)
    walk(intake, case_id, ines, *IN_SUPPORT)
    [case] = cases(intake)

    await open_card(paul, case.reference)
    assert "Travailleur social : Inès" in paul.last_text
    assert paul.buttons() == ["Reprendre ce dossier"]
    for forged in (
        f"cs:y:{case_id}:shared_review",
        f"cs:m:{case_id}:shared_review",
        f"cs:y:{case_id}:phase",
        f"cs:r:{case_id}:closed:0",
        f"cs:n:{case_id}",
        f"cs:W:{case_id}:{find_member(intake.app.engine, paul.id).id}",
    ):
        await paul.tap_data(forged)
        assert paul.alerts[-1] == REFUSED, forged
        assert paul.last_text.startswith(f"Dossier {case.reference}"), forged
    assert status_of(intake, case_id) is CaseStatus.IN_SUPPORT
    assert "Travailleur social : Inès" in paul.last_text

    await paul.tap("Reprendre ce dossier")
    assert paul.last_text == f"Reprendre le dossier {case.reference} : pour quelle raison ?"
    assert paul.buttons() == [
        "absence du travailleur social",
        "réorganisation de l'équipe",
        "à la demande de la personne",
        "autre",
        "Annuler",
    ]
    await paul.tap("absence du travailleur social")
    assert "Travailleur social : Paul" in paul.last_text
    assert "Paul : dossier repris (absence du travailleur social)" in paul.last_text
    assert "→ bilan partagé" in paul.buttons()
    assert ines.last_text == (
        f"Dossier {case.reference} : repris par Paul (absence du travailleur social)."
    )

    with session_scope(intake.app.engine) as session:
        audited = session.exec(
            select(AuditEntry.action, AuditEntry.detail).where(AuditEntry.case_id == case_id)
        ).all()
        checkpoints = session.exec(
            select(Reminder.member_id).where(
                Reminder.case_id == case_id,
                Reminder.kind == ReminderKind.PHASE_CHECKPOINT,
                Reminder.status == ReminderStatus.PENDING,
            )
        ).all()
    assert ("case.taken_over", "reason=absence") in audited
    assert set(checkpoints) == {find_member(intake.app.engine, paul.id).id}


async def test_the_former_worker_s_card_is_stale_at_its_first_tap(intake: RelaisUnderTest) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    paul = await member(intake, "Paul", Role.WORKER)
    case_id = await a_case_taken_by(intake, ines)
    walk(intake, case_id, ines, *IN_SUPPORT)
    [case] = cases(intake)
    await open_card(ines, case.reference)
    old_card = ines.last_keyboard_message().message_id
    await open_card(paul, case.reference)
    await paul.tap("Reprendre ce dossier")
    await paul.tap("réorganisation de l'équipe")

    before = len(ines.texts())
    await ines.tap("→ bilan partagé", message_id=old_card)

    assert ines.alerts[-1] == REFUSED
    assert questions_asked(ines, before) == [], "asked to confirm a move no longer hers"
    assert "Travailleur social : Paul" in ines.last_text
    assert ines.buttons() == ["Reprendre ce dossier"]
    assert status_of(intake, case_id) is CaseStatus.IN_SUPPORT


async def test_a_move_tapped_after_the_case_moved_on_is_refused_before_any_question(
    intake: RelaisUnderTest,
) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    case_id = await a_case_taken_by(intake, ines)
    [case] = cases(intake)
    await open_card(ines, case.reference)
    first = ines.last_keyboard_message().message_id
    await open_card(ines, case.reference)
    await ines.tap("→ diagnostic")
    await ines.tap("Confirmer")
    assert status_of(intake, case_id) is CaseStatus.DIAGNOSTIC

    before = len(ines.texts())
    await ines.tap("→ diagnostic", message_id=first)
    assert ines.alerts[-1] == REFUSED
    assert questions_asked(ines, before) == []
    assert "Statut : diagnostic" in ines.last_text

    # The same for a move that asks its reason, and for the contract's meeting day.
    walk(intake, case_id, ines, CaseStatus.COMMISSION)
    await open_card(ines, case.reference)
    reasons_card = ines.last_keyboard_message().message_id
    await ines.tap("→ refusé", message_id=reasons_card)
    reasons = ines.last_keyboard_message().message_id
    walk(intake, case_id, ines, CaseStatus.ACCEPTED)
    before = len(ines.texts())
    await ines.tap("plus de place", message_id=reasons)
    assert ines.alerts[-1] == REFUSED
    assert questions_asked(ines, before) == [], "asked for a note on a decision already made"
    await ines.tap("→ réorienté", message_id=reasons_card)
    assert ines.alerts[-1] == REFUSED
    assert questions_asked(ines, before) == []
    assert status_of(intake, case_id) is CaseStatus.ACCEPTED

    await open_card(ines, case.reference)
    accepted_card = ines.last_keyboard_message().message_id
    walk(intake, case_id, ines, CaseStatus.CONTRACT_SIGNED)
    before = len(ines.texts())
    await ines.tap("→ contrat signé", message_id=accepted_card)
    assert ines.alerts[-1] == REFUSED
    assert questions_asked(ines, before) == [], "asked the meeting day of a signed contract"


async def test_a_take_over_whose_reason_comes_after_the_case_changed_hands_is_refused(
    intake: RelaisUnderTest,
) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    paul = await member(intake, "Paul", Role.WORKER)
    nadia = await member(intake, "Nadia", Role.ADMIN)
    case_id = await a_case_taken_by(intake, ines)
    [case] = cases(intake)
    await open_card(paul, case.reference)
    await paul.tap("Reprendre ce dossier")
    reasons = paul.last_keyboard_message().message_id
    await open_card(nadia, case.reference)
    await nadia.tap("Réattribuer")
    await nadia.tap("Paul")

    await paul.tap("autre", message_id=reasons)

    assert paul.alerts[-1] == REFUSED
    assert "Travailleur social : Paul" in paul.last_text
    assert "dossier repris" not in paul.last_text
    assert status_of(intake, case_id) is CaseStatus.RECEIVED


async def test_cancelling_an_appointment_already_cancelled_is_refused_at_its_first_tap(
    intake: RelaisUnderTest,
) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    case_id = await a_case_taken_by(intake, ines)
    [case] = cases(intake)
    app = intake.app
    schedule(
        app.engine,
        case_id,
        find_member(app.engine, ines.id),
        kind=AppointmentKind.DIAGNOSTIC,
        starts_at=app.now() + timedelta(days=2),
        place="Locaux de Montjoie",
        attendees=["worker"],
        now=app.now(),
    )
    await open_card(ines, case.reference)
    await ines.tap("Rendez-vous")
    old_list = ines.last_keyboard_message().message_id
    await ines.tap("Annuler")
    reasons = ines.last_keyboard_message().message_id
    await open_card(ines, case.reference)
    await ines.tap("Rendez-vous")
    await ines.tap("Annuler")
    await ines.tap("plus nécessaire")
    assert "annulé (plus nécessaire)" in ines.last_text

    before = len(ines.texts())
    await ines.tap("Annuler", message_id=old_list)
    assert ines.alerts[-1] == "Ce n'est plus possible pour ce rendez-vous."
    assert ines.texts()[before:] == [], "asked why to cancel a cancelled appointment"
    await ines.tap("autre", message_id=reasons)
    assert ines.alerts[-1] == "Ce n'est plus possible pour ce rendez-vous."


async def test_the_landlord_referent_on_the_case_moves_the_steps_shared_with_the_landlord(
    intake: RelaisUnderTest,
) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    helene = await member(intake, "Hélène", Role.LANDLORD_REFERENT)
    marc = await member(intake, "Marc", Role.LANDLORD_REFERENT)
    case_id = await a_case_taken_by(intake, ines)
    [case] = cases(intake)
    await open_card(ines, case.reference)
    await ines.tap("Référent bailleur")
    await ines.tap("Hélène")
    walk(intake, case_id, ines, CaseStatus.DIAGNOSTIC)

    await open_card(helene, case.reference)
    assert [b for b in helene.buttons() if b.startswith("→")] == ["→ en commission"]
    await open_card(marc, case.reference)
    assert marc.last_text.startswith(f"Dossier {case.reference}")
    assert not marc.bot_messages()[-1].buttons, "a referent not on the case only reads it"

    walk(intake, case_id, ines, *IN_SUPPORT[1:])
    await open_card(helene, case.reference)
    assert helene.buttons() == ["→ bilan partagé"]
    await helene.tap("→ bilan partagé")
    await helene.tap("Confirmer")
    assert status_of(intake, case_id) is CaseStatus.SHARED_REVIEW
    assert helene.buttons() == ["→ clos"]
