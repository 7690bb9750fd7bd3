"""Retention: what has been kept long enough goes, by the daily job, on a moved clock.

The periods are the programme file's [retention] section (CNIL defaults): a closed case is
anonymised 2 years after its last contact, a sent reminder's text is dropped after 30 days,
the audit trail keeps 12 months (and stays verifiable after a prune).
"""

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from domain.programme import DEFAULT_FILE, ProgrammeError, load_programme
from domain.retention import RetentionRules
from domain.vocabulary import CaseStatus, ReminderKind, ReminderStatus, Role
from storage.audit import prune_audit, record, verify_chain
from storage.database import session_scope
from storage.models import (
    Appointment,
    AuditEntry,
    Beneficiary,
    Case,
    CaseEvent,
    CaseNote,
    ConversationState,
    Member,
    Reminder,
    SentMessage,
    UserData,
)
from storage.persistence import stored_key
from storage.retention import StillOpen, anonymise_case, drop_sent_reminder_payloads
from tests.harness import Person, RelaisUnderTest
from tests.stories import cases, member, report_a_violence_victim_in_danger
from tests.test_beneficiary import a_violence_case, enrolled_person, freeze_clock
from tests.test_case_follow_up import move, open_card
from tests.test_cases_storage import T0, enrolled
from tests.test_homes_and_commission import a_case_in_commission

STRANGER = "Bonjour ! Relais est réservé aux équipes"


def the_case(relais: RelaisUnderTest, case_id: int) -> Case:
    with session_scope(relais.app.engine) as session:
        return session.get(Case, case_id)


async def a_closed_case_with_its_person(intake: RelaisUnderTest) -> tuple[Person, Person, Case]:
    """Inès follows a violence victim, Sam, who enrolled; she writes a note, plans a meeting,
    then the support ends."""
    ines, case_id = await a_violence_case(intake)
    reference = the_case(intake, case_id).reference
    sam = await enrolled_person(intake, ines, reference)
    await open_card(ines, reference)
    await ines.tap("Ajouter une note")
    await ines.send("Premier contact au domicile, tout va bien.")
    await ines.tap("Rendez-vous")
    await ines.tap("Nouveau rendez-vous")
    await ines.tap("suivi")
    await ines.send("demain 10h")
    await ines.send("Centre social des Sablons")
    await ines.tap("Valider")
    await ines.tap("Enregistrer")
    await open_card(ines, reference)
    await move(ines, "clos", reason="arrêt par la personne")
    return ines, sam, the_case(intake, case_id)


def anonymised_counts(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the daily job's log lines say of the cases it anonymised."""
    return [
        record.getMessage().split(",")[0]
        for record in caplog.records
        if record.getMessage().startswith("Retention: ")
    ]


async def test_two_years_after_the_last_contact_a_closed_case_keeps_only_its_figures(
    intake: RelaisUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="conversations.retention")
    now = freeze_clock(intake)
    _ines, sam, case = await a_closed_case_with_its_person(intake)
    assert case.answers["who"] == "S. B."

    closed_at = now[0]  # the clock stood still since the closing: the last contact
    now[0] = closed_at + timedelta(days=730)
    await intake.run_job("retention")
    assert the_case(intake, case.id).anonymised_at is None, "kept until two years have passed"

    now[0] += timedelta(days=1)
    await intake.run_job("retention")
    assert anonymised_counts(caplog) == [
        "Retention: 0 case(s) anonymised",
        "Retention: 1 case(s) anonymised",
    ]
    after = the_case(intake, case.id)
    assert after.anonymised_at is not None
    assert "who" not in after.answers
    assert "contact" not in after.answers
    assert after.answers["kind"] == "violence", "the figures stay"
    assert (after.kind.value, after.status.value, after.commune) == (
        "violence",
        "closed",
        "Mamers",
    )
    assert after.outcome == "ended_by_person"
    with session_scope(intake.app.engine) as session:
        assert not session.exec(select(CaseNote).where(CaseNote.case_id == case.id)).all()
        [appointment] = session.exec(select(Appointment).where(Appointment.case_id == case.id))
        assert appointment.place == ""
        person = session.exec(
            select(Member).join(Beneficiary).where(Beneficiary.case_id == case.id)
        ).one()
        assert person.display_name == "—"
        assert not person.active
        assert person.telegram_id < 0, "the person's Telegram account is forgotten"
        assert not session.exec(select(SentMessage).where(SentMessage.chat_id == sam.id)).all()
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.case_id == case.id))
        assert "case.anonymised" in list(actions)

    now[0] += timedelta(days=1)
    await intake.run_job("retention")
    assert the_case(intake, case.id).anonymised_at == after.anonymised_at, "done once"
    with session_scope(intake.app.engine) as session:
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.case_id == case.id))
        assert list(actions).count("case.anonymised") == 1

    await sam.send("/aide")
    assert sam.last_text.startswith(STRANGER), "the person is a stranger to Relais now"


