"""The fake Bot API behaves like Telegram where it matters: PTB, over real HTTP, gets the
same answers and the same errors it would get from api.telegram.org."""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)
from telegram.request import HTTPXRequest

from playground.fakebotapi import FakeBotAPI, User
from playground.fakebotapi.formatting import EntityParseError, parse_html


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI()
    await fake.start()
    yield fake
    await fake.stop()


def loopback_bot(fake: FakeBotAPI, token: str | None = None) -> Bot:
    """A PTB Bot for the fake; TLS setup (~50 ms per client) is skipped, the fake is HTTP."""
    no_tls = {"verify": False}
    return Bot(
        token or fake.token,
        base_url=fake.base_url,
        request=HTTPXRequest(httpx_kwargs=no_tls),
        get_updates_request=HTTPXRequest(connection_pool_size=1, httpx_kwargs=no_tls),
    )


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    async with loopback_bot(fake) as bot:
        yield bot


@pytest.fixture
def alice(fake: FakeBotAPI) -> User:
    alice = fake.add_user(first_name="Alice", language_code="fr")
    fake.start_chat(alice)
    return alice


def keyboard(*labels_and_data: tuple[str, str]) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(label, callback_data=data) for label, data in labels_and_data]
    return InlineKeyboardMarkup([buttons])


# ------------------------------------------------------------------------------ transport


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    assert (bot.id, bot.username, bot.first_name) == (123456, "relais_test_bot", "Relais")


