"""Who saw or changed a case is written down, never edited, and readable by an admin."""

from sqlalchemy import text
from sqlmodel import select

from domain.vocabulary import Role
from storage.audit import verify_chain
from storage.database import session_scope
from storage.models import AuditEntry
from tests.harness import RelaisUnderTest
from tests.stories import answer_addiction_report, cases, member
from tests.test_case_follow_up import move, open_card


def actions(intake: RelaisUnderTest, case_id: int) -> list[str]:
    with session_scope(intake.app.engine) as session:
        query = (
            select(AuditEntry.action).where(AuditEntry.case_id == case_id).order_by(AuditEntry.id)
        )
        return list(session.exec(query))


async def test_viewing_changing_and_inviting_are_audited_and_an_admin_reads_the_journal(
    intake: RelaisUnderTest,
) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    nadia = await member(intake, "Nadia", Role.ADMIN)
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    [case] = cases(intake)
    await ines.tap("Voir")
    await ines.tap("Je prends")
    await open_card(ines, case.reference)
    await move(ines, "diagnostic")
    await ines.tap("Ajouter une note")
    await ines.send("Premier contact au domicile, madame D. inquiète.")

    assert actions(intake, case.id) == [
        "case.created",
        "case.details_viewed",
        "case.taken",
        "case.viewed",
        "case.status",
        "case.viewed",
        "case.note",
        "case.viewed",
    ]
    with session_scope(intake.app.engine) as session:
        details = [entry.detail or "" for entry in session.exec(select(AuditEntry))]
    assert "received -> diagnostic" in details
    assert not any("madame" in detail or "Karim" in detail for detail in details), (
        "no personal value"
    )

    await nadia.send(f"/journal {case.reference.lower()}")
    assert nadia.last_text.startswith(
        f"Journal du dossier {case.reference} (le plus récent d'abord) :"
    )
    assert "Inès — statut (reçu → diagnostic)" in nadia.last_text
    assert "Inès — note" in nadia.last_text
    await ines.send(f"/journal {case.reference}")
    assert ines.last_text.startswith("Cette action n'est pas ouverte à votre rôle.")
    with session_scope(intake.app.engine) as session:
        invites = session.exec(
            select(AuditEntry).where(AuditEntry.action == "invite.created")
        ).all()
    assert len(invites) == 3, "one per member enrolled"


async def test_an_edited_or_deleted_audit_row_breaks_the_chain(intake: RelaisUnderTest) -> None:
    ines = await member(intake, "Inès", Role.WORKER)
    karim = await member(intake, "Karim", Role.CORRESPONDENT)
    await answer_addiction_report(karim)
    await karim.tap("Envoyer")
    await ines.tap("Je prends")
    engine = intake.app.engine
    assert verify_chain(engine) is None
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET detail = 'nothing happened' WHERE id = 3"))
    assert verify_chain(engine) == 3
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE id = 3"))
    assert verify_chain(engine) == 4
