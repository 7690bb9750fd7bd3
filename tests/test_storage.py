"""Storage on a real database, run on SQLite and on PostgreSQL (see conftest.database_url)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event, inspect, text
from sqlmodel import SQLModel, select

from domain.vocabulary import OrganisationKind, Role
from storage.access import visible_to
from storage.crypto import use_keys
from storage.database import (
    alembic_config,
    head_revision,
    make_engine,
    schema_revision,
    session_scope,
    upgrade,
)
from storage.flyers import Opening, answer_request, create_flyer, new_token, request_access
from storage.invitations import Redemption, create_invitation, redeem_invitation
from storage.members import ensure_organisation, find_member, set_language
from storage.models import Case, Member, Reminder
from storage.persistence import DatabasePersistence
from storage.types import utcnow
from tests.databases import TEST_KEY

WEEK = timedelta(days=7)


def _organisation_id(engine: Engine) -> int:
    return ensure_organisation(engine, "Sarthe Habitat", OrganisationKind.LANDLORD).id


def test_the_migrations_build_exactly_the_schema_the_models_describe(engine: Engine) -> None:
    assert schema_revision(engine) == head_revision(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_an_organisation_is_found_again_by_its_name_not_duplicated(engine: Engine) -> None:
    first = ensure_organisation(engine, "Gendarmerie  de Mamers", OrganisationKind.GENDARMERIE)
    again = ensure_organisation(engine, "Gendarmerie de Mamers", OrganisationKind.OTHER)
    assert again.id == first.id
    assert again.kind is OrganisationKind.GENDARMERIE


def test_an_invitation_enrolls_once_with_its_role_and_organisation(engine: Engine) -> None:
    organisation_id = _organisation_id(engine)
    invitation = create_invitation(
        engine, role=Role.CORRESPONDENT, organisation_id=organisation_id, ttl=WEEK
    )

    outcome, member = redeem_invitation(
        engine, invitation.token, telegram_id=5_000_000_001, display_name="Camille"
    )
    assert outcome is Redemption.ENROLLED
    assert member is not None
    assert (member.role, member.organisation_id) == (Role.CORRESPONDENT, organisation_id)
    assert find_member(engine, 5_000_000_001).display_name == "Camille"

    again, nobody = redeem_invitation(
        engine, invitation.token, telegram_id=77, display_name="Someone else"
    )
    assert (again, nobody) == (Redemption.USED, None)
    assert find_member(engine, 77) is None


def test_an_expired_or_unknown_invitation_enrolls_nobody(engine: Engine) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=8)
    expired = create_invitation(
        engine, role=Role.WORKER, organisation_id=_organisation_id(engine), ttl=WEEK, now=long_ago
    )
    assert redeem_invitation(engine, expired.token, telegram_id=1, display_name="A") == (
        Redemption.EXPIRED,
        None,
    )
    assert redeem_invitation(engine, "not-a-token", telegram_id=1, display_name="A") == (
        Redemption.UNKNOWN,
        None,
    )
    assert find_member(engine, 1) is None


def test_a_member_opening_another_invitation_keeps_it_unused(engine: Engine) -> None:
    organisation_id = _organisation_id(engine)
    first = create_invitation(engine, role=Role.ADMIN, organisation_id=organisation_id, ttl=WEEK)
    second = create_invitation(engine, role=Role.WORKER, organisation_id=organisation_id, ttl=WEEK)
    redeem_invitation(engine, first.token, telegram_id=10, display_name="Admin")

    outcome, member = redeem_invitation(engine, second.token, telegram_id=10, display_name="A")
    assert outcome is Redemption.ALREADY_MEMBER
    assert member.role is Role.ADMIN
    assert redeem_invitation(engine, second.token, telegram_id=11, display_name="B")[0] is (
        Redemption.ENROLLED
    )


def test_only_a_hash_of_the_token_is_stored(engine: Engine) -> None:
    invitation = create_invitation(
        engine, role=Role.ADMIN, organisation_id=_organisation_id(engine), ttl=WEEK
    )
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT token_hash FROM invitation")).all()
    assert rows
    assert all(invitation.token not in row.token_hash for row in rows)


def test_two_people_opening_the_same_link_at_once_enroll_one(engine: Engine) -> None:
    invitation = create_invitation(
        engine, role=Role.SIAO, organisation_id=_organisation_id(engine), ttl=WEEK
    )
    start = threading.Barrier(2)
    outcomes: list[Redemption] = []

    def open_link(telegram_id: int) -> None:
        start.wait()
        outcomes.append(
            redeem_invitation(engine, invitation.token, telegram_id=telegram_id, display_name="X")[
                0
            ]
        )

    threads = [threading.Thread(target=open_link, args=(user,)) for user in (21, 22)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == sorted([Redemption.ENROLLED, Redemption.USED])
    with session_scope(engine) as session:
        assert len(session.exec(select(Member)).all()) == 1


def test_a_chosen_language_is_kept(engine: Engine) -> None:
    invitation = create_invitation(
        engine, role=Role.WORKER, organisation_id=_organisation_id(engine), ttl=WEEK
    )
    _, member = redeem_invitation(engine, invitation.token, telegram_id=31, display_name="W")
    assert member.language is None
    set_language(engine, member.id, "en")
    assert find_member(engine, 31).language == "en"


def test_dates_are_stored_as_utc_and_naive_ones_are_refused(engine: Engine) -> None:
    paris_noon = datetime(2026, 3, 29, 12, 0, tzinfo=UTC) + timedelta(hours=0)
    invitation = create_invitation(
        engine,
        role=Role.WORKER,
        organisation_id=_organisation_id(engine),
        ttl=WEEK,
        now=paris_noon,
    )
    assert invitation.expires_at == paris_noon + WEEK
    with pytest.raises(Exception, match="naive"):
        create_invitation(
            engine,
            role=Role.WORKER,
            organisation_id=_organisation_id(engine),
            ttl=WEEK,
            now=datetime(2026, 3, 29, 12, 0),  # noqa: DTZ001 - the point of the test
        )


async def test_persistence_keeps_conversations_and_drafts_but_never_empty_user_data(
    engine: Engine,
) -> None:
    persistence = DatabasePersistence(engine)
    await persistence.update_conversation("report", (42, 42), "where")
    await persistence.update_user_data(42, {"draft": {"type": "violence", "adults": 1}})
    await persistence.update_user_data(99, {})  # a stranger: PTB hands over an empty dict

    again = DatabasePersistence(engine)
    assert await again.get_conversations("report") == {(42, 42): "where"}
    assert await again.get_user_data() == {42: {"draft": {"type": "violence", "adults": 1}}}

    await again.update_conversation("report", (42, 42), None)
    await again.update_user_data(42, {})
    assert await again.get_conversations("report") == {}
    assert await again.get_user_data() == {}


async def test_persistence_writes_a_change_once_and_a_repeat_not_at_all(engine: Engine) -> None:
    """PTB hands every state and every user's data over after each update, changed or not."""
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    persistence = DatabasePersistence(engine)
    await persistence.get_conversations("report")
    await persistence.get_user_data()
    statements.clear()

    await persistence.update_conversation("report", (42, 42), "where")
    await persistence.update_user_data(42, {"language": "fr"})
    writes = [sql for sql in statements if sql.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(writes) == 2
    statements.clear()

    await persistence.update_conversation("report", (42, 42), "where")
    await persistence.update_user_data(42, {"language": "fr"})
    await persistence.update_user_data(99, {})  # a stranger: nothing to write, ever
    assert statements == []

    await persistence.update_conversation("report", (42, 42), "adults")
    await persistence.update_user_data(42, {"language": "en"})
    again = DatabasePersistence(engine)
    assert await again.get_conversations("report") == {(42, 42): "adults"}
    assert await again.get_user_data() == {42: {"language": "en"}}


def test_the_upgrade_keeps_a_planned_reminders_due_time_as_the_time_it_was_owed(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        command.upgrade(alembic_config(engine), "0008")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisation (id, name, kind, created_at)"
                    " VALUES (1, 'O', 'other', '2026-01-01 00:00:00+00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO member (id, telegram_id, display_name, role, organisation_id, active,"
                    " created_at) VALUES (1, 9, 'x', 'worker', 1, true, '2026-01-01 00:00:00+00:00')"
                )
            )
            connection.execute(text(
                "INSERT INTO reminder (key, kind, member_id, due_at, status, attempts, payload,"
                " created_at) VALUES ('k', 'daily_digest', 1, '2026-12-01 07:00:00+00:00',"
                " 'pending', 0, '{}', '2026-01-01 00:00:00+00:00')"
            ))  # fmt: skip
        upgrade(engine)
        with session_scope(engine) as session:
            reminder = session.exec(select(Reminder)).one()
        assert reminder.original_due_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    finally:
        engine.dispose()


