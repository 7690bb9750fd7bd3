"""A supported person is invited on their case, agrees (or not), stops, and erases the chat."""

import re
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from conversations.beneficiary import qr_png, send_to_beneficiary
from domain.vocabulary import CaseKind, ReminderKind, ReminderStatus, Role
from storage.beneficiaries import (
    Consent,
    delete_time,
    due_deletions,
    give_consent,
    invite,
    look_up,
    mark_deleted,
    messages_in_chat,
    record_sent,
    set_auto_delete,
    withdraw_consent,
)
from storage.cases import case_events
from storage.database import session_scope
from storage.invitations import Redemption, redeem_invitation
from storage.members import find_member
from storage.models import Beneficiary, CaseEvent, Member, Reminder
from storage.reminders import plan
from storage.types import utcnow
from tests.harness import Person, RelaisUnderTest
from tests.stories import cases, member, report_a_violence_victim_in_danger, table_rows
from tests.test_case_follow_up import open_card
from tests.test_cases_storage import T0, VIOLENCE, WEEK, enrolled, report

FORBIDDEN = ("montjoie", "violence", "addiction", "vif", "R-")


async def a_violence_case(intake: RelaisUnderTest, consent: str = "Oui") -> tuple[Person, int]:
    """Inès takes the case of a violence victim the gendarmerie reported."""
    ines = await member(intake, "Inès", Role.WORKER)
    gendarme = await member(intake, "Adjudant Morel", Role.GENDARMERIE)
    await report_a_violence_victim_in_danger(gendarme, consent=consent)
    [case] = cases(intake)
    await ines.tap("Je prends")
    return ines, case.id


async def invitation_link(worker: Person, reference: str) -> str:
    await open_card(worker, reference)
    await worker.tap("Inviter la personne")
    photo = worker.bot_messages()[-1]
    assert photo.kind == "photo"
    link = re.search(r"https://t\.me/\S+\?start=[\w-]+", photo.text)
    assert link is not None, photo.text
    assert photo.photo == qr_png(link.group(0)), "the QR code is the link itself"
    return link.group(0)


def token_of(link: str) -> str:
    return link.rsplit("=", 1)[1]


async def enrolled_person(
    intake: RelaisUnderTest, worker: Person, reference: str, auto_delete: str = "Non"
) -> Person:
    sam = intake.person("Sam")
    await sam.send(f"/start {token_of(await invitation_link(worker, reference))}")
    await sam.tap("J'accepte")
    await sam.tap("Français")
    await sam.tap("14 h – 18 h")
    await sam.tap(auto_delete)
    return sam


def beneficiary_row(intake: RelaisUnderTest, person: Person) -> Beneficiary:
    with session_scope(intake.app.engine) as session:
        found = session.exec(
            select(Beneficiary).join(Member).where(Member.telegram_id == person.id)
        ).one()
        return found


def event_kinds(intake: RelaisUnderTest, case_id: int) -> list[str]:
    with session_scope(intake.app.engine) as session:
        return list(session.exec(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)))


def freeze_clock(intake: RelaisUnderTest) -> list[datetime]:
    """The app's clock, moved by changing `now[0]`."""
    now = [utcnow()]
    intake.app.clock = lambda: now[0]
    return now


async def test_a_worker_invites_the_person_with_a_link_and_its_qr_code(
    intake: RelaisUnderTest,
) -> None:
    ines, case_id = await a_violence_case(intake)
    [case] = cases(intake)
    link = await invitation_link(ines, case.reference)
    caption = ines.last_text
    assert f"dossier {case.reference}" in caption
    assert "Il ne sert qu'une fois et expire le" in caption
    assert link.startswith("https://t.me/")
    assert table_rows(intake, "invitation") == 3  # Inès, the gendarme, the person

    siao = await member(intake, "Claire", Role.SIAO)
    await siao.tap_data(f"bn:inv:{case_id}")
    assert siao.alerts[-1] == "Ce bouton n'est pas (ou plus) disponible pour vous."
    assert table_rows(intake, "invitation") == 4, "only Claire's own enrollment"

    await ines.tap("Inviter la personne", message_id=ines.last_keyboard_message().message_id)
    second = re.search(r"start=([\w-]+)", ines.last_text).group(1)
    late = intake.person("Late")
    await late.send(f"/start {token_of(link)}")
    assert late.last_text.startswith("Ce lien n'est plus valable."), (
        "a new link replaces the previous one"
    )
    assert second != token_of(link)


