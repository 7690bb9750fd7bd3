"""The authorization matrix: every command and every button × every role, a stranger and a
deactivated member → only the allowed ones succeed, a refusal reveals nothing, and nothing
changes in the database on a refusal.

Who may use a command or a button at all comes from bot.permissions (the gate's table);
what a member may do with one case comes from domain.visibility and domain.statuses. The
per-case expectations are also written out by hand (`expected=`) and checked against those
rules, so that a change of a rule shows up here as a readable difference.

Each action is observed through the fake Bot API and the database:
- it *succeeds* when its effect is seen: a change in the database (`DB`), an answer that is
  not a refusal (`REPLY`), or a button answered quietly (`ANSWER`);
- it is *refused* when the button gets a refusal pop-up (or the command a refusal line),
  no message, no edit, no change in the database, and exactly the same answer as the same
  button pointing at an object that does not exist;
- a case the member may see but may not move (`expected` ⊂ `sees`) changes nothing.
No update may reach the error handler.

Every refused attempt is audited ("refused", with the reason and the command or button's
name, never an id), and a refusal writes no audit entry of a change or a view ("case.*",
"invite.*").

One test per actor runs every action in order on a world of its own (tests.world_builder);
the actions that change who the actor is (a stranger agreeing, /arreter, /effacer) come last.
The tests after the matrix are forged and stale buttons, and regression checks of the bugs
they found (a double tap, a huge id, a group chat, a stale form button, a far date).
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

import pytest
from sqlmodel import select

from bot import buttons, permissions
from domain.vocabulary import Role
from playground.fakebotapi import FakeBotAPI
from storage.database import session_scope
from storage.members import landlords
from storage.models import Reminder
from tests.harness import RelaisUnderTest
from tests.world_builder import (
    ACTORS,
    AUDIT,
    DEACTIVATED,
    FLOW_TABLES,
    MISSING_ID,
    ROLE_ACTORS,
    STRANGER,
    World,
    bot_settings,
    build_world,
    changed_tables,
    new_audit_actions,
    snapshot,
    unused_keyboard,
    without_flood_pacing,
)

# ------------------------------------------------------------------ what a refusal says

REFUSALS = frozenset(
    {
        # bot.access: strangers, people who left, a role without the command or button
        "Bonjour ! Relais est réservé aux équipes de Sarthe Habitat, de Montjoie et à leurs "
        "partenaires. Pour y accéder, demandez un lien d'invitation à la coordination du "
        "programme, puis ouvrez-le ici.",
        "Votre accès à Relais a été fermé. Si c'est une erreur, contactez la coordination.",
        "Je ne connais pas cette commande. /aide liste ce que vous pouvez faire.",
        "Ce bouton n'est pas (ou plus) disponible pour vous.",
        "Cette action n'est pas ouverte à votre rôle. /aide liste ce que vous pouvez faire.",
        # the flows: an object that does not exist or may not be seen, a stale button
        "Ce bouton n'est plus valable.",
        "Ce logement n'est plus libre, ou pas pour ce dossier.",
        "Ce dossier n'a pas de logement réservé.",
        "Ce n'est plus possible pour ce rendez-vous.",
        "Ce lien n'est plus valable. Demandez-en un nouveau à la personne qui vous accompagne.",
        "Ce lien est destiné à une personne accompagnée, pas à votre compte.",
    }
)
APOLOGY = "Désolé, un problème technique"
INCIDENT = "Incident technique"


# ------------------------------------------------------------------ the actions


@dataclass(frozen=True)
class Press:
    """Tap a button with this callback data (built from the world)."""

    data: Callable[[World], str]


@dataclass(frozen=True)
class Say:
    """Send this text (a command, or an answer typed in a flow)."""

    text: Callable[[World], str]


Step = Press | Say


class Effect(Enum):
    DB = "a change in the database"
    REPLY = "an answer that is not a refusal"
    ANSWER = "the button answered without a refusal"


@dataclass(frozen=True)
class Action:
    name: str
    steps: tuple[Step, ...]  # the way into a flow, then the action itself (the last step)
    effect: Effect
    expected: frozenset[str]  # the actors for whom it succeeds, written by hand
    sees: frozenset[str] = frozenset()  # others who see the object: no change, no refusal
    missing: Callable[[World], str] | None = None  # the same button on a missing object
    table: str | None = None  # DB: the table the action changes
    cleanup: bool = False  # leave the flow afterwards (/annuler)
    fresh_stranger: bool = False  # it enrolls the stranger: use a new one

    @property
    def last(self) -> Step:
        return self.steps[-1]


def press(data: str | Callable[[World], str]) -> Press:
    return Press(data if callable(data) else (lambda _w, d=data: d))


def say(text: str | Callable[[World], str]) -> Say:
    return Say(text if callable(text) else (lambda _w, t=text: t))


def role_of(world: World, actor: str) -> Role | None:
    """The actor's role while active; None for a stranger or a deactivated member."""
    if actor == DEACTIVATED:
        return None
    return ROLE_ACTORS.get(actor)


def cid(key: str) -> Callable[[World], int]:
    return lambda world: world.cases[key]


def slot(world: World) -> str:
    """A free half hour in two days, as the appointment buttons carry it."""
    return f"ap:at:{int(world.coming.timestamp()) // 60}"


# Who is who in the world (tests.world_builder), in the words of the README's tables of
# roles and of who may do what on a case: the worker holds every case; the landlord referent
# (of Sarthe Habitat, which reported every case but the gendarmerie's) is attached to the
# case "diagnostic" only; the supported person is the person of the case "followed". The
# stranger and the member who left may do nothing.
EVERY_MEMBER = frozenset(
    {"admin", "correspondent", "gendarmerie", "siao", "worker", "landlord_referent", "beneficiary"}
)
REPORTERS = frozenset({"admin", "correspondent", "gendarmerie", "siao", "worker"})
CASE_TEAM = frozenset({"admin", "worker", "landlord_referent"})
ADMIN = frozenset({"admin"})
WORKER = frozenset({"worker"})
BENEFICIARY = frozenset({"beneficiary"})
STAFF = EVERY_MEMBER - BENEFICIARY
HOLDER_OR_ADMIN = frozenset({"admin", "worker"})  # the case's worker, or the coordination
SEE_THE_LANDLORDS_CASES = CASE_TEAM
SEE_THE_GENDARMERIES_CASE = frozenset({"admin", "worker"})

NEW_APPOINTMENT = (
    press(lambda w: f"ap:new:{w.cases['followed']}"),
    press("ap:k:follow_up"),
)
AT_A_TIME = (*NEW_APPOINTMENT, press(slot))
AT_A_PLACE = (*AT_A_TIME, press("ap:pl:0"))
NEW_HOME = (press("hm:add"), say("Résidence du Parc, apt 3"), say("Le Mans"))
CONTRACT = (press(lambda w: f"cs:m:{w.cases['accepted']}:contract_signed"),)
INVITE_A_WORKER = (say("/inviter"), press("inv:role:worker"))
REPORT = (say("/signaler"),)
# The shortest report with a multiple choice: danger, reached through a typed phone number.
TO_SAFE_TIMES = (
    *REPORT,
    press("rep:kind:=violence"),
    press("rep:danger:=yes"),
    say("S. B."),
    say("Mamers"),
    press("rep:qpv:=no"),
    press("rep:consent:=yes"),
    say("06 12 34 56 78"),
)
TO_THE_SITES = (
    *REPORT,
    press("rep:kind:=addiction"),
    press("rep:danger:=no"),
    say("M. D."),
    press("rep:adults:=1"),
    press("rep:children:=0"),
)
TO_THE_REVIEW = (*TO_SAFE_TIMES, press("rep:safe_times:+evening"), press("rep:safe_times:ok"))
UNKNOWN_TOKEN = "Zm9yZ2VkLXRva2VuLW5vdC1pbi10aGUtZGF0YWJhc2U"
UNKNOWN_FLYER = "f_" + "Zm9yZ2VkLWZseWVyLW5vdC1pbi10aGUx"  # a flyer token no link has
A_FLYER = (say("/flyer"), press("inv:role:gendarmerie"))


