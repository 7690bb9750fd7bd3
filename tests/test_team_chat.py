"""The team's group chat cannot go dark silently: alerts follow it when it becomes a
supergroup (even across a restart), and the admins are told once when it drops the bot."""

from collections.abc import Callable

import pytest

from domain.vocabulary import Role
from playground.fakebotapi import Chat
from tests.harness import Person, RelaisUnderTest
from tests.stories import answer_addiction_report, cases, member

LOST_FR = (
    "Le groupe de l'équipe ne reçoit plus les alertes de Relais : le bot en a été retiré, ou "
    "n'a plus le droit d'y écrire. Les travailleurs sociaux reçoivent toujours chaque alerte "
    "en privé. Pour rétablir les alertes du groupe, ajoutez-y de nouveau @relais_test_bot avec "
    "le droit d'envoyer des messages."
)
LOST_EN = (
    "The team's group no longer receives Relais alerts: the bot was removed from it, or may no "
    "longer write there. Workers still receive every alert in private. To bring the group's "
    "alerts back, add @relais_test_bot to it again, with the right to send messages."
)


async def report(correspondent: Person) -> str:
    """File one report; its reference."""
    await answer_addiction_report(correspondent)
    await correspondent.tap("Envoyer")
    return cases(correspondent.relais)[-1].reference


def alerts_in(relais: RelaisUnderTest, chat: Chat) -> list[str]:
    return [m.text for m in relais.fake.bot_messages(chat) if "signalement R-" in m.text]


def sends_to(relais: RelaisUnderTest, chat: Chat) -> int:
    return sum(
        1
        for call in relais.fake.calls
        if call.method == "sendMessage" and call.params.get("chat_id") == chat.id
    )


async def unseen(relais: RelaisUnderTest, change: Callable[[], object]) -> None:
    """`change` happens while Relais is down and Telegram's news of it is lost (Telegram keeps
    updates 24 hours): Relais can only learn it from its next send."""
    await relais.stop()
    change()
    relais.fake.handle("deleteWebhook", {"drop_pending_updates": True})
    await relais.start()


# --------------------------------------------------------------- a group become a supergroup


async def test_an_alert_refused_by_an_upgraded_group_is_sent_to_the_supergroup_which_a_restart_keeps(
    intake_on: RelaisUnderTest,
) -> None:
    relais, group = intake_on, intake_on.team_chat
    worker = await member(relais, "Inès", Role.WORKER)
    correspondent = await member(relais, "Karim", Role.CORRESPONDENT)
    supergroup: Chat | None = None

    def upgrade() -> None:
        nonlocal supergroup
        supergroup = relais.fake.upgrade_group(group)

    await unseen(relais, upgrade)
    first = await report(correspondent)

    assert supergroup is not None
    assert alerts_in(relais, supergroup) == [worker.last_text]
    assert alerts_in(relais, supergroup)[0].startswith(f"Nouveau signalement {first}")
    assert (sends_to(relais, group), sends_to(relais, supergroup)) == (1, 1)
    assert relais.settings.alert_chat_id == group.id  # the setting stays where it started

    await relais.restart()
    second = await report(correspondent)

    assert alerts_in(relais, supergroup)[-1].startswith(f"Nouveau signalement {second}")
    assert (sends_to(relais, group), sends_to(relais, supergroup)) == (1, 2)
    # « Je prends » updates the copy in the supergroup, where the alert was recorded.
    await worker.tap("Je prends")
    assert alerts_in(relais, supergroup)[-1].endswith("Pris en charge par Inès.")


async def test_the_upgrade_s_service_message_moves_the_alerts_before_any_error(
    intake: RelaisUnderTest,
) -> None:
    group = intake.team_chat
    worker = await member(intake, "Inès", Role.WORKER)
    correspondent = await member(intake, "Karim", Role.CORRESPONDENT)

    supergroup = intake.fake.upgrade_group(group)
    await report(correspondent)  # its updates come after the service messages

    assert alerts_in(intake, supergroup) == [worker.last_text]
    assert sends_to(intake, group) == 0
    # The supergroup is the team chat now: the bot removed from it is the team chat's loss.
    admin = await member(intake, "Claire", Role.ADMIN)
    await intake.settle(intake.fake.remove_bot(supergroup))
    assert admin.texts()[-1] == LOST_FR