async def test_no_invitation_without_consent_at_the_report(intake: RelaisUnderTest) -> None:
    ines, case_id = await a_violence_case(intake, consent="Pas encore")
    [case] = cases(intake)
    await open_card(ines, case.reference)
    assert "Inviter la personne" not in ines.buttons()
    await ines.tap_data(f"bn:inv:{case_id}")
    assert ines.alerts[-1] == "Ce bouton n'est plus valable."
    assert table_rows(intake, "invitation") == 2


async def test_the_person_agrees_only_after_reading_and_chooses_how_to_be_written_to(
    intake: RelaisUnderTest,
) -> None:
    ines, case_id = await a_violence_case(intake)
    [case] = cases(intake)
    token = token_of(await invitation_link(ines, case.reference))
    members_before = table_rows(intake, "member")

    sam = intake.person("Sam")
    await sam.send(f"/start {token}")
    assert "rappels de vos rendez-vous" in sam.last_text
    assert "toute personne qui peut ouvrir ce téléphone peut lire cette conversation" in (
        sam.last_text
    )
    assert "/arreter" in sam.last_text
    assert "/effacer" in sam.last_text
    assert sam.buttons() == ["J'accepte", "Non merci"]
    assert table_rows(intake, "member") == members_before, "nothing stored before consent"
    await sam.send("/dossiers")
    assert "demandez un lien d'invitation" in sam.last_text, "still a stranger"

    await sam.send(f"/start {token}")
    await sam.tap("Non merci")
    assert sam.last_text == (
        "C'est noté : rien n'a été enregistré, et vous ne recevrez aucun message."
    )
    for table in ("member", "beneficiary", "sent_message", "user_data"):
        assert table_rows(intake, table) == (members_before if table == "member" else 0), table

    await sam.send(f"/start {token}")
    await sam.tap("J'accepte")
    assert sam.last_text == (
        "Merci, c'est noté.\n\nDans quelle langue voulez-vous lire les messages ?"
    )
    assert ines.last_text == (
        f"La personne du dossier {case.reference} a accepté de recevoir les rappels de ses rendez-vous."
    )
    await sam.tap("Français")
    assert sam.buttons() == [
        "9 h – 12 h",
        "12 h – 14 h",
        "14 h – 18 h",
        "18 h – 20 h",
        "À tout moment (9 h – 20 h)",
    ]
    await sam.tap("14 h – 18 h")
    assert sam.buttons() == ["Non", "Après 24 h (conseillé)", "Après 48 h"]
    await sam.tap("Non")
    summary = sam.last_text
    assert "seulement entre 14 h et 18 h" in summary
    assert "Mode discret" in summary
    assert "toute personne qui peut ouvrir ce téléphone peut lire cette conversation" in summary

    person = find_member(intake.app.engine, sam.id)
    assert (person.role, person.language) == (Role.BENEFICIARY, "fr")
    row = beneficiary_row(intake, sam)
    assert row.case_id == case_id
    assert row.consent_at is not None
    assert row.withdrawn_at is None
    assert (row.safe_from, row.safe_until, row.discreet, row.auto_delete_hours) == (
        14 * 60,
        18 * 60,
        True,
        None,
    )
    assert "consent_given" in event_kinds(intake, case_id)
    await open_card(ines, case.reference)
    assert "Inviter la personne" not in ines.buttons(), "the person already agreed"

    await sam.send("/dossiers")
    assert sam.last_text.startswith("Cette action n'est pas ouverte à votre rôle.")
    for message in sam.bot_messages()[-3:]:
        lowered = message.text.lower()
        assert not any(word.lower() in lowered for word in FORBIDDEN), message.text
    consent_message = sam.bot_messages()[-3]
    assert consent_message.protect_content