async def test_forgetting_the_person_leaves_the_team_s_drafts_conversations_and_reminders(
    intake: RelaisUnderTest,
) -> None:
    now = freeze_clock(intake)
    ines, sam, case = await a_closed_case_with_its_person(intake)
    with session_scope(intake.app.engine) as session:
        for person in (sam, ines):
            session.merge(UserData(user_id=person.id, data={"draft": "brouillon"}))
            for key in ((person.id, person.id), (person.id,)):
                session.merge(ConversationState(name="marker", key=stored_key(key), state=1))
            account = session.exec(select(Member).where(Member.telegram_id == person.id)).one()
            session.add(
                Reminder(
                    key=f"later-{person.id}",
                    kind=ReminderKind.DAILY_DIGEST,
                    member_id=account.id,
                    due_at=now[0] + timedelta(days=1000),
                )
            )
        session.add(
            Reminder(
                key="later-on-the-case",
                kind=ReminderKind.QUARTERLY_REVIEW,
                member_id=account.id,  # the worker's, about the case
                case_id=case.id,
                due_at=now[0] + timedelta(days=1000),
            )
        )

    now[0] += timedelta(days=731)
    await intake.run_job("retention")

    with session_scope(intake.app.engine) as session:
        kept_data = set(session.exec(select(UserData.user_id)))
        kept_states = set(
            session.exec(select(ConversationState.key).where(ConversationState.name == "marker"))
        )
        later = {r.key: r.status for r in session.exec(select(Reminder)) if "later" in r.key}
    assert sam.id not in kept_data, "the person's drafts go"
    assert ines.id in kept_data, "the worker's stay"
    assert kept_states == {stored_key((ines.id, ines.id)), stored_key((ines.id,))}
    assert later == {
        f"later-{sam.id}": ReminderStatus.CANCELLED,
        f"later-{ines.id}": ReminderStatus.PENDING,
        "later-on-the-case": ReminderStatus.CANCELLED,
    }


async def test_an_open_case_is_never_anonymised_however_old(intake: RelaisUnderTest) -> None:
    now = freeze_clock(intake)
    ines, case_id = await a_violence_case(intake)
    await report_a_violence_victim_in_danger(
        await member(intake, "Adjudant Roux", Role.GENDARMERIE)
    )
    await ines.tap("Je prends")
    closed = cases(intake)[-1]
    await open_card(ines, closed.reference)
    await move(ines, "clos", reason="autre")

    now[0] += timedelta(days=5 * 365)
    await intake.run_job("retention")
    assert the_case(intake, case_id).answers["who"] == "S. B."
    assert the_case(intake, closed.id).anonymised_at is not None, "the open one holds nothing up"

    reference = the_case(intake, case_id).reference
    with session_scope(intake.app.engine) as session, pytest.raises(StillOpen, match=reference):
        anonymise_case(session, session.get(Case, case_id), now[0], actor_id=None)
    assert the_case(intake, case_id).answers["who"] == "S. B.", "not even when asked directly"


async def test_a_note_written_after_the_closing_is_a_later_last_contact(
    intake: RelaisUnderTest,
) -> None:
    now = freeze_clock(intake)
    ines, case_id = await a_violence_case(intake)
    reference = the_case(intake, case_id).reference
    await open_card(ines, reference)
    await move(ines, "clos", reason="arrêt par la personne")
    now[0] += timedelta(days=400)
    await ines.tap("Ajouter une note")  # on the card of the closed case
    await ines.send("La personne a rappelé : elle va bien.")
    assert ines.texts()[-2] == f"Note ajoutée au dossier {reference}."

    now[0] += timedelta(days=730)  # 1130 days after the closing, exactly 730 after the note
    await intake.run_job("retention")
    assert the_case(intake, case_id).anonymised_at is None, "two full years from the note"
    now[0] += timedelta(days=1)
    await intake.run_job("retention")
    assert the_case(intake, case_id).anonymised_at is not None


def test_sent_reminders_lose_their_text_after_30_days(engine: Engine) -> None:
    member = enrolled(engine, Role.WORKER, 501)
    with session_scope(engine) as session:
        for key, sent_days_ago in (("old", 31), ("thirty_days", 30), ("recent", 29)):
            session.add(
                Reminder(
                    key=key,
                    kind=ReminderKind.DAILY_DIGEST,
                    member_id=member.id,
                    due_at=T0 - timedelta(days=sent_days_ago),
                    status=ReminderStatus.SENT,
                    sent_at=T0 - timedelta(days=sent_days_ago),
                    payload={"day": "2026-01-01"},
                    last_error="TimedOut",  # a first attempt failed, a retry went through
                )
            )
    assert drop_sent_reminder_payloads(engine, T0 - timedelta(days=30)) == 1
    assert drop_sent_reminder_payloads(engine, T0 - timedelta(days=30)) == 0, "dropped once"
    with session_scope(engine) as session:
        payloads = {
            row.key: (row.payload, row.last_error) for row in session.exec(select(Reminder))
        }
    assert payloads == {
        "old": ({}, None),
        "thirty_days": ({"day": "2026-01-01"}, "TimedOut"),  # 30 days, not more
        "recent": ({"day": "2026-01-01"}, "TimedOut"),
    }