def action(name: str, *steps: Step, effect: Effect = Effect.REPLY, **options) -> Action:
    return Action(name, tuple(steps), effect, **options)


# Who may use each command, written out from the README's roles (not read from
# bot.permissions: a change there must show up here as a difference). Every spelling of every
# command is here, and nothing else (test_the_matrix_tries_every_command_and_every_button).
COMMAND_USERS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("start", "aide", "help", "langue", "language"), EVERY_MEMBER),
    **dict.fromkeys(("annuler", "cancel"), EVERY_MEMBER),
    **dict.fromkeys(("signaler", "report", "mes_signalements", "my_reports"), REPORTERS),
    **dict.fromkeys(("dossiers", "cases", "commission", "logements", "homes"), CASE_TEAM),
    # The programme's figures, without personal data: the whole case team.
    **dict.fromkeys(("chiffres", "stats"), CASE_TEAM),
    **dict.fromkeys(("revue", "review"), frozenset({"admin", "worker", "landlord_referent"})),
    **dict.fromkeys(("rdv", "appointments"), frozenset({"worker", "landlord_referent"})),
    **dict.fromkeys(("inviter", "invite", "journal", "desactiver", "deactivate"), ADMIN),
    **dict.fromkeys(("flyer", "flyers"), ADMIN),
    **dict.fromkeys(("exporter", "export", "anonymiser", "anonymise"), ADMIN),
    **dict.fromkeys(("arreter", "stop", "effacer", "erase"), BENEFICIARY),
    # Who to call: every member but the supported person, whose chat the person they flee
    # may read (DOMAIN.md).
    **dict.fromkeys(("annuaire", "directory"), STAFF),
}
# Run last (the_persons_buttons): they stop the supported person's messages, erase the chat.
PERSONS_COMMANDS = ("arreter", "stop", "effacer", "erase")
# Commands that open a flow: left with /annuler afterwards.
FLOW_COMMANDS = ("signaler", "report", "inviter", "invite", "flyer")


def commands() -> list[Action]:
    """Every command, in each of its spellings (the supported person's come last)."""
    return [
        action(
            f"/{name}",
            say(f"/{name}"),
            expected=users,
            effect=Effect.DB if name in ("signaler", "report") else Effect.REPLY,
            table="report_draft",
            cleanup=name in FLOW_COMMANDS,
        )
        for name, users in COMMAND_USERS.items()
        if name not in PERSONS_COMMANDS
    ]