def test_the_upgrade_gives_each_existing_case_its_channel_from_the_reporting_organisation(
    database_url: str,
) -> None:
    """Before 0013 a case did not say which channel it came through: a landlord's staff
    report as site correspondents, a brigade as the gendarmerie, the SIAO as itself, and
    anyone else (Montjoie, the coordination) as "other"."""
    engine = make_engine(database_url)
    organisations = {1: "landlord", 2: "gendarmerie", 3: "siao", 4: "association"}
    use_keys([TEST_KEY])
    try:
        command.upgrade(alembic_config(engine), "0012")
        with engine.begin() as connection:
            for number, kind in organisations.items():
                connection.execute(text(
                    f"INSERT INTO organisation (id, name, kind, created_at) VALUES ({number},"
                    f" 'O{number}', '{kind}', '2026-01-01 00:00:00+00:00')"
                ))  # fmt: skip
                connection.execute(text(
                    "INSERT INTO member (id, telegram_id, display_name, role, organisation_id,"
                    f" active, created_at) VALUES ({number}, {number}, 'x', 'worker', {number},"
                    " true, '2026-01-01 00:00:00+00:00')"
                ))  # fmt: skip
                connection.execute(text(
                    "INSERT INTO referral_case (reference, submission_key, kind, urgent, status,"
                    " qpv, consent, answers, source_member_id, source_organisation_id,"
                    " created_at, status_changed_at, beneficiary_consent) VALUES"
                    f" ('R-2026-000{number}', 'k{number}', 'addiction', false, 'received',"
                    f" 'no', 'yes', 'x', {number}, {number}, '2026-01-01 00:00:00+00:00',"
                    " '2026-01-01 00:00:00+00:00', false)"
                ))  # fmt: skip
        upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT reference, source_kind, imported FROM referral_case")
            ).all()
        assert sorted(rows) == [
            ("R-2026-0001", "correspondent", False),
            ("R-2026-0002", "gendarmerie", False),
            ("R-2026-0003", "siao", False),
            ("R-2026-0004", "other", False),
        ]
    finally:
        engine.dispose()


