"""Every screen opens, whatever was typed.

Telegram refuses a text over 4,096 characters, a caption over 1,024, callback data over 64
bytes and a keyboard over 100 buttons (counted in UTF-16 code units: an emoji counts two).
Here every free field is filled to its longest (what the forms take today, and, for an older
database or an import, far more), there are many cases, members, organisations, residences
and homes, and every screen a person can reach is opened: each one answers, nothing reaches
the error handler, nothing Telegram would refuse is ever sent, long lists are paged, and
« Toutes les notes » shows every note whole.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.limits import cut, fit_lines, pages
from domain.statuses import Intensity, Move
from domain.vocabulary import (
    AppointmentKind,
    CaseKind,
    CaseStatus,
    OrganisationKind,
    ReminderKind,
    Role,
)
from playground.fakebotapi import FakeBotAPI, MessageRecord
from playground.fakebotapi.world import Reply
from storage.appointments import schedule
from storage.case_flow import move_case
from storage.cases import get_case, take_case
from storage.database import session_scope
from storage.drafts import save_draft, start_draft
from storage.flyers import create_flyer, new_token
from storage.homes import add_home
from storage.members import ensure_organisation
from storage.models import Case, CaseNote, Member, Organisation, Reminder
from storage.reminders import plan
from tests.harness import Person, RelaisUnderTest
from tests.stories import ADDICTION, VIOLENCE, enroll
from tests.test_authorization_matrix import APOLOGY, ErrorLog, error_log, short
from tests.world_builder import (
    ADDICTION_ANSWERS,
    bot_settings,
    report,
    without_flood_pacing,
)
from tests.world_builder import enroll as enroll_quietly

# Telegram's limits, written out here rather than read from the code under test.
TEXT, CAPTION, BUTTONS, DATA = 4096, 1024, 100, 64
MANY = 105  # more than one keyboard can hold
FILLER = "Émilie-Noémie 🏠 Saint-Léonard-des-Bois de la Sarthe"


def units(text: str) -> int:
    """A length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def longest(seed: str, size: int) -> str:
    """A value of exactly `size` characters that starts with `seed` (so each is its own),
    with accents and an emoji (so it counts more UTF-16 code units than characters)."""
    text = f"{seed} "
    while len(text) < size:
        text += FILLER + " "
    text = text[:size]
    return text[:-1] + "x" if text.endswith(" ") else text


