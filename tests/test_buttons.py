"""Buttons declared once (bot.callback_data, bot.buttons): what their data looks like, what
is accepted back, and what Telegram's 64 bytes allow."""

from datetime import date
from typing import Annotated

import pytest

from bot import buttons
from bot.buttons import (
    AcceptReminders,
    AskMove,
    CalendarMonth,
    CaseCard,
    CaseList,
    ChooseLanguage,
    ReportAnswer,
    ReportEdit,
    ReportStep,
    TakeCase,
)
from bot.callback_data import Button, Id, Integer, OneOf
from domain.vocabulary import CaseKind, CaseStatus, Role


def test_a_button_writes_its_fields_into_its_shape() -> None:
    assert CaseCard(case=12).pack() == "cs:c:12"
    assert AskMove(case=7, target="phase").pack() == "cs:m:7:phase"
    assert (
        CaseList(scope="a", status=None, kind=CaseKind.VIOLENCE, page=3).pack()
        == "cs:l:a:-:violence:3"
    )
    assert ReportAnswer(question="kind", value="addiction").pack() == "rep:kind:=addiction"
    assert CalendarMonth(date(2027, 3, 1)).pack() == "ap:cal:2027-03"


def test_data_is_read_back_into_typed_fields() -> None:
    assert CaseList.parse("cs:l:m:received:-:0") == CaseList(
        scope="m", status=CaseStatus.RECEIVED, kind=None, page=0
    )
    assert CaseCard.parse("cs:c:999999999999999999") == CaseCard(case=10**18 - 1)
    assert CalendarMonth.parse("ap:cal:2027-03") == CalendarMonth(date(2027, 3, 1))


@pytest.mark.parametrize(
    "data",
    [
        "cs:c:0",  # ids start at 1
        "cs:c:-1",
        "cs:c:1000000000000000000",  # 19 digits: past what the databases hold
        "cs:c:12:",
        "cs:c:12\n",
        "cs:c:١٢",  # Arabic-Indic digits are digits to Python, not to Relais
        "cs:c: 12",
        "cs:c:",
        "cs:m:7:nonsense",
        "cs:l:x:-:-:0",
        "cs:l:m:-:-:1000000",
        "ap:cal:2027-13",
        "ap:cal:2200-01",  # past the calendar's last page
        "lang:de",
        "rep:review:=x",  # the review is no question
        "bf:ok:short",
        "bf:ok:" + "A" * 45,
    ],
)
def test_anything_but_the_declared_shape_within_its_bounds_is_no_button(data: str) -> None:
    assert buttons.find(data) is None


def test_a_value_off_its_bounds_cannot_be_made_into_a_button() -> None:
    with pytest.raises(ValueError, match="not a valid button"):
        CaseCard(case=0).pack()
    with pytest.raises(ValueError, match="not a valid button"):
        CalendarMonth(date(2027, 3, 4)).pack()  # a month is its first day
    with pytest.raises(ValueError, match="not a valid button"):
        AcceptReminders("a token with spaces").pack()


def test_every_button_fits_telegram_s_64_bytes_whatever_its_fields_hold() -> None:
    too_long = [
        (button.__name__, button.longest_data())
        for button in buttons.EVERY_BUTTON
        if len(button.longest_data().encode()) > 64
    ]
    assert not too_long


def test_a_declaration_that_could_exceed_64_bytes_is_refused_when_it_is_written() -> None:
    with pytest.raises(TypeError, match="exceed 64 bytes"):

        class Wide(Button, shape="zz:{a}:{b}:{c}:{d}", roles=frozenset({Role.ADMIN})):
            a: Id
            b: Id
            c: Id
            d: Id


def test_a_declaration_names_every_field_in_its_shape() -> None:
    with pytest.raises(TypeError, match="names every field"):

        class Half(Button, shape="zz:{a}", roles=frozenset({Role.ADMIN})):
            a: Id
            b: Annotated[int, Integer(0, 9)]


def test_each_data_is_one_button_only() -> None:
    """No two declarations accept the same data, so the permission table is unambiguous."""
    for button in buttons.EVERY_BUTTON:
        for data in button.samples():
            matching = [other.__name__ for other in buttons.EVERY_BUTTON if other.parse(data)]
            assert matching == [button.__name__], data


# Who may tap what, and where: the gate's questions (bot.access), written out by hand.
@pytest.mark.parametrize(
    ("data", "role", "private", "allowed"),
    [
        ("cs:c:12", Role.WORKER, True, True),
        ("cs:c:12", Role.LANDLORD_REFERENT, True, True),
        ("cs:c:12", Role.CORRESPONDENT, True, False),
        ("cs:c:12", Role.WORKER, False, False),  # a card button in a group: nothing
        ("take:12", Role.WORKER, False, True),  # the alert's « Je prends », in the team chat
        ("view:12", Role.WORKER, False, True),
        ("take:12", Role.ADMIN, True, False),
        ("hm:add", Role.ADMIN, True, True),
        ("hm:add", Role.WORKER, True, False),
        ("hm:pick:3", Role.WORKER, True, True),
        ("hm:pick:3", Role.ADMIN, True, False),
        ("rm:yes:4", Role.BENEFICIARY, True, True),
        ("rm:yes:4", Role.WORKER, True, False),
        ("lang:en", Role.BENEFICIARY, True, True),
        ("rep:kind:=violence", Role.GENDARMERIE, True, True),
        ("rep:kind:=violence", Role.LANDLORD_REFERENT, True, False),
        ("mb:off:5", Role.ADMIN, True, True),
        ("mb:off:5", Role.WORKER, True, False),
        ("cs:c:12:x", Role.WORKER, True, False),
    ],
)
def test_the_gate_lets_a_button_through_for_the_roles_it_names(
    data: str, role: Role, private: bool, allowed: bool
) -> None:
    assert buttons.allowed(data, role, private=private) is allowed


def test_only_a_consent_answer_is_open_to_someone_not_yet_a_member() -> None:
    token = "A" * 32
    assert buttons.stranger_may(f"bf:ok:{token}")
    assert buttons.stranger_may(f"bf:no:{token}")
    assert not buttons.stranger_may("lang:fr")
    assert not buttons.stranger_may(f"bf:lang:{token}")


def test_a_handler_pattern_matches_the_whole_data_only() -> None:
    assert TakeCase.pattern.match("take:12")
    assert not TakeCase.pattern.match("take:12:3")
    assert not TakeCase.pattern.match("take:12\n")
    assert ReportStep.pattern.match("rep:who:back")
    assert not ReportEdit.pattern.match("rep:review:edit:review")


def test_a_choice_of_the_vocabulary_is_read_back_as_its_value() -> None:
    assert ChooseLanguage.parse("lang:en") == ChooseLanguage("en")
    codec = OneOf(CaseKind, none="-")
    assert codec.decode("violence") is CaseKind.VIOLENCE
    assert codec.decode("-") is None