def _reminder_indexes(engine: Engine) -> dict[str, list[str]]:
    return {
        index["name"]: index["column_names"] for index in inspect(engine).get_indexes("reminder")
    }


def test_the_upgrade_indexes_reminders_by_status_and_due_time_and_keeps_them(
    database_url: str,
) -> None:
    """The dispatcher's query reads the pending reminders by due time: from 0014 one index
    on both takes the place of one on each (benchmarks/store_scale.py)."""
    engine = make_engine(database_url)
    try:
        command.upgrade(alembic_config(engine), "0013")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO organisation (id, name, kind, created_at)"
                " VALUES (1, 'O', 'other', '2026-01-01 00:00:00+00:00')"
            ))  # fmt: skip
            connection.execute(text(
                "INSERT INTO member (id, telegram_id, display_name, role, organisation_id, active,"
                " created_at) VALUES (1, 9, 'x', 'worker', 1, true, '2026-01-01 00:00:00+00:00')"
            ))  # fmt: skip
            connection.execute(text(
                "INSERT INTO reminder (key, kind, member_id, due_at, original_due_at, status,"
                " attempts, payload, created_at) VALUES ('k', 'daily_digest', 1,"
                " '2026-12-01 07:00:00+00:00', '2026-12-01 07:00:00+00:00', 'pending', 0, '{}',"
                " '2026-01-01 00:00:00+00:00')"
            ))  # fmt: skip
        before = _reminder_indexes(engine)
        assert (before["ix_reminder_status"], before["ix_reminder_due_at"]) == (
            ["status"], ["due_at"]
        )  # fmt: skip
        upgrade(engine)
        assert {
            name: columns
            for name, columns in _reminder_indexes(engine).items()
            if name not in before
        } == {"ix_reminder_status_due_at": ["status", "due_at"]}
        assert set(before) - set(_reminder_indexes(engine)) == {
            "ix_reminder_status",
            "ix_reminder_due_at",
        }
        with session_scope(engine) as session:
            assert [reminder.key for reminder in session.exec(select(Reminder))] == ["k"]
        command.downgrade(alembic_config(engine), "0013")
        assert _reminder_indexes(engine) == before
    finally:
        engine.dispose()