def case_buttons() -> list[Action]:
    received, gendarmerie = cid("received"), cid("gendarmerie")
    return [
        action("lang:fr", press("lang:fr"), expected=EVERY_MEMBER),
        # Filtered on a status no list shown so far has: the message visibly changes.
        action("cs:l (a page of the list)", press("cs:l:m:received:-:0"), expected=CASE_TEAM),
        action("cs:s (the status filter)", press("cs:s:m:-"), expected=CASE_TEAM),
        action(
            "cs:c (card of a case the landlord reported)",
            press(lambda w: f"cs:c:{received(w)}"),
            expected=CASE_TEAM,
            missing=lambda w: f"cs:c:{MISSING_ID}",
        ),
        action(
            "cs:c (card of a case the gendarmerie reported)",
            press(lambda w: f"cs:c:{gendarmerie(w)}"),
            expected=SEE_THE_GENDARMERIES_CASE,
            missing=lambda w: f"cs:c:{MISSING_ID}",
        ),
        action(
            # Telegram never sends more than 64 bytes: only a forged button does.
            "cs:c (the same, with data over 64 bytes: refused for all)",
            press(lambda w: f"cs:c:{gendarmerie(w)}:" + "x" * 80),
            expected=frozenset(),
            missing=lambda w: f"cs:c:{MISSING_ID}:" + "x" * 80,
        ),
        action(
            "cs:m (ask diagnostic → commission)",
            press(lambda w: f"cs:m:{w.cases['diagnostic']}:commission"),
            expected=CASE_TEAM,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:m:{MISSING_ID}:commission",
        ),
        action(
            "cs:y (received → diagnostic)",
            press(lambda w: f"cs:y:{received(w)}:diagnostic"),
            effect=Effect.DB,
            table="referral_case",
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:y:{MISSING_ID}:diagnostic",
        ),
        action(
            "cs:y (diagnostic → commission)",
            press(lambda w: f"cs:y:{w.cases['diagnostic']}:commission"),
            effect=Effect.DB,
            table="referral_case",
            expected=CASE_TEAM,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:y:{MISSING_ID}:commission",
        ),
        action(
            "cs:y (the gendarmerie's case: diagnostic → commission)",
            press(lambda w: f"cs:y:{gendarmerie(w)}:commission"),
            effect=Effect.DB,
            table="referral_case",
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_GENDARMERIES_CASE,
            missing=lambda w: f"cs:y:{MISSING_ID}:commission",
        ),
        action(
            "cs:rp (another page of the commission's redirections)",
            press(lambda w: f"cs:rp:{w.cases['commission']}:redirected:0"),
            effect=Effect.ANSWER,
            expected=CASE_TEAM,
            missing=lambda w: f"cs:rp:{MISSING_ID}:redirected:0",
        ),
        action(
            "cs:r (the commission accepts, medium intensity)",
            press(lambda w: f"cs:r:{w.cases['commission']}:accepted:1"),
            effect=Effect.DB,
            table="referral_case",
            expected=CASE_TEAM,
            missing=lambda w: f"cs:r:{MISSING_ID}:accepted:1",
        ),
        action(
            "cs:y (next phase)",
            press(lambda w: f"cs:y:{w.cases['followed']}:phase"),
            effect=Effect.DB,
            table="case_phase",
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:y:{MISSING_ID}:phase",
        ),
        action(
            "cs:r (close after the shared review: a note is asked first)",
            press(lambda w: f"cs:r:{w.cases['shared_review']}:closed:0"),
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:r:{MISSING_ID}:closed:0",
            cleanup=True,
        ),
        action(
            "ci:skip (closed, without a note)",
            press(lambda w: f"cs:r:{w.cases['shared_review']}:closed:0"),
            press("ci:skip"),
            effect=Effect.DB,
            table="referral_case",
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
        ),
        action(
            "cs:o (reopen a closed case)",
            press(lambda w: f"cs:o:{w.cases['closed']}"),
            effect=Effect.DB,
            table="referral_case",
            expected=ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:o:{MISSING_ID}",
        ),
        action(
            "cs:w (whom to hand the case to)",
            press(lambda w: f"cs:w:{received(w)}"),
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:w:{MISSING_ID}",
        ),
        action(
            "cs:f (which landlord referent)",
            press(lambda w: f"cs:f:{received(w)}"),
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:f:{MISSING_ID}",
        ),
        action(
            "cs:F (attach the landlord referent)",
            press(lambda w: f"cs:F:{received(w)}:{w.member_ids['landlord_referent']}"),
            effect=Effect.DB,
            table="referral_case",
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:F:{MISSING_ID}:{w.member_ids['landlord_referent']}",
        ),
        action(
            "cs:t (take a colleague's case over: why?)",
            press(lambda w: f"cs:t:{w.cases['colleagues']}"),
            expected=WORKER,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:t:{MISSING_ID}",
        ),
        action(
            "cs:T (a colleague's case taken over, for an absence)",
            press(lambda w: f"cs:T:{w.cases['colleagues']}:0"),
            effect=Effect.DB,
            table="referral_case",
            expected=WORKER,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:T:{MISSING_ID}:0",
        ),
        action(
            "cs:n (ask for a note)",
            press(lambda w: f"cs:n:{received(w)}"),
            sees=SEE_THE_LANDLORDS_CASES,
            expected=WORKER,
            missing=lambda w: f"cs:n:{MISSING_ID}",
            cleanup=True,
        ),
        action(
            "a note typed after cs:n",
            press(lambda w: f"cs:n:{received(w)}"),
            say("Rencontre au domicile prévue."),
            effect=Effect.DB,
            table="case_note",
            sees=SEE_THE_LANDLORDS_CASES,
            expected=WORKER,
            cleanup=True,
        ),
        action(
            "cs:m (contract signed: ask the meeting day)",
            *CONTRACT,
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:m:{MISSING_ID}:contract_signed",
            cleanup=True,
        ),
        action(
            "ci:day",
            *CONTRACT,
            press("ci:day:1"),
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            cleanup=True,
        ),
        action(
            "a meeting day typed",
            *CONTRACT,
            say("hier"),
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            cleanup=True,
        ),
        action(
            "ci:cancel",
            *CONTRACT,
            press("ci:cancel"),
            sees=SEE_THE_LANDLORDS_CASES,
            expected=HOLDER_OR_ADMIN,
        ),
        action(
            "ci:consent (the contract is signed)",
            *CONTRACT,
            press("ci:day:1"),
            press("ci:consent"),
            effect=Effect.DB,
            table="referral_case",
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            cleanup=True,
        ),
        action(
            "take (Je prends)",
            press(lambda w: f"take:{w.cases['untaken']}"),
            effect=Effect.DB,
            table="referral_case",
            missing=lambda w: f"take:{MISSING_ID}",
            expected=WORKER,
        ),
        action(
            "view (Voir)",
            press(lambda w: f"view:{received(w)}"),
            missing=lambda w: f"view:{MISSING_ID}",
            expected=WORKER,
        ),
        action(
            "cs:N (all the notes of a case)",
            press(lambda w: f"cs:N:{w.cases['diagnostic']}"),
            expected=frozenset({"worker", "landlord_referent"}),
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:N:{MISSING_ID}",
        ),
        action(
            "cs:N (a page of the notes)",
            press(lambda w: f"cs:N:{w.cases['diagnostic']}:0"),
            expected=frozenset({"worker", "landlord_referent"}),
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:N:{MISSING_ID}:0",
        ),
        action(
            "cs:w (a page of the workers to hand the case to)",
            press(lambda w: f"cs:w:{received(w)}:0"),
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:w:{MISSING_ID}:0",
        ),
        action(
            "cs:f (a page of the landlord referents)",
            press(lambda w: f"cs:f:{received(w)}:0"),
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:f:{MISSING_ID}:0",
        ),
        action(
            "cs:j (a page of a case's journal)",
            press(lambda w: f"cs:j:{received(w)}:1"),
            effect=Effect.ANSWER,
            expected=ADMIN,
            missing=lambda w: f"cs:j:{MISSING_ID}:1",
        ),
        action(
            "cs:h (a page of the homes)", press("cs:h:1"), effect=Effect.ANSWER, expected=CASE_TEAM
        ),
        action("an:start (the directory's situations)", press("an:start"), expected=STAFF),
        action("an:c (the communes, for violence)", press("an:c:violence:0"), expected=STAFF),
        action(
            "an:r (whom to call for addiction, anywhere)",
            press("an:r:addiction:0:0"),
            expected=STAFF,
        ),
        action(
            "fg:p (a period's figures and chart)", press("fg:p:this_year:0"), expected=CASE_TEAM
        ),
        action("fg:l (whose figures)", press("fg:l:0"), expected=CASE_TEAM),
        action("cm:l (whose commission)", press("cm:l:0"), expected=CASE_TEAM),
        action(
            "fg:x (the period's spreadsheet)", press("fg:x:since_start:xlsx:0"), expected=CASE_TEAM
        ),
        action("fg:x (the period's CSV)", press("fg:x:last_quarter:csv:0"), expected=CASE_TEAM),
        # Last: the world's worker no longer holds this case afterwards.
        action(
            "cs:W (hand the case to another worker)",
            press(lambda w: f"cs:W:{received(w)}:{w.colleague_id}"),
            effect=Effect.DB,
            table="referral_case",
            expected=HOLDER_OR_ADMIN,
            sees=SEE_THE_LANDLORDS_CASES,
            missing=lambda w: f"cs:W:{MISSING_ID}:{w.colleague_id}",
        ),
    ]


def appointment_buttons() -> list[Action]:
    followed = cid("followed")

    def appointment(key: str) -> Callable[[World], int]:
        return lambda world: world.appointments[key]

    return [
        action(
            "ap:list",
            press(lambda w: f"ap:list:{followed(w)}"),
            expected=WORKER,
            missing=lambda w: f"ap:list:{MISSING_ID}",
        ),
        action(
            "ap:list (a page of a case's appointments)",
            press(lambda w: f"ap:list:{followed(w)}:0"),
            expected=WORKER,
            missing=lambda w: f"ap:list:{MISSING_ID}:0",
        ),
        action(
            "ap:new",
            NEW_APPOINTMENT[0],
            expected=WORKER,
            missing=lambda w: f"ap:new:{MISSING_ID}",
            cleanup=True,
        ),
        action("ap:k", *NEW_APPOINTMENT, expected=WORKER, cleanup=True),
        action(
            "ap:cal",
            *NEW_APPOINTMENT,
            press(lambda w: f"ap:cal:{w.coming:%Y-%m}"),
            cleanup=True,
            expected=WORKER,
        ),
        action(
            "ap:day",
            *NEW_APPOINTMENT,
            press(lambda w: f"ap:day:{w.coming:%Y-%m-%d}"),
            cleanup=True,
            expected=WORKER,
        ),
        action(
            "ap:noop",
            *NEW_APPOINTMENT,
            press("ap:noop"),
            expected=WORKER,
            effect=Effect.ANSWER,
            cleanup=True,
        ),
        action("ap:at", *AT_A_TIME, expected=WORKER, cleanup=True),
        action(
            "a time typed",
            *NEW_APPOINTMENT,
            say("demain 10h"),
            cleanup=True,
            expected=WORKER,
        ),
        action("ap:pl", *AT_A_PLACE, expected=WORKER, cleanup=True),
        action(
            "a place typed",
            *AT_A_TIME,
            say("12 rue de la Paix, Le Mans"),
            cleanup=True,
            expected=WORKER,
        ),
        action("ap:who", *AT_A_PLACE, press("ap:who:referent"), expected=WORKER, cleanup=True),
        action(
            "ap:ok (the appointment is saved)",
            *AT_A_PLACE,
            press("ap:who:ok"),
            press("ap:ok"),
            effect=Effect.DB,
            table="appointment",
            expected=WORKER,
        ),
        action("ap:cancel", *NEW_APPOINTMENT, press("ap:cancel"), expected=WORKER),
        action(
            "ap:mv",
            press(lambda w: f"ap:mv:{appointment('to_move')(w)}"),
            expected=WORKER,
            missing=lambda w: f"ap:mv:{MISSING_ID}",
            cleanup=True,
        ),
        action(
            "ap:at (an appointment moved)",
            press(lambda w: f"ap:mv:{appointment('to_move')(w)}"),
            press(slot),
            effect=Effect.DB,
            table="appointment",
            expected=WORKER,
        ),
        action(
            "ap:x",
            press(lambda w: f"ap:x:{appointment('to_cancel')(w)}"),
            expected=WORKER,
            missing=lambda w: f"ap:x:{MISSING_ID}",
        ),
        action(
            "ap:xr (cancelled, with its reason)",
            press(lambda w: f"ap:xr:{appointment('to_cancel')(w)}:0"),
            effect=Effect.DB,
            table="appointment",
            expected=WORKER,
            missing=lambda w: f"ap:xr:{MISSING_ID}:0",
        ),
        action(
            "ap:h (held)",
            press(lambda w: f"ap:h:{appointment('held')(w)}"),
            effect=Effect.DB,
            table="appointment",
            expected=WORKER,
            missing=lambda w: f"ap:h:{MISSING_ID}",
        ),
        action(
            "ap:m (missed)",
            press(lambda w: f"ap:m:{appointment('missed')(w)}"),
            effect=Effect.DB,
            table="appointment",
            expected=WORKER,
            missing=lambda w: f"ap:m:{MISSING_ID}",
        ),
    ]


