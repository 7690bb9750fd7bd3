"""Flyers and the access requests they bring: a partner opens a flyer's link, asks, and an
admin answers; what is kept about them is checked in the raw database."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import text

from domain.vocabulary import OrganisationKind, Role
from playground.fakebotapi import FakeBotAPI
from storage.types import utcnow
from tests.harness import Person, RelaisUnderTest, settings_for
from tests.stories import BRIGADE, enroll, member, new_flyer, table_rows

DISCLOSURE = (
    "Bonjour ! Ce lien permet de demander l'accès à Relais, l'outil du programme "
    "d'accompagnement de Sarthe Habitat et de Montjoie, en tant que gendarmerie "
    "(Brigade de Sablé-sur-Sarthe).\n\n"
    "Si vous demandez l'accès, Relais enregistre : votre identifiant et votre nom Telegram, "
    "la langue de votre application, le rôle et l'organisation de ce lien, et la date de la "
    "demande. La coordination du programme voit votre nom Telegram et décide. Ces données "
    "sont gardées jusqu'à sa réponse, 7 jours au plus ; si elle refuse, elles sont "
    "effacées.\n\nRien n'est enregistré tant que vous n'avez pas appuyé sur « Demander l'accès »."
)
SENT = (
    "Votre demande est envoyée à la coordination de Relais. Vous aurez sa réponse ici, "
    "dans 7 jours au plus ; sans réponse d'ici là, elle sera supprimée."
)
REQUEST = "Demande d'accès : {name}, gendarmerie, Brigade de Sablé-sur-Sarthe"


def rows(relais: RelaisUnderTest, query: str, **values: object) -> list[tuple]:
    with relais.app.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query), values)]


def audit_actions(relais: RelaisUnderTest) -> list[str]:
    return [action for (action,) in rows(relais, "SELECT action FROM audit_entry ORDER BY id")]


def traces_of(relais: RelaisUnderTest, person: Person) -> dict[str, int]:
    """Where a person could be left in the database: by their Telegram id, and their name
    in the audit trail's details."""
    telegram_id, name = person.id, person.user.first_name
    details = [detail or "" for (detail,) in rows(relais, "SELECT detail FROM audit_entry")]
    return {
        "access_request": len(
            rows(relais, "SELECT id FROM access_request WHERE telegram_id = :t", t=telegram_id)
        ),
        "member": len(rows(relais, "SELECT id FROM member WHERE telegram_id = :t", t=telegram_id)),
        "user_data": len(
            rows(relais, "SELECT user_id FROM user_data WHERE user_id = :t", t=telegram_id)
        ),
        "conversation_state": len(
            rows(
                relais,
                "SELECT name FROM conversation_state WHERE key LIKE :k",
                k=f"%{telegram_id}%",
            )
        ),
        "audit detail": sum(str(telegram_id) in d or name in d for d in details),
    }


NO_TRACE = dict.fromkeys(
    ("access_request", "member", "user_data", "conversation_state", "audit detail"), 0
)


def freeze_clock(relais: RelaisUnderTest) -> list[datetime]:
    """The bot's clock, moved by changing `now[0]`."""
    now = [utcnow()]
    relais.app.clock = lambda: now[0]
    return now


async def test_a_gendarme_asks_for_access_through_a_flyer_and_is_enrolled_once_an_admin_accepts(
    relais: RelaisUnderTest,
) -> None:
    nadia = await member(relais, "Nadia", Role.ADMIN)
    token = await new_flyer(nadia)
    assert nadia.last_text.startswith(
        "Flyer prêt : gendarmerie, Brigade de Sablé-sur-Sarthe.\nSon lien permet de demander "
        "l'accès jusqu'au "
    )
    morel = relais.person("Adjudant Morel")

    await morel.send(f"/start {token}")
    assert morel.last_text == DISCLOSURE
    assert morel.buttons() == ["Demander l'accès", "Non merci"]
    assert traces_of(relais, morel) == NO_TRACE, "nothing is stored before they ask"

    await morel.tap("Demander l'accès")
    assert morel.last_text == SENT
    assert nadia.last_text == REQUEST.format(name="Adjudant Morel")
    assert nadia.buttons() == ["Accepter", "Refuser"]
    [(stored_name, role)] = rows(
        relais,
        "SELECT r.display_name, f.role FROM access_request r JOIN flyer_link f"
        " ON f.id = r.flyer_id WHERE r.telegram_id = :t",
        t=morel.id,
    )
    assert "Morel" not in stored_name, "the name is encrypted at rest"
    assert role == "gendarmerie"

    await nadia.tap("Accepter")
    assert morel.last_text == (
        "Bienvenue dans Relais, Adjudant Morel ! Vous êtes inscrit·e en tant que gendarmerie "
        "(Brigade de Sablé-sur-Sarthe). /aide liste ce que vous pouvez faire."
    )
    assert nadia.bot_messages()[-1].text == (
        "Demande d'accès : Adjudant Morel, gendarmerie, Brigade de Sablé-sur-Sarthe\n\n"
        "Acceptée par Nadia."
    )
    assert nadia.alerts[-1] == "Adjudant Morel a maintenant accès à Relais."
    assert rows(
        relais,
        "SELECT m.role, o.name, o.kind FROM member m JOIN organisation o"
        " ON o.id = m.organisation_id WHERE m.telegram_id = :t",
        t=morel.id,
    ) == [("gendarmerie", BRIGADE, "gendarmerie")]
    assert table_rows(relais, "access_request") == 0
    assert table_rows(relais, "access_request_message") == 0
    assert audit_actions(relais)[-3:] == ["flyer.created", "access.requested", "access.accepted"]

    await morel.send("/aide")
    assert "/signaler" in morel.last_text, "a reporter now"