async def test_wrong_token_is_unauthorized(fake: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        await loopback_bot(fake, "999:WRONG").get_me()


async def test_unknown_method_is_not_found(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("frobnicate")


async def test_get_and_json_requests_with_case_insensitive_methods(
    fake: FakeBotAPI, alice: User
) -> None:
    root = f"{fake.base_url}{fake.token}"
    async with httpx.AsyncClient() as client:
        me = (await client.get(f"{root}/GETME")).json()
        sent = await client.post(f"{root}/sendmessage", json={"chat_id": alice.id, "text": "7"})
    assert me["result"]["username"] == "relais_test_bot"
    assert sent.json()["result"]["text"] == "7"
    assert [call.method for call in fake.calls] == ["getMe", "sendMessage"]


async def test_text_that_looks_like_json_stays_text(
    fake: FakeBotAPI, bot: Bot, alice: User
) -> None:
    await bot.send_message(alice.id, "123")
    await bot.send_message(alice.id, '{"not": "a dict"}')
    assert [m.text for m in fake.bot_messages(alice)] == ["123", '{"not": "a dict"}']
    assert fake.calls[-1].params == {"chat_id": alice.id, "text": '{"not": "a dict"}'}


# ---------------------------------------------------------------------------- chats


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hello")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message("@nobody", "hello")


async def test_bot_cannot_write_first(fake: FakeBotAPI, bot: Bot) -> None:
    bob = fake.add_user(first_name="Bob")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(bob.id, "hello")
    fake.send_text(bob, "bonjour")
    await bot.send_message(bob.id, "hello")


async def test_blocked_user_is_forbidden(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    fake.block(alice)
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(alice.id, "hello")
    fake.unblock(alice)
    await bot.send_message(alice.id, "hello again")


async def test_group_messages_and_addressed_commands(fake: FakeBotAPI, bot: Bot) -> None:
    group = fake.add_group("Équipe Montjoie")
    carol = fake.add_user(first_name="Carol")
    with pytest.raises(ValueError, match="not a member"):
        fake.send_text(carol, "hi", chat=group)
    fake.add_member(group, carol)
    fake.send_text(carol, "/help@relais_test_bot now", chat=group)
    (update,) = await bot.get_updates()
    assert update.message.chat.type == "group"
    assert update.message.chat.id < 0
    assert update.message.entities[0].length == len("/help@relais_test_bot")
    await bot.send_message(group.id, "Voici l'aide")
    assert [m.text for m in fake.messages(group)] == [
        "/help@relais_test_bot now",
        "Voici l'aide",
    ]


async def test_an_upgraded_group_answers_with_its_new_id(fake: FakeBotAPI, bot: Bot) -> None:
    group = fake.add_group("Équipe Montjoie")
    carol = fake.add_user(first_name="Carol")
    fake.add_member(group, carol)
    await bot.send_message(group.id, "avant")

    supergroup = fake.upgrade_group(group, by=carol)

    assert (supergroup.type, supergroup.title, supergroup.members) == (
        "supergroup",
        "Équipe Montjoie",
        {carol.id},
    )
    assert str(supergroup.id).startswith("-100")
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(group.id, "après")
    assert caught.value.new_chat_id == supergroup.id
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{fake.base_url}{fake.token}/sendMessage", json={"chat_id": group.id, "text": "x"}
        )
    assert (answer.status_code, answer.json()) == (
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": supergroup.id},
        },
    )
    to_new, from_old = await bot.get_updates()
    assert (to_new.message.chat.id, to_new.message.migrate_to_chat_id) == (group.id, supergroup.id)
    assert (from_old.message.chat.id, from_old.message.migrate_from_chat_id) == (
        supergroup.id,
        group.id,
    )
    assert from_old.message.chat.type == "supergroup"
    assert to_new.message.from_user.id == from_old.message.from_user.id == carol.id
    assert filters.StatusUpdate.MIGRATE.check_update(to_new)
    assert filters.StatusUpdate.MIGRATE.check_update(from_old)
    await bot.send_message(supergroup.id, "après")
    assert [m.text for m in fake.bot_messages(supergroup)] == ["après"]
    fake.send_text(carol, "bonjour", chat=supergroup)
    with pytest.raises(ValueError, match="gets nothing from"):
        fake.send_text(carol, "bonjour", chat=group)
    with pytest.raises(ValueError, match="not a basic group"):
        fake.upgrade_group(supergroup)


@pytest.mark.parametrize(
    ("upgraded", "kicked", "status", "description"),
    [
        (False, True, "kicked", "Forbidden: bot was kicked from the group chat"),
        (False, False, "left", "Forbidden: bot is not a member of the group chat"),
        (True, True, "kicked", "Forbidden: bot was kicked from the supergroup chat"),
    ],
)
async def test_a_bot_removed_from_a_group_is_refused_there_until_added_back(
    fake: FakeBotAPI, bot: Bot, upgraded: bool, kicked: bool, status: str, description: str
) -> None:
    group = fake.add_group("Équipe Montjoie")
    if upgraded:
        group = fake.upgrade_group(group)

    removal = fake.remove_bot(group, kicked=kicked)

    with pytest.raises(Forbidden) as caught:
        await bot.send_message(group.id, "alerte")
    assert caught.value.message == description
    update = (await bot.get_updates())[-1]
    assert update.update_id == removal
    change = update.my_chat_member
    assert change.chat.id == group.id
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("member", status)
    assert change.new_chat_member.user.id == bot.id
    # Nobody named: an anonymous admin, as Telegram shows one.
    assert (change.from_user.username, change.from_user.is_bot) == ("GroupAnonymousBot", True)
    with pytest.raises(ValueError, match="already"):
        fake.remove_bot(group, kicked=kicked)

    carol = fake.add_user(first_name="Carol")
    back = fake.add_bot(group, by=carol)

    (update,) = await bot.get_updates(offset=removal + 1)
    assert update.update_id == back
    assert (update.my_chat_member.from_user.id, update.my_chat_member.new_chat_member.status) == (
        carol.id,
        "member",
    )
    await bot.send_message(group.id, "alerte")
    assert [m.text for m in fake.bot_messages(group)] == ["alerte"]


# ----------------------------------------------------------------------------- texts


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("", "Message text is empty"),
        (" \n ", "Message text is empty"),
        ("x" * 4097, "Message is too long"),
        # Telegram counts UTF-16 code units: an emoji beyond the BMP counts two.
        ("🏠" * 2048 + "x", "Message is too long"),
    ],
)
async def test_text_limits(bot: Bot, alice: User, text: str, description: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(alice.id, text)
    assert caught.value.message == description


@pytest.mark.parametrize(
    ("text", "parse_mode"),
    [
        ("x" * 4096, None),
        ("🏠" * 2048, None),
        ("é" * 4096, None),  # two bytes of UTF-8 each, one code unit
        (" \n" + "x" * 4096 + "\n ", None),  # surrounding spaces are trimmed first
        ("<b>" + "x" * 4096 + "</b>", "HTML"),  # counted after entities parsing
        ("&lt;" * 4096, "HTML"),
    ],
)
async def test_a_text_of_4096_is_fine(
    fake: FakeBotAPI, bot: Bot, alice: User, text: str, parse_mode: str | None
) -> None:
    await bot.send_message(alice.id, text, parse_mode=parse_mode)
    record = fake.last_bot_message(alice)
    assert record is not None
    assert len(record.text.encode("utf-16-le")) // 2 == 4096


async def test_the_text_limit_holds_after_entities_parsing(bot: Bot, alice: User) -> None:
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(alice.id, "<i>" + "x" * 4097 + "</i>", parse_mode="HTML")


async def test_captions_hold_1024(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    await bot.send_photo(alice.id, b"\x89PNG", caption="x" * 1024)
    await bot.send_document(alice.id, b"{}", filename="a.json", caption="🏠" * 512)
    for too_long in ("x" * 1025, "🏠" * 512 + "x"):
        with pytest.raises(BadRequest, match="Message caption is too long"):
            await bot.send_photo(alice.id, b"\x89PNG", caption=too_long)
        with pytest.raises(BadRequest, match="Message caption is too long"):
            await bot.send_document(alice.id, b"{}", filename="a.json", caption=too_long)
    assert [m.kind for m in fake.bot_messages(alice)] == ["photo", "document"]


async def test_html_is_displayed_without_tags(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    sent = await bot.send_message(alice.id, "<b>Loyer</b> &lt;payé&gt; &amp; reçu", "HTML")
    record = fake.last_bot_message(alice)
    assert record is not None
    assert (record.text, record.raw_text, record.parse_mode) == (
        "Loyer <payé> & reçu",
        "<b>Loyer</b> &lt;payé&gt; &amp; reçu",
        "HTML",
    )
    assert sent.text_html == "<b>Loyer</b> &lt;payé&gt; &amp; reçu"


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<p>Bonjour</p>", 'unsupported start tag "p" at byte offset 0'),
        ("3 < 4", 'unsupported start tag "" at byte offset 2'),
        ("<b>gras", 'can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("é</b>", "unexpected end tag at byte offset 2"),
        ('<span class="x">s</span>', 'tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_invalid_html_is_refused(bot: Bot, alice: User, html: str, error: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(alice.id, html, parse_mode="HTML")
    # PTB strips "Bad Request: " and capitalize()s the rest of Telegram's description.
    assert caught.value.message == f"Can't parse entities: {error}"


def test_html_parser_follows_telegram() -> None:
    text, entities = parse_html(
        '<a href="telegram.org">lien</a> <pre><code class="language-py">x</code></pre>'
        "<blockquote expandable>q</blockquote> <tg-spoiler>🏟</tg-spoiler>"
    )
    assert text == "lien xq 🏟"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "http://telegram.org/"},
        {"type": "pre", "offset": 5, "length": 1, "language": "py"},
        {"type": "expandable_blockquote", "offset": 6, "length": 1},
        {"type": "spoiler", "offset": 8, "length": 2},
    ]
    assert parse_html("&laquo;&#233;&lt") == ("&laquo;é<", [])
    with pytest.raises(EntityParseError, match="Unclosed start tag at byte offset 4"):
        parse_html("🏟<b")


async def test_markdown_is_accepted_as_is(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    await bot.send_message(alice.id, r"*gras* \.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match="Unsupported parse_mode"):
        await bot.send_message(alice.id, "x", parse_mode="BBCode")
    assert [m.text for m in fake.bot_messages(alice)] == [r"*gras* \."]


async def test_reply_to_a_missing_message(bot: Bot, alice: User) -> None:
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(alice.id, "x", reply_parameters=ReplyParameters(99))
    first = await bot.send_message(alice.id, "first")
    reply = await bot.send_message(alice.id, "x", reply_parameters=ReplyParameters(first.id))
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "first"


# -------------------------------------------------------------------------- keyboards


@pytest.mark.parametrize(
    ("button", "description"),
    [
        ({"text": "Oui", "callback_data": "é" * 33}, "Button_data_invalid"),
        ({"text": "Oui", "callback_data": ""}, "Button_data_invalid"),
        ({"text": "", "callback_data": "yes"}, "Button_text_empty"),
        (
            {"text": "Oui"},
            "Can't parse inline keyboard button: text buttons are unallowed in the inline keyboard",
        ),
    ],
)
async def test_invalid_inline_buttons_are_refused(
    bot: Bot, alice: User, button: dict[str, str], description: str
) -> None:
    markup = {"inline_keyboard": [[button]]}
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(alice.id, "Choisir", reply_markup=markup)
    assert caught.value.message == description


async def test_buttons_up_to_64_bytes_of_data_are_fine(bot: Bot, alice: User) -> None:
    await bot.send_message(alice.id, "Choisir", reply_markup=keyboard(("Oui", "é" * 32)))
    await bot.send_message(alice.id, "Choisir", reply_markup=keyboard(("Oui", "x" * 64)))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(alice.id, "Choisir", reply_markup=keyboard(("Oui", "x" * 65)))


def buttons(count: int, per_row: int = 4) -> InlineKeyboardMarkup:
    each = [InlineKeyboardButton(str(n), callback_data=str(n)) for n in range(count)]
    return InlineKeyboardMarkup([each[i : i + per_row] for i in range(0, count, per_row)])


async def test_a_keyboard_holds_100_buttons(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    sent = await bot.send_message(alice.id, "Choisir", reply_markup=buttons(100))
    with pytest.raises(BadRequest, match="Reply markup is too long"):
        await bot.send_message(alice.id, "Choisir", reply_markup=buttons(101))
    with pytest.raises(BadRequest, match="Reply markup is too long"):
        await bot.send_message(alice.id, "Choisir", reply_markup=buttons(101, per_row=1))
    with pytest.raises(BadRequest, match="Reply markup is too long"):
        await sent.edit_reply_markup(buttons(101))
    with pytest.raises(BadRequest, match="Reply markup is too long"):
        await sent.edit_text("Choisir encore", reply_markup=buttons(101))
    record = fake.last_bot_message(alice)
    assert record is not None
    assert (record.text, len(record.buttons), record.edit_count) == ("Choisir", 100, 0)


# ------------------------------------------------------------------------------ edits


async def test_edit_rules(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    fake.send_text(alice, "un message d'Alice")
    sent = await bot.send_message(alice.id, "Choisir", reply_markup=keyboard(("Oui", "y")))
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=99)
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=1)
    with pytest.raises(BadRequest, match="Message is not modified: specified new message"):
        await bot.edit_message_text(
            "Choisir", chat_id=alice.id, message_id=sent.id, reply_markup=keyboard(("Oui", "y"))
        )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await sent.edit_reply_markup(keyboard(("Oui", "y")))


async def test_edits_hold_the_text_and_caption_limits(
    fake: FakeBotAPI, bot: Bot, alice: User
) -> None:
    text = await bot.send_message(alice.id, "Choisir")
    photo = await bot.send_photo(alice.id, b"\x89PNG", caption="QR code")
    with pytest.raises(BadRequest, match="Message is too long"):
        await text.edit_text("x" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await text.edit_text("🏠" * 2049)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await photo.edit_caption("x" * 1025)
    with pytest.raises(BadRequest, match="There is no caption in the message to edit"):
        await text.edit_caption("légende")
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await photo.edit_text("texte")
    await text.edit_text("x" * 4096)
    await photo.edit_caption("🏠" * 512)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await photo.edit_caption("🏠" * 512)
    assert [(m.text, m.edit_count) for m in fake.bot_messages(alice)] == [
        ("x" * 4096, 1),
        ("🏠" * 512, 1),
    ]


async def test_an_edit_without_markup_removes_the_keyboard(
    fake: FakeBotAPI, bot: Bot, alice: User
) -> None:
    sent = await bot.send_message(alice.id, "Choisir", reply_markup=keyboard(("Oui", "y")))
    edited = await sent.edit_text("Choisir")
    assert edited.reply_markup is None
    record = fake.last_bot_message(alice)
    assert record is not None
    assert (record.reply_markup, record.edit_count) == (None, 1)
    await sent.edit_reply_markup(keyboard(("Non", "n")))
    assert (record.button_labels, record.edit_count) == (["Non"], 2)


async def test_deleted_messages_stay_visible_as_deleted(
    fake: FakeBotAPI, bot: Bot, alice: User
) -> None:
    sent = await bot.send_message(alice.id, "Temporaire")
    assert await sent.delete()
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await sent.delete()
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await sent.edit_text("Retour")
    (record,) = fake.bot_messages(alice, include_deleted=True)
    assert record.deleted
    assert fake.bot_messages(alice) == []
    assert fake.last_bot_message(alice) is None


async def test_delete_messages_skips_what_it_cannot_delete(
    fake: FakeBotAPI, bot: Bot, alice: User
) -> None:
    old = await bot.send_message(alice.id, "Ancien")
    fake.advance(49 * 3600)
    recent = await bot.send_message(alice.id, "Récent")
    assert await bot.delete_messages(alice.id, [old.id, recent.id, 99])
    assert [(m.text, m.deleted) for m in fake.messages(alice)] == [
        ("Ancien", False),
        ("Récent", True),
    ]


async def test_messages_older_than_48_hours_cannot_be_deleted(
    fake: FakeBotAPI, bot: Bot, alice: User
) -> None:
    old = await bot.send_message(alice.id, "Ancien")
    fake.advance(timedelta(hours=47).total_seconds())
    recent = await bot.send_message(alice.id, "Récent")
    fake.advance(timedelta(hours=2).total_seconds())
    with pytest.raises(BadRequest, match="Message can't be deleted for everyone"):
        await old.delete()
    assert await recent.delete()
    assert recent.date.timestamp() - old.date.timestamp() == 47 * 3600


# ---------------------------------------------------------------------- buttons tapped


async def test_tap_by_label_or_data_and_answer_once(
    fake: FakeBotAPI, bot: Bot, alice: User
) -> None:
    sent = await bot.send_message(alice.id, "Choisir", reply_markup=keyboard(("Oui", "y")))
    by_label = fake.tap(alice, sent.id, label="Oui")
    by_data = fake.tap(alice, fake.last_bot_message(alice) or sent.id, "y")
    first, second = (update.callback_query for update in await bot.get_updates())
    assert (first.data, first.from_user.id, first.message.text) == ("y", alice.id, "Choisir")
    assert first.message.reply_markup == keyboard(("Oui", "y"))
    assert await first.answer("Noté", show_alert=True)
    with pytest.raises(BadRequest, match="Query is too old and response timeout expired"):
        await first.answer("Encore")
    with pytest.raises(BadRequest, match="Message_too_long"):
        await second.answer("x" * 201)
    assert fake.callback_query(by_label).answered
    assert not fake.callback_query(by_data).answered
    assert fake.callback_answers[0].show_alert
    assert fake.callback_answer_texts(alice) == ["Noté"]


async def test_unknown_query_id_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("123")


async def test_tapping_a_missing_button_lists_the_buttons(
    fake: FakeBotAPI, bot: Bot, alice: User
) -> None:
    sent = await bot.send_message(
        alice.id, "Choisir", reply_markup=keyboard(("Oui", "y"), ("Non", "n"))
    )
    with pytest.raises(LookupError, match=r"label 'Peut-être'.*\('Oui', 'y'\), \('Non', 'n'\)"):
        fake.tap(alice, sent.id, label="Peut-être")
    await sent.edit_text("Merci")
    with pytest.raises(LookupError, match="no button with callback_data 'y'"):
        fake.tap(alice, sent.id, "y")
    stale = fake.forge_callback(alice, sent.id, "y")
    (update,) = await bot.get_updates()
    assert (update.update_id, update.callback_query.data) == (stale, "y")


# --------------------------------------------------------------------------- commands


async def test_commands_per_scope_and_language(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    await bot.set_my_commands([BotCommand("aide", "Afficher l'aide")], language_code="fr")
    await bot.set_my_commands([BotCommand("help", "Show help")])
    await bot.set_my_commands(
        [("/invite", " Inviter quelqu'un ")], scope=BotCommandScopeChat(alice.id)
    )
    assert fake.commands(language_code="fr") == [
        {"command": "aide", "description": "Afficher l'aide"}
    ]
    assert fake.commands() == [{"command": "help", "description": "Show help"}]
    assert fake.commands(scope={"type": "chat", "chat_id": alice.id}) == [
        {"command": "invite", "description": "Inviter quelqu'un"}
    ]
    assert [c.command for c in await bot.get_my_commands(language_code="fr")] == ["aide"]
    assert await bot.delete_my_commands(language_code="fr")
    assert fake.commands(language_code="fr") == []


@pytest.mark.parametrize(
    ("commands", "language", "description"),
    [
        ([("Aide", "Aide")], "", "Bot_command_invalid"),
        ([("a" * 33, "Aide")], "", "Bot_command_invalid"),
        ([("aide", "")], "", "Bot_command_description_invalid"),
        ([("aide", "x" * 257)], "", "Bot_command_description_invalid"),
        ([(f"c{i}", "x") for i in range(101)], "", "Bot_commands_too_much"),
        ([("aide", "Aide")], "fra", "Invalid language code specified"),
    ],
)
async def test_invalid_commands_are_refused(
    bot: Bot, commands: list[tuple[str, str]], language: str, description: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.set_my_commands(commands, language_code=language or None)
    assert caught.value.message == description


# -------------------------------------------------------------------------- updates


async def test_long_poll_returns_an_update_sent_while_waiting(
    fake: FakeBotAPI, bot: Bot, alice: User
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for(lambda: fake.poll_generation == 1, what="getUpdates received")
    fake.send_text(alice, "Bonjour")
    (update,) = await poll
    assert update.message.text == "Bonjour"
    assert time.monotonic() - started < 2


async def test_offset_confirms_updates(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    first = fake.send_text(alice, "un")
    second = fake.send_text(alice, "deux")
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [first]
    with pytest.raises(TimeoutError, match=f"update {first} confirmed"):
        await fake.wait_confirmed(first, timeout=0.05)
    assert [u.update_id for u in await bot.get_updates(offset=first + 1)] == [second]
    await fake.wait_confirmed(first)
    assert await bot.get_updates(offset=second + 1) == ()
    await fake.wait_confirmed(second)


async def test_allowed_updates_filter_delivery(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    sent = await bot.send_message(alice.id, "Choisir", reply_markup=keyboard(("Oui", "y")))
    fake.tap(alice, sent.id, label="Oui")
    message = fake.send_text(alice, "texte")
    updates = await bot.get_updates(allowed_updates=["message"])
    assert [u.update_id for u in updates] == [message]


async def test_a_second_bot_instance_terminates_the_first_poll(fake: FakeBotAPI, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for(lambda: fake.poll_generation == 1, what="first getUpdates")
    async with loopback_bot(fake) as second_instance:
        await second_instance.get_updates()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_a_short_poll_is_answered_at_once_even_if_another_poll_follows_it(
    fake: FakeBotAPI,
) -> None:
    """PTB's last getUpdates at shutdown (timeout 0) must not be "terminated by" the long poll
    it cancelled, should that one reach the server after it."""
    short = asyncio.create_task(fake.respond(fake.token, "getUpdates", {"timeout": 0}))
    await asyncio.sleep(0)  # the short poll is being answered...
    await fake.respond(fake.token, "getUpdates", {"offset": 1})  # ...when another one comes
    assert (await short).status == 200


async def test_webhook_blocks_get_updates(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    fake.send_text(alice, "en attente")
    with pytest.raises(BadRequest, match="Bad webhook: an https url must be provided"):
        await bot.set_webhook("http://example.org/hook")
    await bot.set_webhook("https://example.org/hook", secret_token="s3cret")
    assert (fake.webhook_url, fake.webhook_secret_token) == ("https://example.org/hook", "s3cret")
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


async def test_webhook_info_close_and_log_out(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    fake.send_text(alice, "en attente")
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("", 1)
    assert await bot.close()
    assert await bot.log_out()


async def test_stop_ends_a_pending_long_poll(fake: FakeBotAPI, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await fake.wait_for(lambda: fake.poll_generation == 1, what="getUpdates received")
    await asyncio.wait_for(fake.stop(), timeout=10)  # well before the 30 s poll
    assert await poll == ()


@pytest.mark.parametrize(
    ("kind", "ptb_filter"),
    [
        ("sticker", filters.Sticker.ALL),
        ("photo", filters.PHOTO),
        ("voice", filters.VOICE),
        ("video", filters.VIDEO),
        ("document", filters.Document.ALL),
        ("location", filters.LOCATION),
        ("contact", filters.CONTACT),
    ],
)
async def test_media_match_ptb_filters(
    fake: FakeBotAPI, bot: Bot, alice: User, kind: str, ptb_filter: filters.BaseFilter
) -> None:
    fake.send_media(alice, kind)
    (update,) = await bot.get_updates()
    assert ptb_filter.check_update(update)
    assert not filters.TEXT.check_update(update)
    assert fake.messages(alice)[-1].kind == kind


async def test_user_edits_arrive_as_edited_messages(
    fake: FakeBotAPI, bot: Bot, alice: User
) -> None:
    fake.send_text(alice, "/start")
    fake.edit_user_message(alice, 1, "/aide")
    _, update = await bot.get_updates()
    assert update.edited_message.text == "/aide"
    assert update.edited_message.edit_date is not None


async def test_photos_keep_their_bytes_and_file_ids(
    fake: FakeBotAPI, bot: Bot, alice: User
) -> None:
    sent = await bot.send_photo(
        alice.id, b"\x89PNG-quittance", caption="<i>Quittance</i>", parse_mode="HTML"
    )
    again = await bot.send_photo(alice.id, sent.photo[-1].file_id)
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await bot.send_photo(alice.id, "not-a-file-id")
    first, second = fake.bot_messages(alice)
    assert (first.kind, first.text, first.photo) == ("photo", "Quittance", b"\x89PNG-quittance")
    assert second.photo == b"\x89PNG-quittance"
    assert again.caption is None


async def test_chat_action_and_menu_button_are_accepted(bot: Bot, alice: User) -> None:
    assert await bot.send_chat_action(alice.id, "typing")
    assert await bot.set_chat_menu_button()
    with pytest.raises(BadRequest, match="Wrong parameter action in request"):
        await bot.send_chat_action(alice.id, "dancing")


# ----------------------------------------------------------------------------- faults


async def test_flood_wait_is_a_retry_after(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    fake.inject_fault("sendMessage", "429", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "hello")
    assert caught.value.retry_after in (7, timedelta(seconds=7))
    await bot.send_message(alice.id, "hello")
    assert [m.text for m in fake.bot_messages(alice)] == ["hello"]


@pytest.mark.parametrize("kind", ["500", "502"])
async def test_server_errors_are_network_errors(
    fake: FakeBotAPI, bot: Bot, alice: User, kind: str
) -> None:
    fake.inject_fault("SENDMESSAGE", kind, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(alice.id, "hello")
    await bot.send_message(alice.id, "hello")
    assert len(fake.bot_messages(alice)) == 1


async def test_faults_can_target_one_chat(fake: FakeBotAPI, bot: Bot, alice: User) -> None:
    bob = fake.add_user(first_name="Bob")
    fake.start_chat(bob)
    fake.inject_fault("sendMessage", "403", chat_id=bob.id)
    await bot.send_message(alice.id, "pour Alice")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(bob.id, "pour Bob")


async def test_timeout_fault_happens_but_answers_too_late(
    fake: FakeBotAPI, bot: Bot, alice: User
) -> None:
    fake.inject_fault("sendMessage", "timeout", delay=0.5)
    with pytest.raises(TimedOut):
        await bot.send_message(alice.id, "envoyé quand même", read_timeout=0.1)
    assert [m.text for m in fake.bot_messages(alice)] == ["envoyé quand même"]


def test_unknown_faults_are_refused(fake: FakeBotAPI) -> None:
    with pytest.raises(ValueError, match="unknown method"):
        fake.inject_fault("sendCarrierPigeon", "500")


# ------------------------------------------------------------------ a whole application


async def test_a_ptb_application_runs_against_the_fake(fake: FakeBotAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("Bonjour !", reply_markup=keyboard(("Merci", "thanks")))

    async def thanks(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("Avec plaisir")
        await update.callback_query.edit_message_text("Bonne journée")

    application = ApplicationBuilder().token(fake.token).base_url(fake.base_url).build()
    application.add_handlers([CommandHandler("start", start), CallbackQueryHandler(thanks)])
    alice = fake.add_user(first_name="Alice")
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        fake.send_text(alice, "/start")
        await fake.wait_for(lambda: fake.last_bot_message(alice) is not None, what="a reply")
        fake.tap(alice, 2, label="Merci")
        await fake.wait_for(lambda: fake.callback_answer_texts(alice) == ["Avec plaisir"])
        await fake.wait_for(lambda: fake.messages(alice)[1].text == "Bonne journée")
        await application.updater.stop()
        await application.stop()
    assert fake.messages(alice)[1].reply_markup is None