async def test_stop_withdraws_consent_cancels_reminders_and_tells_the_worker(
    intake: RelaisUnderTest,
) -> None:
    ines, case_id = await a_violence_case(intake)
    [case] = cases(intake)
    sam = await enrolled_person(intake, ines, case.reference)
    person = find_member(intake.app.engine, sam.id)
    with session_scope(intake.app.engine) as session:
        plan(
            session,
            "test:eve",
            ReminderKind.APPOINTMENT_EVE,
            person.id,
            utcnow() + timedelta(days=2),
            case_id=case_id,
        )

    await sam.send("/arreter")
    assert sam.last_text == "C'est noté : vous ne recevrez plus de messages."
    assert beneficiary_row(intake, sam).withdrawn_at is not None
    with session_scope(intake.app.engine) as session:
        [reminder] = session.exec(select(Reminder).where(Reminder.member_id == person.id))
        assert reminder.status is ReminderStatus.CANCELLED
    assert "consent_withdrawn" in event_kinds(intake, case_id)
    assert ines.last_text.startswith(
        f"La personne du dossier {case.reference} a retiré son accord"
    )

    count = len(sam.bot_messages())
    assert await send_to_beneficiary(intake.app, person, "Rappel : rendez-vous demain.") is None
    assert len(sam.bot_messages()) == count, "no more messages after /arreter"

    again = token_of(await invitation_link(ines, case.reference))
    await sam.send(f"/start {again}")
    await sam.tap("J'accepte")
    renewed = beneficiary_row(intake, sam)
    assert (renewed.consent_at is not None, renewed.withdrawn_at) == (True, None)
    assert event_kinds(intake, case_id).count("consent_given") == 2


async def test_erase_deletes_recent_messages_blanks_older_ones_and_its_answer_goes_away(
    intake: RelaisUnderTest,
) -> None:
    now = freeze_clock(intake)
    ines, _case_id = await a_violence_case(intake)
    [case] = cases(intake)
    sam = await enrolled_person(intake, ines, case.reference)
    person = find_member(intake.app.engine, sam.id)
    old = await send_to_beneficiary(intake.app, person, "Rappel : rendez-vous mardi.")
    assert old is not None
    sent = sam.bot_messages()[-1]
    assert (sent.protect_content, sent.disable_notification) == (True, True), "discreet"

    intake.fake.advance(49 * 3600)
    now[0] += timedelta(hours=49)
    recent = await send_to_beneficiary(intake.app, person, "Rappel : rendez-vous jeudi.")
    assert recent is not None

    await sam.send("/effacer")
    everything = intake.fake.bot_messages(sam.id, include_deleted=True)
    by_id = {message.message_id: message for message in everything}
    assert by_id[recent.message_id].deleted
    assert by_id[old.message_id].text == "…", "too old to delete: blanked"
    assert not by_id[old.message_id].deleted
    own = [message for message in intake.fake.messages(sam.id) if not message.from_bot]
    assert own[-1].text == "/effacer"
    assert own[-1].deleted, "the command itself goes too"
    visible = [message.text for message in sam.bot_messages()]
    assert visible[-1] == "C'est fait."
    assert set(visible[:-1]) == {"…"}

    now[0] += timedelta(seconds=61)
    await intake.run_job("auto_delete")
    assert [message.text for message in sam.bot_messages()] == visible[:-1]