async def test_non_merci_keeps_nothing_and_a_member_is_told_they_already_have_access(
    relais: RelaisUnderTest,
) -> None:
    nadia = await member(relais, "Nadia", Role.ADMIN)
    token = await new_flyer(nadia)
    passerby = relais.person("Passant")
    await passerby.send(f"/start {token}")
    await passerby.tap("Non merci")
    assert passerby.last_text == (
        "Entendu : rien n'a été enregistré à votre sujet. Vous pouvez fermer cette conversation."
    )
    assert traces_of(relais, passerby) == NO_TRACE

    karim = await member(relais, "Karim", Role.CORRESPONDENT)
    await karim.send(f"/start {token}")
    assert karim.last_text == (
        "Vous avez déjà accès à Relais en tant que correspondant·e de site. "
        "/aide liste ce que vous pouvez faire."
    )
    assert table_rows(relais, "access_request") == 0


async def test_a_refused_request_is_answered_politely_and_nothing_about_the_person_is_kept(
    relais: RelaisUnderTest,
) -> None:
    nadia = await member(relais, "Nadia", Role.ADMIN)
    sophie = await member(relais, "Sophie", Role.ADMIN)
    token = await new_flyer(nadia)
    dupont = relais.person("Jean Dupont")
    await dupont.send(f"/start {token}")
    await dupont.tap("Demander l'accès")
    assert sophie.last_text == REQUEST.format(name="Jean Dupont")
    [(request_id,)] = rows(relais, "SELECT id FROM access_request")

    await nadia.tap("Refuser")
    assert dupont.last_text == (
        "Votre demande d'accès à Relais n'a pas été acceptée. Rien n'a été gardé à votre sujet. "
        "Pour toute question, adressez-vous à la personne qui vous a remis le flyer."
    )
    refused = "Demande d'accès (gendarmerie, Brigade de Sablé-sur-Sarthe) refusée par Nadia."
    for admin in (nadia, sophie):
        copy = admin.bot_messages()[-1]
        assert (copy.text, copy.buttons) == (refused, []), "each copy says who answered"
    assert traces_of(relais, dupont) == NO_TRACE
    assert table_rows(relais, "access_request_message") == 0
    assert audit_actions(relais)[-2:] == ["access.requested", "access.refused"]

    await sophie.tap_data(f"ar:y:{request_id}", sophie.bot_messages()[-1].message_id)
    assert sophie.alerts[-1] == "Ce bouton n'est plus valable."
    assert traces_of(relais, dupont) == NO_TRACE


@pytest.mark.parametrize("answer", ["Accepter", "Refuser"])
async def test_a_person_invited_while_their_request_waits_is_neither_enrolled_twice_nor_refused(
    relais: RelaisUnderTest, answer: str
) -> None:
    nadia = await member(relais, "Nadia", Role.ADMIN)
    token = await new_flyer(nadia)
    morel = relais.person("Adjudant Morel")
    await morel.send(f"/start {token}")
    await morel.tap("Demander l'accès")
    await enroll(relais, morel, Role.GENDARMERIE, BRIGADE, OrganisationKind.GENDARMERIE)
    welcomed = morel.last_text

    await nadia.tap(answer)

    assert nadia.alerts[-1] == "Adjudant Morel avait déjà accès à Relais."
    assert nadia.bot_messages()[-1].text == (
        REQUEST.format(name="Adjudant Morel") + "\n\nCette personne a déjà accès à Relais."
    )
    assert morel.last_text == welcomed, "nothing more is said to them"
    assert rows(relais, "SELECT COUNT(*) FROM member WHERE telegram_id = :t", t=morel.id) == [(1,)]
    assert table_rows(relais, "access_request") == 0


