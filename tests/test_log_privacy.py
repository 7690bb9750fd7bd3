"""The logs hold none of the personal values a whole story used, a fault included.

The project's loggers are captured at DEBUG, and the libraries at the levels `python -m bot`
runs them (bot.app.configure_logging), httpx even at INFO: what a server's log file could get.
"""

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.vocabulary import OrganisationKind, Role
from playground.fakebotapi import FakeBotAPI
from storage.invitations import create_invitation
from storage.members import ensure_organisation
from tests.harness import Person, RelaisUnderTest, settings_for
from tests.stories import VIOLENCE, cases

PROJECT_LOGGERS = ("bot", "conversations", "storage", "domain", "__main__")

# What the people in the story are called on Telegram.
ADMIN = {"first_name": "Nadège", "last_name": "Quillévéré", "username": "nadege_quillevere"}
CORRESPONDENT = {"first_name": "Kerwan", "last_name": "Le Goarnig", "username": "kerwan_lg"}
WORKER = {"first_name": "Ophélie", "last_name": "Tréguier", "username": "ophelie_tr"}

# What they type about the person reported.
WHO = "Yasmina"
COMMUNE = "Saint-Rémy-de-Sillé"
PHONE_TYPED = "06 47 29 83 15"
PHONE_FORMS = (
    PHONE_TYPED,
    "0647298315",
    "+33647298315",
    "+33 6 47 29 83 15",
    "33647298315",
    "647298315",
    "47 29 83 15",
    "47298315",
)
WISHED_AREA = "Coulaines, près de l'école Gérard-Philipe"
REMARK = "Son frère la surveille depuis mars, elle dort chez une amie à Allonnes."
WORKER_NOTE = "Appel prévu jeudi avec la sœur de Yasmina, pas avant 18 h."


def person(relais: RelaisUnderTest, **names: str) -> Person:
    return Person(relais, relais.fake.add_user(language_code="fr", **names))


def invitation_token(relais: RelaisUnderTest, role: Role) -> str:
    organisation = ensure_organisation(relais.app.engine, "Montjoie", OrganisationKind.ASSOCIATION)
    return create_invitation(
        relais.app.engine,
        role=role,
        organisation_id=organisation.id,
        ttl=relais.settings.invite_ttl,
    ).token


def leaks(records: list[logging.LogRecord], secrets: list[str]) -> list[tuple[str, str]]:
    formatter = logging.Formatter()
    found = []
    for record in records:
        parts = [record.getMessage(), str(record.msg), repr(record.args)]
        if record.exc_info:
            parts.append(formatter.formatException(record.exc_info))
        parts.extend(part for part in (record.exc_text, record.stack_info) if part)
        text = "\n".join(parts).casefold()
        found += [(record.name, secret) for secret in secrets if secret.casefold() in text]
    return found


@pytest.fixture
async def story(fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[RelaisUnderTest]:
    """Relais with a team chat, and no pace limit: the test goes faster than any person."""
    team = fake_api.add_group("Équipe Montjoie")
    settings = settings_for(
        fake_api,
        f"sqlite:///{tmp_path / 'relais.sqlite3'}",
        alert_chat_id=team.id,
        user_messages_per_minute=10_000,
    )
    relais = RelaisUnderTest(fake_api, settings)
    relais.team_chat = team
    await relais.start()
    yield relais
    await relais.stop()


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)  # the root, as bot.app.configure_logging sets it
    # As bot.app.configure_logging: PTB at INFO (it logs whole updates at DEBUG). httpx is
    # WARNING there; INFO here, to be sure its request lines carry nothing personal either.
    caplog.set_level(logging.INFO, logger="telegram")
    caplog.set_level(logging.INFO, logger="httpx")
    # Last: set_level also sets the capturing handler's level, and the last call wins.
    for name in PROJECT_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    assert caplog.handler.level == logging.DEBUG
    return caplog


async def test_a_whole_story_with_a_fault_logs_no_personal_value(
    story: RelaisUnderTest, captured: pytest.LogCaptureFixture
) -> None:
    tokens = [invitation_token(story, Role.ADMIN), invitation_token(story, Role.WORKER)]
    admin, worker = person(story, **ADMIN), person(story, **WORKER)
    await admin.send(f"/start {tokens[0]}")
    await worker.send(f"/start {tokens[1]}")

    # The admin invites a correspondent from the chat.
    await admin.send("/inviter")
    await admin.tap("correspondant·e de site")
    await admin.tap("Montjoie")
    link = next(word for word in admin.last_text.split() if word.startswith("https://t.me/"))
    tokens.append(link.rsplit("?start=", 1)[1])
    correspondent = person(story, **CORRESPONDENT)
    await correspondent.send(f"/start {tokens[2]}")
    assert "inscrit·e en tant que correspondant·e de site" in correspondent.last_text

    # The correspondent reports a violence victim; Telegram fails once on the way.
    await correspondent.send("/signaler")
    await correspondent.tap(VIOLENCE)
    await correspondent.tap("Non")
    await correspondent.send(WHO)
    await correspondent.send("1")
    await correspondent.send("2")
    await correspondent.send(COMMUNE)
    await correspondent.tap("Non")
    await correspondent.tap("Oui")
    story.fake.inject_fault("sendMessage", "500", chat_id=correspondent.id)
    await correspondent.send(PHONE_TYPED)
    assert correspondent.last_text.startswith("Désolé, un problème technique")
    assert admin.last_text.startswith("Incident technique sur la mise à jour")
    await correspondent.send("/signaler")  # back to where the form stands
    assert "Comment la joindre" in correspondent.last_text, "asked again: the answer failed"
    await correspondent.send(PHONE_TYPED)
    await correspondent.tap("Soir")
    await correspondent.tap("Valider")
    await correspondent.tap("Chez des proches")
    await correspondent.tap("Prestations sociales")
    await correspondent.tap("Valider")
    await correspondent.tap("Non")
    await correspondent.send(WISHED_AREA)
    await correspondent.send(REMARK)
    assert correspondent.last_text.startswith("Étape 16/16\nRécapitulatif")
    await correspondent.tap("Envoyer")
    [case] = cases(story)
    assert case.answers["contact"] == "+33647298315"

    # A worker takes the case, reads its details and adds a note.
    await worker.tap("Je prends")
    await worker.tap("Voir")
    assert f"• Personne : {WHO}" in worker.last_text
    await worker.send("/dossiers")
    await worker.tap(next(label for label in worker.buttons() if label.startswith(case.reference)))
    await worker.tap("Ajouter une note")
    await worker.send(WORKER_NOTE)
    assert worker.texts()[-2] == f"Note ajoutée au dossier {case.reference}."

    records = captured.records
    assert any("failed: telegram.error.NetworkError" in r.getMessage() for r in records), (
        "the fault was logged (so the capture works)"
    )
    secrets = [
        *(value for names in (ADMIN, CORRESPONDENT, WORKER) for value in names.values()),
        WHO,
        COMMUNE,
        *PHONE_FORMS,
        WISHED_AREA,
        REMARK,
        WORKER_NOTE,
        *tokens,
    ]
    assert leaks(records, secrets) == []