def test_the_audit_trail_keeps_twelve_months_and_stays_verifiable(engine: Engine) -> None:
    with session_scope(engine) as session:
        for days_ago in (400, 380, 300, 10):
            record(session, "case.viewed", T0 - timedelta(days=days_ago))
    assert prune_audit(engine, T0 - timedelta(days=365), T0) == 2
    with session_scope(engine) as session:
        kept = list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))
    assert [entry.action for entry in kept] == ["case.viewed", "case.viewed", "audit.pruned"]
    assert verify_chain(engine) is None, "the chain still verifies after a prune"
    assert prune_audit(engine, T0 - timedelta(days=365), T0) == 0

    with engine.begin() as connection:  # a later edit is still detected
        connection.exec_driver_sql(
            f"UPDATE audit_entry SET action = 'edited' WHERE id = {kept[0].id}"
        )
    assert verify_chain(engine).entry_id == kept[0].id


def test_the_retention_periods_come_from_the_programme_file(tmp_path: Path) -> None:
    assert load_programme().retention == RetentionRules(
        closed_case_days=730,
        unfinished_report_days=7,
        sent_reminder_days=30,
        audit_days=365,
        access_request_days=7,
    )
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    changed = tmp_path / "programme.toml"
    changed.write_text(text.replace("audit_days = 365", "audit_days = 180"), encoding="utf-8")
    assert load_programme(changed).retention.audit_days == 180
    changed.write_text(text.replace("audit_days = 365", "audit_days = 0"), encoding="utf-8")
    with pytest.raises(ProgrammeError, match=r"\[retention\]"):
        load_programme(changed)


def decisions(relais: RelaisUnderTest, case_id: int) -> list[tuple[str, str | None, str | None]]:
    """The case's refusals, redirections and closings: (status, fixed-list reason, free note)."""
    with session_scope(relais.app.engine) as session:
        events = session.exec(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id, col(CaseEvent.to_status).in_(DECISIONS))
            .order_by(CaseEvent.id)
        )
        return [(event.to_status.value, event.reason, event.note) for event in events]


DECISIONS = (CaseStatus.DECLINED, CaseStatus.REDIRECTED, CaseStatus.CLOSED)


def referents(relais: RelaisUnderTest, case_id: int) -> list[str | None]:
    """The names the timeline gives for the landlord referents put on the case."""
    with session_scope(relais.app.engine) as session:
        query = select(CaseEvent.reason).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == "referent"
        )
        return list(session.exec(query))


async def test_anonymisation_erases_the_free_notes_of_decisions_and_keeps_their_reasons(
    intake: RelaisUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="conversations.retention")
    now = freeze_clock(intake)
    ines = await member(intake, "Inès", Role.WORKER)
    await member(intake, "Hélène", Role.LANDLORD_REFERENT)
    declined = await a_case_in_commission(intake, ines)
    await ines.tap("Référent bailleur")
    await ines.tap("Hélène")
    await move(ines, "refusé", reason="refus de la personne",
               note="Elle préfère rester chez sa sœur, à Mamers.")  # fmt: skip
    await move(ines, "clos", reason="autre", note="Refus confirmé par téléphone le 3 mars.")
    redirected = await a_case_in_commission(intake, ines)
    await move(ines, "réorienté", reason="CSAPA", note="Suivi par le Dr Martin au CSAPA.")
    await move(ines, "clos", reason="réorientation", note="Premier rendez-vous au CSAPA pris.")
    [first, second] = [case.id for case in cases(intake)]
    assert [declined, redirected] == [the_case(intake, first).reference,
                                      the_case(intake, second).reference]  # fmt: skip
    assert decisions(intake, first) == [
        ("declined", "refused_by_person", "Elle préfère rester chez sa sœur, à Mamers."),
        ("closed", "other", "Refus confirmé par téléphone le 3 mars."),
    ], "the notes were kept while the case was recent"
    assert referents(intake, first) == ["Hélène"]
    await a_case_in_commission(intake, ines)  # refused, not closed yet: it stays as it is
    await move(ines, "refusé", reason="refus de la personne", note="Elle réfléchit encore.")
    third = cases(intake)[-1].id

    now[0] += timedelta(days=731)
    await intake.run_job("retention")

    assert anonymised_counts(caplog) == ["Retention: 2 case(s) anonymised"]
    assert decisions(intake, first) == [
        ("declined", "refused_by_person", None),
        ("closed", "other", None),
    ]
    assert decisions(intake, second) == [
        ("redirected", "CSAPA", None),
        ("closed", "redirected", None),
    ]
    assert referents(intake, first) == [None], "a name is not a reason of a fixed list"
    assert decisions(intake, third) == [
        ("declined", "refused_by_person", "Elle réfléchit encore.")
    ], "another case's notes stay"
