"""The referral form: which questions, in which order, and what a valid answer is.

The path through the form depends only on the answers so far (`path`), so going back,
editing an answer from the review or resuming after a restart all come down to "the first
question of the path that has no answer yet" (`next_question`). The total of « Étape k/n »
is the longest path the answers so far still allow (`longest_path`): it never grows.
"""

from dataclasses import dataclass
from enum import StrEnum
from itertools import product

import phonenumbers

from domain.vocabulary import CaseKind

VIA_REFERRER = "via_referrer"  # the contact answer "only through me"
OTHER_SITE = "other"
NOTE_MAX = 1000


class Input(StrEnum):
    CHOICE = "choice"  # one button
    MULTI = "multi"  # several buttons, then "Valider"
    COUNT = "count"  # a small whole number: buttons or typed
    TEXT = "text"  # typed
    PHONE = "phone"  # a typed phone number, or the button "only through me"
    SITE = "site"  # a residence from the sites list, or "other"


@dataclass(frozen=True)
class Question:
    key: str
    input: Input
    options: tuple[str, ...] = ()
    max_length: int = 0
    low: int = 0
    high: int = 0
    optional: bool = False


QUESTIONS: dict[str, Question] = {
    question.key: question
    for question in (
        Question("kind", Input.CHOICE, (CaseKind.ADDICTION.value, CaseKind.VIOLENCE.value)),
        Question("danger", Input.CHOICE, ("yes", "no")),
        Question("who", Input.TEXT, max_length=40),
        Question("adults", Input.COUNT, low=1, high=12),
        Question("children", Input.COUNT, low=0, high=15),
        Question("site", Input.SITE),
        Question("commune", Input.TEXT, max_length=80),
        Question("qpv", Input.CHOICE, ("yes", "no", "unknown")),
        Question("consent", Input.CHOICE, ("yes", "not_yet", "no")),
        Question("contact", Input.PHONE),
        Question(
            "safe_times", Input.MULTI, ("morning", "midday", "afternoon", "evening", "anytime")
        ),
        Question(
            "observed",
            Input.MULTI,
            ("neighbours", "hygiene", "unpaid_rent", "health", "isolation", "other"),
        ),
        Question("eviction", Input.CHOICE, ("yes", "no", "unknown")),
        Question("support", Input.MULTI, ("csapa", "doctor", "guardian", "none", "unknown")),
        Question("whereabouts", Input.CHOICE, ("shelter", "relatives", "shared_home", "other")),
        Question("resources", Input.MULTI, ("salary", "benefits", "none")),
        Question("complaint", Input.CHOICE, ("yes", "no", "unknown")),
        Question("wished_area", Input.TEXT, max_length=80, optional=True),
        Question("note", Input.TEXT, max_length=NOTE_MAX, optional=True),
    )
}

REVIEW = "review"


def path(answers: dict[str, object]) -> list[str]:
    """The questions this report goes through, in order, given the answers so far."""
    keys = ["kind", "danger"]
    kind = answers.get("kind")
    if kind is None:
        return keys
    urgent = answers.get("danger") == "yes"
    keys += ["who"] if urgent else ["who", "adults", "children"]
    keys += _where(answers)
    keys += ["consent", "contact"]
    if answers.get("contact") not in (None, VIA_REFERRER):
        keys.append("safe_times")
    if urgent:  # the shortest form: the person is in danger, details can wait
        return keys
    if kind == CaseKind.ADDICTION:
        keys += ["observed", "eviction", "support"]
    else:
        keys += ["whereabouts", "resources", "complaint", "wished_area"]
    return [*keys, "note"]


def _where(answers: dict[str, object]) -> list[str]:
    # A landlord tenant (addiction) is found by residence; its commune and QPV come with it.
    if answers.get("kind") == CaseKind.ADDICTION and answers.get("site") != OTHER_SITE:
        return ["site"]
    if answers.get("kind") == CaseKind.ADDICTION:
        return ["site", "commune", "qpv"]
    return ["commune", "qpv"]


def next_question(answers: dict[str, object]) -> str:
    """The first question without an answer, or REVIEW when the report is complete."""
    return next((key for key in path(answers) if key not in answers), REVIEW)


def previous_question(answers: dict[str, object], current: str) -> str | None:
    keys = path(answers)
    if current == REVIEW:
        return keys[-1]
    position = keys.index(current) if current in keys else 0
    return keys[position - 1] if position > 0 else None


