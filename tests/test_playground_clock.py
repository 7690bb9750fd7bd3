"""The playground without a browser: its demo world and its clock, through the fake Bot API.

Moving the clock (« +1 jour », « Prochain rappel ») must be as if the time had passed with
the bot running: each reminder sent once, at its own time, in order, and the page, the
fake Telegram and the bot reading one clock. The clock starts on a Tuesday afternoon and
only moves when the page moves it, so every expected date is written here by hand.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from playground.fakebotapi import Chat, User
from playground.offline import MovableClock
from playground.session import OpenPlayground, open_playground

PARIS = ZoneInfo("Europe/Paris")
AFTERNOON = datetime(2026, 3, 10, 15, 0, tzinfo=PARIS)  # Sam's appointment: tomorrow 10:00
REMINDER = "Rappel : rendez-vous le 11 mars 2026 à 10:00."
# Sam's safe hours start at 9:00: the 2-hours-before reminder (8:00) waits until then.
SAM_REMINDED = [("2026-03-10 18:00", REMINDER), ("2026-03-11 09:00", REMINDER)]
# Inès: her greeting, the untaken report's alert, its escalation 4 hours after it was
# reported (14:40), the day's digest at 8:00; no word of a reminder that failed.
INES_TOLD = [
    ("2026-03-10 15:00", "Bonjour Inès Durand !"),
    ("2026-03-10 15:00", "Nouveau signalement R-2026-0002"),
    ("2026-03-10 18:40", "Relance : ce signalement attend toujours d'être pris en charge."),
    ("2026-03-11 08:00", "Vos rendez-vous du jour :"),
]


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[OpenPlayground]:
    opened = await open_playground(
        port=0, data_dir=tmp_path / "data", clock=MovableClock(lambda: AFTERNOON)
    )
    yield opened
    await opened.close()


def dated(playground: OpenPlayground, chat: User | Chat) -> list[tuple[str, str]]:
    """The bot's messages in a chat, each with its date (Paris time)."""
    return [
        (datetime.fromtimestamp(message.date, PARIS).strftime("%Y-%m-%d %H:%M"), message.text)
        for message in playground.fake.bot_messages(chat)
    ]


def starting(messages: list[tuple[str, str]], prefixes: list[tuple[str, str]]) -> bool:
    return len(messages) == len(prefixes) and all(
        date == expected_date and text.startswith(prefix)
        for (date, text), (expected_date, prefix) in zip(messages, prefixes, strict=True)
    )


def reminders_to_sam(playground: OpenPlayground) -> list[tuple[str, str]]:
    return dated(playground, playground.demo.people["beneficiary"])[1:]  # after the greeting


def ines(playground: OpenPlayground) -> list[tuple[str, str]]:
    return dated(playground, playground.demo.people["worker"])


def clocks_agree(playground: OpenPlayground) -> str:
    """The page's clock, once checked that the fake Telegram's and the bot's are the same."""
    now = playground.application.now()
    assert playground.fake.now() == int(now.timestamp())
    state = playground.page.state()
    assert state["today"] == now.astimezone(PARIS).date().isoformat()
    return state["clock"]


async def test_a_day_later_sam_got_both_reminders_at_their_times_and_ines_no_failure(
    playground: OpenPlayground,
) -> None:
    await playground.page.act("clock", {"minutes": 24 * 60})

    assert reminders_to_sam(playground) == SAM_REMINDED
    assert starting(ines(playground), INES_TOLD), ines(playground)
    assert clocks_agree(playground) == "11 mars 2026 à 15:00"


async def test_next_reminder_goes_from_one_message_of_the_bot_to_the_next(
    playground: OpenPlayground,
) -> None:
    clocks = []
    for _press in range(4):
        await playground.page.act("clock", {})
        clocks.append(clocks_agree(playground))

    assert clocks == [
        "10 mars 2026 à 18:00",  # Sam, the evening before
        "10 mars 2026 à 18:40",  # the untaken report's escalation
        "11 mars 2026 à 08:00",  # Inès's digest
        "11 mars 2026 à 09:00",  # Sam, at the start of their safe hours
    ]
    assert reminders_to_sam(playground) == SAM_REMINDED
    assert starting(ines(playground), INES_TOLD), ines(playground)


async def test_an_unfinished_report_is_recalled_a_day_later_at_the_drafts_sweep(
    playground: OpenPlayground,
) -> None:
    lea = playground.demo.people["correspondent"]
    await playground.fake.wait_confirmed(playground.fake.send_text(lea, "/signaler"))
    await playground.application.update_queue.join()

    await playground.page.act("clock", {"minutes": 24 * 60})
    assert not any("signalement commencé" in text for _date, text in dated(playground, lea))
    await playground.page.act("clock", {"minutes": 60})

    [(date, _text)] = [entry for entry in dated(playground, lea) if "commencé" in entry[1]]
    # 24 hours after the last answer, at the first run of the 5-minute sweep from then.
    assert "2026-03-11 15:00" <= date <= "2026-03-11 15:05"


async def test_each_persona_opened_the_chat_before_the_alert_reached_them_in_their_language(
    playground: OpenPlayground,
) -> None:
    paul = playground.fake.messages(playground.demo.people["colleague"])
    assert [(message.from_bot, message.text[:22]) for message in paul] == [
        (False, "/start"),
        (True, "Hello Paul Bernard! Yo"),
        (True, "New report R-2026-0002"),
    ]


async def test_the_clock_only_moves_forward_and_by_a_week_at_most(
    playground: OpenPlayground,
) -> None:
    async with httpx.AsyncClient(base_url=playground.url) as client:
        for minutes in (-60, 0, 8 * 24 * 60, "demain"):
            answer = await client.post("/api/clock", json={"minutes": minutes})
            assert answer.status_code == 400, minutes
    assert clocks_agree(playground) == "10 mars 2026 à 15:00"


async def test_the_line_answering_erase_goes_within_the_hour_that_follows(
    playground: OpenPlayground,
) -> None:
    sam = playground.demo.people["beneficiary"]
    await playground.fake.wait_confirmed(playground.fake.send_text(sam, "/effacer"))
    await playground.application.update_queue.join()
    [line] = [
        message for message in playground.fake.bot_messages(sam) if message.text == "C'est fait."
    ]

    await playground.page.act("clock", {"minutes": 60})

    assert line.deleted, "deleted a minute later, by its job or by the deletions sweep"