def home_and_invitation_buttons() -> list[Action]:
    return [
        action("hm:add", NEW_HOME[0], expected=ADMIN, cleanup=True),
        action(
            "a home's name typed",
            *NEW_HOME[:2],
            expected=ADMIN,
            cleanup=True,
        ),
        action(
            "hm:size",
            *NEW_HOME,
            press("hm:size:T2"),
            expected=ADMIN,
            cleanup=True,
        ),
        action(
            "hm:qpv",
            *NEW_HOME,
            press("hm:size:T2"),
            press("hm:qpv:yes"),
            expected=ADMIN,
            cleanup=True,
        ),
        action(
            "hm:kind",
            *NEW_HOME,
            press("hm:size:T2"),
            press("hm:qpv:yes"),
            press("hm:kind:addiction"),
            expected=ADMIN,
            cleanup=True,
        ),
        action(
            "hm:ll (the home is added, the landlord's)",
            *NEW_HOME,
            press("hm:size:T2"),
            press("hm:qpv:yes"),
            press("hm:kind:addiction"),
            press(lambda w: f"hm:ll:{landlords(w.engine)[0].id}"),
            effect=Effect.DB,
            table="reserved_home",
            expected=ADMIN,
        ),
        action(
            "hm:pick",
            press(lambda w: f"hm:pick:{w.cases['followed']}"),
            expected=WORKER,
            missing=lambda w: f"hm:pick:{MISSING_ID}",
        ),
        action(
            "hm:pick (a page of the free homes)",
            press(lambda w: f"hm:pick:{w.cases['followed']}:0"),
            expected=WORKER,
            missing=lambda w: f"hm:pick:{MISSING_ID}:0",
        ),
        action(
            "hm:set (a free home given)",
            press(lambda w: f"hm:set:{w.cases['followed']}:{w.homes['free']}"),
            effect=Effect.DB,
            table="reserved_home",
            expected=WORKER,
            missing=lambda w: f"hm:set:{MISSING_ID}:{w.homes['free']}",
        ),
        action(
            "hm:free (a home freed)",
            press(lambda w: f"hm:free:{w.cases['housed']}"),
            effect=Effect.DB,
            table="reserved_home",
            expected=WORKER,
            missing=lambda w: f"hm:free:{MISSING_ID}",
        ),
        action(
            "bn:inv (invite the person of a case)",
            press(lambda w: f"bn:inv:{w.cases['invitable']}"),
            effect=Effect.DB,
            table="invitation",
            expected=WORKER,
            missing=lambda w: f"bn:inv:{MISSING_ID}",
        ),
        action("inv:role", *INVITE_A_WORKER, expected=ADMIN, cleanup=True),
        action(
            "inv:org (the invitation is made)",
            *INVITE_A_WORKER,
            press(lambda w: f"inv:org:{w.organisation_id}"),
            effect=Effect.DB,
            table="invitation",
            expected=ADMIN,
        ),
        action(
            "inv:orgs (a page of the organisations)",
            *INVITE_A_WORKER,
            press("inv:orgs:1"),
            effect=Effect.ANSWER,
            expected=ADMIN,
            cleanup=True,
        ),
        action("inv:neworg", *INVITE_A_WORKER, press("inv:neworg"), expected=ADMIN, cleanup=True),
        action(
            "an organisation's name typed",
            *INVITE_A_WORKER,
            press("inv:neworg"),
            say("Gendarmerie de Sillé-le-Guillaume"),
            effect=Effect.DB,
            table="invitation",
            expected=ADMIN,
        ),
        action("inv:back", *INVITE_A_WORKER, press("inv:back"), expected=ADMIN, cleanup=True),
        action("inv:cancel", say("/inviter"), press("inv:cancel"), expected=ADMIN),
        action(
            "inv:org (a flyer's link is made, its PDF sent)",
            *A_FLYER,
            press(lambda w: f"inv:org:{w.organisation_id}"),
            effect=Effect.DB,
            table="flyer_link",
            expected=ADMIN,
        ),
        action("fy:l (a page of /flyers)", press("fy:l:0"), effect=Effect.ANSWER, expected=ADMIN),
        action(
            "fy:r (revoke a flyer's link? asked)",
            press(lambda w: f"fy:r:{w.revocable_flyer_id}"),
            expected=ADMIN,
            missing=lambda w: f"fy:r:{MISSING_ID}",
        ),
        action(
            "fy:R (a flyer's link revoked)",
            press(lambda w: f"fy:R:{w.revocable_flyer_id}"),
            effect=Effect.DB,
            table="flyer_link",
            expected=ADMIN,
            missing=lambda w: f"fy:R:{MISSING_ID}",
        ),
        action(
            "ar:y (an access request accepted: the person enrolled)",
            press(lambda w: f"ar:y:{w.access_requests['accept']}"),
            effect=Effect.DB,
            table="member",
            expected=ADMIN,
            missing=lambda w: f"ar:y:{MISSING_ID}",
        ),
        action(
            "ar:n (an access request refused)",
            press(lambda w: f"ar:n:{w.access_requests['refuse']}"),
            effect=Effect.DB,
            table="access_request",
            expected=ADMIN,
            missing=lambda w: f"ar:n:{MISSING_ID}",
        ),
        action(
            "er:ok (a closed case's person erased)",
            press(lambda w: f"er:ok:{w.cases['erasable']}"),
            effect=Effect.DB,
            table="referral_case",
            expected=ADMIN,
            missing=lambda w: f"er:ok:{MISSING_ID}",
        ),
        action("er:no", press("er:no"), expected=ADMIN),
        action(
            "mb:l (a page of the members)", press("mb:l:1"), effect=Effect.ANSWER, expected=ADMIN
        ),
        action(
            "mb:off (a page of the colleagues who may take the cases)",
            press(lambda w: f"mb:off:{w.leaving_id}:0"),
            expected=ADMIN,
            missing=lambda w: f"mb:off:{MISSING_ID}:0",
        ),
        action(
            "mb:off (who leaves)",
            press(lambda w: f"mb:off:{w.leaving_id}"),
            expected=ADMIN,
            missing=lambda w: f"mb:off:{MISSING_ID}",
        ),
        action(
            "mb:to (a worker leaves, their case to a colleague)",
            press(lambda w: f"mb:to:{w.colleague_id}:{w.member_ids['worker']}"),
            effect=Effect.DB,
            table="member",
            expected=ADMIN,
            missing=lambda w: f"mb:to:{MISSING_ID}:{w.member_ids['worker']}",
        ),
        action(
            "mb:ok (their access closed)",
            press(lambda w: f"mb:ok:{w.leaving_id}"),
            effect=Effect.DB,
            table="member",
            expected=ADMIN,
            missing=lambda w: f"mb:ok:{MISSING_ID}",
        ),
        action(
            "rep:<question> (an answer to the report)",
            *REPORT,
            press("rep:kind:=addiction"),
            effect=Effect.DB,
            table="report_draft",
            cleanup=True,
            expected=REPORTERS,
        ),
        action(
            # The world has no residences: one page, the same buttons; the tap is answered.
            "rep:site:page:<page> (a page of the residences)",
            *TO_THE_SITES,
            press("rep:site:page:0"),
            effect=Effect.ANSWER,
            expected=REPORTERS,
            cleanup=True,
        ),
        action(
            "rep:<question>:back",
            *REPORT,
            press("rep:kind:=addiction"),
            press("rep:danger:back"),
            expected=REPORTERS,
            cleanup=True,
        ),
        action(
            "rep:<question>:+<choice> (a multiple choice ticked)",
            *TO_SAFE_TIMES,
            press("rep:safe_times:+evening"),
            expected=REPORTERS,
            cleanup=True,
        ),
        action(
            "rep:review:edit:<question>",
            *TO_THE_REVIEW,
            press("rep:review:edit:who"),
            expected=REPORTERS,
            cleanup=True,
        ),
        action(
            "rep:review:send (the report is sent)",
            *TO_THE_REVIEW,
            press("rep:review:send"),
            effect=Effect.DB,
            table="referral_case",
            expected=REPORTERS,
        ),
        action("rep:resume", *REPORT, press("rep:resume"), expected=REPORTERS, cleanup=True),
        action(
            "rep:cancel",
            *REPORT,
            press("rep:cancel"),
            expected=REPORTERS,
            effect=Effect.DB,
            table="report_draft",
        ),
    ]