async def test_auto_delete_after_24_hours(intake: RelaisUnderTest) -> None:
    now = freeze_clock(intake)
    ines, _case_id = await a_violence_case(intake)
    [case] = cases(intake)
    sam = await enrolled_person(intake, ines, case.reference, auto_delete="Après 24 h (conseillé)")
    assert beneficiary_row(intake, sam).auto_delete_hours == 24
    person = find_member(intake.app.engine, sam.id)
    await send_to_beneficiary(intake.app, person, "Rappel : rendez-vous mardi.")
    assert len(sam.bot_messages()) == 2

    now[0] += timedelta(hours=23)
    await intake.run_job("auto_delete")
    assert len(sam.bot_messages()) == 2
    now[0] += timedelta(hours=2)
    intake.fake.advance(25 * 3600)
    await intake.run_job("auto_delete")
    assert sam.bot_messages() == []
    assert table_rows(intake, "sent_message") == 2


async def test_forged_and_stale_consent_buttons_store_nothing(intake: RelaisUnderTest) -> None:
    now = freeze_clock(intake)
    ines, _case_id = await a_violence_case(intake)
    [case] = cases(intake)
    members = table_rows(intake, "member")

    stranger = intake.person("Inconnu")
    await stranger.send("/start")
    await stranger.tap_data("bf:ok:" + "x" * 32)
    assert stranger.alerts[-1].startswith("Ce lien n'est plus valable.")
    await stranger.tap_data("bf:no:" + "y" * 32)
    assert stranger.alerts[-1] == "Ce bouton n'est plus valable."
    await stranger.tap_data("bf:no:garbage")  # no token of Relais: the stranger's refusal
    assert stranger.alerts[-1].startswith("Bonjour ! Relais est réservé")
    await stranger.tap_data("bf:lang:fr")
    assert stranger.alerts[-1].startswith("Bonjour ! Relais est réservé")
    await stranger.send("/effacer")
    assert "demandez un lien d'invitation" in stranger.last_text

    token = token_of(await invitation_link(ines, case.reference))
    await stranger.send(f"/start {token}")
    now[0] += intake.settings.invite_ttl + timedelta(minutes=1)
    await stranger.tap("J'accepte")
    assert stranger.alerts[-1].startswith("Ce lien n'est plus valable."), "expired meanwhile"
    await stranger.send(f"/start {token}")
    assert stranger.last_text.startswith("Ce lien n'est plus valable.")
    for table in ("beneficiary", "sent_message", "user_data"):
        assert table_rows(intake, table) == 0, table
    assert table_rows(intake, "member") == members


async def test_a_staff_member_opening_a_persons_link_is_not_enrolled_as_them(
    intake: RelaisUnderTest,
) -> None:
    ines, _case_id = await a_violence_case(intake)
    [case] = cases(intake)
    token = token_of(await invitation_link(ines, case.reference))
    await ines.send(f"/start {token}")
    assert ines.last_text.startswith("Bonjour Inès !")
    await ines.tap_data(f"bf:ok:{token}")
    assert ines.alerts[-1] == "Ce bouton n'est pas (ou plus) disponible pour vous."
    assert table_rows(intake, "beneficiary") == 0


# ------------------------------------------------------------- storage, on both databases


