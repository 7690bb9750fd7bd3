"""Getting into Relais: invitations from the command line and from the chat, strangers,
refusals, languages, and a restart in the middle of it all."""

import asyncio
import os
import sys
from pathlib import Path

import pytest

from domain.vocabulary import OrganisationKind, Role
from playground.fakebotapi import FakeBotAPI
from storage.invitations import create_invitation
from storage.members import ensure_organisation
from storage.types import utcnow
from tests.databases import TEST_KEY
from tests.harness import RelaisUnderTest, settings_for
from tests.stories import enroll, table_rows

ROOT = Path(__file__).resolve().parent.parent


async def cli_invite(fake: FakeBotAPI, database_url: str, *arguments: str) -> list[str]:
    """Run `python -m bot invite ...` as an operator would, against the fake Bot API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env |= {
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": fake.token,
        "ENCRYPTION_KEYS": TEST_KEY,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_URL": database_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "invite", *arguments,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode().splitlines()


def token_of(link: str) -> str:
    return link.rsplit("?start=", 1)[1]


def invitation_link_in(message: str) -> str:
    return next(word for word in message.split() if word.startswith("https://t.me/"))


async def test_the_first_admin_invites_a_correspondent_who_switches_to_english_and_survives_a_restart(
    fake_api: FakeBotAPI, database_url: str
) -> None:
    relais = RelaisUnderTest(fake_api, settings_for(fake_api, database_url))
    link, token = await cli_invite(
        fake_api, database_url, "--role", "admin", "--org", "Sarthe Habitat"
    )
    assert link == f"https://t.me/{fake_api.bot_username}?start={token}"

    await relais.start()
    try:
        admin = relais.person("Nadia")
        await admin.send(f"/start {token}")
        assert "Bienvenue dans Relais, Nadia" in admin.last_text
        assert "coordination (Sarthe Habitat)" in admin.last_text

        await admin.send("/inviter")
        assert admin.last_text.startswith("Inviter une personne — étape 1/2")
        await admin.tap("correspondant·e de site")
        assert "étape 2/2" in admin.last_text
        await admin.tap("Sarthe Habitat")
        correspondent_link = invitation_link_in(admin.last_text)
        assert "correspondant·e de site, Sarthe Habitat" in admin.last_text

        correspondent = relais.person("Karim", language_code="fr")
        await correspondent.send(f"/start {token_of(correspondent_link)}")
        assert "inscrit·e en tant que correspondant·e de site" in correspondent.last_text
        await correspondent.send("/langue")
        await correspondent.tap("English")
        assert correspondent.last_text == "Done: Relais will speak to you in English."
        english_menu = fake_api.commands(scope={"type": "chat", "chat_id": correspondent.id})
        assert [command["command"] for command in english_menu] == [
            "start",
            "help",
            "report",
            "my_reports",
            "directory",
            "language",
            "cancel",
        ]

        # The admin starts another invitation and stops half-way, at the typed organisation name.
        await admin.send("/inviter")
        await admin.tap("gendarmerie")
        await admin.tap("Autre organisation…")
        assert admin.last_text.startswith("Écrivez le nom de l'organisation")

        await relais.restart()

        await correspondent.send("/help")
        assert correspondent.last_text.startswith("You are site correspondent.")
        await admin.send("Gendarmerie de Mamers")
        assert "gendarmerie, Gendarmerie de Mamers" in admin.last_text
        assert invitation_link_in(admin.last_text).startswith("https://t.me/")
    finally:
        await relais.stop()


async def test_a_stranger_is_told_how_to_get_access_and_nothing_is_kept(
    relais: RelaisUnderTest,
) -> None:
    stranger = relais.person("Inconnu")
    await stranger.send("Bonjour, je voudrais signaler quelqu'un")
    assert "demandez un lien d'invitation" in stranger.last_text
    await stranger.send("/aide")
    await stranger.send("/start")
    await stranger.send_media("photo")
    assert len(stranger.texts()) == 4
    assert all("demandez un lien d'invitation" in text for text in stranger.texts())

    for table in ("member", "user_data", "conversation_state", "invitation"):
        assert table_rows(relais, table) == 0, table


async def test_a_stranger_writing_in_english_is_answered_in_english(
    relais: RelaisUnderTest,
) -> None:
    visitor = relais.person("Visitor", language_code="en-GB")
    await visitor.send("hello")
    assert "ask the programme's coordination for an invitation link" in visitor.last_text


async def test_wrong_expired_and_used_links_get_a_clear_answer(relais: RelaisUnderTest) -> None:
    engine = relais.app.engine
    organisation = ensure_organisation(engine, "Montjoie", OrganisationKind.ASSOCIATION)
    week = relais.settings.invite_ttl
    expired = create_invitation(
        engine,
        role=Role.WORKER,
        organisation_id=organisation.id,
        ttl=week,
        now=utcnow() - 2 * week,
    )
    fresh = create_invitation(engine, role=Role.WORKER, organisation_id=organisation.id, ttl=week)

    late = relais.person("Léa")
    await late.send(f"/start {expired.token}")
    assert late.last_text.startswith("Ce lien d'invitation a expiré.")
    await late.send("/start abcdefghijklmnopqrstuvwxyz012345")
    assert late.last_text.startswith("Ce lien d'invitation n'est pas valable.")

    first, second = relais.person("Yanis"), relais.person("Zoé")
    await first.send(f"/start {fresh.token}")
    assert "Montjoie" in first.last_text
    await second.send(f"/start {fresh.token}")
    assert second.last_text.startswith("Ce lien d'invitation a déjà servi")
    assert table_rows(relais, "member") == 1


async def test_only_an_admin_can_invite(relais: RelaisUnderTest) -> None:
    correspondent = relais.person("Karim")
    await enroll(relais, correspondent, Role.CORRESPONDENT)

    await correspondent.send("/inviter")
    assert correspondent.last_text.startswith("Cette action n'est pas ouverte à votre rôle.")
    await correspondent.send("/invite")
    await correspondent.tap_data("inv:role:admin")
    assert correspondent.alerts[-1] == "Ce bouton n'est pas (ou plus) disponible pour vous."
    assert table_rows(relais, "invitation") == 1  # only the one that enrolled Karim


async def test_a_member_is_greeted_by_role_and_unknown_commands_are_answered(
    relais: RelaisUnderTest,
) -> None:
    worker = relais.person("Inès")
    await enroll(relais, worker, Role.WORKER)
    await worker.send("/start")
    assert worker.last_text.startswith(
        "Bonjour Inès ! Vous êtes connecté·e à Relais en tant que travailleur·se social·e Montjoie."
    )
    await worker.send("/bidule")
    assert worker.last_text.startswith("Je ne connais pas cette commande.")
    await worker.send("un mot au hasard")
    assert worker.last_text.startswith("Je n'ai pas compris.")
    await worker.send("/annuler")
    assert worker.last_text == "Il n'y a rien en cours à annuler."


async def test_help_lists_what_the_role_can_do_under_both_spellings(
    relais: RelaisUnderTest,
) -> None:
    admin, correspondent = relais.person("Nadia"), relais.person("Karim", language_code="en")
    await enroll(relais, admin, Role.ADMIN)
    await enroll(relais, correspondent, Role.CORRESPONDENT)

    await admin.send("/help")
    assert "/inviter — Inviter une personne dans Relais" in admin.last_text
    await correspondent.send("/aide")
    assert correspondent.last_text.startswith("You are site correspondent.")
    assert "/invite" not in correspondent.last_text
    assert "/help — What you can do here" in correspondent.last_text


async def test_commands_are_registered_in_french_and_english(relais: RelaisUnderTest) -> None:
    french = [c["command"] for c in relais.fake.commands(language_code="fr")]
    english = [c["command"] for c in relais.fake.commands(language_code="en")]
    assert french == ["start", "aide"]
    assert english == ["start", "help"]
    assert relais.fake.commands() == relais.fake.commands(language_code="fr")


async def test_the_invitation_form_answers_bad_input_and_can_go_back_or_be_cancelled(
    relais: RelaisUnderTest,
) -> None:
    admin = relais.person("Nadia")
    await enroll(relais, admin, Role.ADMIN)

    await admin.send("/inviter")
    await admin.send("correspondant")
    assert admin.last_text == "Choisissez avec les boutons du message ci-dessus, ou /annuler."
    await admin.tap("travailleur·se social·e Montjoie")
    await admin.send_media("sticker")
    assert admin.last_text == "Choisissez avec les boutons du message ci-dessus, ou /annuler."
    await admin.tap("Autre organisation…")
    await admin.send_media("voice")
    assert admin.last_text.startswith("Il me faut le nom de l'organisation en texte")
    await admin.send("M" * 121)
    assert admin.last_text.startswith("Il me faut le nom de l'organisation en texte")
    await admin.tap("← Retour")
    assert "De quelle organisation ?" in admin.last_text
    await admin.tap("← Retour")
    assert admin.last_text.startswith("Inviter une personne — étape 1/2")
    old_form = admin.last_keyboard_message().message_id
    await admin.tap("Annuler")
    assert admin.last_text == "Invitation abandonnée : aucun lien n'a été créé."

    await admin.tap_data("inv:role:worker", message_id=old_form)
    assert admin.alerts[-1] == "Ce bouton n'est plus valable."
    assert table_rows(relais, "invitation") == 1
    assert table_rows(relais, "conversation_state") == 0


@pytest.mark.parametrize("cancel", ["/annuler", "/cancel"])
async def test_cancel_works_under_both_names(relais: RelaisUnderTest, cancel: str) -> None:
    admin = relais.person("Nadia")
    await enroll(relais, admin, Role.ADMIN)
    await admin.send("/inviter")
    await admin.send(cancel)
    assert admin.last_text == "Invitation abandonnée : aucun lien n'a été créé."


async def test_an_admin_picks_the_organisation_from_a_list_in_alphabetical_order(
    relais: RelaisUnderTest,
) -> None:
    admin = relais.person("Nadia")
    for name in ("Gendarmerie de Mamers", "Sarthe Habitat", "Association Montjoie"):
        ensure_organisation(relais.app.engine, name, OrganisationKind.OTHER)
    await enroll(relais, admin, Role.ADMIN)
    await admin.send("/inviter")
    await admin.tap("gendarmerie")
    assert admin.buttons()[:3] == [
        "Association Montjoie", "Gendarmerie de Mamers", "Sarthe Habitat"
    ]  # fmt: skip
