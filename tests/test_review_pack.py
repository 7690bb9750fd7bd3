"""The quarterly review pack: a week before each review, its members get one message with
the review's date and the counts, and one file listing every open case by worker; /revue
(/review) gives the same on demand. Landlord referents get only the cases they may see;
nothing personal is in the file."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from domain.statuses import Move
from domain.vocabulary import AppointmentKind, CaseStatus, Role
from storage.appointments import schedule
from storage.case_flow import add_note, move_case
from storage.database import session_scope
from storage.models import AuditEntry, Case, Member
from tests.harness import Person, RelaisUnderTest
from tests.stories import (
    answer_addiction_report,
    enroll,
    member,
    report_a_violence_victim_in_danger,
)
from tests.world_builder import walk

PARIS = ZoneInfo("Europe/Paris")
NOTICE_TIME = datetime(2027, 1, 8, 9, 0, tzinfo=PARIS)  # the review is on 15 January 2027
# What the reporters typed, and what the worker wrote or where they meet: never in the pack.
PERSONAL = (
    "M. D.",
    "06 12 34 56 78",
    "Voisins inquiets depuis l'été",
    "S. B.",
    "Rencontre avec la curatelle",
    "12 rue des Lilas",
    "Karim",
    "Morel",
)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@dataclass
class Review:
    ines: Person
    paul: Person
    helene: Person
    claire: Person
    karim: Person


def _member(relais: RelaisUnderTest, person: Person) -> Member:
    with session_scope(relais.app.engine) as session:
        return session.exec(select(Member).where(Member.telegram_id == person.id)).one()


def _case(relais: RelaisUnderTest, reference: str) -> Case:
    with session_scope(relais.app.engine) as session:
        return session.exec(select(Case).where(Case.reference == reference)).one()


async def _report(relais: RelaisUnderTest, reporter: Person, moment: datetime) -> None:
    relais.app.clock = lambda: moment
    await answer_addiction_report(reporter)
    await reporter.tap("Envoyer")


async def a_quarter_of_cases(relais: RelaisUnderTest) -> Review:
    """Two workers' open cases, and one nobody took yet:
    - R-2026-0001 (Inès): in its urgence phase since 20 September, past its 90 days;
      a note on 4 January;
    - R-2026-0002 (Inès): at diagnostic, an appointment on 12 January at 14:00;
    - R-2026-0003 (Paul): closed, so not in the pack;
    - R-2026-0004 (Paul): a violence case reported by the gendarmerie, nothing since
      20 November (overdue for news), which the landlord's referent may not see;
    - R-2027-0001: reported on 8 January, nobody took it yet.
    """
    app = relais.app
    app.clock = lambda: at(2026, 9, 1, 9, 0)
    ines = await member(relais, "Inès", Role.WORKER)
    paul = await member(relais, "Paul", Role.WORKER)
    helene = await member(relais, "Hélène", Role.LANDLORD_REFERENT)
    claire = await member(relais, "Claire", Role.ADMIN)
    karim = await member(relais, "Karim", Role.CORRESPONDENT)
    morel = relais.person("Adjudant Morel")
    await enroll(relais, morel, Role.GENDARMERIE, org="Gendarmerie de Mamers")
    worker_ines, worker_paul = _member(relais, ines), _member(relais, paul)

    await _report(relais, karim, at(2026, 9, 1, 10, 0))
    walk(relais, _case(relais, "R-2026-0001"), worker_ines, CaseStatus.CONTRACT_SIGNED)
    app.clock = lambda: at(2026, 9, 20, 10, 0)
    move_case(app.engine, _case(relais, "R-2026-0001").id, worker_ines,
              Move(CaseStatus.IN_SUPPORT), app.programme, app.now(), app.planner)  # fmt: skip
    add_note(app.engine, _case(relais, "R-2026-0001").id, worker_ines,
             "Rencontre avec la curatelle de M. D.", at(2027, 1, 4, 15, 0))  # fmt: skip

    await _report(relais, karim, at(2026, 11, 2, 10, 0))
    app.clock = lambda: at(2026, 11, 3, 10, 0)
    walk(relais, _case(relais, "R-2026-0002"), worker_ines, CaseStatus.DIAGNOSTIC)
    app.clock = lambda: at(2027, 1, 5, 10, 0)
    schedule(app.engine, _case(relais, "R-2026-0002").id, worker_ines,
             kind=AppointmentKind.FOLLOW_UP, starts_at=at(2027, 1, 12, 14, 0),
             place="12 rue des Lilas", attendees=["worker"], now=app.now(),
             planner=app.planner)  # fmt: skip

    await _report(relais, karim, at(2026, 11, 10, 10, 0))
    walk(relais, _case(relais, "R-2026-0003"), worker_paul, CaseStatus.CLOSED)

    app.clock = lambda: at(2026, 11, 20, 10, 0)
    await report_a_violence_victim_in_danger(morel)
    app.clock = lambda: at(2026, 11, 20, 10, 20)
    walk(relais, _case(relais, "R-2026-0004"), worker_paul, CaseStatus.RECEIVED)

    await _report(relais, karim, at(2027, 1, 8, 8, 30))
    return Review(ines, paul, helene, claire, karim)


INES = """Inès — 2 dossiers
=================
R-2026-0001 — addiction — accompagnement en cours
  Phase : urgence — jour 111 sur 90 au plus
  ! Au-delà de la durée prévue de la phase.
  Dernier événement : 4 janv. 2027
  Prochain rendez-vous : aucun
