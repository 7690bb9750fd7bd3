"""Reports, cases, drafts and sites on a real database, run on SQLite and on PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from domain.referral import REVIEW
from domain.vocabulary import (
    CaseKind,
    CaseStatus,
    OrganisationKind,
    ReminderKind,
    ReminderStatus,
    Role,
)
from storage.cases import (
    case_events,
    cases_reported_by,
    get_case,
    mark_escalated,
    submit_report,
    take_case,
)
from storage.database import session_scope
from storage.drafts import (
    drafts_to_remind,
    expired_drafts,
    find_draft,
    mark_reminded,
    save_draft,
    start_draft,
)
from storage.invitations import Redemption, create_invitation, redeem_invitation
from storage.members import ensure_organisation
from storage.models import Case, Member, Reminder, ReportDraft, Site
from storage.sites import (
    SitesFileError,
    active_sites,
    get_site,
    read_sites_file,
    sync_sites,
)
from tests.stories import VIOLENCE_ANSWERS

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
DELAY = timedelta(hours=2)
URGENT_DELAY = timedelta(minutes=30)
HEADER = "name,commune,sector,qpv"

VIOLENCE = VIOLENCE_ANSWERS
IN_DANGER: dict[str, object] = {
    "kind": "violence",
    "danger": "yes",
    "who": "Mme L.",
    "commune": "Mamers",
    "qpv": "unknown",
    "consent": "not_yet",
    "contact": "via_referrer",
}
ADDICTION_ELSEWHERE: dict[str, object] = {
    "kind": "addiction",
    "danger": "no",
    "who": "M. D.",
    "adults": 1,
    "children": 0,
    "site": "other",
    "commune": "Sablé-sur-Sarthe",
    "qpv": "unknown",
    "consent": "yes",
    "contact": "+33612345678",
    "safe_times": ["evening"],
    "observed": ["neighbours"],
    "eviction": "no",
    "support": ["none"],
    "note": None,
}


def enrolled(engine: Engine, role: Role, telegram_id: int) -> Member:
    organisation = ensure_organisation(engine, "Sarthe Habitat", OrganisationKind.LANDLORD)
    invitation = create_invitation(engine, role=role, organisation_id=organisation.id, ttl=WEEK)
    outcome, member = redeem_invitation(
        engine, invitation.token, telegram_id=telegram_id, display_name=f"{role} {telegram_id}"
    )
    assert outcome is Redemption.ENROLLED
    assert member is not None
    return member


@pytest.fixture
def referrer(engine: Engine) -> Member:
    return enrolled(engine, Role.CORRESPONDENT, 1001)


def filled_draft(engine: Engine, member: Member, answers: dict[str, object]) -> ReportDraft:
    """A draft at the review, read back from the database as the bot does before sending."""
    draft = start_draft(engine, member.id, "kind")
    draft.answers, draft.current = dict(answers), REVIEW
    save_draft(engine, draft, T0)
    found = find_draft(engine, member.id)
    assert found is not None
    return found


def report(
    engine: Engine,
    member: Member,
    answers: dict[str, object] = VIOLENCE,
    *,
    year: int = 2026,
    at: datetime = T0,
) -> Case:
    delay = URGENT_DELAY if answers.get("danger") == "yes" else DELAY
    case, created = submit_report(
        engine,
        filled_draft(engine, member, answers),
        member,
        year=year,
        now=at,
        escalate_after=delay,
    )
    assert created
    return case


def escalations(engine: Engine) -> dict[str, tuple[datetime, ReminderStatus]]:
    """Each case's planned escalation: when, and whether it is still to come."""
    with session_scope(engine) as session:
        rows = session.exec(select(Reminder).where(Reminder.kind == ReminderKind.ESCALATION))
        return {get_case(engine, row.case_id).reference: (row.due_at, row.status) for row in rows}


def draft_ids(drafts: list[ReportDraft]) -> set[str]:
    return {draft.id for draft in drafts}


