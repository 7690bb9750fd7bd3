"""A seeded fuzz test: thousands of random updates through the fake Bot API to the real bot.

Texts of every length (0 to 5,000 characters) and script (Latin, Arabic, CJK, emoji, RTL
marks, zero-width and control characters), commands (every known one too) with junk
arguments, media of every kind, random callback data (random characters, known prefixes
with junk, known buttons on real and unknown objects, and the real buttons the bot sent),
edited messages and messages in groups, from members of every role and strangers, while
some of them sit in every state of every flow (they are driven there first, and again from
time to time). Then:

- no update reached the error handler (a failure names the update and where it failed);
- no partial case: every case has a reference, a kind, a consent and its "created" event;
- the bot still answers normally: a member enrolled afterwards gets the help text.

Reproduce a run with the seed printed in the failure: FUZZ_SEED=<seed> FUZZ_UPDATES=<n>.
Batches of updates are pushed at once, then the test waits for the bot once per batch. PTB's
pacing of requests (Telegram's flood limits, 30 a second) is dropped for the fake, which has
none: 10,000 updates then take about a minute and a half on two cores.
"""

import logging
import os
import random
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from telegram.ext import ConversationHandler

from bot import buttons, permissions
from bot.app import FLOWS
from bot.callback_data import Integer, Matching
from conversations.alerts import announce
from domain.vocabulary import AppointmentKind, CaseStatus, Role
from playground.fakebotapi import Chat, FakeBotAPI, User
from playground.fakebotapi.world import MEDIA_KINDS
from storage.appointments import schedule
from storage.beneficiaries import invite
from storage.database import session_scope
from storage.members import find_member, set_language
from storage.models import Case, CaseEvent, ConversationState
from tests.harness import Person, RelaisUnderTest
from tests.stories import answer_addiction_report
from tests.world_builder import (
    ADDICTION_ANSWERS,
    MISSING_ID,
    World,
    bot_settings,
    build_world,
    enroll,
    report,
    unused_keyboard,
    walk,
    without_flood_pacing,
)

SEED = int(os.environ.get("FUZZ_SEED", "20260707"))
UPDATES = int(os.environ.get("FUZZ_UPDATES", "10000"))
BATCH = 150  # updates pushed before waiting for the bot
REDRIVE_EVERY = 12  # batches: people are driven back into every flow state this often
SITES = (
    "name,commune,sector,qpv\nLes Glonnières,Le Mans,Sud,yes\nBellevue,Sablé-sur-Sarthe,Ouest,no\n"
)
APOLOGY = "Désolé, un problème technique"
HELP_TEXT = "Vous êtes travailleur·se social·e Montjoie. Voici ce que vous pouvez faire :"


def seed_note() -> str:
    return f"(reproduce with FUZZ_SEED={SEED} FUZZ_UPDATES={UPDATES})"


# ------------------------------------------------------------------ the bugs already reported


ROOT = Path(__file__).resolve().parents[1]


def ours(error: BaseException) -> list[traceback.FrameSummary]:
    """The frames of the traceback in Relais's own code (not PTB's, SQLAlchemy's, Python's)."""
    return [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.startswith(str(ROOT)) and f"{os.sep}.venv{os.sep}" not in frame.filename
    ]


# ------------------------------------------------------------------ random material