def the_persons_buttons() -> list[Action]:
    """Run last: they change the supported person (and the stranger) for what follows."""
    consent = press(lambda w: f"bf:ok:{w.beneficiary_token}")
    return [
        action(
            "rm:yes (I'm coming)",
            press(lambda w: f"rm:yes:{w.reminder_id}"),
            expected=BENEFICIARY,
            missing=lambda w: f"rm:yes:{MISSING_ID}",
        ),
        action(
            "rm:no (I can't come)",
            press(lambda w: f"rm:no:{w.reminder_id}"),
            expected=BENEFICIARY,
            missing=lambda w: f"rm:no:{MISSING_ID}",
        ),
        action(
            "bf:no (no thanks)",
            press(lambda w: f"bf:no:{w.beneficiary_token}"),
            expected=frozenset({STRANGER, "beneficiary"}),
            missing=lambda w: f"bf:no:{UNKNOWN_TOKEN}",
        ),
        action("bf:lang", press("bf:lang:fr"), expected=BENEFICIARY),
        action(
            "bf:h",
            press("bf:h:540:720"),
            effect=Effect.DB,
            table="beneficiary",
            expected=BENEFICIARY,
        ),
        action(
            "bf:ad",
            press("bf:ad:24"),
            effect=Effect.DB,
            table="beneficiary",
            expected=BENEFICIARY,
        ),
        action(
            "bf:ok (a stranger agrees)",
            consent,
            effect=Effect.DB,
            table="member",
            expected=frozenset({STRANGER}),
            # The person who already agreed is answered quietly: nothing changes.
            sees=BENEFICIARY,
            missing=lambda w: f"bf:ok:{UNKNOWN_TOKEN}",
            fresh_stranger=True,
        ),
        *(
            action(f"/{name}", say(f"/{name}"), expected=COMMAND_USERS[name])
            for name in PERSONS_COMMANDS
        ),
        action(
            "/start <a flyer's link>",
            say(lambda w: f"/start {w.flyer_token}"),
            expected=EVERY_MEMBER | {STRANGER},
        ),
        action(
            "ar:no (no thanks to a flyer's question)",
            press(lambda w: f"ar:no:{w.flyer_token}"),
            expected=EVERY_MEMBER | {STRANGER},
        ),
        action(
            "ar:ask (a stranger asks for access through a flyer)",
            press(lambda w: f"ar:ask:{w.flyer_token}"),
            effect=Effect.DB,
            table="access_request",
            expected=frozenset({STRANGER}),
            # A member is told they have access already: nothing changes.
            sees=EVERY_MEMBER,
            missing=lambda w: f"ar:ask:{UNKNOWN_FLYER}",
            fresh_stranger=True,
        ),
        action(
            "/start <a staff invitation>",
            say(lambda w: f"/start {w.staff_token}"),
            fresh_stranger=True,
            expected=EVERY_MEMBER | {STRANGER},
        ),
        action("/nimportequoi (unknown command)", say("/nimportequoi"), expected=frozenset()),
    ]


ACTIONS: tuple[Action, ...] = (
    *commands(),
    *case_buttons(),
    *appointment_buttons(),
    *home_and_invitation_buttons(),
    *the_persons_buttons(),
)


# ------------------------------------------------------------------ observing the bot


class Outcome(Enum):
    SUCCEEDS = "succeeds"
    REFUSED = "is refused, revealing nothing"
    NO_CHANGE = "changes nothing"


def expected_outcome(world: World, actor: str, act: Action) -> Outcome:
    if actor in act.expected:
        return Outcome.SUCCEEDS
    if isinstance(act.last, Say) and not act.last.text(world).startswith("/"):
        return Outcome.NO_CHANGE  # typed text nobody asked for: "Je n'ai pas compris"
    if actor in act.sees:
        return Outcome.NO_CHANGE
    return Outcome.REFUSED


@dataclass
class Seen:
    """What one update did: to the actor's chat, the button, the database, the logs."""

    alert: str | None = None
    show_alert: bool = False
    answered: bool = False
    new_texts: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    apologies: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)

    def answer(self) -> tuple:
        """What the person learns: compared between a hidden and a missing object."""
        return (self.alert, self.show_alert, tuple(self.new_texts), tuple(self.edited))