def test_the_upgrade_to_several_landlords_keeps_what_each_person_saw(database_url: str) -> None:
    """A database of one landlord, Sarthe Habitat (1), before 0016: its referent Hélène saw
    the cases her organisation reported (R-…1, by its correspondent) and those she was put on
    (R-…2, a brigade's); not the brigade's other case (R-…3) nor Montjoie's (R-…4). After the
    upgrade she sees the same, the workers every case, and the landlord's sites and reserved
    homes are its own."""
    engine = make_engine(database_url)
    use_keys([TEST_KEY])
    organisations = {1: "landlord", 2: "gendarmerie", 3: "association"}
    # member id → (role, organisation)
    members = {1: ("correspondent", 1), 2: ("landlord_referent", 1), 3: ("gendarmerie", 2),
               4: ("worker", 3)}  # fmt: skip
    # case number → (reporting member, landlord referent on it)
    reports = {1: (1, "NULL"), 2: (3, "2"), 3: (3, "NULL"), 4: (4, "NULL")}
    try:
        command.upgrade(alembic_config(engine), "0014")
        with engine.begin() as connection:
            for number, kind in organisations.items():
                connection.execute(text(
                    f"INSERT INTO organisation (id, name, kind, created_at) VALUES ({number},"
                    f" 'O{number}', '{kind}', '2026-01-01 00:00:00+00:00')"
                ))  # fmt: skip
            for number, (role, organisation) in members.items():
                connection.execute(text(
                    "INSERT INTO member (id, telegram_id, display_name, role, organisation_id,"
                    f" active, created_at) VALUES ({number}, {number}, 'x', '{role}',"
                    f" {organisation}, true, '2026-01-01 00:00:00+00:00')"
                ))  # fmt: skip
            connection.execute(text(
                "INSERT INTO site (id, name, commune, sector, qpv, active)"
                " VALUES (1, 'Les Glonnières', 'Le Mans', 'Sud', true, true)"
            ))  # fmt: skip
            connection.execute(text(
                "INSERT INTO reserved_home (id, label, commune, size, qpv, kind)"
                " VALUES (1, 'Les Tilleuls', 'Le Mans', 'T3', false, 'addiction')"
            ))  # fmt: skip
            for number, (source, referent) in reports.items():
                connection.execute(text(
                    "INSERT INTO referral_case (reference, submission_key, kind, urgent, status,"
                    " qpv, consent, answers, source_member_id, source_organisation_id,"
                    " source_kind, imported, landlord_referent_id, created_at,"
                    " status_changed_at, beneficiary_consent) VALUES"
                    f" ('R-2026-000{number}', 'k{number}', 'violence', false, 'diagnostic',"
                    f" 'no', 'yes', 'x', {source}, {members[source][1]}, 'other', false,"
                    f" {referent}, '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00',"
                    " false)"
                ))  # fmt: skip
                # Every case has its timeline: batch mode's copy of the case table must not
                # trip over the rows pointing at it (SQLite's foreign keys).
                connection.execute(text(
                    "INSERT INTO case_event (case_id, at, kind, to_status) SELECT id,"
                    f" '2026-01-01 00:00:00+00:00', 'created', 'received' FROM referral_case"
                    f" WHERE reference = 'R-2026-000{number}'"
                ))  # fmt: skip
            # The correspondent's report names the landlord's residence, and is housed.
            connection.execute(text(
                "UPDATE referral_case SET site_id = 1 WHERE reference = 'R-2026-0001'"
            ))  # fmt: skip
            connection.execute(text(
                "UPDATE reserved_home SET case_id = (SELECT id FROM referral_case"
                " WHERE reference = 'R-2026-0001')"
            ))  # fmt: skip
        upgrade(engine)
        # The rows hold no encrypted values: read who sees what with the rule's own SQL.
        helene = Member(id=2, role=Role.LANDLORD_REFERENT, organisation_id=1)
        ines = Member(id=4, role=Role.WORKER, organisation_id=3)
        with session_scope(engine) as session:
            seen = {
                name: sorted(session.exec(select(Case.reference).where(visible_to(who))))
                for name, who in (("Hélène", helene), ("Inès", ines))
            }
        assert seen == {
            "Hélène": ["R-2026-0001", "R-2026-0002"],
            "Inès": ["R-2026-0001", "R-2026-0002", "R-2026-0003", "R-2026-0004"],
        }
        with engine.connect() as connection:
            owners = {
                table: connection.execute(text(f"SELECT landlord_id FROM {table}")).all()
                for table in ("site", "reserved_home")
            }
        assert owners == {"site": [(1,)], "reserved_home": [(1,)]}
    finally:
        engine.dispose()