async def test_a_revoked_or_expired_flyer_says_so_and_keeps_nothing(
    relais: RelaisUnderTest,
) -> None:
    now = freeze_clock(relais)
    now[0] = now[0].replace(hour=23, minute=30)  # already tomorrow in Le Mans, summer or winter
    nadia = await member(relais, "Nadia", Role.ADMIN)
    revoked, expiring = await new_flyer(nadia), await new_flyer(nadia, "Brigade de Mamers")
    last_day = (now[0] + timedelta(days=183)).astimezone(ZoneInfo("Europe/Paris"))
    until = format_date(last_day, "medium", locale="fr")

    await nadia.send("/flyers")
    assert nadia.last_text == (
        "Les liens des flyers ouverts (2) :\n\n"
        f"1. Brigade de Mamers — gendarmerie\n   valable jusqu'au {until} · demandes : 0 · "
        "inscrites : 0 · en attente : 0\n\n"
        f"2. Brigade de Sablé-sur-Sarthe — gendarmerie\n   valable jusqu'au {until} · "
        "demandes : 0 · inscrites : 0 · en attente : 0"
    )
    late = relais.person("Retardataire")
    await late.send(f"/start {revoked}")  # the question is open when the link is revoked

    await nadia.tap("Révoquer 2. Brigade de Sablé-sur-Sarthe")
    assert nadia.last_text.startswith("Révoquer le lien du flyer gendarmerie, Brigade de Sablé")
    await nadia.tap("Oui, révoquer")
    assert nadia.last_text == (
        "Lien révoqué : gendarmerie, Brigade de Sablé-sur-Sarthe. Ce flyer n'ouvre plus de demande."
    )
    assert audit_actions(relais)[-1] == "flyer.revoked"

    gone = (
        "Ce flyer n'est plus valable : la coordination l'a retiré. Demandez-en un récent à la "
        "coordination du programme. Rien n'a été enregistré."
    )
    await late.tap("Demander l'accès")
    assert late.last_text == gone
    someone = relais.person("Quelqu'un")
    await someone.send(f"/start {revoked}")
    assert someone.last_text == gone

    now[0] += timedelta(days=183, minutes=1)
    other = relais.person("Plus tard")
    await other.send(f"/start {expiring}")
    assert other.last_text == (
        "Ce flyer a expiré : son lien ne permet plus de demander l'accès. Demandez-en un récent "
        "à la coordination du programme. Rien n'a été enregistré."
    )
    for person in (late, someone, other):
        assert traces_of(relais, person) == NO_TRACE
    await nadia.send("/flyers")
    assert nadia.last_text == "Aucun lien de flyer ouvert. /flyer pour en créer un."


async def test_an_unknown_flyer_token_gets_the_refusal_of_a_bad_link_and_leaves_no_trace(
    relais: RelaisUnderTest,
) -> None:
    stranger = relais.person("Inconnu")
    await stranger.send("/start f_" + "A" * 32)
    assert stranger.last_text == (
        "Ce lien d'invitation n'est pas valable. Vérifiez qu'il est complet, ou demandez-en un "
        "nouveau à la coordination."
    )
    assert traces_of(relais, stranger) == NO_TRACE


async def test_one_pending_request_per_person_even_through_another_flyer(
    relais: RelaisUnderTest,
) -> None:
    nadia = await member(relais, "Nadia", Role.ADMIN)
    first, second = await new_flyer(nadia), await new_flyer(nadia, "Brigade de Mamers")
    morel = relais.person("Adjudant Morel")
    await morel.send(f"/start {first}")
    await morel.tap("Demander l'accès")
    question = morel.bot_messages()[-1].message_id
    pending = (
        "Votre demande d'accès est déjà en attente : vous aurez la réponse de la coordination ici."
    )
    await morel.send(f"/start {second}")
    assert morel.last_text == pending
    await morel.tap_data(f"ar:ask:{first}", question)  # the same button, tapped again
    assert morel.bot_messages()[-2].text == pending
    assert table_rows(relais, "access_request") == 1
    assert [m.text for m in nadia.bot_messages()].count(REQUEST.format(name="Adjudant Morel")) == 1