def squeezed(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------ watching the bot


@dataclass
class Watch:
    """Every Bot API call the bot made, what Telegram would have refused, and the errors."""

    fake: FakeBotAPI
    errors: ErrorLog
    refused: list[str]

    def problems(self) -> list[str]:
        found = [f"reached the error handler: {short(record)}" for record in self.errors.records]
        found += [f"refused by Telegram: {refusal}" for refusal in self.refused]
        for call in self.fake.calls:
            found += [f"{call.method}: {problem}" for problem in _oversized(call.params)]
            if APOLOGY in str(call.params.get("text", "")):
                found.append(f"{call.method}: apologised for an error")
        return found


def _oversized(params: dict) -> list[str]:
    found = []
    if units(str(params.get("text") or "")) > TEXT:
        found.append(f"a text of {units(str(params['text']))}")
    if units(str(params.get("caption") or "")) > CAPTION:
        found.append(f"a caption of {units(str(params['caption']))}")
    markup = params.get("reply_markup")
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    buttons = [button for row in rows for button in row]
    if len(buttons) > BUTTONS:
        found.append(f"{len(buttons)} buttons")
    found += [
        f"callback data of {len(button['callback_data'].encode())} bytes"
        for button in buttons
        if len(str(button.get("callback_data", "")).encode()) > DATA
    ]
    return found


@contextmanager
def watching(fake: FakeBotAPI) -> Iterator[Watch]:
    refused: list[str] = []
    answer = fake.handle

    def handle(method: str, params: dict) -> Reply:
        reply = answer(method, params)
        description = str(reply.body.get("description", ""))
        if reply.status != 200 and "not modified" not in description:
            refused.append(f"{method}: {description}")
        return reply

    fake.handle = handle  # the transport calls the world through this attribute
    with error_log() as errors:
        try:
            yield Watch(fake, errors, refused)
        finally:
            del fake.handle


def assert_all_fit(watch: Watch) -> None:
    problems = watch.problems()
    assert not problems, "\n".join(problems[:20])


# ------------------------------------------------------------------ acting through the bot


def keyboard_of(person: Person) -> MessageRecord:
    return person.last_keyboard_message()


def data_of(message: MessageRecord, prefix: str) -> list[str]:
    return [
        button["callback_data"]
        for button in message.buttons
        if button.get("callback_data", "").startswith(prefix)
    ]


async def tap_data(person: Person, message: MessageRecord, data: str) -> None:
    """Tap the button of `message` that carries `data` (a real button of the keyboard)."""
    await person.relais.settle(person.fake.tap(person.user, message.message_id, data=data))


def message(person: Person, message_id: int) -> MessageRecord:
    return person.fake.messages(person.id)[message_id - 1]


def find(person: Person, start: str) -> MessageRecord:
    """The bot's last message to `person` that starts with `start`."""
    return next(m for m in reversed(person.bot_messages()) if m.text.startswith(start))


async def every_page(person: Person, prefix: str) -> tuple[list[str], list[str]]:
    """Turn « Suivants › » from the first page to the last: the callback data of every
    button starting with `prefix` met on the way, and each page's text."""
    shown = keyboard_of(person)
    seen, texts = data_of(shown, prefix), [shown.text]
    while "Suivants ›" in shown.button_labels:
        assert "‹ Précédents" in shown.button_labels or len(texts) == 1
        await person.tap("Suivants ›", shown.message_id)
        assert keyboard_of(person).message_id == shown.message_id, "a page edits its message"
        shown = message(person, shown.message_id)
        seen += data_of(shown, prefix)
        texts.append(shown.text)
    assert "‹ Précédents" in shown.button_labels or len(texts) == 1
    return seen, texts


async def open_card(person: Person, case: Case) -> MessageRecord:
    await person.tap_data(f"cs:c:{case.id}")
    card = person.bot_messages()[-1]
    assert card.text.startswith(f"Dossier {case.reference}"), card.text[:200]
    return card


# ------------------------------------------------------------------ the world


@dataclass
class Full:
    relais: RelaisUnderTest
    admin: Person
    worker: Person
    referent: Person
    correspondent: Person
    gendarme: Person
    siao: Person
    leaving: Member  # one of the many colleagues, who holds the many cases


def member_of(relais: RelaisUnderTest, someone: Person) -> Member:
    with session_scope(relais.app.engine) as session:
        return session.exec(select(Member).where(Member.telegram_id == someone.id)).one()


def sites_csv(count: int) -> str:
    lines = ["name,commune,sector,qpv"]
    lines += [
        f"{longest(f'Résidence {n:03d}', 120)},{longest('Commune', 80)},{longest('Sect', 80)},yes"
        for n in range(count)
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
async def relais(fake_api: FakeBotAPI, tmp_path: Path):
    """Relais with a long sites file of the longest residences and the team's chat, on
    SQLite (like the authorization matrix: hundreds of updates), which also keeps a text
    longer than its column, as an import into an older database might."""
    sites = tmp_path / "sites.csv"
    sites.write_text(sites_csv(MANY), encoding="utf-8")
    team = fake_api.add_group("Équipe Montjoie")
    database_url = f"sqlite:///{tmp_path / 'relais.sqlite3'}"
    settings = bot_settings(fake_api, database_url, sites_file=sites, alert_chat_id=team.id)
    bot = RelaisUnderTest(fake_api, settings)
    bot.team_chat = team
    await bot.start()
    without_flood_pacing(bot)
    yield bot
    await bot.stop()


# The landlord whose correspondent reports and whose referents are on the cases.
LANDLORD = longest(f"Organisation {Role.CORRESPONDENT.value}", 120)


async def person(relais: RelaisUnderTest, seed: str, role: Role) -> Person:
    """Someone with Telegram's longest name (64 + 64 characters), enrolled through the bot
    into an organisation of the longest name (a landlord referent: the correspondent's)."""
    user = relais.fake.add_user(first_name=longest(seed, 64), last_name=longest("Durand", 64))
    someone = Person(relais, user)
    organisation = (
        LANDLORD if role is Role.LANDLORD_REFERENT else longest(f"Organisation {role.value}", 120)
    )
    await enroll(relais, someone, role, organisation)
    return someone


def many(relais: RelaisUnderTest, role: Role, count: int) -> list[Member]:
    """`count` members of `role` (landlord referents: of the correspondent's landlord)."""
    organisation = (
        (LANDLORD, OrganisationKind.LANDLORD) if role is Role.LANDLORD_REFERENT else None
    )
    members = []
    for n in range(count):
        user = relais.fake.add_user(first_name=f"{role.value} {n}")
        relais.fake.start_chat(user)  # the bot may write to them (alerts)
        name = longest(f"{role.value} {n:03d}", 120)
        members.append(enroll_quietly(relais.app.engine, role, user.id, name, organisation))
    return members


def walk(relais: RelaisUnderTest, case: Case, worker: Member, to: CaseStatus) -> Case:
    app, now = relais.app, relais.app.now()
    if case.assigned_worker_id is None:
        take_case(app.engine, case.id, worker, now)
    steps = (
        Move(CaseStatus.DIAGNOSTIC),
        Move(CaseStatus.COMMISSION),
        Move(CaseStatus.ACCEPTED, reason=Intensity.MEDIUM),
        Move(CaseStatus.CONTRACT_SIGNED, meeting_at=now - timedelta(days=1), consent=True),
        Move(CaseStatus.IN_SUPPORT),
    )
    for move in steps:
        case = move_case(app.engine, case.id, worker, move, app.programme, now, app.planner)
        if move.target is to:
            break
    return case


async def build(relais: RelaisUnderTest) -> Full:
    engine = relais.app.engine
    admin = await person(relais, "Nadia", Role.ADMIN)
    worker = await person(relais, "Inès", Role.WORKER)
    referent = await person(relais, "Hélène", Role.LANDLORD_REFERENT)
    correspondent = await person(relais, "Karim", Role.CORRESPONDENT)
    gendarme = await person(relais, "Adjudant Morel", Role.GENDARMERIE)
    siao = await person(relais, "Claire", Role.SIAO)
    workers = many(relais, Role.WORKER, MANY)
    many(relais, Role.LANDLORD_REFERENT, MANY)
    for n in range(MANY):
        ensure_organisation(engine, longest(f"Brigade {n:03d}", 120), OrganisationKind.GENDARMERIE)
    for n in range(MANY):
        add_home(
            engine,
            label=longest(f"Logement {n:03d}", 120),
            commune=longest("Commune", 80),
            size="T3",
            qpv=True,
            kind=CaseKind.ADDICTION,
        )
    full = Full(relais, admin, worker, referent, correspondent, gendarme, siao, workers[0])
    # Many cases, reported by the correspondent with the longest answers, held by a
    # colleague; a few wait for the commission.
    answers = {**ADDICTION_ANSWERS, "who": longest("M.", 40), "commune": longest("Mamers", 80)}
    answers["note"] = longest("Remarque", 1000)
    source, now = member_of(relais, correspondent), relais.app.now()
    for n in range(60):
        case = report(engine, source, answers, now)
        walk(relais, case, workers[0], CaseStatus.COMMISSION if n < 5 else CaseStatus.DIAGNOSTIC)
    return full


# ------------------------------------------------------------------ the story


async def report_an_addiction_case(who: Person) -> None:
    """Through the form, every typed answer at its longest (one character more is refused)."""
    await who.send("/signaler")
    await who.tap(ADDICTION)
    await who.tap("Non")
    await who.send(longest("Sophie", 41))
    assert who.texts()[-2].startswith("Je n'ai pas pu lire cette réponse.")
    await who.send(longest("Sophie", 40))
    await who.tap("1")
    await who.tap("0")
    seen, texts = await every_page(who, "rep:site:=")
    residences = [data for data in seen if data != "rep:site:=other"]
    assert len(residences) == MANY, "every residence of the sites file, ten a page"
    assert all(text.endswith("Dans quelle résidence habite la personne ?") for text in texts)
    await tap_data(who, keyboard_of(who), residences[-1])
    await who.tap("Oui")
    await who.send("06 12 34 56 78")
    await who.tap("Soir")
    await who.tap("Valider")
    await who.tap("Troubles du voisinage")
    await who.tap("Valider")
    await who.tap("Je ne sais pas")
    await who.tap("Aucun")
    await who.tap("Valider")
    await who.send(longest("Voisins inquiets", 1001))
    assert who.texts()[-2].startswith("Je n'ai pas pu lire cette réponse.")
    await who.send(longest("Voisins inquiets", 1000))
    review = who.last_text
    assert review.startswith("Étape 14/14\nRécapitulatif — vérifiez avant d'envoyer :")
    assert f"• Personne : {longest('Sophie', 40)}" in review
    assert f"• Résidence : {longest(f'Résidence {MANY - 1:03d}', 120)}" in review
    assert f"• Remarque : {longest('Voisins inquiets', 1000)}" in review, "shown whole"
    await who.tap("Envoyer")


async def report_a_violence_case(who: Person) -> None:
    await who.send("/signaler")
    await who.tap(VIOLENCE)
    await who.tap("Non")
    await who.send(longest("Mme L.", 40))
    await who.tap("1")
    await who.tap("2")
    await who.send(longest("Mamers", 81))
    assert who.texts()[-2].startswith("Je n'ai pas pu lire cette réponse.")
    await who.send(longest("Mamers", 80))
    await who.tap("Non")
    await who.tap("Oui")
    await who.tap("Seulement par moi")
    await who.tap("Chez des proches")
    await who.tap("Salaire")
    await who.tap("Valider")
    await who.tap("Non")
    await who.send(longest("Le Mans, secteur nord", 80))
    await who.send(longest("Hébergée chez sa sœur", 1000))
    assert f"• Secteur souhaité : {longest('Le Mans, secteur nord', 80)}" in who.last_text
    await who.tap("Envoyer")


async def add_notes(worker: Person, case: Case, count: int) -> list[str]:
    """Notes typed at their longest, 2,000 characters (2,001 are refused)."""
    await open_card(worker, case)
    await worker.tap("Ajouter une note")
    await worker.send(longest("Trop long", 2001))
    assert worker.last_text == (
        "Une note fait de 1 à 2000 caractères : raccourcissez-la, ou /annuler."
    )
    await worker.send("/annuler")
    typed = []
    for n in range(count):
        await open_card(worker, case)
        await worker.tap("Ajouter une note")
        typed.append(longest(f"Note {n}", 2000))
        await worker.send(typed[-1])
        assert worker.bot_messages()[-1].text.startswith(f"Dossier {case.reference}")
    return typed


async def all_notes(reader: Person, case: Case) -> list[str]:
    """« Toutes les notes » under the card, every page of it."""
    await reader.tap("Toutes les notes")
    _data, texts = await every_page(reader, "cs:N:")
    for number, text in enumerate(texts, 1):
        assert text.startswith(f"Notes du dossier {case.reference} ({number}/{len(texts)}) :")
    return texts


def shows_whole(texts: list[str], notes: list[str]) -> list[str]:
    """The notes not found whole in the pages (a note may go on over the next page)."""
    bodies = squeezed(" ".join(text.split("\n\n", 1)[1] for text in texts))
    return [note[:40] for note in notes if squeezed(note) not in bodies]


async def commands(who: Person, *names: str) -> None:
    """Each command answered (what it says is checked by its own tests; here, that it fits)."""
    for name in names:
        before = len(who.fake.bot_messages(who.id, include_deleted=True))
        await who.send(f"/{name}")
        assert len(who.fake.bot_messages(who.id, include_deleted=True)) > before, name


async def test_every_screen_opens_with_every_field_at_its_longest(
    relais: RelaisUnderTest,
) -> None:
    full = await build(relais)
    engine, fake = relais.app.engine, relais.fake
    admin, worker, referent = full.admin, full.worker, full.referent
    with watching(fake) as watch:
        for someone in (admin, worker, referent, full.correspondent, full.gendarme, full.siao):
            await commands(someone, "start", "aide", "langue", "annuler")
        await report_an_addiction_case(full.correspondent)
        await report_a_violence_case(full.gendarme)
        with session_scope(engine) as session:
            mine = session.exec(select(Case).where(Case.kind == CaseKind.ADDICTION)).all()
        case = max(mine, key=lambda found: found.id)
        alert = find(worker, f"Nouveau signalement {case.reference}")
        await worker.tap("Voir", alert.message_id)
        assert longest("Voisins inquiets", 1000) in worker.last_text, "the details, whole"
        await worker.tap("Je prends", alert.message_id)
        case = walk(
            relais, get_case(engine, case.id), member_of(relais, worker), CaseStatus.IN_SUPPORT
        )

        # The card, its notes, and what hangs from it.
        notes = await add_notes(worker, case, 5)
        card = await open_card(worker, case)
        assert notes[-1][:100] in card.text, "the newest note begins the card's notes"
        assert notes[-1] not in card.text, "it is cut there"
        assert "Derniers événements :\n• " in card.text, "the card is whole but for its notes"
        assert "Toutes les notes" in card.button_labels
        texts = await all_notes(worker, case)
        assert len(texts) >= 3
        assert shows_whole(texts, notes) == []

        await open_card(worker, case)
        await worker.tap("Réattribuer")
        people, _texts = await every_page(worker, "cs:W:")
        assert len(set(people)) == MANY + 1, "every active worker, ten a page"
        await open_card(worker, case)
        await worker.tap("Référent bailleur")
        people, _texts = await every_page(worker, "cs:F:")
        assert len(set(people)) == MANY + 1
        await worker.tap_data(f"cs:F:{case.id}:{member_of(relais, referent).id}")
        assert worker.last_text.startswith(f"Dossier {case.reference}")

        await open_card(worker, case)
        await worker.tap("Logement réservé")
        homes, _texts = await every_page(worker, "hm:set:")
        assert len(homes) == MANY
        await tap_data(worker, keyboard_of(worker), homes[-1])
        assert longest(f"Logement {MANY - 1:03d}", 120) in worker.last_text

        # Appointments: one through the form at the longest place, many more stored.
        await open_card(worker, case)
        await worker.tap("Rendez-vous")
        await worker.tap("Nouveau rendez-vous")
        await worker.tap("suivi")
        tomorrow = _tomorrow(relais)
        await worker.send(f"{tomorrow + timedelta(days=2):%d/%m} 10h")  # no digest due now
        await worker.send(longest("12 rue de la Paix", 121))
        assert worker.last_text == "Il me faut le lieu en texte, 120 caractères au plus."
        await worker.send(longest("12 rue de la Paix", 120))
        await worker.tap("Valider")
        assert longest("12 rue de la Paix", 120) in worker.last_text
        await worker.tap("Enregistrer")
        for n in range(30):
            schedule(
                engine, case.id, member_of(relais, worker), kind=AppointmentKind.FOLLOW_UP,
                starts_at=tomorrow + timedelta(minutes=15 * n),
                place=longest(f"Lieu {n}", 120), attendees=["worker", "referent"],
                now=relais.app.now(),
            )  # fmt: skip
        await open_card(worker, case)
        await worker.tap("Rendez-vous")
        appointments, _texts = await every_page(worker, "ap:mv:")
        assert len(appointments) == 31, "every coming appointment, ten a page"

        await commands(worker, "dossiers", "rdv", "commission", "logements")
        await commands(referent, "rdv", "commission")
        for reader in (worker, referent, admin):
            await reader.send("/dossiers")
            await every_page(reader, "cs:c:")
            await reader.send("/logements")
            _data, pages_seen = await every_page(reader, "cs:h:")
            assert len(pages_seen) == 11, "105 homes, ten a page"
        await admin.send("/dossiers")
        _data, listed = await every_page(admin, "cs:c:")
        assert len(listed) == 13, "62 open cases, five a page"
        card = await open_card(admin, case)
        assert "Toutes les notes" not in card.button_labels, "notes are not the admins'"
        await open_card(referent, case)
        assert shows_whole(await all_notes(referent, case), notes) == []
        for reporter in (full.correspondent, full.gendarme, full.siao):
            await commands(reporter, "mes_signalements")

        # The admin's screens.
        await admin.send(f"/journal {case.reference}")
        _data, journal = await every_page(admin, "cs:j:")
        assert len(journal) > 3
        await admin.send(f"/exporter {case.reference}")
        export = admin.bot_messages()[-1]
        assert (export.kind, b"Note 4" in export.photo) == ("document", True)
        await admin.send(f"/anonymiser {case.reference}")
        await admin.send("/inviter")
        await admin.tap("gendarmerie")
        organisations, _texts = await every_page(admin, "inv:org:")
        assert len(organisations) == MANY + 6, "the brigades, the people's, Montjoie's..."
        await admin.tap("Autre organisation…")
        await admin.send(longest("Gendarmerie de Mamers", 121))
        assert admin.last_text.startswith("Il me faut le nom de l'organisation en texte")
        await admin.send(longest("Gendarmerie de Mamers", 120))
        assert admin.last_text.rsplit("\n", 1)[1].startswith("https://t.me/")
        await admin.send("/desactiver")
        members, _texts = await every_page(admin, "mb:off:")
        assert len(members) == 2 * MANY + 5, "every member but the admin"
        await admin.tap_data(f"mb:off:{full.leaving.id}")
        colleagues, _texts = await every_page(admin, "mb:to:")
        assert len(colleagues) == MANY, "every other worker"
        await tap_data(admin, keyboard_of(admin), colleagues[-1])
        assert admin.last_text.startswith("Accès à Relais fermé pour"), "60 cases handed over"
        await _flyers(relais, admin)

        # What nobody asked for: the day's digest and the quarterly review notice.
        await _send_notices(relais, member_of(relais, worker), tomorrow)
        assert find(worker, "Vos rendez-vous du jour :").text.endswith("rendez-vous : /rdv")
        # The review pack: every open case is in its file, the message only counts them.
        pack = find(worker, "Revue trimestrielle du")
        assert pack.kind == "document"
        assert pack.text.endswith("les dossiers ouverts par travailleur social.")
        content = pack.photo.decode("utf-8")
        opened = int(content.split("\nDossiers ouverts : ", 1)[1].split(".", 1)[0])
        assert opened > MANY // 2, "the longest world's open cases"
        assert content.count("\n  Dernier événement : ") == opened
        await _the_supported_person(relais, worker, case)
    assert_all_fit(watch)


async def _flyers(relais: RelaisUnderTest, admin: Person) -> None:
    """A flyer for the longest organisation, a partner with the longest Telegram name asks
    and is accepted; /flyers pages many links."""
    await admin.send("/flyer")
    await admin.tap("gendarmerie")
    await admin.tap("Autre organisation…")
    await admin.send(longest("Brigade de Sablé-sur-Sarthe", 120))
    flyer = admin.bot_messages()[-1]
    assert (flyer.kind, flyer.photo[:4]) == ("document", b"%PDF")
    user = relais.fake.add_user(first_name=longest("Adjudant", 64), last_name=longest("M.", 64))
    morel = Person(relais, user)
    await morel.send(f"/start {flyer.text.rsplit('?start=', 1)[1]}")
    await morel.tap("Demander l'accès")
    await admin.tap("Accepter", find(admin, "Demande d'accès :").message_id)
    assert morel.last_text.startswith(f"Bienvenue dans Relais, {longest('Adjudant', 64)}")
    engine, now = relais.app.engine, relais.app.now()
    for n in range(MANY):
        brigade = ensure_organisation(
            engine, longest(f"Brigade {n:03d}", 120), OrganisationKind.GENDARMERIE
        )
        create_flyer(engine, new_token(), role=Role.SIAO, organisation_id=brigade.id,
                     ttl=timedelta(days=183), now=now)  # fmt: skip
    await admin.send("/flyers")
    flyers, _texts = await every_page(admin, "fy:r:")
    assert len(flyers) == MANY + 1
    await tap_data(admin, keyboard_of(admin), flyers[-1])
    assert admin.last_text.startswith("Révoquer le lien du flyer gendarmerie, Brigade de Sablé")


def _tomorrow(relais: RelaisUnderTest) -> datetime:
    zone = relais.app.settings.zone
    day = relais.app.now().astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(8), tzinfo=zone)


async def _send_notices(relais: RelaisUnderTest, member: Member, day: datetime) -> None:
    """The day's digest of `day` and the quarterly review notice, due now, then sent."""
    keys = ("limits:digest", "limits:review")
    now, payload = relais.app.now(), {"day": day.date().isoformat()}
    with session_scope(relais.app.engine) as session:
        plan(session, keys[0], ReminderKind.DAILY_DIGEST, member.id, now, payload=payload)
        plan(session, keys[1], ReminderKind.QUARTERLY_REVIEW, member.id, now, payload=payload)
    await relais.run_job("reminders")
    with session_scope(relais.app.engine) as session:
        sent = session.exec(select(Reminder).where(col(Reminder.key).in_(keys))).all()
        assert [(row.status.value, row.last_error) for row in sent] == [("sent", None)] * 2


async def _the_supported_person(relais: RelaisUnderTest, worker: Person, case: Case) -> None:
    """The worker invites the person (a QR code and its caption); the person agrees."""
    await open_card(worker, case)
    await worker.tap("Inviter la personne")
    invitation = worker.bot_messages()[-1]
    assert invitation.kind == "photo"
    link = invitation.text.rsplit("\n", 1)[1]
    user = relais.fake.add_user(first_name=longest("Sam", 64), last_name=longest("D.", 64))
    sam = Person(relais, user)
    await sam.send(f"/start {link.rsplit('?start=', 1)[1]}")
    await sam.tap("J'accepte")
    await commands(sam, "start", "aide", "langue", "arreter", "effacer")


# ------------------------------------------------------------------ an older database


async def test_values_longer_than_the_forms_take_today_still_open(
    relais: RelaisUnderTest,
) -> None:
    """An older database or an import may hold more than the forms take now: every screen
    still opens, the value cut with « … » where it is shown, and « Toutes les notes » shows
    even a 10,000-character note whole, over several pages."""
    engine = relais.app.engine
    admin = await person(relais, "Nadia", Role.ADMIN)
    worker = await person(relais, "Inès", Role.WORKER)
    correspondent = await person(relais, "Karim", Role.CORRESPONDENT)
    huge = {
        "who": longest("M.", 5000),
        "commune": longest("Mamers", 5000),
        "note": longest("Remarque", 20_000),
    }
    source, holder = member_of(relais, correspondent), member_of(relais, worker)
    old = {**ADDICTION_ANSWERS, **huge}
    case = walk(
        relais, report(engine, source, old, relais.app.now()), holder, CaseStatus.IN_SUPPORT
    )
    waiting = walk(
        relais, report(engine, source, old, relais.app.now()), holder, CaseStatus.COMMISSION
    )
    untaken = report(engine, source, old, relais.app.now())
    note = longest("Note d'une ancienne version", 10_000)
    with session_scope(engine) as session:
        session.add(CaseNote(case_id=case.id, author_id=member_of(relais, worker).id, text=note,
                             created_at=relais.app.now()))  # fmt: skip
        for found in session.exec(select(Case)):
            found.sector = longest("Nord", 5000)
        for organisation in session.exec(select(Organisation)):  # once typed on the command line
            organisation.name = longest(organisation.name, 5000)
    add_home(engine, label=longest("Logement", 5000), commune=longest("Le Mans", 5000),
             size="T2", qpv=False, kind=CaseKind.ADDICTION)  # fmt: skip
    for hour in (-1, 0):  # the first one is moved below; the other one makes a digest
        schedule(
            engine, case.id, member_of(relais, worker), kind=AppointmentKind.FOLLOW_UP,
            starts_at=_tomorrow(relais) + timedelta(hours=hour), place=longest("Lieu", 5000),
            attendees=["worker"], now=relais.app.now(),
        )  # fmt: skip
    draft = start_draft(engine, source.id, "kind")
    draft.answers, draft.current = old, "review"
    save_draft(engine, draft)

    with watching(relais.fake) as watch:
        newcomer = Person(relais, relais.fake.add_user(first_name="Léa"))
        typed_long_ago = longest(longest(f"Organisation {Role.CORRESPONDENT.value}", 120), 5000)
        await enroll(relais, newcomer, Role.CORRESPONDENT, typed_long_ago)
        assert newcomer.last_text.startswith("Bienvenue dans Relais, Léa !")
        await commands(worker, "start", "aide")
        card = await open_card(worker, case)
        assert "Toutes les notes" in card.button_labels
        texts = await all_notes(worker, case)
        assert shows_whole(texts, [note]) == [], "a note longer than a message, whole"
        await open_card(worker, case)
        await worker.tap("Rendez-vous")
        await worker.tap("Déplacer")
        await worker.send(f"{_tomorrow(relais) + timedelta(days=3):%d/%m} 11h")
        assert find(worker, "Rendez-vous déplacé : ").text.endswith("…")
        await open_card(worker, case)
        await worker.tap("Réattribuer")
        names = [text for text in worker.buttons() if text != "Annuler"]
        assert names
        assert all(units(name) <= 64 for name in names), "a name on a button is cut…"
        assert all(name.endswith("…") for name in names), "…and says so"
        await open_card(worker, case)
        await worker.tap("Logement réservé")
        await commands(worker, "dossiers", "rdv", "logements")
        [line] = find(worker, "Logements réservés").text.splitlines()[1:]
        assert "… (T2, Le Mans" in line, "the label cut, the home's size and commune after it"
        assert units(line) < 300
        await worker.tap_data(f"view:{case.id}")
        await correspondent.send("/signaler")
        review = correspondent.last_text
        assert review.splitlines()[1] == "Récapitulatif — vérifiez avant d'envoyer :"
        assert "• Accompagnement existant : Aucun\n• Remarque : Remarque" in review, "every answer"
        await commands(correspondent, "mes_signalements")
        await admin.send(f"/journal {case.reference}")
        await admin.send("/inviter")
        await admin.tap("gendarmerie")
        await tap_data(admin, keyboard_of(admin), data_of(keyboard_of(admin), "inv:org:")[0])
        assert admin.last_text.rsplit("\n", 1)[1].startswith("https://t.me/"), "the link whole"
        await admin.send("/desactiver")
        await commands(worker, "commission")  # each person's organisation is a landlord here
        await worker.tap("Tous les dossiers")
        assert find(worker, f"{waiting.reference} — ").text.endswith("…")
        await _send_notices(relais, holder, _tomorrow(relais))
        with session_scope(engine) as session:  # nobody took it: everyone is alerted again
            plan(session, "limits:escalation", ReminderKind.ESCALATION, source.id,
                 relais.app.now(), case_id=untaken.id)  # fmt: skip
        await relais.run_job("reminders")
        assert find(worker, "Relance : ce signalement").text.endswith("…")
    assert_all_fit(watch)


# ------------------------------------------------------------------ the one way to cut


def test_a_value_is_cut_on_a_character_with_an_ellipsis_as_telegram_counts() -> None:
    assert cut("Bonjour", 7) == "Bonjour"
    assert cut("Bonjour Inès", 8) == "Bonjour…"
    assert cut("🏠🏠🏠🏠", 5) == "🏠🏠…", "an emoji counts two; never half of one"
    assert cut("x" * 5000) == "x" * 4095 + "…"


def test_blocks_are_paged_whole_and_a_longer_one_goes_on_between_words() -> None:
    assert pages(["a" * 10, "b" * 10, "c" * 10], room=25) == [
        "a" * 10 + "\n\n" + "b" * 10,
        "c" * 10,
    ]
    long = " ".join(["mot"] * 30)  # 119 characters
    split = pages([long], room=50)
    assert all(units(page) <= 50 for page in split)
    assert " ".join(split) == long


def test_lines_that_do_not_fit_are_counted_in_a_last_line() -> None:
    lines = [f"• ligne {n} " + "x" * 390 for n in range(20)]
    text = fit_lines("Titre", lines, lambda left: f"… et {left} autres")
    assert units(text) <= TEXT
    assert text.startswith("Titre\n• ligne 0 ")
    assert text.endswith("… et 10 autres"), text[-40:]
    assert fit_lines("Titre", ["a", "b"], lambda left: "jamais") == "Titre\na\nb"


# ------------------------------------------------------------------ the partners file


def fitting(seed: str, size: int) -> str:
    """`longest(seed, size)` cut to `size` UTF-16 code units (what the partners file takes)."""
    text = longest(seed, size)
    while units(text) > size or text.endswith(" "):
        text = text[:-1]
    return text


def partner_entries(commune: str) -> str:
    """Twelve violence services at their longest in `commune`, each a redirection of its
    own, and MANY other services, each in a commune of its own."""
    entries = [
        f'''
[[partner]]
name = "{fitting(f"Service {n:02d}", 80)}"
does = "{fitting("Écoute", 300)}"
situations = ["violence", "addiction"]
communes = ["{commune}"]
phone = "+33 2 43 00 00 00 01"
hours = "{fitting("du lundi au vendredi", 100)}"
redirection = "{fitting(f"Redirection {n:02d}", 80)}"
'''
        for n in range(12)
    ]
    entries += [
        f'''
[[partner]]
name = "Autre {n:03d}"
does = "Aides."
situations = ["budget"]
communes = ["{fitting(f"Commune {n:03d}", 80)}"]
phone = "02 43 00 00 00"
hours = "lun."
'''
        for n in range(MANY)
    ]
    return "".join(entries)


@pytest.fixture
async def territory(fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[RelaisUnderTest]:
    partners = tmp_path / "partners.toml"
    partners.write_text(partner_entries(fitting("Saint-Léonard", 80)), encoding="utf-8")
    relais = RelaisUnderTest(
        fake_api,
        bot_settings(fake_api, f"sqlite:///{tmp_path / 'relais.sqlite3'}", partners_file=partners),
    )
    await relais.start()
    yield relais
    await relais.stop()


async def test_the_directory_and_the_redirections_open_with_every_partner_at_its_longest(
    territory: RelaisUnderTest,
) -> None:
    engine = territory.app.engine
    correspondent = await person(territory, "Karim", Role.CORRESPONDENT)
    worker = await person(territory, "Inès", Role.WORKER)
    commune = fitting("Saint-Léonard", 80)
    with watching(territory.fake) as watch:
        await correspondent.send("/annuaire")
        await correspondent.tap("Violences intrafamiliales")
        communes, _texts = await every_page(correspondent, "an:r:")
        assert len(communes) == MANY + 1 + 11, "every commune ten a page, and « Autre commune »"
        await tap_data(correspondent, keyboard_of(correspondent), "an:r:violence:106:0")
        assert correspondent.last_text.startswith("Violences intrafamiliales — " + commune)
        _data, pages_seen = await every_page(correspondent, "an:c:")
        assert len(pages_seen) == 3, "twelve services, five a page"
        assert all("3919" in text for text in pages_seen)

        case = report(
            engine, member_of(territory, correspondent), ADDICTION_ANSWERS, territory.app.now()
        )
        case = walk(
            territory,
            get_case(engine, case.id),
            member_of(territory, worker),
            CaseStatus.COMMISSION,
        )
        await open_card(worker, case)
        await worker.tap("→ réorienté")
        reasons, _texts = await every_page(worker, "cs:r:")
        assert len(reasons) == 12
        await tap_data(worker, keyboard_of(worker), reasons[-1])
        await worker.send(longest("Orientée", 2000))
        assert fitting("Redirection 11", 80) in worker.last_text
    assert_all_fit(watch)
