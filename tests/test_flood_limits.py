"""Telegram's flood limits: the fake Bot API refuses what Telegram refuses a bot that sends too
fast, and Relais paces its messages so that it is never refused."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.pacing import PacedRateLimiter
from bot.settings import Settings
from conversations.reminders import dispatch_due
from domain.vocabulary import ReminderKind, ReminderStatus, Role
from playground.fakebotapi import TelegramWorld
from storage.database import session_scope
from storage.models import Member, Reminder
from storage.reminders import plan
from tests.conftest import SITES
from tests.harness import RelaisUnderTest, settings_for
from tests.stories import answer_addiction_report, member
from tests.world_builder import ADDICTION_ANSWERS, enroll, report


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def a_world() -> tuple[TelegramWorld, Clock]:
    world, clock = TelegramWorld(), Clock()
    world.enforce_limits(clock=clock)
    return world, clock


def send(world: TelegramWorld, chat_id: int, method: str = "sendMessage") -> tuple[int, dict]:
    reply = world.handle(method, {"chat_id": chat_id, "text": "Bonjour"})
    return reply.status, reply.body


def test_one_person_gets_a_short_burst_then_one_message_a_second():
    world, clock = a_world()
    person = world.add_user("Inès")
    world.start_chat(person)
    assert [send(world, person.id)[0] for _ in range(5)] == [200] * 5
    status, body = send(world, person.id)
    assert (status, body["parameters"]) == (429, {"retry_after": 1})
    assert body["description"] == "Too Many Requests: retry after 1"
    clock.now += 1.0
    assert send(world, person.id)[0] == 200
    assert send(world, person.id)[0] == 429
    assert world.limits is not None
    assert len(world.limits.refused) == 2


def test_a_group_gets_twenty_messages_then_one_every_three_seconds():
    world, clock = a_world()
    group = world.add_group("Équipe Montjoie")
    assert [send(world, group.id)[0] for _ in range(20)] == [200] * 20
    status, body = send(world, group.id)
    assert (status, body["parameters"]) == (429, {"retry_after": 3})
    clock.now += 3.0
    assert send(world, group.id)[0] == 200


def test_the_bot_sends_thirty_messages_a_second_in_all():
    world, clock = a_world()
    people = [world.add_user(f"P{number}") for number in range(31)]
    for person in people:
        world.start_chat(person)
    assert [send(world, person.id)[0] for person in people[:30]] == [200] * 30
    assert send(world, people[30].id)[0] == 429
    clock.now += 0.1  # three more have drained
    assert [send(world, people[30].id)[0] for _ in range(4)] == [200, 200, 200, 429]


def test_edits_and_answers_do_not_count_and_nothing_is_limited_unless_asked():
    world, _clock = a_world()
    person = world.add_user("Inès")
    world.start_chat(person)
    message = world.handle("sendMessage", {"chat_id": person.id, "text": "Question"})
    message_id = message.body["result"]["message_id"]
    for number in range(10):
        edit = world.handle(
            "editMessageText",
            {"chat_id": person.id, "message_id": message_id, "text": f"Question {number}"},
        )
        assert edit.status == 200

    unlimited = TelegramWorld()
    someone = unlimited.add_user("Paul")
    unlimited.start_chat(someone)
    assert {send(unlimited, someone.id)[0] for _ in range(100)} == {200}


def test_a_tap_answered_more_than_15_seconds_later_is_too_old():
    world, clock = a_world()
    person = world.add_user("Inès")
    world.start_chat(person)
    keyboard = {"inline_keyboard": [[{"text": "Je prends", "callback_data": "take"}]]}
    sent = world.handle(
        "sendMessage", {"chat_id": person.id, "text": "Alerte", "reply_markup": keyboard}
    )
    message_id = sent.body["result"]["message_id"]
    for waited, status in ((14.0, 200), (16.0, 400)):
        update_id = world.tap(person, message_id, label="Je prends")
        query = world.callback_query(update_id)
        clock.now += waited
        answer = world.handle("answerCallbackQuery", {"callback_query_id": query.id})
        assert answer.status == status
    assert answer.body["description"] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )


PACING = ("chat_messages_per_second", "bot_messages_per_second")  # off in the other tests


async def paced_relais(fake_api, tmp_path) -> RelaisUnderTest:
    """Relais as in production: its default pacing, per person and for the whole bot."""
    sites = tmp_path / "sites.csv"
    sites.write_text(SITES, encoding="utf-8")
    settings = settings_for(
        fake_api,
        f"sqlite:///{tmp_path / 'relais.sqlite3'}",
        sites_file=sites,
        **{name: Settings.model_fields[name].default for name in PACING},
    )
    relais = RelaisUnderTest(fake_api, settings)
    await relais.start()
    return relais


async def test_a_new_case_alerts_forty_workers_without_one_refusal(fake_api, tmp_path):
    relais = await paced_relais(fake_api, tmp_path)
    try:
        correspondent = await member(relais, "Karim", Role.CORRESPONDENT)
        workers = [fake_api.add_user(f"Travailleur {number}") for number in range(40)]
        for worker in workers:
            fake_api.start_chat(worker)
            enroll(relais.app.engine, Role.WORKER, worker.id, worker.first_name)
        limits = fake_api.enforce_limits()
        await answer_addiction_report(correspondent)
        await correspondent.tap("Envoyer")
        await fake_api.wait_for(
            lambda: all(fake_api.last_bot_message(worker) for worker in workers),
            what="every worker alerted",
        )
        assert limits.refused == []
    finally:
        await relais.stop()


def owed_stale_cases(relais: RelaisUnderTest, fake_api, count: int):
    """Inès, a worker, owed `count` « no news for 30 days » reminders, all due now."""
    engine, now = relais.app.engine, datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    relais.app.clock = lambda: now
    inès = fake_api.add_user("Inès")
    fake_api.start_chat(inès)
    worker = enroll(engine, Role.WORKER, inès.id, "Inès")
    reporter = enroll(engine, Role.CORRESPONDENT, fake_api.add_user("Karim").id, "Karim")
    stale = [report(engine, reporter, ADDICTION_ANSWERS, now) for _ in range(count)]
    with session_scope(engine) as session:
        for case in stale:
            plan(session, f"stale:{case.id}", ReminderKind.STALE_CASE, worker.id, now,
                 case_id=case.id)  # fmt: skip
    return inès, worker, stale


async def test_ten_reminders_due_at_once_to_one_worker_go_without_one_refusal(fake_api, tmp_path):
    relais = await paced_relais(fake_api, tmp_path)
    try:
        inès, _worker, stale = owed_stale_cases(relais, fake_api, 10)
        limits = fake_api.enforce_limits()
        await relais.run_job("reminders")
        texts = [message.text for message in fake_api.bot_messages(inès)]
        assert [any(case.reference in text for text in texts) for case in stale] == [True] * 10
        assert limits.refused == []
    finally:
        await relais.stop()


async def test_only_messages_sent_wait_their_turn_never_edits_of_a_form():
    """Telegram counts messages sent: a person's form, all edits, never waits behind the
    bot's other messages (a fan-out, a digest) for the bot-wide limit."""
    limiter = PacedRateLimiter(chat_per_second=1.0, bot_per_second=1)  # one message a second
    await limiter.initialize()
    calls: list[str] = []

    async def call(name: str) -> bool:
        calls.append(name)
        return True

    async def request(endpoint: str, chat_id: int, name: str) -> None:
        await limiter.process_request(call, (name,), {}, endpoint, {"chat_id": chat_id}, None)

    await request("sendMessage", 1, "first message")
    edits = [
        request(endpoint, 2, f"{endpoint} {number}")
        for number in range(10)
        for endpoint in ("editMessageText", "editMessageReplyMarkup")
    ]
    await asyncio.gather(request("sendMessage", 3, "second message"), *edits)
    # The second message waited its second; the twenty edits did not wait for it.
    assert calls[0] == "first message"
    assert calls[-1] == "second message"
    assert len(calls) == 22
    await limiter.shutdown()


