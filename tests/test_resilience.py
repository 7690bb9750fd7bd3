"""When something breaks: Telegram's faults, a failing handler, and the real entry point."""

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from domain.vocabulary import Role
from playground.fakebotapi import FakeBotAPI
from tests.databases import TEST_KEY
from tests.harness import RelaisUnderTest
from tests.stories import enroll

ROOT = Path(__file__).resolve().parent.parent


async def test_a_failing_reply_is_apologised_for_admins_are_told_and_the_log_holds_no_personal_data(
    relais: RelaisUnderTest, caplog
) -> None:
    caplog.set_level(logging.INFO)
    admin, correspondent = relais.person("Nadia"), relais.person("Karim-Benali")
    await enroll(relais, admin, Role.ADMIN)
    await enroll(relais, correspondent, Role.CORRESPONDENT)

    relais.fake.inject_fault("sendMessage", "500", chat_id=correspondent.id)
    await correspondent.send("Madame Durand au 06 12 34 56 78")

    assert correspondent.last_text.startswith("Désolé, un problème technique")
    assert admin.last_text.startswith("Incident technique sur la mise à jour")
    assert "NetworkError" in admin.last_text
    assert "failed: telegram.error.NetworkError" in caplog.text
    for personal in ("Durand", "06 12 34 56 78", "Karim-Benali", str(correspondent.id)):
        assert personal not in caplog.text

    await correspondent.send("/aide")
    assert correspondent.last_text.startswith("Vous êtes correspondant·e de site.")


async def test_flood_control_is_waited_out_and_the_message_still_arrives(
    relais: RelaisUnderTest,
) -> None:
    worker = relais.person("Inès")
    await enroll(relais, worker, Role.WORKER)
    relais.fake.inject_fault("sendMessage", "429", chat_id=worker.id, retry_after=1)
    await worker.send("/aide")
    assert worker.last_text.startswith("Vous êtes travailleur·se social·e Montjoie.")


async def test_an_admin_who_blocked_the_bot_does_not_stop_the_apology(
    relais: RelaisUnderTest,
) -> None:
    admin, worker = relais.person("Nadia"), relais.person("Inès")
    await enroll(relais, admin, Role.ADMIN)
    await enroll(relais, worker, Role.WORKER)
    relais.fake.block(admin.user)

    relais.fake.inject_fault("sendMessage", "502", chat_id=worker.id)
    await worker.send("/aide")
    assert worker.last_text.startswith("Désolé, un problème technique")
    await worker.send("/aide")
    assert worker.last_text.startswith("Vous êtes travailleur·se social·e Montjoie.")


async def test_python_m_bot_polls_a_bot_api_emulator(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env |= {
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": fake_api.token,
        "ENCRYPTION_KEYS": TEST_KEY,
        "TELEGRAM_API_BASE_URL": fake_api.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'relais.sqlite3'}",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        visitor = fake_api.add_user(first_name="Visiteur", language_code="fr")
        fake_api.send_text(visitor, "bonjour")
        await fake_api.wait_for(lambda: fake_api.bot_messages(visitor.id), 30, "the reply")
        assert "demandez un lien d'invitation" in fake_api.bot_messages(visitor.id)[0].text
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert fake_api.token not in stderr.decode()
