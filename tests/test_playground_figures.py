"""/chiffres in the playground (no browser): Marc, the landlord's referent, asks for the
figures since the start of the demo world, sees the chart on the page and downloads the
spreadsheet the bot sent him."""

import io
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import matplotlib.image
import openpyxl
import pytest

from bot.charts import HEIGHT, WIDTH
from playground.offline import MovableClock
from playground.session import OpenPlayground, open_playground

AFTERNOON = datetime(2026, 3, 10, 15, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[OpenPlayground]:
    opened = await open_playground(
        port=0, data_dir=tmp_path / "data", clock=MovableClock(lambda: AFTERNOON)
    )
    yield opened
    await opened.close()


async def settled(playground: OpenPlayground, update_id: int) -> None:
    await playground.fake.wait_confirmed(update_id)
    await playground.application.update_queue.join()


async def test_marc_reads_the_demo_worlds_figures_and_downloads_its_spreadsheet(
    playground: OpenPlayground,
) -> None:
    fake, marc = playground.fake, playground.demo.people["referent"]
    await settled(playground, fake.send_text(marc, "/chiffres"))
    question = fake.bot_messages(marc)[-1]
    await settled(playground, fake.tap(marc, question.message_id, label="Depuis le début"))
    summary, chart = fake.bot_messages(marc)[-2:]
    assert summary.text.startswith("Chiffres du ")
    assert "• Signalements reçus : " in summary.text
    assert chart.kind == "photo"

    async with httpx.AsyncClient(base_url=playground.url) as client:
        state = (await client.get("/api/state")).json()
        [pane] = [pane for pane in state["panes"] if pane["name"] == "Marc Leroy"]
        shown = pane["messages"][-1]
        assert shown["media"] == f"/api/media/{marc.id}/{chart.message_id}"
        image = await client.get(shown["media"])
        assert image.headers["content-type"] == "image/png"
        assert matplotlib.image.imread(io.BytesIO(image.content)).shape[:2] == (HEIGHT, WIDTH)

        await settled(playground, fake.tap(marc, chart.message_id, label="Tableur (XLSX)"))
        state = (await client.get("/api/state")).json()
        [pane] = [pane for pane in state["panes"] if pane["name"] == "Marc Leroy"]
        document = pane["messages"][-1]
        assert document["file_name"].startswith("relais-chiffres-")
        download = await client.get(document["media"])
        assert "attachment" in download.headers["content-disposition"]
        assert openpyxl.load_workbook(io.BytesIO(download.content)).sheetnames == [
            "Indicateurs",
            "Dossiers",
        ]
        # Only what the bot sent to the page's people, by its chat and message.
        assert (await client.get(f"/api/media/{marc.id}/{question.message_id}")).status_code == 404
        assert (await client.get(f"/api/media/42/{chart.message_id}")).status_code == 404
