"""Steps the tests' stories share: enrolling people, filling a report, reading the database."""

from sqlalchemy import text
from sqlmodel import select

from domain.vocabulary import OrganisationKind, Role
from storage.database import session_scope
from storage.invitations import create_invitation
from storage.members import ensure_organisation
from storage.models import Case
from tests.harness import Person, RelaisUnderTest

ADDICTION = "Difficultés dans le logement liées à une addiction"
VIOLENCE = "Victime de violences intrafamiliales"
# A complete violence report as the form stores it (for storage-level stories).
VIOLENCE_ANSWERS: dict[str, object] = {
    "kind": "violence",
    "danger": "no",
    "who": "Mme L.",
    "adults": 1,
    "children": 2,
    "commune": "Mamers",
    "qpv": "no",
    "consent": "yes",
    "contact": "via_referrer",
    "whereabouts": "relatives",
    "resources": ["benefits"],
    "complaint": "no",
    "wished_area": None,
    "note": None,
}


async def enroll(
    relais: RelaisUnderTest,
    person: Person,
    role: Role,
    org: str = "Sarthe Habitat",
    kind: OrganisationKind = OrganisationKind.LANDLORD,
) -> None:
    engine = relais.app.engine
    organisation = ensure_organisation(engine, org, kind)
    invitation = create_invitation(
        engine, role=role, organisation_id=organisation.id, ttl=relais.settings.invite_ttl
    )
    await person.send(f"/start {invitation.token}")


def table_rows(relais: RelaisUnderTest, table: str) -> int:
    with relais.app.engine.connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


async def member(relais: RelaisUnderTest, name: str, role: Role, language: str = "fr") -> Person:
    person = relais.person(name, language_code=language)
    await enroll(relais, person, role)
    return person


def cases(relais: RelaisUnderTest) -> list[Case]:
    with session_scope(relais.app.engine) as session:
        return list(session.exec(select(Case).order_by(Case.id)))


async def start_addiction_report(correspondent: Person) -> None:
    """The form up to its residence question."""
    await correspondent.send("/signaler")
    await correspondent.tap(ADDICTION)
    await correspondent.tap("Non")
    await correspondent.send("M. D.")
    await correspondent.tap("1")
    await correspondent.tap("0")


async def answer_addiction_report(correspondent: Person) -> None:
    await start_addiction_report(correspondent)
    await correspondent.tap("Les Glonnières")
    await correspondent.tap("Oui")
    await correspondent.send("06 12 34 56 78")
    await correspondent.tap("Soir")
    await correspondent.tap("Valider")
    await correspondent.tap("Troubles du voisinage")
    await correspondent.tap("Impayés de loyer")
    await correspondent.tap("Valider")
    await correspondent.tap("Je ne sais pas")
    await correspondent.tap("Aucun")
    await correspondent.tap("Valider")
    await correspondent.send("Voisins inquiets depuis l'été.")


async def report_a_violence_victim_in_danger(gendarme: Person, consent: str = "Oui") -> None:
    """The shortest form: the danger path, contact only through the reporter.

    `consent` answers "may the person be contacted?" (Oui / Pas encore / Non)."""
    await gendarme.send("/signaler")
    await gendarme.tap(VIOLENCE)
    await gendarme.tap("Oui")
    await gendarme.send("S. B.")
    await gendarme.send("Mamers")
    await gendarme.tap("Non")
    await gendarme.tap(consent)
    await gendarme.tap("Seulement par moi")
    await gendarme.tap("Envoyer")


BRIGADE = "Brigade de Sablé-sur-Sarthe"


async def new_flyer(admin: Person, organisation: str = BRIGADE) -> str:
    """/flyer through its two steps, a new organisation typed; the link's start payload."""
    await admin.send("/flyer")
    await admin.tap("gendarmerie")
    await admin.tap("Autre organisation…")
    await admin.send(organisation)
    document = admin.bot_messages()[-1]
    assert document.kind == "document"
    assert document.photo.startswith(b"%PDF")
    link = document.text.rsplit("\n", 1)[1]
    assert link.startswith(f"https://t.me/{admin.fake.bot_username}?start=f_")
    return link.rsplit("?start=", 1)[1]
