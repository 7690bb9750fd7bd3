"""The referral form's rules on their own: the path through the questions and what an answer is."""

import pytest

from domain.referral import (
    NOTE_MAX,
    QUESTIONS,
    REVIEW,
    STEERING,
    VIA_REFERRER,
    Input,
    display_phone,
    longest_path,
    next_question,
    parse_count,
    parse_phone,
    parse_text,
    path,
    previous_question,
    progress,
    relevant_answers,
)

ADDICTION: dict[str, object] = {
    "kind": "addiction",
    "danger": "no",
    "who": "M. D.",
    "adults": 1,
    "children": 0,
    "site": 3,
    "consent": "yes",
    "contact": "+33612345678",
    "safe_times": ["evening"],
    "observed": ["neighbours", "unpaid_rent"],
    "eviction": "unknown",
    "support": ["none"],
    "note": None,
}

VIOLENCE: dict[str, object] = {
    "kind": "violence",
    "danger": "no",
    "who": "Mme L.",
    "adults": 1,
    "children": 2,
    "commune": "Mamers",
    "qpv": "unknown",
    "consent": "not_yet",
    "contact": VIA_REFERRER,
    "whereabouts": "relatives",
    "resources": ["benefits"],
    "complaint": "no",
    "wished_area": None,
    "note": "Hébergée chez sa sœur.",
}

HOUSEHOLD_AND_BRANCHES = {
    "adults",
    "children",
    "observed",
    "eviction",
    "support",
    "whereabouts",
    "resources",
    "complaint",
    "wished_area",
    "note",
}


def test_before_the_kind_is_known_only_the_kind_and_the_danger_are_asked() -> None:
    assert path({}) == ["kind", "danger"]


def test_an_addiction_report_finds_the_tenant_by_residence_then_asks_about_the_housing() -> None:
    assert path(ADDICTION) == [
        "kind",
        "danger",
        "who",
        "adults",
        "children",
        "site",
        "consent",
        "contact",
        "safe_times",
        "observed",
        "eviction",
        "support",
        "note",
    ]


def test_a_violence_report_asks_the_commune_then_about_the_victims_situation() -> None:
    assert path(VIOLENCE) == [
        "kind",
        "danger",
        "who",
        "adults",
        "children",
        "commune",
        "qpv",
        "consent",
        "contact",
        "whereabouts",
        "resources",
        "complaint",
        "wished_area",
        "note",
    ]


@pytest.mark.parametrize("answers", [ADDICTION, VIOLENCE], ids=["addiction", "violence"])
def test_a_person_in_danger_gets_the_shortest_form(answers: dict[str, object]) -> None:
    in_danger = {**answers, "danger": "yes"}

    shortest = path(in_danger)

    assert shortest[:3] == ["kind", "danger", "who"]
    assert shortest[-1] in ("contact", "safe_times")
    assert not HOUSEHOLD_AND_BRANCHES & set(shortest)
    assert len(shortest) < len(path(answers))


def test_a_residence_outside_the_list_adds_the_commune_and_the_qpv() -> None:
    listed = path(ADDICTION)
    other = path({**ADDICTION, "site": "other"})

    assert "commune" not in listed
    assert "qpv" not in listed
    assert other[other.index("site") : other.index("site") + 3] == ["site", "commune", "qpv"]


def test_a_contact_only_through_the_referrer_drops_the_safe_times_to_call() -> None:
    assert "safe_times" in path(ADDICTION)
    assert "safe_times" not in path({**ADDICTION, "contact": VIA_REFERRER})
    assert "safe_times" not in path({key: ADDICTION[key] for key in ("kind", "danger")})


def test_an_edited_kind_leaves_the_other_branchs_answers_out() -> None:
    now_violence = {**ADDICTION, "kind": "violence"}

    kept = relevant_answers(now_violence)

    assert set(kept) == {
        "kind",
        "danger",
        "who",
        "adults",
        "children",
        "consent",
        "contact",
        "safe_times",
        "note",
    }
    assert kept["kind"] == "violence"
    assert next_question(now_violence) == "commune"