R-2026-0002 — addiction — diagnostic
  Pas encore de phase d'accompagnement.
  Dernier événement : 5 janv. 2027
  Prochain rendez-vous : 12 janvier 2027 à 14:00"""
PAUL = """Paul — 1 dossier
================
R-2026-0004 — violences — reçu
  Pas encore de phase d'accompagnement.
  Dernier événement : 20 nov. 2026
  Prochain rendez-vous : aucun
  ! Sans nouvelles depuis 48 jours."""
NOBODY = """Sans intervenant — 1 dossier
============================
R-2027-0001 — addiction — reçu
  Pas encore de phase d'accompagnement.
  Dernier événement : 8 janv. 2027
  Prochain rendez-vous : aucun"""

EVERY_CASE_MESSAGE = (
    "Revue trimestrielle du 15 janv. 2027.\n"
    "Dossiers ouverts : 4.\n"
    "Sans nouvelles depuis 30 jours ou plus : 1.\n"
    "Au-delà de la durée prévue de leur phase : 1.\n"
    "Le détail par travailleur social est dans le document qui suit (il ne peut pas être "
    "transféré)."
)
EVERY_CASE_FILE = f"""Relais — revue trimestrielle du 15 janv. 2027
Établi le 8 janvier 2027 à 09:00.
Dossiers ouverts : 4.
Sans nouvelles depuis 30 jours ou plus : R-2026-0004.

{INES}

{PAUL}

{NOBODY}
"""
# The landlord's referent: the cases Sarthe Habitat reported, not the gendarmerie's.
REFERENT_MESSAGE = (
    "Revue trimestrielle du 15 janv. 2027.\n"
    "Dossiers ouverts : 3.\n"
    "Sans nouvelles depuis 30 jours ou plus : 0.\n"
    "Au-delà de la durée prévue de leur phase : 1.\n"
    "Le détail par travailleur social est dans le document qui suit (il ne peut pas être "
    "transféré)."
)
REFERENT_FILE = f"""Relais — revue trimestrielle du 15 janv. 2027
Établi le 8 janvier 2027 à 09:00.
Dossiers ouverts : 3.
Sans nouvelles depuis 30 jours ou plus : aucun.

{INES}