def short(record: logging.LogRecord) -> str:
    """'Update 12 failed: builtins.ValueError', and where in Relais it was raised."""
    lines = record.getMessage().splitlines()
    ours = [
        line.strip()
        for line in lines
        if line.strip().startswith("File ") and "site-packages" not in line
    ]
    return f"{lines[0]} at {ours[-1]}" if ours else lines[0]


class ErrorLog(logging.Handler):
    """Records of the error handler (bot.errors) at ERROR: an update that blew up."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    logger = logging.getLogger("bot.errors")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


class Matrix:
    """Acts as each actor on the world and watches what happens."""

    def __init__(self, world: World, errors: ErrorLog) -> None:
        self.world = world
        self.relais = world.relais
        self.fake = world.relais.fake
        self.errors = errors
        self.people = dict(world.people)
        self.used: set[tuple[int, int]] = set()  # (chat, message) already tapped on
        self.strangers = 0

    async def step(self, actor: str, step: Step) -> int:
        if isinstance(step, Say):
            update_id = self.fake.send_text(self.people[actor].user, step.text(self.world))
        else:
            target = await self.target(actor)
            update_id = self.fake.forge_callback(
                self.people[actor].user, target, step.data(self.world)
            )
        await self.relais.settle(update_id)
        return update_id

    async def target(self, actor: str) -> int:
        """A message with buttons not tapped yet (as a button lives on one), or any message."""
        person = self.people[actor]
        for _attempt in range(2):
            found = unused_keyboard(self.fake, person.id, self.used)
            if found is not None:
                return found
            if role_of(self.world, actor) is None:
                break
            await self.relais.settle(self.fake.send_text(person.user, "/langue"))
        return person.bot_messages()[-1].message_id

    async def observe(self, actor: str, step: Step) -> Seen:
        """Do the last step of an action, and see what it did."""
        person = self.people[actor]
        target = await self.target(actor) if isinstance(step, Press) else None
        engine = self.world.engine
        before_db = snapshot(engine)
        before_messages = {m.message_id: m.edit_count for m in person.bot_messages()}
        before_calls, before_errors = len(self.fake.calls), len(self.errors.records)

        if isinstance(step, Say):
            update_id = self.fake.send_text(person.user, step.text(self.world))
        else:
            assert target is not None
            update_id = self.fake.forge_callback(person.user, target, step.data(self.world))
        await self.relais.settle(update_id)

        seen = Seen()
        if isinstance(step, Press):
            answer = self.fake.callback_query(update_id).answer
            if answer is not None:
                seen.answered, seen.alert, seen.show_alert = True, answer.text, answer.show_alert
        for message in person.bot_messages():
            if message.message_id not in before_messages:
                seen.new_texts.append(message.text)
            elif message.edit_count > before_messages[message.message_id]:
                seen.edited.append(message.text)
        seen.errors = [short(record) for record in self.errors.records[before_errors:]]
        seen.apologies = [
            str(call.params.get("text"))
            for call in self.fake.calls[before_calls:]
            if call.method == "sendMessage"
            and (
                APOLOGY in str(call.params.get("text")) or INCIDENT in str(call.params.get("text"))
            )
        ]
        after_db = snapshot(engine)
        seen.changed = [name for name in changed_tables(before_db, after_db) if name != AUDIT]
        seen.audited = new_audit_actions(before_db, after_db)
        return seen

    async def run(self, actor: str, act: Action) -> None:
        where = f"{actor} × {act.name}"
        stranger = self.people[STRANGER]
        if act.fresh_stranger and actor == STRANGER:
            self.strangers += 1
            newcomer = self.relais.person(f"Inconnu {self.strangers}")
            await self.relais.settle(self.fake.send_text(newcomer.user, "Bonjour"))
            self.people[STRANGER] = newcomer
        try:
            await self._run(actor, act, where)
        finally:
            self.people[STRANGER] = stranger

    async def _run(self, actor: str, act: Action, where: str) -> None:
        """Every actor goes the same way, refused or not: the expectations alone differ."""
        outcome = expected_outcome(self.world, actor, act)
        twin = None
        if act.missing is not None:
            assert len(act.steps) == 1, f"{act.name}: an object's twin needs a one-step action"
            twin = await self.observe(actor, Press(act.missing))
            check_refused(f"{where} (a missing object)", twin, twin_of=None)
            assert not twin.changed, f"{where} (a missing object): changed {twin.changed}"
        for step in act.steps[:-1]:
            await self.step(actor, step)
        seen = await self.observe(actor, act.last)
        check(where, act, outcome, seen, twin)
        if act.cleanup:
            await self.step(actor, say("/annuler"))


def check_refused(where: str, seen: Seen, twin_of: Seen | None) -> None:
    assert not seen.errors, f"{where}: the update reached the error handler: {seen.errors}"
    assert not seen.apologies, f"{where}: the bot apologised for an error: {seen.apologies}"
    refusals = [text for text in (seen.alert, *seen.new_texts) if text]
    got = f"alert={seen.alert!r} messages={seen.new_texts}"
    assert refusals, f"{where}: expected a refusal, got no answer ({got})"
    assert all(text in REFUSALS for text in refusals), f"{where}: expected a refusal, got {got}"
    assert not seen.edited, f"{where}: a refusal edited a message: {seen.edited}"
    assert len(seen.new_texts) <= 1, f"{where}: a refusal is one line: {seen.new_texts}"
    changes = [action for action in seen.audited if action.startswith(("case.", "invite."))]
    assert not changes, f"{where}: a refusal wrote audit entries of changes: {changes}"
    assert "refused" in seen.audited, f"{where}: the refused attempt was not audited"
    if twin_of is not None:
        assert seen.answer() == twin_of.answer(), (
            f"{where}: the refusal differs from the one for an object that does not exist:\n"
            f"  this object: {seen.answer()}\n  missing one: {twin_of.answer()}"
        )


def check(where: str, act: Action, outcome: Outcome, seen: Seen, twin: Seen | None) -> None:
    assert not seen.errors, f"{where}: the update reached the error handler: {seen.errors}"
    assert not seen.apologies, f"{where}: the bot apologised for an error: {seen.apologies}"
    refusals = [text for text in (seen.alert, *seen.new_texts) if text in REFUSALS]
    match outcome:
        case Outcome.SUCCEEDS:
            assert not refusals, f"{where}: should succeed, was refused: {refusals}"
            if act.effect is Effect.DB:
                assert act.table in seen.changed, (
                    f"{where}: should change {act.table}; changed {seen.changed or 'nothing'}"
                )
            elif act.effect is Effect.REPLY:
                assert seen.new_texts or seen.edited or seen.alert, (
                    f"{where}: should be answered; the bot said nothing"
                )
            else:
                assert seen.answered, f"{where}: the button was not answered"
        case Outcome.REFUSED:
            check_refused(where, seen, twin)
            assert not seen.changed, f"{where}: refused, yet changed {seen.changed}"
        case Outcome.NO_CHANGE:
            domain = [name for name in seen.changed if name not in FLOW_TABLES | {"sent_message"}]
            assert not domain, f"{where}: should change nothing, changed {domain}"


# ------------------------------------------------------------------ the tests


@pytest.fixture
async def relais(fake_api: FakeBotAPI, tmp_path: Path):
    bot = RelaisUnderTest(
        fake_api, bot_settings(fake_api, f"sqlite:///{tmp_path / 'relais.sqlite3'}")
    )
    await bot.start()
    without_flood_pacing(bot)
    yield bot
    await bot.stop()


@pytest.mark.parametrize("actor", ACTORS)
async def test_each_role_can_do_exactly_what_it_is_allowed_to(
    relais: RelaisUnderTest, actor: str
) -> None:
    world = await build_world(relais)
    with error_log() as errors:
        matrix = Matrix(world, errors)
        for act in ACTIONS:
            await matrix.run(actor, act)


async def test_the_matrix_tries_every_command_and_every_button(relais: RelaisUnderTest) -> None:
    """Every command of bot.permissions and every button declared in bot.buttons has its
    line here; a new one cannot be reachable without its written expectation."""
    world = await build_world(relais)
    pressed = {
        type(buttons.find(step.data(world)))
        for act in ACTIONS
        for step in act.steps
        if isinstance(step, Press)
    }
    untried = [button.__name__ for button in buttons.EVERY_BUTTON if button not in pressed]
    assert not untried, f"no action of the matrix taps: {untried}"
    spellings = {name for command in permissions.COMMANDS for name in command.names}
    assert set(COMMAND_USERS) == spellings


# ------------------------------------------------------------------ forged and stale buttons


@dataclass(frozen=True)
class Forged:
    name: str
    actor: str
    data: Callable[[World], str]
    before: tuple[Step, ...] = ()  # the way into the state where it is tapped
    refused: bool = True  # False: a case the member may see; nothing changes, no refusal


def _someone_elses_reminder(world: World) -> int:
    with session_scope(world.engine) as session:
        others = select(Reminder.id).where(Reminder.member_id != world.member_ids["beneficiary"])
        return session.exec(others).first()


def _hidden(key: str = "gendarmerie") -> Callable[[World], int]:
    return cid(key)


FORGED: tuple[Forged, ...] = (
    Forged("a case id that is not a number", "worker", lambda w: "cs:c:abc"),
    Forged("a negative case id", "worker", lambda w: "cs:c:-1"),
    Forged("no case id", "worker", lambda w: "cs:c:"),
    Forged("no data at all", "worker", lambda w: ""),
    Forged("an unknown prefix", "worker", lambda w: "zzz:1"),
    Forged("300 bytes of junk", "worker", lambda w: "x" * 300),
    Forged("a known prefix, then junk", "worker", lambda w: "cs:l:zz"),
    Forged(
        "a reason index past the list",
        "worker",
        lambda w: f"cs:r:{w.cases['commission']}:accepted:99",
        refused=False,
    ),
    Forged(
        "a home id that is not a number", "worker", lambda w: f"hm:set:{w.cases['followed']}:abc"
    ),
    Forged(
        "a cancellation reason that is not a number",
        "worker",
        lambda w: f"ap:xr:{w.appointments['to_cancel']}:abc",
    ),
    Forged(
        "held, for an appointment still to come",
        "worker",
        lambda w: f"ap:h:{w.appointments['to_cancel']}",
    ),
    Forged("a language Relais does not speak", "worker", lambda w: "lang:xx"),
    Forged("a button of a flow, outside the flow", "worker", lambda w: "ap:k:follow_up"),
    Forged(
        "a report button for another question than the current one",
        "correspondent",
        lambda w: "rep:danger:=no",
        before=REPORT,
    ),
    Forged("safe hours that were not offered", "beneficiary", lambda w: "bf:h:1:2"),
    Forged("an auto-delete that is not a number", "beneficiary", lambda w: "bf:ad:abc"),
    Forged(
        "a reminder button with one part too many",
        "beneficiary",
        lambda w: f"rm:yes:{w.reminder_id}:x",
    ),
    Forged(
        "someone else's reminder", "beneficiary", lambda w: f"rm:yes:{_someone_elses_reminder(w)}"
    ),
    Forged("a consent answer without its token", STRANGER, lambda w: "bf:ok:"),
    Forged("an access request without its flyer's token", STRANGER, lambda w: "ar:ask:"),
    Forged(
        "an invitation's token in a flyer's button", STRANGER, lambda w: f"ar:ask:{w.staff_token}"
    ),
    Forged(
        "a consent answer with a 5,000-character token", STRANGER, lambda w: "bf:ok:" + "A" * 5000
    ),
    Forged(
        "an invitation by a deactivated worker",
        DEACTIVATED,
        lambda w: f"bn:inv:{w.cases['invitable']}",
    ),
    # The landlord's referent, on the case the gendarmerie reported (theirs to not even see).
    *(
        Forged(f"a hidden case: {label}", "landlord_referent", data)
        for label, data in (
            ("the card, data over 64 bytes", lambda w: f"cs:c:{_hidden()(w)}:" + "9" * 90),
            ("a move", lambda w: f"cs:y:{_hidden()(w)}:commission"),
            ("a move's question", lambda w: f"cs:m:{_hidden()(w)}:commission"),
            ("the contract's question", lambda w: f"cs:m:{_hidden()(w)}:contract_signed"),
            ("a note", lambda w: f"cs:n:{_hidden()(w)}"),
            ("the people on it", lambda w: f"cs:w:{_hidden()(w)}"),
            ("a malformed move", lambda w: f"cs:y:{_hidden()(w)}:nonsense"),
            ("a move without its target", lambda w: f"cs:m:{_hidden()(w)}"),
        )
    ),
)


async def tap_forged(world: World, errors: ErrorLog, forged: Forged) -> Seen:
    matrix = Matrix(world, errors)
    for step in forged.before:
        await matrix.step(forged.actor, step)
    return await matrix.observe(forged.actor, Press(forged.data))


async def test_forged_and_stale_buttons_are_refused_and_change_nothing(
    relais: RelaisUnderTest,
) -> None:
    world = await build_world(relais)
    with error_log() as errors:
        hidden_id = str(_hidden()(world))
        for forged in FORGED:
            where = f"{forged.actor} × {forged.name} ({forged.data(world)[:40]!r})"
            twin = None
            if forged.actor == "landlord_referent":  # the same button, on no case at all
                missing = forged.data(world).replace(hidden_id, str(MISSING_ID), 1)
                twin = await Matrix(world, errors).observe(forged.actor, press(missing))
            seen = await tap_forged(world, errors, forged)
            if forged.refused:
                check_refused(where, seen, twin_of=twin)
                assert not seen.changed, f"{where}: changed {seen.changed}"
            else:
                check(where, ACTIONS[0], Outcome.NO_CHANGE, seen, None)


# ------------------------------------------------------------------ bugs found here


@pytest.fixture
async def relais_on(fake_api: FakeBotAPI, database_url: str):
    """Relais on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""
    bot = RelaisUnderTest(fake_api, bot_settings(fake_api, database_url))
    await bot.start()
    without_flood_pacing(bot)
    yield bot
    await bot.stop()


