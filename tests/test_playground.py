"""The offline playground, in a real headless browser: a trainer files a report as the site
correspondent, takes it as the Montjoie worker, and moves the clock to show a reminder;
the page dates older messages, names the people beyond the window's edge, has its icon.

Debian's chromium drives the page (Playwright, never a downloaded browser); where it is
missing the test is skipped with the reason, unless RELAIS_REQUIRE_BROWSER is set (CI).
"""

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Locator, Page, async_playwright, expect

from playground.offline import MovableClock
from playground.session import OpenPlayground, open_playground

CHROMIUM = shutil.which("chromium")
# Chromium's calls home are refused on a closed network; these flags keep it quiet.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]  # fmt: skip
VIOLENCE = "Victime de violences intrafamiliales"
# Relais' clock starts on Tuesday 10 March 2026 at 15:00 and moves only with the page's buttons.
AFTERNOON = datetime(2026, 3, 10, 15, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[OpenPlayground]:
    opened = await open_playground(
        port=0, data_dir=tmp_path / "data", clock=MovableClock(lambda: AFTERNOON)
    )
    yield opened
    await opened.close()


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    if CHROMIUM is None:
        if os.environ.get("RELAIS_REQUIRE_BROWSER"):
            pytest.fail("RELAIS_REQUIRE_BROWSER is set but chromium is not installed")
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield await browser.new_page(viewport={"width": 1920, "height": 1080})
        await browser.close()


QUIET_SECONDS = 1.5  # longer than the bot's pause between two messages to one person


def pane(page: Page, name: str) -> Locator:
    return page.locator(".pane", has=page.locator("h2 .name", has_text=name))


async def quiet(person: Locator) -> None:
    """Wait until the bot has said all it had to: it writes one person about one message a
    second (Telegram's limit, bot.pacing), so an answer may come in two messages a second
    apart (the emergency numbers, then the next question). A person reads both first."""
    shown = -1
    while (now_shown := await person.locator(".msg").count()) != shown:
        shown = now_shown
        await asyncio.sleep(QUIET_SECONDS)


async def say(person: Locator, text: str) -> None:
    """Type and send, then wait for the bot's answer (a person reads it before going on)."""
    sent = await person.locator(".msg").count()
    await person.locator("input").fill(text)
    await person.locator("input").press("Enter")
    await expect(person.locator(".msg").nth(sent + 1)).to_be_attached()  # after its own
    await quiet(person)


async def tap(person: Locator, label: str, *, new_message: bool = True) -> None:
    """Tap a button of the latest message, then wait for the bot's next message."""
    shown = await person.locator(".msg").count()
    latest = person.locator(".msg").last
    await latest.get_by_role("button", name=label, exact=True).click()
    if new_message:
        await expect(person.locator(".msg").nth(shown)).to_be_attached()
        await quiet(person)


async def test_a_trainer_files_a_report_as_the_correspondent_and_takes_it_as_the_worker(
    playground: OpenPlayground, page: Page, tmp_path: Path
) -> None:
    await page.goto(playground.url)
    lea, ines = pane(page, "Léa Martin"), pane(page, "Inès Durand")
    await expect(lea.locator(".msg").last).to_contain_text("Bonjour Léa Martin")

    await say(lea, "/signaler")
    await tap(lea, VIOLENCE)
    await tap(lea, "Oui")
    await expect(lea.locator(".msg", has_text="17").first).to_be_visible()  # emergency numbers
    await say(lea, "S. B.")
    await say(lea, "Mamers")
    await tap(lea, "Non")
    await tap(lea, "Oui")
    await tap(lea, "Seulement par moi")
    await tap(lea, "Envoyer")
    await expect(lea.locator(".msg").last).to_contain_text("R-")

    alert = ines.locator(".msg", has_text="URGENT — nouveau signalement").last
    await expect(alert).to_be_visible()
    await alert.locator("button", has_text="Je prends").click()
    await expect(ines.locator(".answers")).to_contain_text("vous est attribué")
    await expect(lea.locator(".msg").last).to_contain_text("a été pris en charge")

    # Sam's appointment is tomorrow at 10:00: the evening before, at 18:00, Sam is reminded…
    sam, claire = pane(page, "Sam"), pane(page, "Claire Petit")
    await page.locator("#next-reminder").click()
    await expect(page.locator("#clock")).to_have_text("10 mars 2026 à 18:00")
    await expect(sam.locator(".msg").last).to_contain_text("Rappel : rendez-vous le 11 mars")
    # …and at 18:40 the other report, that nobody took for four hours, is escalated.
    await page.locator("#next-reminder").click()
    await expect(page.locator("#clock")).to_have_text("10 mars 2026 à 18:40")
    await expect(claire.locator(".msg").last).to_contain_text("toujours pas été pris en charge")

    shot = tmp_path / "playground.png"
    await page.screenshot(path=shot, full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG")


async def test_the_page_speaks_english_and_shows_edits(
    playground: OpenPlayground, page: Page
) -> None:
    await page.goto(playground.url)
    await page.select_option("#ui-language", "en")
    await expect(page.locator("header h1")).to_have_text("Relais — playground")
    paul = pane(page, "Paul Bernard")
    # He opened his chat before the demo's report: greeted first, then alerted, in English.
    from_bot = paul.locator(".msg:not(.mine)")
    await expect(from_bot.first).to_contain_text("Hello Paul Bernard")
    await expect(from_bot.nth(1)).to_contain_text("New report R-2026-0002")
    await say(paul, "/language")
    await tap(paul, "Français", new_message=False)
    await expect(paul.locator(".msg").last).to_contain_text("edited")


async def test_a_day_later_the_messages_of_yesterday_show_their_day(
    playground: OpenPlayground, page: Page
) -> None:
    await page.goto(playground.url)
    lea = pane(page, "Léa Martin")
    greeting = lea.locator(".msg", has_text="Bonjour Léa Martin").locator(".meta")
    await expect(greeting).to_have_text("15:00")  # today's: the time alone

    await page.get_by_role("button", name="+1 jour").click()
    await expect(page.locator("#clock")).to_have_text("11 mars 2026 à 15:00")
    await expect(greeting).to_have_text("mar. 10 mars 15:00")
    await say(lea, "/aide")
    await expect(lea.locator(".msg .meta").last).to_have_text("15:00")


async def test_the_people_beyond_the_window_are_named_on_a_button_that_brings_them_in(
    playground: OpenPlayground, page: Page
) -> None:
    await page.goto(playground.url)
    further = page.locator("#more-right")
    await expect(further).to_be_visible()
    await expect(further).to_contain_text("Sam, Équipe Montjoie")
    await expect(page.locator("#more-left")).to_be_hidden()

    await further.click()
    await expect(pane(page, "Équipe Montjoie")).to_be_in_viewport(ratio=1)
    await expect(further).to_be_hidden()
    await expect(page.locator("#more-left")).to_contain_text("Léa Martin")


async def test_the_page_has_its_icon_and_asks_for_nothing_missing(
    playground: OpenPlayground, page: Page
) -> None:
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("response", lambda answer: answer.status >= 400 and errors.append(answer.url))
    async with page.expect_response(lambda answer: "favicon" in answer.url) as icon:
        await page.goto(playground.url)
    assert (await icon.value).status == 200
    await expect(pane(page, "Sam").locator(".msg").first).to_be_visible()
    old_address = await page.request.get(playground.url + "favicon.ico")
    assert old_address.ok
    assert old_address.headers["content-type"].startswith("image/svg")
    assert errors == []