def sites_file(folder: Path, *lines: str) -> Path:
    path = folder / "sites.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def site(name: str, sector: str = "Sud", *, qpv: bool = False) -> Site:
    return Site(name=name, commune="Le Mans", sector=sector, qpv=qpv)


def test_the_first_reports_of_the_year_are_r_2026_0001_then_r_2026_0002(
    engine: Engine, referrer: Member
) -> None:
    first = report(engine, referrer)
    second = report(engine, referrer)

    assert (first.reference, second.reference) == ("R-2026-0001", "R-2026-0002")


def test_the_numbering_starts_again_at_0001_each_year(engine: Engine, referrer: Member) -> None:
    references = [report(engine, referrer, year=year).reference for year in (2025, 2025, 2026)]
    references.append(report(engine, referrer, year=2025).reference)

    assert references == ["R-2025-0001", "R-2025-0002", "R-2026-0001", "R-2025-0003"]


def test_a_sent_report_becomes_a_received_case_with_a_created_event_and_its_draft_is_gone(
    engine: Engine, referrer: Member
) -> None:
    draft = filled_draft(engine, referrer, IN_DANGER)

    case, created = submit_report(engine, draft, referrer, year=2026, now=T0)

    assert created
    assert find_draft(engine, referrer.id) is None
    stored = get_case(engine, case.id)
    assert stored is not None
    assert (stored.kind, stored.urgent, stored.status) == (
        CaseKind.VIOLENCE,
        True,
        CaseStatus.RECEIVED,
    )
    assert (stored.commune, stored.sector, stored.qpv, stored.consent) == (
        "Mamers",
        None,
        "unknown",
        "not_yet",
    )
    assert (stored.source_member_id, stored.source_organisation_id) == (
        referrer.id,
        referrer.organisation_id,
    )
    assert stored.submission_key == draft.id
    assert stored.created_at == T0
    assert stored.answers == IN_DANGER
    assert [(e.kind, e.actor_member_id, e.to_status) for e in case_events(engine, case.id)] == [
        ("created", referrer.id, CaseStatus.RECEIVED)
    ]


def test_sending_the_same_draft_twice_returns_the_first_case_and_creates_nothing_more(
    engine: Engine, referrer: Member
) -> None:
    draft = filled_draft(engine, referrer, VIOLENCE)

    first, created = submit_report(engine, draft, referrer, year=2026, now=T0)
    again, created_again = submit_report(
        engine, draft, referrer, year=2026, now=T0 + timedelta(seconds=2)
    )

    assert (created, created_again) == (True, False)
    assert (again.id, again.reference) == (first.id, "R-2026-0001")
    assert [case.id for case in cases_reported_by(engine, referrer.id)] == [first.id]
    assert [event.kind for event in case_events(engine, first.id)] == ["created"]


def test_a_residence_from_the_list_fills_the_commune_sector_and_qpv(
    engine: Engine, referrer: Member
) -> None:
    sync_sites(engine, [Site(name="Les Glonnières", commune="Le Mans", sector="Sud", qpv=True)])
    [glonnieres] = active_sites(engine)

    case = report(engine, referrer, {**ADDICTION_ELSEWHERE, "site": glonnieres.id})

    stored = get_case(engine, case.id)
    assert stored is not None
    assert (stored.site_id, stored.commune, stored.sector, stored.qpv) == (
        glonnieres.id,
        "Le Mans",
        "Sud",
        "yes",
    )


def test_a_residence_outside_the_list_keeps_the_typed_commune_and_qpv(
    engine: Engine, referrer: Member
) -> None:
    case = report(engine, referrer, ADDICTION_ELSEWHERE)

    stored = get_case(engine, case.id)
    assert stored is not None
    assert (stored.kind, stored.site_id, stored.commune, stored.sector, stored.qpv) == (
        CaseKind.ADDICTION,
        None,
        "Sablé-sur-Sarthe",
        None,
        "unknown",
    )