async def assert_all_refused_without_error(world: World, all_forged: list[Forged]) -> None:
    """Tap each; then fail once, naming every button that was not simply refused."""
    failures = []
    with error_log() as errors:
        for forged in all_forged:
            seen = await tap_forged(world, errors, forged)
            where = f"{forged.actor} × {forged.name} ({forged.data(world)[:40]!r})"
            try:
                check_refused(where, seen, twin_of=None)
                assert not seen.changed, f"{where}: changed {seen.changed}"
            except AssertionError as failure:
                failures.append(str(failure).splitlines()[0])
    assert not failures, "\n".join(failures)


MALFORMED_MOVES = (
    # set_person: still unguarded
    ("a new worker without the worker", lambda w: f"cs:W:{w.cases['received']}"),
    ("a new referent without the referent", lambda w: f"cs:F:{w.cases['received']}"),
    (
        "a new worker, one part too many",
        lambda w: f"cs:W:{w.cases['received']}:{w.colleague_id}:x",
    ),
    # ask_move, confirm_move, move_with_reason: guarded since 89031ac (anchored patterns)
    (
        "a move's question with an unknown status",
        lambda w: f"cs:m:{w.cases['diagnostic']}:nonsense",
    ),
    ("a move's question without its status", lambda w: f"cs:m:{w.cases['diagnostic']}"),
    ("a confirmation without its status", lambda w: f"cs:y:{w.cases['diagnostic']}"),
    ("a confirmation with an unknown status", lambda w: f"cs:y:{w.cases['diagnostic']}:nonsense"),
    ("a reason for an unknown status", lambda w: f"cs:r:{w.cases['commission']}:nonsense:0"),
    ("a reason without its index", lambda w: f"cs:r:{w.cases['commission']}:accepted"),
)