def test_the_next_question_is_the_first_without_an_answer() -> None:
    assert next_question({}) == "kind"
    assert next_question({"kind": "violence"}) == "danger"
    assert next_question({"kind": "violence", "danger": "yes", "who": "Mme L."}) == "commune"
    without_support = {key: value for key, value in ADDICTION.items() if key != "support"}
    assert next_question(without_support) == "support"


@pytest.mark.parametrize("answers", [ADDICTION, VIOLENCE], ids=["addiction", "violence"])
def test_a_complete_report_goes_to_the_review(answers: dict[str, object]) -> None:
    assert next_question(answers) == REVIEW


def test_there_is_nothing_before_the_first_question() -> None:
    assert previous_question({}, "kind") is None


def test_going_back_follows_the_path_of_the_answers() -> None:
    assert previous_question(ADDICTION, "site") == "children"
    assert previous_question(ADDICTION, "observed") == "safe_times"
    assert previous_question(VIOLENCE, "whereabouts") == "contact"
    assert previous_question({"kind": "violence", "danger": "yes"}, "commune") == "who"


def test_going_back_from_the_review_returns_to_the_last_question() -> None:
    assert previous_question(ADDICTION, REVIEW) == "note"
    in_danger = {**VIOLENCE, "danger": "yes"}
    assert previous_question(in_danger, REVIEW) == "contact"


LONGEST = [
    "kind",
    "danger",
    "who",
    "adults",
    "children",
    "site",
    "commune",
    "qpv",
    "consent",
    "contact",
    "safe_times",
    "observed",
    "eviction",
    "support",
    "note",
]


def test_the_longest_path_is_an_addiction_outside_the_list_with_a_number_to_call() -> None:
    assert longest_path({}) == LONGEST
    assert len(longest_path({"kind": "violence"})) == 15, "as long, on the violence branch"
    assert longest_path({"kind": "addiction", "danger": "yes", "site": 3}) == [
        "kind", "danger", "who", "site", "consent", "contact", "safe_times"
    ]  # fmt: skip
    assert longest_path(VIOLENCE) == path(VIOLENCE), "nothing left open"


def test_the_total_is_the_longest_path_still_possible_and_then_the_review() -> None:
    assert progress({}, "kind") == (1, 16)
    assert progress({"kind": "addiction"}, "danger") == (2, 16)
    assert progress({"kind": "violence", "danger": "yes"}, "who") == (3, 9)
    assert progress({"kind": "addiction", "danger": "yes"}, "who") == (3, 10)
    in_danger_at_a_listed_site = {"kind": "addiction", "danger": "yes", "who": "M. D.", "site": 3}
    assert progress(in_danger_at_a_listed_site, "consent") == (5, 8)
    assert progress({**in_danger_at_a_listed_site, "consent": "yes"}, "contact") == (6, 8)
    assert progress(ADDICTION, "safe_times") == (9, 14)


def test_the_review_is_the_last_step_and_reads_n_of_n() -> None:
    assert progress(VIOLENCE, REVIEW) == (15, 15)
    in_danger = {**ADDICTION, "danger": "yes", "contact": VIA_REFERRER}
    assert progress(in_danger, REVIEW) == (7, 7), "kind, danger, who, site, consent, contact"


def test_an_answer_edited_from_the_review_counts_as_open() -> None:
    # The type may change: the violence branch (15 questions) is possible again.
    assert progress(ADDICTION, "kind") == (1, 16)
    assert progress(ADDICTION, "contact") == (8, 14)


@pytest.mark.parametrize("kind", ["addiction", "violence"])
@pytest.mark.parametrize("danger", ["yes", "no"])
@pytest.mark.parametrize("site", [3, "other"])
@pytest.mark.parametrize("contact", ["+33612345678", VIA_REFERRER])
def test_walking_the_form_the_step_grows_by_one_and_the_total_never_grows(
    kind: str, danger: str, site: object, contact: str
) -> None:
    chosen = {"kind": kind, "danger": danger, "site": site, "contact": contact}
    answers: dict[str, object] = {}
    seen = []
    while (current := next_question(answers)) != REVIEW:
        seen.append(progress(answers, current))
        answers[current] = chosen.get(current, "an answer")
    seen.append(progress(answers, REVIEW))

    steps = [step for step, _total in seen]
    totals = [total for _step, total in seen]
    assert steps == list(range(1, len(seen) + 1))
    assert totals == sorted(totals, reverse=True), f"a total grew: {totals}"
    assert seen[-1] == (len(seen), len(seen)), "the review reads n/n"