def test_the_first_worker_to_tap_takes_the_case(engine: Engine, referrer: Member) -> None:
    worker = enrolled(engine, Role.WORKER, 2001)
    case = report(engine, referrer)

    taken, taken_case = take_case(engine, case.id, worker, now=T0 + timedelta(minutes=5))

    assert taken
    assert taken_case is not None
    assert (taken_case.assigned_worker_id, taken_case.taken_at) == (
        worker.id,
        T0 + timedelta(minutes=5),
    )
    assert [(e.kind, e.actor_member_id) for e in case_events(engine, case.id)] == [
        ("created", referrer.id),
        ("taken", worker.id),
    ]


def test_a_second_worker_tapping_too_late_gets_the_case_as_taken_by_the_first(
    engine: Engine, referrer: Member
) -> None:
    first, second = (enrolled(engine, Role.WORKER, telegram_id) for telegram_id in (2001, 2002))
    case = report(engine, referrer)
    take_case(engine, case.id, first, now=T0 + timedelta(minutes=5))

    taken, seen = take_case(engine, case.id, second, now=T0 + timedelta(minutes=6))

    assert not taken
    assert seen is not None
    assert (seen.assigned_worker_id, seen.taken_at) == (first.id, T0 + timedelta(minutes=5))
    assert [event.kind for event in case_events(engine, case.id)] == ["created", "taken"]


def test_tapping_on_a_case_that_does_not_exist_takes_nothing(engine: Engine) -> None:
    worker = enrolled(engine, Role.WORKER, 2001)

    assert take_case(engine, 4242, worker) == (False, None)