async def test_a_malformed_button_on_a_visible_case_is_refused_without_an_error(
    relais: RelaisUnderTest,
) -> None:
    world = await build_world(relais)
    await assert_all_refused_without_error(
        world, [Forged(name, "worker", data) for name, data in MALFORMED_MOVES]
    )


HUGE = "9" * 20  # past 2**63 - 1, the largest id SQLite and PostgreSQL's bigint hold
HUGE_IDS = (
    ("the card", "worker", lambda w: f"cs:c:{HUGE}", ()),
    ("Je prends", "worker", lambda w: f"take:{HUGE}", ()),
    ("Voir", "worker", lambda w: f"view:{HUGE}", ()),
    ("an appointment", "worker", lambda w: f"ap:x:{HUGE}", ()),
    ("a home", "worker", lambda w: f"hm:set:{w.cases['followed']}:{HUGE}", ()),
    ("a reminder", "beneficiary", lambda w: f"rm:yes:{HUGE}", ()),
    ("a page of the list", "worker", lambda w: f"cs:l:m:-:-:{HUGE}", ()),
    ("an organisation", "admin", lambda w: f"inv:org:{HUGE}", INVITE_A_WORKER),
)


async def test_an_id_too_large_for_the_database_is_refused_without_an_error(
    relais: RelaisUnderTest,
) -> None:
    world = await build_world(relais)
    await assert_all_refused_without_error(world, [Forged(*huge) for huge in HUGE_IDS])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_id_too_large_for_postgresql_is_refused_without_an_error(
    relais_on: RelaisUnderTest,
) -> None:
    world = await build_world(relais_on)
    await assert_all_refused_without_error(
        world, [Forged("the card", "worker", lambda w: f"cs:c:{HUGE}")]
    )


@pytest.mark.parametrize(
    "database_url",
    ["sqlite", "postgresql"],
    indirect=True,
)
async def test_a_negative_page_of_the_list_is_answered_without_an_error(
    relais_on: RelaisUnderTest,
) -> None:
    world = await build_world(relais_on)
    with error_log() as errors:
        seen = await Matrix(world, errors).observe("worker", press("cs:l:m:-:-:-1"))
    assert not seen.errors, f"the update reached the error handler: {seen.errors}"
    assert not seen.changed


async def test_a_time_far_ahead_gets_a_clear_answer_and_one_past_the_bounds_is_refused(
    relais: RelaisUnderTest,
) -> None:
    """A slot years ahead is answered clearly; a slot past any date the calendar can show is
    no button of Relais (bot.buttons bounds it)."""
    world = await build_world(relais)
    year_3000 = int(datetime(3000, 1, 1, tzinfo=UTC).timestamp()) // 60
    with error_log() as errors:
        seen = await tap_forged(
            world,
            errors,
            Forged(
                "a slot in the year 3000",
                "worker",
                lambda w: f"ap:at:{year_3000}",
                NEW_APPOINTMENT,
            ),
        )
    assert not seen.errors
    assert not seen.changed
    assert seen.alert == "Cette date est trop lointaine : choisissez-en une dans les deux ans."
    await assert_all_refused_without_error(
        world,
        [
            Forged(
                "a slot past any timestamp", "worker", lambda w: f"ap:at:{HUGE}", NEW_APPOINTMENT
            ),
            Forged(
                "a calendar page past the year 2199",
                "worker",
                lambda w: "ap:cal:2200-01",
                NEW_APPOINTMENT,
            ),
        ],
    )


async def test_a_stale_button_of_the_home_form_is_refused_without_an_error(
    relais: RelaisUnderTest,
) -> None:
    world = await build_world(relais)
    await assert_all_refused_without_error(
        world,
        [
            Forged(
                "the kind, at the size question", "admin", lambda w: "hm:kind:addiction", NEW_HOME
            ),
            Forged(
                "the QPV, then the kind, at the size question",
                "admin",
                lambda w: "hm:kind:violence",
                (*NEW_HOME, press("hm:qpv:yes")),
            ),
        ],
    )


DOUBLE_TAPS = (
    ("Confirmer (a move)", "worker", lambda w: f"cs:y:{w.cases['received']}:diagnostic"),
    (
        "a reason (the commission's decision)",
        "worker",
        lambda w: f"cs:r:{w.cases['commission']}:accepted:1",
    ),
    ("Je viens (a reminder)", "beneficiary", lambda w: f"rm:yes:{w.reminder_id}"),
    ("Français (the language)", "worker", lambda w: "lang:fr"),
    ("a page of the list", "worker", lambda w: "cs:l:m:-:-:0"),
)


async def test_a_double_tap_is_answered_without_an_error(relais: RelaisUnderTest) -> None:
    world = await build_world(relais)
    matrix, fake, failures = Matrix(world, ErrorLog()), relais.fake, []
    for name, actor, data in DOUBLE_TAPS:
        message = await matrix.target(actor)
        person = world.people[actor]
        with error_log() as errors:
            fake.forge_callback(person.user, message, data(world))
            await relais.settle(fake.forge_callback(person.user, message, data(world)))
        if errors.records:
            failures.append(f"{actor} × {name}: {short(errors.records[0])}")
    assert not failures, "the second tap reached the error handler:\n" + "\n".join(failures)


async def test_a_case_button_tapped_in_a_group_does_not_post_the_case_there(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    """The team's group chat gets new-case alerts; a case card must never be posted there."""
    team = fake_api.add_group("Équipe Montjoie")
    relais = RelaisUnderTest(
        fake_api,
        bot_settings(fake_api, f"sqlite:///{tmp_path / 'relais.sqlite3'}", alert_chat_id=team.id),
    )
    await relais.start()
    try:
        without_flood_pacing(relais)
        world = await build_world(relais)
        from conversations.alerts import announce

        await announce(relais.app, world.case("untaken"))
        worker = world.people["worker"]
        fake_api.add_member(team, worker.user)
        alert = fake_api.last_bot_message(team.id)
        assert alert is not None
        with error_log() as errors:
            await relais.settle(
                fake_api.forge_callback(
                    worker.user, alert, f"cs:c:{world.cases['received']}", chat=team
                )
            )
        posted = [m.text for m in fake_api.bot_messages(team.id) if m.text.startswith("Dossier ")]
        assert not errors.records
        assert not posted, f"a case card was posted in the group chat: {posted[0][:80]!r}…"
    finally:
        await relais.stop()