SCRIPTS: dict[str, tuple[tuple[int, int], ...]] = {
    "latin": ((0x20, 0x7E), (0xC0, 0xFF), (0x100, 0x17F)),
    "arabic": ((0x600, 0x6FF),),
    "cjk": ((0x4E00, 0x9FFF),),
    "emoji": ((0x1F300, 0x1FAFF), (0x2600, 0x27BF)),
    "rtl": ((0x200E, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069)),
    "zero_width": ((0x200B, 0x200D), (0x2060, 0x2060), (0xFEFF, 0xFEFF)),
    "control": ((0x01, 0x1F), (0x7F, 0x9F)),  # NUL excluded: Telegram never sends it
    "combining": ((0x300, 0x36F),),
}
EMOJI_SEQUENCES = ("👩‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "🇫🇷", "❤️", "1️⃣")
# Answers a flow may be waiting for, and near misses.
PLAUSIBLE = (
    "0", "1", "2", "12", "15", "16", "99", "-1", "2,5", "M. D.", "Amina", "S. B.", "Le Mans",
    "Mamers", "06 12 34 56 78", "+33 6 98 76 54 32", "0000", "+1 202 555 0100", "demain 10h",
    "mardi 9h", "12/03 14h30", "hier", "aujourd'hui", "31/02", "29/02 10h", "2 avril",
    "25:61", "12 rue de la Paix, Le Mans", "Les Tilleuls, apt 12", "oui", "non", "Valider",
    "Résidence du Parc", "Gendarmerie de Mamers", "x" * 121, "R-2026-0001", "<b>gras</b>",
    "&amp; < > \"", "*_[]()~`>#+-=|{}.!", "/", "//", "@relais_test_bot",
)  # fmt: skip
WITH_BUTTONS = ("/dossiers", "/langue", "/commission", "/logements", "/signaler", "/inviter")
UNKNOWN_COMMANDS = ("foo", "admin", "dossier", "help_me", "x" * 40, "start_", "AIDE2")


def random_chars(rng: random.Random, length: int) -> str:
    scripts = rng.sample(list(SCRIPTS), rng.randint(1, 3))
    chars = []
    while len(chars) < length:
        if rng.random() < 0.03:
            chars.extend(rng.choice(EMOJI_SEQUENCES))
            continue
        if rng.random() < 0.12:
            chars.append(" ")
            continue
        low, high = rng.choice(SCRIPTS[rng.choice(scripts)])
        chars.append(chr(rng.randint(low, high)))
    return "".join(chars[:length])


def random_length(rng: random.Random) -> int:
    bucket = rng.random()
    if bucket < 0.03:
        return 0
    if bucket < 0.45:
        return rng.randint(1, 20)
    if bucket < 0.75:
        return rng.randint(21, 200)
    if bucket < 0.90:
        return rng.randint(201, 1000)
    if bucket < 0.97:
        return rng.choice((rng.randint(1001, 4095), 4096, 4097))
    return rng.randint(4098, 5000)


def random_text(rng: random.Random) -> str:
    """A text a Telegram client can send (not empty, not only spaces)."""
    text = random_chars(rng, random_length(rng) or 1)
    return text if text.strip() else "a" + text[1:]


def junk(rng: random.Random) -> str:
    return rng.choice(
        (
            "",
            str(rng.randint(0, 10**6)),
            str(rng.randint(10**6, 10**18)),
            str(-rng.randint(1, 1000)),
            "9" * rng.randint(19, 30),  # past 2**63 (a reported bug): kept rare
            "٣",
            "१२",
            "1.5",
            "1e3",
            " 1",
            "abc",
            ":" * rng.randint(1, 5),
            random_chars(rng, rng.randint(1, 12)),
            "x" * rng.randint(60, 300),
        )
    )


# ------------------------------------------------------------------ the fuzzed world


@dataclass
class Crowd:
    """Everyone who sends updates, and what they can point at."""

    world: World
    people: list[Person]
    groups: list[tuple[Chat, list[User]]]
    tokens: list[str]
    drives: list[tuple[Person, tuple]]  # who is driven into which flow state, and how


def _member(relais: RelaisUnderTest, role: Role, name: str) -> Person:
    person = relais.person(name)
    enroll(relais.app.engine, role, person.id, name)
    return person


def press(data: str) -> tuple[str, str]:
    return ("press", data)


def say(text: str) -> tuple[str, str]:
    return ("say", text)


async def build_crowd(relais: RelaisUnderTest) -> Crowd:
    world = await build_world(relais)
    app, fake = relais.app, relais.fake
    named = {
        role: [_member(relais, role, f"{role.value} {n}") for n in range(1, 11)]
        for role in (Role.WORKER, Role.ADMIN)
    }
    reporters = [
        _member(relais, role, f"{role.value} {n}")
        for role in (Role.CORRESPONDENT, Role.GENDARMERIE, Role.SIAO)
        for n in (1, 2)
    ]
    referent = _member(relais, Role.LANDLORD_REFERENT, "référente 2")
    strangers = [relais.person(f"Passant {n}") for n in range(1, 5)]

    tokens = [world.beneficiary_token, world.staff_token]
    everyone = [*world.people.values(), *named[Role.WORKER], *named[Role.ADMIN], *reporters]
    everyone += [referent, *strangers]
    last = 0
    for person in everyone:
        if not fake.bot_messages(person.id):
            last = fake.send_text(person.user, "/start")
    await relais.settle(last)

    for key in ("untaken", "received", "gendarmerie"):
        await announce(app, world.case(key))

    team = relais.team_chat
    assert team is not None
    neighbourhood = fake.add_group("Quartier des Glonnières")
    groups = []
    for group, size in ((team, 12), (neighbourhood, 8)):
        members = [person.user for person in random.Random(size).sample(everyone, size)]
        for user in members:
            fake.add_member(group, user)
        groups.append((group, members))

    w, a = named[Role.WORKER], named[Role.ADMIN]
    case = world.cases

    def own(person: Person, status: CaseStatus) -> int:
        """A case this worker took and brought to `status`: theirs to work on."""
        reported = report(app.engine, world.member("correspondent"), ADDICTION_ANSWERS, app.now())
        return walk(relais, reported, find_member(app.engine, person.id), status).id

    def new_appointment(person: Person) -> tuple:
        return (press(f"ap:new:{own(person, CaseStatus.IN_SUPPORT)}"), press("ap:k:follow_up"))

    def appointment_of(person: Person) -> int:
        made = schedule(
            app.engine,
            own(person, CaseStatus.IN_SUPPORT),
            find_member(app.engine, person.id),
            kind=AppointmentKind.FOLLOW_UP,
            starts_at=world.coming + timedelta(days=3),
            place="Locaux de Montjoie",
            attendees=["worker"],
            now=app.now(),
        )
        return made.id

    slot = press(f"ap:at:{int(world.coming.timestamp()) // 60}")
    new_home = (press("hm:add"), say("Résidence du Parc, apt 3"), say("Le Mans"))
    drives: list[tuple[Person, tuple]] = [
        # /signaler, at the first question, mid-way (urgent and not), and at the review
        (reporters[0], (say("/signaler"),)),
        (reporters[2], (say("/signaler"), press("rep:kind:=violence"), press("rep:danger:=yes"))),
        (reporters[4], (say("/signaler"), press("rep:kind:=violence"), press("rep:danger:=no"))),
        (reporters[1], ("addiction report to its review",)),
        # /inviter: the role, the organisation, a new organisation's name
        (a[0], (say("/inviter"),)),
        (a[1], (say("/inviter"), press("inv:role:worker"))),
        (a[2], (say("/inviter"), press("inv:role:siao"), press("inv:neworg"))),
        # an appointment: kind, time (new and moved), place, who, confirmation
        (w[0], new_appointment(w[0])[:1]),
        (w[1], new_appointment(w[1])),
        (w[2], (*new_appointment(w[2]), slot)),
        (w[3], (*new_appointment(w[3]), slot, press("ap:pl:0"))),
        (w[4], (*new_appointment(w[4]), slot, press("ap:pl:1"), press("ap:who:ok"))),
        (w[5], (press(f"ap:mv:{appointment_of(w[5])}"),)),
        # a note; the contract's meeting day and consent
        (w[6], (press(f"cs:n:{own(w[6], CaseStatus.RECEIVED)}"),)),
        (w[7], (press(f"cs:m:{own(w[7], CaseStatus.ACCEPTED)}:contract_signed"),)),
        (
            w[8],
            (press(f"cs:m:{own(w[8], CaseStatus.ACCEPTED)}:contract_signed"), press("ci:day:1")),
        ),
        # a decision's reason chosen, its optional note asked
        (w[9], (press(f"cs:r:{case['commission']}:declined:0"),)),
        # a new reserved home: name, commune, size, QPV, kind, landlord (the world has two)
        (a[3], new_home[:1]),
        (a[4], new_home[:2]),
        (a[5], new_home),
        (a[6], (*new_home, press("hm:size:T2"))),
        (a[7], (*new_home, press("hm:size:T4"), press("hm:qpv:no"))),
        (a[8], (*new_home, press("hm:size:T3"), press("hm:qpv:no"), press("hm:kind:violence"))),
    ]
    return Crowd(world, everyone, groups, tokens, drives)


def consent_drives(relais: RelaisUnderTest, crowd: Crowd) -> list[tuple[Person, tuple]]:
    """New people opening new links: at the consent question, then at each of their choices
    (language, safe hours, auto-delete). A link serves once, so each drive makes new ones."""
    world, app = crowd.world, relais.app
    worker = world.member("worker")
    assert worker is not None
    drives = []
    for depth in range(4):
        case = walk(
            relais,
            report(app.engine, world.member("correspondent"), ADDICTION_ANSWERS, app.now()),
            worker,
            CaseStatus.IN_SUPPORT,
        )
        link = invite(app.engine, case.id, worker.id, ttl=timedelta(days=7), now=app.now())
        assert link is not None
        person = relais.person(f"Invité {len(crowd.people)}")
        crowd.people.append(person)
        crowd.tokens.append(link.token)
        steps = (
            say(f"/start {link.token}"),
            press(f"bf:ok:{link.token}"),
            press("bf:lang:fr"),
            press("bf:h:540:720"),
        )
        drives.append((person, steps[: depth + 1]))
    return drives


async def drive(relais: RelaisUnderTest, crowd: Crowd, used: set[tuple[int, int]]) -> int:
    """Put each driven person back into their flow state; returns the updates sent.

    Their language is set back to French first (the fuzz may have changed it) so that the
    story helpers find their buttons by label."""
    fake, sent = relais.fake, 0
    for person, steps in [*crowd.drives, *consent_drives(relais, crowd)]:
        member = find_member(relais.app.engine, person.id)
        if member is not None:
            set_language(relais.app.engine, member.id, "fr")
            await relais.settle(fake.send_text(person.user, "/annuler"))
            sent += 1
        if steps == ("addiction report to its review",):
            await answer_addiction_report(person)
            sent += 20
            continue
        for kind, value in steps:
            if kind == "say":
                await relais.settle(fake.send_text(person.user, value))
            else:
                target = unused_keyboard(fake, person.id, used)
                if target is None:
                    target = person.bot_messages()[-1].message_id
                await relais.settle(fake.forge_callback(person.user, target, value))
            sent += 1
    return sent


def flow_states(engine) -> set[tuple[str, str]]:
    with session_scope(engine) as session:
        rows = session.exec(select(ConversationState.name, ConversationState.state)).all()
        return {(name, str(state)) for name, state in rows}


def every_flow_state() -> set[tuple[str, str]]:
    """Each (flow, state) of the bot's ConversationHandlers, read from bot.app.FLOWS."""
    states = set()
    for flow in FLOWS:
        for handler in flow.handlers():
            if isinstance(handler, ConversationHandler):
                states |= {(handler.name, str(state)) for state in handler.states}
    return states


# ------------------------------------------------------------------ one random update


class Fuzzer:
    def __init__(self, relais: RelaisUnderTest, crowd: Crowd, rng: random.Random) -> None:
        self.relais, self.fake, self.crowd, self.rng = relais, relais.fake, crowd, rng
        self.world = crowd.world
        self.used: set[tuple[int, int]] = set()
        self.log: dict[int, str] = {}  # update id → what it was, for failure messages
        self.kinds: Counter[str] = Counter()

    def one(self) -> int:
        rng = self.rng
        person = rng.choice(self.crowd.people)
        kind = rng.choices(
            ("text", "answer", "command", "media", "empty", "tap", "edit", "group"),
            weights=(26, 10, 14, 8, 2, 30, 5, 5),
        )[0]
        if kind == "tap":
            update_id = self.tap(person)
            if update_id is not None:
                return update_id
            # Nothing left to tap on: ask for something with buttons.
            text = rng.choice(WITH_BUTTONS)
            self.kinds["command"] += 1
            return self.note(self.fake.send_text(person.user, text), person, "command", text)
        if kind == "edit":
            update_id = self.edit(person)
            if update_id is not None:
                return update_id
            kind = "text"
        if kind == "group":
            return self.in_group()
        self.kinds[kind] += 1
        if kind == "media":
            caption = rng.choice((None, None, random_text(rng)[:1024], "/aide"))
            media = rng.choice(MEDIA_KINDS)
            return self.note(
                self.fake.send_media(person.user, media, caption=caption),
                person,
                media,
                caption or "",
            )
        if kind == "empty":
            return self.note(self.empty(person.user), person, "empty", "")
        text = {
            "text": lambda: random_text(rng),
            "answer": lambda: rng.choice(PLAUSIBLE),
            "command": self.command,
        }[kind]()
        return self.note(self.fake.send_text(person.user, text), person, kind, text)

    def note(self, update_id: int, person: Person | User, kind: str, detail: str) -> int:
        name = person.user.first_name if isinstance(person, Person) else person.first_name
        self.log[update_id] = f"{name}: {kind} {detail[:80]!r}"
        return update_id

    def empty(self, user: User) -> int:
        """A message with nothing PTB knows in it (what a new kind of message looks like)."""
        chat = self.fake._user_chat(user, None)  # the fake's own way to post for a user
        record = self.fake._post(chat, user, text="")
        return self.fake._queue("message", self.fake._message_api(record))

    def command(self) -> str:
        rng = self.rng
        names = [name for command in permissions.COMMANDS for name in command.names]
        name = rng.choice((*names, *names, *UNKNOWN_COMMANDS))
        name = rng.choice((name, name, name.upper(), name.capitalize()))
        mention = rng.choice(("", "", "", "@relais_test_bot", "@autre_bot"))
        argument = rng.choice(
            (
                "",
                "",
                junk(rng),
                random_text(rng)[:200],
                rng.choice(self.crowd.tokens),
                "R-2026-0001",
            )
        )
        return f"/{name}{mention} {argument}".rstrip()

    def tap(self, person: Person) -> int | None:
        """A button: a real one of a message with buttons, or forged data on it."""
        rng = self.rng
        target = unused_keyboard(self.fake, person.id, self.used)
        if target is None:
            messages = person.bot_messages()
            if not messages or self._member(person):
                return None  # members tap on buttons; none left unused here
            target = messages[-1].message_id  # a stranger's client can send anything
        record = self.fake.messages(person.id)[target - 1]
        how = rng.choices(("real", "known", "junk", "random"), weights=(45, 30, 15, 10))[0]
        if how == "real" and record.buttons:
            data = rng.choice(record.buttons).get("callback_data") or "?"
        else:
            data = self.callback_data("known" if how == "real" else how)
        self.kinds[f"tap:{how}"] += 1
        return self.note(self.fake.forge_callback(person.user, target, data), person, "tap", data)

    def _member(self, person: Person) -> bool:
        return find_member(self.world.engine, person.id) is not None

    def callback_data(self, how: str) -> str:
        rng = self.rng
        if how == "random":
            return random_chars(rng, rng.randint(0, 120))
        if how == "junk":
            return rng.choice(PREFIXES) + junk(rng)
        return self.known_payload()

    def known_payload(self) -> str:
        """One of the buttons Relais declares (bot.buttons), each field a valid value, an id
        of the world (or of nothing), or junk in its place."""
        rng, world = self.rng, self.world
        button = rng.choice(buttons.EVERY_BUTTON)
        ids = (
            *world.cases.values(),
            *world.appointments.values(),
            *world.homes.values(),
            *world.member_ids.values(),
            world.colleague_id,
            world.reminder_id,
            MISSING_ID,
            0,
            rng.randint(1, 40),
        )
        texts = {}
        for name, codec in button.fields().items():
            if rng.random() < 0.1:
                texts[name] = junk(rng)
            elif isinstance(codec, Integer) and codec.high > 10**6:
                texts[name] = str(rng.choice(ids))
            elif isinstance(codec, Matching):  # a token: the world's, or one it never made
                texts[name] = rng.choice((*self.crowd.tokens, "jeton-inconnu", codec.longest))
            else:
                texts[name] = rng.choice(codec.samples())
        return button.shape.format(**texts)

    def edit(self, person: Person) -> int | None:
        mine = [
            message
            for message in self.fake.messages(person.id)
            if not message.from_bot and not message.deleted and message.kind == "text"
        ]
        if not mine:
            return None
        message = self.rng.choice(mine)
        text = self.rng.choice((random_text(self.rng), self.command(), self.rng.choice(PLAUSIBLE)))
        self.kinds["edit"] += 1
        return self.note(
            self.fake.edit_user_message(person.user, message.message_id, text),
            person,
            "edit",
            text,
        )

    def in_group(self) -> int:
        rng = self.rng
        group, members = rng.choice(self.crowd.groups)
        user = rng.choice(members)
        what = rng.choice(("text", "command", "media", "tap", "tap", "edit"))
        if what == "edit":
            theirs = [
                message
                for message in self.fake.messages(group.id)
                if message.sender.id == user.id and message.kind == "text"
            ]
            if theirs:
                self.kinds["group:edit"] += 1
                text = rng.choice((random_text(rng), self.command()))
                edited = rng.choice(theirs).message_id
                update_id = self.fake.edit_user_message(user, edited, text, chat=group)
                return self.note(update_id, user, "group edit", text)
            what = "command"
        target = unused_keyboard(self.fake, group.id, self.used) if what == "tap" else None
        forged = target is not None and rng.random() < 0.5
        if what == "tap" and target is None:
            # Tapped before: its real buttons again (Je prends, Voir: they edit nothing twice).
            with_buttons = [m.message_id for m in self.fake.bot_messages(group.id) if m.buttons]
            target = rng.choice(with_buttons) if with_buttons else None
        what = "text" if what == "tap" and target is None else what
        self.kinds[f"group:{what}"] += 1
        if target is not None:
            message = self.fake.messages(group.id)[target - 1]
            data = (
                self.callback_data(rng.choice(("known", "junk")))
                if forged
                else rng.choice(message.buttons).get("callback_data", "?")
            )
            return self.note(
                self.fake.forge_callback(user, message, data, chat=group), user, "group tap", data
            )
        if what == "media":
            return self.note(
                self.fake.send_media(user, rng.choice(MEDIA_KINDS), chat=group),
                user,
                "group media",
                "",
            )
        text = self.command() if what == "command" else random_text(rng)
        return self.note(self.fake.send_text(user, text, chat=group), user, "group text", text)


# Each button's shape up to its first field ("cs:c:", "ap:xr:"...): junk follows.
PREFIXES = tuple(button.shape.partition("{")[0] for button in buttons.EVERY_BUTTON)


# ------------------------------------------------------------------ the test


@pytest.fixture
async def fuzzed(fake_api: FakeBotAPI, tmp_path: Path):
    sites = tmp_path / "sites.csv"
    sites.write_text(SITES, encoding="utf-8")
    team = fake_api.add_group("Équipe Montjoie")
    relais = RelaisUnderTest(
        fake_api,
        bot_settings(
            fake_api,
            f"sqlite:///{tmp_path / 'relais.sqlite3'}",
            sites_file=sites,
            alert_chat_id=team.id,
        ),
    )
    relais.team_chat = team
    await relais.start()
    without_flood_pacing(relais)
    yield relais
    await relais.stop()


async def test_random_updates_break_nothing(fuzzed: RelaisUnderTest) -> None:
    relais, rng = fuzzed, random.Random(SEED)
    errors: list[tuple[object, BaseException]] = []

    async def record(update: object, context) -> None:
        errors.append((update, context.error))

    relais.app.add_error_handler(record)
    crowd = await build_crowd(relais)
    fuzzer = Fuzzer(relais, crowd, rng)

    sent = await drive(relais, crowd, fuzzer.used)
    missing = every_flow_state() - flow_states(relais.app.engine)
    assert not missing, f"nobody could be driven into {sorted(missing)} {seed_note()}"

    started, batches = time.perf_counter(), 0
    while sent < UPDATES:
        if batches and batches % REDRIVE_EVERY == 0:
            sent += await drive(relais, crowd, fuzzer.used)
        last = 0
        for _ in range(min(BATCH, UPDATES - sent)):
            last = fuzzer.one()
            sent += 1
        await relais.settle(last)
        batches += 1
    elapsed = time.perf_counter() - started
    logging.getLogger(__name__).warning(
        "fuzz: %d updates in %.1f s, %d errors (%s) %s",
        sent,
        elapsed,
        len(errors),
        dict(fuzzer.kinds),
        seed_note(),
    )

    apologies = [
        call
        for call in relais.fake.calls
        if call.method == "sendMessage" and APOLOGY in str(call.params.get("text"))
    ]
    assert len(apologies) <= len(errors), f"apologies without an error {seed_note()}"

    unknown = []
    for update, error in errors:
        update_id = getattr(update, "update_id", None)
        where = "".join(traceback.format_list(ours(error)[-3:]))
        unknown.append(
            f"update {update_id} [{fuzzer.log.get(update_id, 'a job')}]: "
            f"{type(error).__name__}: {str(error)[:200]}\n{where}"
        )
    assert not unknown, (
        f"{len(unknown)} update(s) reached the error handler {seed_note()}:\n"
        + "\n".join(unknown[:10])
    )

    with session_scope(relais.app.engine) as session:
        partial = session.execute(
            select(Case.id, Case.reference)
            .outerjoin(CaseEvent, (CaseEvent.case_id == Case.id) & (CaseEvent.kind == "created"))
            .group_by(Case.id)
            .having(
                (func.count(CaseEvent.id) == 0)
                | (func.coalesce(Case.reference, "") == "")
                | Case.kind.is_(None)
                | (func.coalesce(Case.consent, "") == "")
            )
        ).all()
        total = session.execute(select(func.count(Case.id))).scalar_one()
    assert not partial, f"partial cases {partial} {seed_note()}"
    assert total >= len(crowd.world.cases)

    newcomer = relais.person("Nouvelle")
    enroll(relais.app.engine, Role.WORKER, newcomer.id, "Nouvelle")
    await newcomer.send("/aide")
    assert newcomer.last_text.startswith(HELP_TEXT), (
        f"after the fuzz, /aide got {newcomer.last_text!r} {seed_note()}"
    )