def test_consent_is_one_transaction_and_a_link_serves_once(engine: Engine) -> None:
    worker = enrolled(engine, Role.WORKER, 2001)
    case = report(engine, enrolled(engine, Role.CORRESPONDENT, 1001), VIOLENCE)
    invitation = invite(engine, case.id, worker.id, ttl=WEEK, now=T0)
    assert invitation is not None
    assert look_up(engine, invitation.token, T0) == (Consent.OPEN, CaseKind.VIOLENCE)
    assert look_up(engine, "no-such-token", T0) is None
    assert redeem_invitation(engine, invitation.token, telegram_id=3001, display_name="S")[0] is (
        Redemption.UNKNOWN
    ), "a person's link never enrolls without their consent"

    outcome, enrollment = give_consent(
        engine, invitation.token, telegram_id=3001, display_name="S", message_id=7, now=T0
    )
    assert outcome is Consent.GIVEN
    assert enrollment is not None
    assert (enrollment.member.role, enrollment.invited_by_id) == (Role.BENEFICIARY, worker.id)
    assert (enrollment.beneficiary.discreet, enrollment.beneficiary.consent_at) == (True, T0)
    assert give_consent(
        engine, invitation.token, telegram_id=3002, display_name="X", message_id=None, now=T0
    ) == (Consent.USED, None)
    assert give_consent(
        engine, invitation.token, telegram_id=3001, display_name="S", message_id=None, now=T0
    ) == (Consent.ALREADY, None)
    assert invite(engine, case.id, worker.id, ttl=WEEK, now=T0) is None, "already agreed"
    assert [row.message_id for row in messages_in_chat(engine, 3001)] == [7]
    assert "consent_given" in [event.kind for event in case_events(engine, case.id)]


def test_withdrawing_cancels_the_persons_reminders_and_a_new_link_replaces_the_old(
    engine: Engine,
) -> None:
    worker = enrolled(engine, Role.WORKER, 2001)
    case = report(engine, enrolled(engine, Role.CORRESPONDENT, 1001), VIOLENCE)
    first = invite(engine, case.id, worker.id, ttl=WEEK, now=T0)
    _outcome, enrollment = give_consent(
        engine, first.token, telegram_id=3001, display_name="S", message_id=None, now=T0
    )
    person = enrollment.member
    with session_scope(engine) as session:
        plan(session, "eve:1", ReminderKind.APPOINTMENT_EVE, person.id, T0 + WEEK)
    assert withdraw_consent(engine, person.id, T0 + timedelta(hours=1)).id == case.id
    assert withdraw_consent(engine, person.id, T0 + timedelta(hours=2)) is None
    with session_scope(engine) as session:
        [reminder] = session.exec(select(Reminder).where(Reminder.member_id == person.id))
        assert reminder.status is ReminderStatus.CANCELLED

    older = invite(engine, case.id, worker.id, ttl=WEEK, now=T0 + timedelta(hours=3))
    newer = invite(engine, case.id, worker.id, ttl=WEEK, now=T0 + timedelta(hours=4))
    later = T0 + timedelta(hours=5)
    assert look_up(engine, older.token, later) == (Consent.EXPIRED, None)
    assert look_up(engine, newer.token, later) == (Consent.OPEN, CaseKind.VIOLENCE)
    assert (
        give_consent(
            engine, newer.token, telegram_id=3001, display_name="S", message_id=None, now=later
        )[0]
        is Consent.GIVEN
    ), "the same person agrees again"


def test_auto_delete_times_stay_within_telegrams_48_hours(engine: Engine) -> None:
    worker = enrolled(engine, Role.WORKER, 2001)
    case = report(engine, enrolled(engine, Role.CORRESPONDENT, 1001), VIOLENCE)
    link = invite(engine, case.id, worker.id, ttl=WEEK, now=T0)
    _outcome, enrollment = give_consent(
        engine, link.token, telegram_id=3001, display_name="S", message_id=1, now=T0
    )
    record_sent(engine, 3001, 2, T0 + timedelta(hours=1))
    set_auto_delete(engine, enrollment.member.id, 48)
    assert delete_time(48, T0) == T0 + timedelta(hours=47, minutes=45)
    assert delete_time(24, T0) == T0 + timedelta(hours=24)
    assert delete_time(None, T0) is None
    assert due_deletions(engine, T0 + timedelta(hours=47)) == []
    due = due_deletions(engine, T0 + timedelta(hours=49))
    assert [row.message_id for row in due] == [1, 2]
    mark_deleted(engine, [due[0].id])
    assert [row.message_id for row in messages_in_chat(engine, 3001)] == [2]