def _flyer_and_request(engine: Engine) -> tuple[str, int]:
    """A gendarmerie flyer's token, and a request made through it."""
    now = datetime.now(UTC)
    token = new_token()
    create_flyer(
        engine,
        token,
        role=Role.GENDARMERIE,
        organisation_id=ensure_organisation(engine, "Brigade", OrganisationKind.GENDARMERIE).id,
        ttl=timedelta(days=183),
        now=now,
    )
    opening, request = request_access(
        engine, token, telegram_id=5_000_000_007, display_name="Morel", language="fr",
        now=now, day_start=now - timedelta(hours=1), limit=20,
    )  # fmt: skip
    assert opening is Opening.OPEN
    assert request is not None
    return token, request.id


def test_only_a_hash_of_a_flyers_token_is_stored(engine: Engine) -> None:
    token, _request = _flyer_and_request(engine)
    with engine.connect() as connection:
        [stored] = connection.execute(text("SELECT token_hash FROM flyer_link")).scalars()
    assert token not in stored
    assert len(token) <= 64, "a deep link's start parameter"


def test_two_admins_answering_one_access_request_at_once_enroll_once(engine: Engine) -> None:
    _token, request_id = _flyer_and_request(engine)
    landlord = _organisation_id(engine)
    with session_scope(engine) as session:
        people = [
            Member(
                telegram_id=telegram_id,
                display_name="A",
                role=Role.ADMIN,
                organisation_id=landlord,
            )
            for telegram_id in (61, 62)
        ]
        session.add_all(people)
    start = threading.Barrier(2)
    answers = []

    def accept(admin: Member) -> None:
        start.wait()
        answers.append(answer_request(engine, request_id, admin.id, accept=True, now=utcnow()))

    threads = [threading.Thread(target=accept, args=(admin,)) for admin in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answer is None for answer in answers) == [False, True]
    with session_scope(engine) as session:
        assert (
            len(session.exec(select(Member).where(Member.telegram_id == 5_000_000_007)).all()) == 1
        )
    with engine.connect() as connection:
        accepted = connection.execute(
            text("SELECT COUNT(*) FROM audit_entry WHERE action = 'access.accepted'")
        ).scalar_one()
        assert accepted == 1
        assert connection.execute(text("SELECT COUNT(*) FROM access_request")).scalar_one() == 0


def test_the_upgrade_to_0015_adds_the_flyers_tables_and_keeps_what_was_there(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        command.upgrade(alembic_config(engine), "0014")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO organisation (name, kind, created_at)"
                " VALUES ('O', 'other', '2026-01-01 00:00:00+00:00')"
            ))  # fmt: skip
        before = set(inspect(engine).get_table_names())
        upgrade(engine)
        engine.dispose()
        assert set(inspect(engine).get_table_names()) - before == {
            "flyer_link",
            "access_request",
            "access_request_message",
        }
        _flyer_and_request(engine)
        with engine.connect() as connection:
            assert connection.execute(
                text("SELECT name FROM organisation ORDER BY id")
            ).scalars().all() == [
                "O",
                "Brigade",
            ]
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_entry"))
            connection.execute(text("DELETE FROM access_request"))
            connection.execute(text("DELETE FROM flyer_link"))
        command.downgrade(alembic_config(engine), "0014")
        engine.dispose()
        assert set(inspect(engine).get_table_names()) == before
    finally:
        engine.dispose()