COMPLETE = [
    ADDICTION,
    {**ADDICTION, "site": "other", "commune": "Allonnes", "qpv": "no"},
    {**ADDICTION, "danger": "yes"},
    VIOLENCE,
    {**VIOLENCE, "contact": "+33612345678", "safe_times": ["morning"]},
    {**VIOLENCE, "danger": "yes"},
]
OTHER_VALUES = {Input.TEXT: "Autre texte", Input.COUNT: 2}


@pytest.mark.parametrize("answers", COMPLETE)
def test_no_answer_outside_steering_changes_the_path(answers: dict[str, object]) -> None:
    """longest_path only tries the answers of STEERING: any other must leave the path alone."""
    for key, question in QUESTIONS.items():
        if key in STEERING:
            continue
        for value in question.options or (OTHER_VALUES.get(question.input), None):
            assert path({**answers, key: value}) == path(answers), (key, value)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1", 1),
        (" 2 ", 2),
        ("12", 12),
        ("0", None),
        ("13", None),
        ("-1", None),
        ("300", None),
        ("deux", None),
        ("2.5", None),
        ("", None),
    ],
)
def test_a_count_of_adults_is_a_whole_number_from_one_to_twelve(
    typed: str, expected: int | None
) -> None:
    assert parse_count(typed, QUESTIONS["adults"]) == expected


def test_no_children_is_a_count() -> None:
    assert parse_count("0", QUESTIONS["children"]) == 0


def test_a_superscript_two_is_a_digit_but_not_a_number_and_is_refused_without_crashing() -> None:
    # int("²") raises ValueError: the check before int() must be isdecimal, not isdigit.
    assert "²".isdigit()
    assert not "²".isdecimal()
    assert parse_count("²", QUESTIONS["adults"]) is None


@pytest.mark.parametrize(
    ("typed", "expected"), [("٣", 3), ("２", 2), ("٣٠٠", None), ("１３", None)]
)
def test_decimal_digits_of_other_scripts_are_read_within_the_same_bounds(
    typed: str, expected: int | None
) -> None:
    assert typed.isdecimal()
    assert parse_count(typed, QUESTIONS["adults"]) == expected


@pytest.mark.parametrize("typed", ["", "   ", " \n\t "])
def test_an_empty_or_blank_text_is_not_an_answer(typed: str) -> None:
    assert parse_text(typed, QUESTIONS["who"]) is None
    assert parse_text(typed, QUESTIONS["note"]) is None


def test_a_text_longer_than_its_question_allows_is_refused() -> None:
    who = QUESTIONS["who"]
    assert parse_text("x" * who.max_length, who) == "x" * who.max_length
    assert parse_text("x" * (who.max_length + 1), who) is None
    assert parse_text("x" * (NOTE_MAX + 1), QUESTIONS["note"]) is None


def test_spaces_and_line_breaks_inside_a_short_text_are_collapsed() -> None:
    assert (
        parse_text("  Mme   L.\n et  ses\tenfants ", QUESTIONS["who"]) == "Mme L. et ses enfants"
    )
    assert parse_text(" Le   Mans\n", QUESTIONS["commune"]) == "Le Mans"


def test_the_note_keeps_its_line_breaks() -> None:
    note = "Voisins inquiets.\n\nAppeler le soir."
    assert parse_text(f"  {note}\n", QUESTIONS["note"]) == note


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_a_french_or_international_number_is_kept_in_e164(typed: str, e164: str) -> None:
    assert parse_phone(typed) == e164


@pytest.mark.parametrize("typed", ["12 34", "abc", "0000000000", ""])
def test_something_that_is_not_a_valid_number_is_refused(typed: str) -> None:
    assert parse_phone(typed) is None


@pytest.mark.parametrize(
    ("e164", "shown"),
    [("+33612345678", "+33 6 12 34 56 78"), ("+442079460958", "+44 20 7946 0958")],
)
def test_a_stored_number_is_shown_as_people_write_it(e164: str, shown: str) -> None:
    assert display_phone(e164) == shown