# What a report's answer may be kept as after anonymisation: a value of a fixed list or a
# count. Typed texts (names, communes typed by hand, notes) and phone numbers are not.
_ANONYMOUS_INPUTS = frozenset({Input.CHOICE, Input.COUNT, Input.MULTI, Input.SITE})


def anonymous_answers(answers: dict[str, object]) -> dict[str, object]:
    """The answers the figures count, without anything that could name the person."""
    return {
        key: value
        for key, value in answers.items()
        if key in QUESTIONS and QUESTIONS[key].input in _ANONYMOUS_INPUTS
    }


def relevant_answers(answers: dict[str, object]) -> dict[str, object]:
    """The answers on the current path (an edited type leaves the other branch's behind)."""
    return {key: answers[key] for key in path(answers) if key in answers}


def progress(answers: dict[str, object], current: str) -> tuple[int, int]:
    """(step, total) for « Étape 3/16 ». The review is the last step; before it, the total is
    the longest path the answers so far still allow, so it never grows as the person goes on
    and reads step/step at the review."""
    if current == REVIEW:
        steps = len(path(answers)) + 1
        return steps, steps
    # The question asked is open, even when its answer is being edited from the review.
    given = {key: value for key, value in answers.items() if key != current}
    keys = path(given)
    step = keys.index(current) + 1 if current in keys else len(keys)
    return step, len(longest_path(given)) + 1


# The answers `path` reads, each with one value for every way it steers the path: the type,
# the danger, a residence of the list or another one, a phone number or "only through me".
STEERING: dict[str, tuple[object, ...]] = {
    "kind": QUESTIONS["kind"].options,
    "danger": QUESTIONS["danger"].options,
    "site": (1, OTHER_SITE),
    "contact": ("+33612345678", VIA_REFERRER),
}


def longest_path(answers: dict[str, object]) -> list[str]:
    """The longest list of questions the form may still go through, whatever comes next."""
    still_open = [key for key in STEERING if key not in answers]
    futures = product(*(STEERING[key] for key in still_open))
    return max(
        (path({**answers, **dict(zip(still_open, future, strict=True))}) for future in futures),
        key=len,
    )


class InvalidAnswer(ValueError):
    """Not an answer to this question: the question is asked again, nothing is saved."""


def parse_button(question: Question, value: str) -> object:
    """The answer a button's value stands for (buttons can be stale or forged: check them)."""
    if question.input is Input.CHOICE and value in question.options:
        return value
    if question.input is Input.COUNT and (count := parse_count(value, question)) is not None:
        return count
    if question.input is Input.PHONE and value == VIA_REFERRER:
        return value
    if question.input is Input.SITE and (value == OTHER_SITE or value.isdecimal()):
        return value if value == OTHER_SITE else int(value)
    raise InvalidAnswer(question.key)


def parse_typed(question: Question, text: str) -> object:
    parsers = {Input.COUNT: parse_count, Input.TEXT: parse_text}
    if question.input is Input.PHONE:
        value = parse_phone(text)
    elif question.input in parsers:
        value = parsers[question.input](text, question)
    else:
        value = None  # a choice is made with the buttons
    if value is None:
        raise InvalidAnswer(question.key)
    return value


def parse_selection(question: Question, selection: list[str]) -> list[str]:
    """A validated multiple choice: at least one ticked, each one of the question's options."""
    if not selection or any(value not in question.options for value in selection):
        raise InvalidAnswer(question.key)
    return list(selection)


def parse_count(text: str, question: Question) -> int | None:
    """A typed count within the question's bounds, or None ("-1", "trois cents", "999")."""
    cleaned = text.strip()
    if not cleaned.isdecimal():
        return None
    value = int(cleaned)
    return value if question.low <= value <= question.high else None


def parse_text(text: str, question: Question) -> str | None:
    cleaned = " ".join(text.split()) if question.key != "note" else text.strip()
    if not cleaned or len(cleaned) > question.max_length:
        return None
    return cleaned


def parse_phone(text: str) -> str | None:
    """A valid French or international number in E.164 form ("+33612345678"), else None."""
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """ "+33612345678" as people write it: "+33 6 12 34 56 78"."""
    number = phonenumbers.parse(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def is_urgent(answers: dict[str, object]) -> bool:
    """Reported in immediate danger: filed URGENT, escalated sooner."""
    return answers.get("danger") == "yes"