async def test_a_worker_owed_ten_reminders_at_once_holds_no_one_else_back(fake_api, tmp_path):
    relais = await paced_relais(fake_api, tmp_path)
    try:
        engine, now = relais.app.engine, datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        relais.app.clock = lambda: now
        inès, paul = fake_api.add_user("Inès"), fake_api.add_user("Paul")
        for user in (inès, paul):
            fake_api.start_chat(user)
        busy = enroll(engine, Role.WORKER, inès.id, "Inès")
        other = enroll(engine, Role.WORKER, paul.id, "Paul")
        reporter = enroll(engine, Role.CORRESPONDENT, fake_api.add_user("Karim").id, "Karim")
        stale = [report(engine, reporter, ADDICTION_ANSWERS, now) for _ in range(11)]
        with session_scope(engine) as session:
            for number, case in enumerate(stale[:10]):
                plan(session, f"stale:{case.id}", ReminderKind.STALE_CASE, busy.id,
                     now - timedelta(minutes=20 - number), case_id=case.id)  # fmt: skip
            plan(session, f"stale:{stale[10].id}", ReminderKind.STALE_CASE, other.id,
                 now - timedelta(minutes=1), case_id=stale[10].id)  # fmt: skip
        await relais.run_job("reminders")
        order = [call.params["chat_id"] for call in fake_api.calls if call.method == "sendMessage"]
        # Owed last, Paul's goes while Inès waits for her pace (three at once, then one a second).
        assert order.index(paul.id) <= 3
        texts = [message.text for message in fake_api.bot_messages(inès)]
        assert [case.reference in text for case, text in zip(stale[:10], texts, strict=True)] == [
            True
        ] * 10, "Inès's reminders go in the order they were owed"
    finally:
        await relais.stop()


async def test_a_worker_who_leaves_while_their_reminders_wait_their_pace_gets_no_more(
    fake_api, tmp_path
):
    """A reminder waiting its turn is sent on what is true when its turn comes."""
    relais = await paced_relais(fake_api, tmp_path)
    try:
        engine = relais.app.engine
        inès, worker, _stale = owed_stale_cases(relais, fake_api, 6)
        dispatching = asyncio.create_task(dispatch_due(relais.app))
        # A burst of three goes at once; the fourth waits about a second for Inès' pace.
        await fake_api.wait_for(lambda: len(fake_api.bot_messages(inès)) == 3, what="the burst")
        with session_scope(engine) as session:
            session.get(Member, worker.id).active = False  # Inès leaves Montjoie
        await dispatching
        assert len(fake_api.bot_messages(inès)) == 3, [
            (m.text[:60], m.date) for m in fake_api.bot_messages(inès)
        ]
        with session_scope(engine) as session:
            statuses = sorted(row.status for row in session.exec(select(Reminder)))
        assert statuses == [ReminderStatus.CANCELLED] * 3 + [ReminderStatus.SENT] * 3
    finally:
        await relais.stop()