def test_two_workers_tapping_at_the_same_moment_make_exactly_one_taker(
    engine: Engine, referrer: Member
) -> None:
    workers = [enrolled(engine, Role.WORKER, telegram_id) for telegram_id in (2001, 2002)]
    case = report(engine, referrer)
    start = threading.Barrier(len(workers))
    outcomes: dict[int, bool] = {}

    def tap(worker: Member) -> None:
        start.wait()
        outcomes[worker.id] = take_case(engine, case.id, worker)[0]

    threads = [threading.Thread(target=tap, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) == [False, True]
    [winner] = [worker_id for worker_id, taken in outcomes.items() if taken]
    stored = get_case(engine, case.id)
    assert stored is not None
    assert stored.assigned_worker_id == winner
    assert [event.kind for event in case_events(engine, case.id)] == ["created", "taken"]


def test_an_urgent_case_is_escalated_sooner_than_a_normal_one(
    engine: Engine, referrer: Member
) -> None:
    normal = report(engine, referrer, VIOLENCE)
    urgent = report(engine, referrer, IN_DANGER)

    assert escalations(engine) == {
        normal.reference: (T0 + DELAY, ReminderStatus.PENDING),
        urgent.reference: (T0 + URGENT_DELAY, ReminderStatus.PENDING),
    }


def test_a_taken_case_is_not_escalated(engine: Engine, referrer: Member) -> None:
    worker = enrolled(engine, Role.WORKER, 2001)
    taken, waiting = report(engine, referrer), report(engine, referrer)
    take_case(engine, taken.id, worker, now=T0 + timedelta(hours=3))

    assert escalations(engine) == {
        taken.reference: (T0 + DELAY, ReminderStatus.CANCELLED),
        waiting.reference: (T0 + DELAY, ReminderStatus.PENDING),
    }


def test_marking_a_case_escalated_twice_keeps_the_first_time_and_one_event(
    engine: Engine, referrer: Member
) -> None:
    case = report(engine, referrer)

    mark_escalated(engine, case.id, T0 + DELAY)
    mark_escalated(engine, case.id, T0 + DELAY + timedelta(minutes=10))

    stored = get_case(engine, case.id)
    assert stored is not None
    assert stored.escalated_at == T0 + DELAY
    assert [(event.kind, event.at) for event in case_events(engine, case.id)] == [
        ("created", T0),
        ("escalated", T0 + DELAY),
    ]


def test_starting_a_new_report_replaces_the_members_unfinished_draft_only(
    engine: Engine, referrer: Member
) -> None:
    gendarme = enrolled(engine, Role.GENDARMERIE, 1002)
    gendarmes_draft = start_draft(engine, gendarme.id, "kind", now=T0)
    abandoned = start_draft(engine, referrer.id, "kind", now=T0)
    abandoned.answers = {"kind": "violence"}
    save_draft(engine, abandoned, T0)

    fresh = start_draft(engine, referrer.id, "kind", now=T0)

    found = find_draft(engine, referrer.id)
    assert found is not None
    assert (found.id, found.answers, found.current) == (fresh.id, {}, "kind")
    assert draft_ids(expired_drafts(engine, T0 + WEEK * 52)) == {fresh.id, gendarmes_draft.id}


def test_an_idle_draft_is_reminded_once_until_it_is_saved_again(
    engine: Engine, referrer: Member
) -> None:
    draft = start_draft(engine, referrer.id, "kind")
    save_draft(engine, draft, T0)
    assert drafts_to_remind(engine, T0 - timedelta(seconds=1)) == []
    assert draft_ids(drafts_to_remind(engine, T0)) == {draft.id}

    mark_reminded(engine, draft.id, T0 + timedelta(hours=1))
    assert drafts_to_remind(engine, T0 + timedelta(hours=1)) == []

    reminded = find_draft(engine, referrer.id)
    assert reminded is not None
    assert reminded.reminded_at == T0 + timedelta(hours=1)
    reminded.answers = {"kind": "addiction"}
    save_draft(engine, reminded, T0 + timedelta(hours=2))

    saved = find_draft(engine, referrer.id)
    assert saved is not None
    assert (saved.reminded_at, saved.updated_at) == (None, T0 + timedelta(hours=2))
    assert drafts_to_remind(engine, T0 + timedelta(hours=1)) == []
    assert draft_ids(drafts_to_remind(engine, T0 + timedelta(hours=2))) == {draft.id}


def test_drafts_expire_by_idle_time_whether_reminded_or_not(
    engine: Engine, referrer: Member
) -> None:
    gendarme = enrolled(engine, Role.GENDARMERIE, 1002)
    old = start_draft(engine, referrer.id, "kind")
    save_draft(engine, old, T0)
    mark_reminded(engine, old.id, T0 + timedelta(hours=1))
    recent = start_draft(engine, gendarme.id, "kind")
    save_draft(engine, recent, T0 + timedelta(hours=3))

    assert draft_ids(expired_drafts(engine, T0 + timedelta(hours=2))) == {old.id}
    assert draft_ids(expired_drafts(engine, T0 + timedelta(hours=3))) == {old.id, recent.id}
    assert draft_ids(drafts_to_remind(engine, T0 + timedelta(hours=3))) == {recent.id}


def test_a_sites_file_is_read_with_yes_or_no_in_english_or_french(tmp_path: Path) -> None:
    path = sites_file(
        tmp_path,
        HEADER,
        "Les Glonnières,Le Mans,Sud,yes",
        " Bellevue , Sablé-sur-Sarthe ,Ouest, Non",
        "Le Gué,Mamers,Nord,OUI",
    )

    sites = read_sites_file(path)

    assert [(s.name, s.commune, s.sector, s.qpv) for s in sites] == [
        ("Les Glonnières", "Le Mans", "Sud", True),
        ("Bellevue", "Sablé-sur-Sarthe", "Ouest", False),
        ("Le Gué", "Mamers", "Nord", True),
    ]


def test_a_sites_file_with_another_header_is_refused(tmp_path: Path) -> None:
    path = sites_file(tmp_path, "nom,commune,secteur,qpv", "Bellevue,Sablé-sur-Sarthe,Ouest,no")

    with pytest.raises(SitesFileError, match=f"the header must be {HEADER}"):
        read_sites_file(path)


def test_a_bad_qpv_value_is_refused_with_its_line_number(tmp_path: Path) -> None:
    path = sites_file(
        tmp_path,
        HEADER,
        "Les Glonnières,Le Mans,Sud,yes",
        "Bellevue,Sablé-sur-Sarthe,Ouest,peut-être",
    )

    with pytest.raises(SitesFileError, match="line 3:"):
        read_sites_file(path)


def test_an_empty_column_is_refused_with_its_line_number(tmp_path: Path) -> None:
    path = sites_file(tmp_path, HEADER, "Bellevue,,Ouest,no")

    with pytest.raises(SitesFileError, match="line 2:"):
        read_sites_file(path)


def test_a_name_longer_than_the_form_shows_is_refused_with_its_line_number(
    tmp_path: Path,
) -> None:
    read_sites_file(sites_file(tmp_path, HEADER, f"{'R' * 120},{'C' * 80},{'S' * 80},no"))
    for too_long in (f"{'R' * 121},Mamers,Nord,no", f"Le Gué,{'C' * 81},Nord,no"):
        path = sites_file(tmp_path, HEADER, "Les Glonnières,Le Mans,Sud,yes", too_long)
        with pytest.raises(
            SitesFileError, match=r"line 3: the \w+ has 1?[0-9]+ characters at most"
        ):
            read_sites_file(path)
    path = sites_file(tmp_path, HEADER, f"Le Gué,Mamers,{'S' * 81},no")
    with pytest.raises(SitesFileError, match="line 2: the sector has 80 characters at most"):
        read_sites_file(path)


def test_a_line_missing_its_last_columns_is_refused_with_its_line_number(tmp_path: Path) -> None:
    path = sites_file(tmp_path, HEADER, "Les Glonnières,Le Mans,Sud,yes", "Bellevue,Sablé")

    with pytest.raises(SitesFileError, match="line 3:"):
        read_sites_file(path)


def test_a_new_sites_file_keeps_each_sites_id_by_name_and_withdraws_the_removed_ones(
    engine: Engine,
) -> None:
    sync_sites(engine, [site("Les Glonnières", qpv=True), site("Bellevue")])
    ids = {s.name: s.id for s in active_sites(engine)}

    sync_sites(engine, [site("Bellevue", "Ouest"), site("Le Gué")])

    active = {s.name: s for s in active_sites(engine)}
    assert set(active) == {"Bellevue", "Le Gué"}
    assert (active["Bellevue"].id, active["Bellevue"].sector) == (ids["Bellevue"], "Ouest")
    assert active["Le Gué"].id not in ids.values()
    withdrawn = get_site(engine, ids["Les Glonnières"])
    assert withdrawn is not None
    assert (withdrawn.active, withdrawn.qpv) == (False, True)


def test_a_site_put_back_in_the_file_is_offered_again_under_its_old_id(engine: Engine) -> None:
    sync_sites(engine, [site("Les Glonnières"), site("Bellevue")])
    ids = {s.name: s.id for s in active_sites(engine)}
    sync_sites(engine, [site("Bellevue")])

    sync_sites(engine, [site("Les Glonnières"), site("Bellevue")])

    assert {s.name: s.id for s in active_sites(engine)} == ids


def test_a_sites_file_saved_by_a_spreadsheet_with_a_byte_order_mark_is_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(
        "name,commune,sector,qpv\nBellevue,Sablé-sur-Sarthe,Ouest,no\n", encoding="utf-8-sig"
    )
    assert [site.name for site in read_sites_file(path)] == ["Bellevue"]


def test_a_site_named_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(
        "name,commune,sector,qpv\nBellevue,A,B,no\nBellevue,C,D,yes\n", encoding="utf-8"
    )
    with pytest.raises(SitesFileError, match="twice: Bellevue"):
        read_sites_file(path)