@pytest.fixture
async def two_a_day(fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[RelaisUnderTest]:
    settings = settings_for(
        fake_api,
        f"sqlite:///{tmp_path / 'relais.sqlite3'}",
        access_requests_per_link_per_day=2,
    )
    relais = RelaisUnderTest(fake_api, settings)
    await relais.start()
    yield relais
    await relais.stop()


async def test_a_flyer_takes_its_daily_number_of_requests_then_asks_to_try_tomorrow(
    two_a_day: RelaisUnderTest,
) -> None:
    relais = two_a_day
    now = freeze_clock(relais)
    nadia = await member(relais, "Nadia", Role.ADMIN)
    token = await new_flyer(nadia)
    first, second, third, fourth = (relais.person(n) for n in ("Un", "Deux", "Trois", "Quatre"))
    for person in (first, second, third):
        await person.send(f"/start {token}")
    await first.tap("Demander l'accès")
    await second.tap("Demander l'accès")
    await nadia.tap("Refuser")  # an answered request still counts for the day

    tomorrow = (
        "Ce flyer a reçu beaucoup de demandes aujourd'hui. Réessayez demain avec le même lien. "
        "Rien n'a été enregistré."
    )
    await third.tap("Demander l'accès")
    assert third.last_text == tomorrow
    await fourth.send(f"/start {token}")
    assert fourth.last_text == tomorrow
    for person in (third, fourth):
        assert traces_of(relais, person) == NO_TRACE

    now[0] += timedelta(days=1)
    await fourth.send(f"/start {token}")
    await fourth.tap("Demander l'accès")
    assert fourth.last_text == SENT


@pytest.fixture
async def relais_on(fake_api: FakeBotAPI, database_url: str) -> AsyncIterator[RelaisUnderTest]:
    """Relais on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""
    relais = RelaisUnderTest(fake_api, settings_for(fake_api, database_url))
    await relais.start()
    yield relais
    await relais.stop()


async def test_two_admins_tapping_accepter_at_once_enroll_the_person_once(
    relais_on: RelaisUnderTest,
) -> None:
    relais = relais_on
    nadia = await member(relais, "Nadia", Role.ADMIN)
    sophie = await member(relais, "Sophie", Role.ADMIN)
    token = await new_flyer(nadia)
    morel = relais.person("Adjudant Morel", language_code="en")
    await morel.send(f"/start {token}")
    assert morel.last_text.startswith("Hello! This link lets you ask for access to Relais")
    await morel.tap("Ask for access")

    taps = [
        relais.fake.tap(admin.user, admin.last_keyboard_message().message_id, label="Accepter")
        for admin in (nadia, sophie)
    ]
    await relais.settle(max(taps))

    assert len(rows(relais, "SELECT id FROM member WHERE telegram_id = :t", t=morel.id)) == 1
    assert audit_actions(relais).count("access.accepted") == 1
    late = [
        admin
        for admin in (nadia, sophie)
        if admin.alerts[-1:] == ["Ce bouton n'est plus valable."]
    ]
    [winner] = [admin for admin in (nadia, sophie) if admin not in late]
    assert len(late) == 1
    name = winner.user.first_name
    for admin in (nadia, sophie):
        assert admin.bot_messages()[-1].text.endswith(f"\n\nAcceptée par {name}.")
    welcomes = [t for t in morel.texts() if t.startswith("Welcome to Relais")]
    assert welcomes == [
        "Welcome to Relais, Adjudant Morel! You are enrolled as gendarmerie "
        "(Brigade de Sablé-sur-Sarthe). /help lists what you can do."
    ]
    [(enrolled, requests)] = rows(relais, "SELECT enrolled, requests FROM flyer_link")
    assert (enrolled, requests) == (1, 1)


async def test_a_request_nobody_answers_is_deleted_after_seven_days_and_the_person_told(
    relais: RelaisUnderTest,
) -> None:
    now = freeze_clock(relais)
    nadia = await member(relais, "Nadia", Role.ADMIN)
    token = await new_flyer(nadia)
    morel = relais.person("Adjudant Morel")
    await morel.send(f"/start {token}")
    await morel.tap("Demander l'accès")
    asked_at = now[0]

    now[0] = asked_at + timedelta(days=6, hours=23)
    await relais.run_job("access_requests")
    assert table_rows(relais, "access_request") == 1
    assert morel.last_text == SENT

    now[0] = asked_at + timedelta(days=7, minutes=1)
    await relais.run_job("access_requests")
    assert traces_of(relais, morel) == NO_TRACE
    assert morel.last_text == (
        "Votre demande d'accès à Relais n'a pas reçu de réponse en 7 jours : elle a été "
        "supprimée, avec ce qu'elle contenait. Vous pouvez la refaire avec le lien du flyer."
    )
    copy = nadia.bot_messages()[-1]
    assert (copy.text, copy.buttons) == (
        "Demande d'accès (gendarmerie, Brigade de Sablé-sur-Sarthe) supprimée sans réponse "
        "après 7 jours.",
        [],
    )
    assert audit_actions(relais)[-1] == "access.expired"
    await relais.run_job("access_requests")
    assert audit_actions(relais)[-1] == "access.expired", "once"

    await morel.send(f"/start {token}")
    await morel.tap("Demander l'accès")
    assert morel.last_text == SENT, "they may ask again"