{NOBODY}
"""


def the_pack(person: Person, since: int) -> tuple[str, bytes]:
    """The one message and the one document the person got after their `since` first."""
    new = person.bot_messages()[since:]
    messages = [m for m in new if m.kind == "text" and m.text.startswith("Revue trimestrielle")]
    documents = [m for m in new if m.kind == "document"]
    assert len(messages) == 1, [m.text for m in new]
    assert len(documents) == 1, [m.text for m in new]
    [document] = documents
    assert document.protect_content, "the pack cannot be forwarded from the chat"
    assert document.media["file_name"] == "relais-revue-2027-01-15.txt"
    assert document.text == (
        "Revue trimestrielle du 15 janv. 2027 : les dossiers ouverts par travailleur social."
    )
    return messages[0].text, document.photo


def pack_audits(relais: RelaisUnderTest) -> list[tuple[int, str]]:
    with session_scope(relais.app.engine) as session:
        query = select(AuditEntry.member_id, AuditEntry.detail).where(
            AuditEntry.action == "review.pack"
        )
        return list(session.exec(query))


async def test_a_week_before_the_review_its_members_get_the_open_cases_by_worker(
    intake_on: RelaisUnderTest,
) -> None:
    relais = intake_on
    review = await a_quarter_of_cases(relais)
    seen = {person: len(person.bot_messages()) for person in vars(review).values()}

    relais.app.clock = lambda: NOTICE_TIME
    await relais.run_job("periodic_reminders")
    await relais.run_job("reminders")
    await relais.run_job("periodic_reminders")  # a second sweep plans nothing more
    await relais.run_job("reminders")

    files = []
    for person in (review.ines, review.paul, review.claire):
        message, document = the_pack(person, seen[person])
        assert message == EVERY_CASE_MESSAGE
        assert document.decode("utf-8") == EVERY_CASE_FILE
        files.append(document.decode("utf-8"))
    message, document = the_pack(review.helene, seen[review.helene])
    assert message == REFERENT_MESSAGE
    assert document.decode("utf-8") == REFERENT_FILE
    files.append(document.decode("utf-8"))
    assert len(review.karim.bot_messages()) == seen[review.karim], "not a member of the review"
    for content in files:
        for value in PERSONAL:
            assert value not in content, value
    audited = {member_id: detail for member_id, detail in pack_audits(relais)}
    members = (review.ines, review.paul, review.helene, review.claire)
    assert audited == {
        _member(relais, review.ines).id: "notice 2027-01-15 cases=4",
        _member(relais, review.paul).id: "notice 2027-01-15 cases=4",
        _member(relais, review.helene).id: "notice 2027-01-15 cases=3",
        _member(relais, review.claire).id: "notice 2027-01-15 cases=4",
    }
    assert len(pack_audits(relais)) == len(members)


async def test_revue_gives_the_pack_on_demand_to_the_review_team_only(
    intake: RelaisUnderTest,
) -> None:
    review = await a_quarter_of_cases(intake)
    intake.app.clock = lambda: NOTICE_TIME

    for person, message, content in (
        (review.claire, EVERY_CASE_MESSAGE, EVERY_CASE_FILE),
        (review.helene, REFERENT_MESSAGE, REFERENT_FILE),
    ):
        since = len(person.bot_messages())
        await person.send("/revue")
        assert the_pack(person, since) == (message, content.encode())
        assert len(person.bot_messages()) == since + 2
    assert (_member(intake, review.helene).id, "on_demand 2027-01-15 cases=3") in pack_audits(
        intake
    )

    await review.karim.send("/revue")
    assert review.karim.last_text == (
        "Cette action n'est pas ouverte à votre rôle. /aide liste ce que vous pouvez faire."
    )


async def test_an_english_reader_gets_the_pack_in_english(intake: RelaisUnderTest) -> None:
    await a_quarter_of_cases(intake)
    peter = await member(intake, "Peter", Role.WORKER, language="en")
    intake.app.clock = lambda: NOTICE_TIME

    await peter.send("/review")
    message, document = peter.bot_messages()[-2:]
    assert message.text.startswith("Quarterly review of Jan 15, 2027.\nOpen cases: 4.\n")
    assert "No news for 30 days or more: 1." in message.text
    assert document.media["file_name"] == "relais-review-2027-01-15.txt"
    content = document.photo.decode("utf-8")
    assert content.startswith("Relais — quarterly review of Jan 15, 2027\nMade on January 8, 2027")
    assert "No news for 30 days or more: R-2026-0004.\n" in content
    assert (
        """Inès — 2 cases
==============
R-2026-0001 — addiction — in support
  Phase: emergency — day 111 of at most 90
  ! Past the phase's planned length.
  Last event: Jan 4, 2027
  Next appointment: none
"""
        in content
    )
    assert (
        """Paul — 1 case
=============
R-2026-0004 — violence — received
  No support phase yet.
  Last event: Nov 20, 2026
  Next appointment: none
  ! No news for 48 days.
"""
        in content
    )
    assert "No worker — 1 case\n" in content


async def test_after_the_last_review_of_the_file_the_pack_says_none_is_planned(
    intake: RelaisUnderTest,
) -> None:
    intake.app.clock = lambda: at(2027, 11, 2, 10, 0)
    claire = await member(intake, "Claire", Role.ADMIN)

    await claire.send("/revue")
    assert claire.last_text == (
        "Aucune revue trimestrielle n'est prévue dans le fichier du programme.\n"
        "Aucun dossier ouvert au 2 nov. 2027."
    )
    assert [m.kind for m in claire.bot_messages()].count("document") == 0


async def test_a_pack_whose_file_failed_is_sent_again_without_repeating_its_message(
    intake: RelaisUnderTest,
) -> None:
    intake.app.clock = lambda: at(2027, 1, 8, 8, 0)
    claire = await member(intake, "Claire", Role.ADMIN)
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await _report(intake, karim, at(2027, 1, 8, 8, 30))
    intake.fake.inject_fault("sendDocument", "500", chat_id=claire.id)
    since = len(claire.bot_messages())

    intake.app.clock = lambda: NOTICE_TIME
    await intake.run_job("periodic_reminders")
    await intake.run_job("reminders")
    assert [m.kind for m in claire.bot_messages()[since:]] == ["text"]
    later = datetime(2027, 1, 8, 9, 5, tzinfo=PARIS)
    intake.app.clock = lambda: later
    await intake.run_job("reminders")

    message, document = the_pack(claire, since)
    assert message.startswith("Revue trimestrielle du 15 janv. 2027.\nDossiers ouverts : 1.\n")
    assert "R-2027-0001 — addiction — reçu\n" in document.decode("utf-8")