# ------------------------------------------------------------------------ the bot removed


@pytest.mark.parametrize("news", ["my_chat_member", "send refused"])
async def test_a_team_chat_without_the_bot_is_told_to_the_admins_once_and_alerts_resume_with_it(
    intake: RelaisUnderTest, news: str
) -> None:
    """`news`: how Relais learns of each change, from Telegram's update or from its own next
    send (the update lost while it was down)."""
    group = intake.team_chat
    claire = await member(intake, "Claire", Role.ADMIN)
    jane = await member(intake, "Jane", Role.ADMIN, language="en")
    workers = [await member(intake, name, Role.WORKER) for name in ("Inès", "Paul")]
    correspondent = await member(intake, "Karim", Role.CORRESPONDENT)
    told = {person: len(person.texts()) for person in (claire, jane)}

    async def change(act: Callable[[], int]) -> None:
        if news == "my_chat_member":
            await intake.settle(act())
        else:
            await unseen(intake, act)

    # Another group's news is not the team chat's.
    elsewhere = intake.fake.add_group("Quartier des Glonnières")
    await intake.settle(intake.fake.remove_bot(elsewhere))
    await change(lambda: intake.fake.remove_bot(group))
    # Told at once by Telegram's update; else by the first alert the group refuses.
    assert claire.texts()[told[claire] :] == ([LOST_FR] if news == "my_chat_member" else [])
    references = [await report(correspondent), await report(correspondent)]

    assert claire.texts()[told[claire] :] == [LOST_FR]
    assert jane.texts()[told[jane] :] == [LOST_EN]
    for worker in workers:
        assert [text.splitlines()[0] for text in worker.texts()[-2:]] == [
            f"Nouveau signalement {reference}" for reference in references
        ]
    assert alerts_in(intake, group) == []

    await change(lambda: intake.fake.add_bot(group))
    third = await report(correspondent)

    assert alerts_in(intake, group) == [workers[0].last_text]
    assert workers[0].last_text.startswith(f"Nouveau signalement {third}")
    assert claire.texts()[told[claire] :] == [LOST_FR]

    # A later loss is told again.
    await change(lambda: intake.fake.remove_bot(group, kicked=False))
    await report(correspondent)
    assert claire.texts()[told[claire] :] == [LOST_FR, LOST_FR]
    assert jane.texts()[told[jane] :] == [LOST_EN, LOST_EN]


async def test_the_bot_added_back_to_the_team_chat_is_awaited_there_and_a_new_removal_told(
    intake: RelaisUnderTest,
) -> None:
    admin = await member(intake, "Claire", Role.ADMIN)
    told = len(admin.texts())

    await intake.settle(intake.fake.remove_bot(intake.team_chat))
    await intake.settle(intake.fake.add_bot(intake.team_chat))
    assert admin.texts()[told:] == [LOST_FR]
    await intake.settle(intake.fake.remove_bot(intake.team_chat, kicked=False))

    assert admin.texts()[told:] == [LOST_FR, LOST_FR]


async def test_a_team_chat_that_does_not_exist_is_told_once_and_workers_still_get_each_alert(
    intake: RelaisUnderTest,
) -> None:
    admin = await member(intake, "Claire", Role.ADMIN)
    worker = await member(intake, "Inès", Role.WORKER)
    correspondent = await member(intake, "Karim", Role.CORRESPONDENT)
    told = len(admin.texts())
    # A mistyped ALERT_CHAT_ID: Telegram answers 400 "chat not found".
    intake.settings = intake.settings.model_copy(update={"alert_chat_id": -4_242_424_242})
    await intake.restart()

    references = [await report(correspondent), await report(correspondent)]

    assert admin.texts()[told:] == [LOST_FR]
    assert [text.splitlines()[0] for text in worker.texts()[-2:]] == [
        f"Nouveau signalement {reference}" for reference in references
    ]
