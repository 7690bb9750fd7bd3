"""HTTP transport serving the fake Telegram to a real python-telegram-bot client.

The bot under test talks HTTP to this loopback server exactly as it talks to
api.telegram.org (PTB's ``base_url``), so request encoding, error mapping, timeouts and
long polling are all exercised for real. The server runs inside the test's own event loop,
letting tests act on the shared `TelegramWorld` state between the bot's requests.
"""

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPServerRequest
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from playground.fakebotapi.world import (
    EPOCH,
    FILE_NAME,
    JSON,
    POLL_CONFLICT,
    Params,
    Reply,
    TelegramWorld,
)

# Parameters kept as strings: PTB sends every str raw (only other types are JSON-encoded),
# so decoding these as JSON would turn a text "123" into a number.
TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "inline_message_id",
        "parse_mode",
        "description",
        "short_description",
        "secret_token",
        "url",
        "ip_address",
        "language_code",
        "name",
        "query",
        "emoji",
        "action",
        "title",
        "photo",
        "document",
        "video",
        "audio",
        "voice",
        "sticker",
        "animation",
        "business_connection_id",
        "message_effect_id",
    }
)

# How long the tests wait for the bot by default (seconds).
PATIENCE = 120.0


class FakeBotAPI(TelegramWorld):
    """The fake Telegram plus its HTTP server: ``await start()``, point PTB at `base_url`."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "relais_test_bot",
        first_name: str = "Relais",
        epoch: float = EPOCH,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(token, bot_username, first_name, epoch, clock)
        self.port = 0
        self._server: HTTPServer | None = None
        self._closing = False
        self._in_flight = 0
        self._changed = asyncio.Event()
        self.subscribe(self._wake)

    @property
    def base_url(self) -> str:
        """What PTB wants as ``base_url``: it appends the token and the method name."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0, routes: Sequence[tuple] = ()) -> None:
        """Listen on a loopback port (0: a free one), in the running event loop; `routes`
        serve more pages beside the Bot API (the playground's web chat)."""
        sockets = bind_sockets(port, "127.0.0.1")
        api = (r"/bot([^/]*)/([^/]*)", _BotApiHandler, {"fake": self})
        self._server = HTTPServer(Application([api, *routes], log_function=_no_access_log))
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        self._closing = False

    async def stop(self) -> None:
        """Close the server; pending long polls and held answers end at once."""
        if self._server is None:
            return
        self._closing = True
        self._wake()
        self._server.stop()
        await self._until(lambda: self._in_flight == 0, 5.0)
        await self._server.close_all_connections()
        self._server = None

    # `timeout=` is the API the tests read best; the TimeoutError names what was awaited. The
    # default is a deadline a busy shared machine meets: only a bot that is stuck reaches it.
    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = PATIENCE,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        """Wait until `predicate()` holds, re-checking after each change in the world."""
        if not await self._until(predicate, timeout):
            raise TimeoutError(f"{what} still false after {timeout} s")

    async def wait_confirmed(self, update_id: int, timeout: float = PATIENCE) -> None:  # noqa: ASYNC109
        """Wait until the bot asked for updates past `update_id`, i.e. it has received it."""
        what = (
            f"update {update_id} confirmed (last getUpdates offset: {self.confirmed_offset}; "
            "is the bot polling this server?)"
        )
        await self.wait_for(lambda: self.confirmed_offset > update_id, timeout, what)

    async def deliver_to_webhook(self, address: str, secret: str | None) -> list[int]:
        """Post the queued updates to `address`, as Telegram posts them to WEBHOOK_URL and a
        reverse proxy forwards them, with `secret` in X-Telegram-Bot-Api-Secret-Token.

        Returns each update's HTTP status; an update answered 200 leaves the queue, any
        other stays (Telegram would try it again).
        """
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        statuses = []
        async with httpx.AsyncClient(timeout=10) as client:
            for update in list(self._updates):
                answer = await client.post(address, json=update.to_api(), headers=headers)
                statuses.append(answer.status_code)
                if answer.status_code == 200:
                    self._confirm(update.update_id + 1)
        return statuses

    async def respond(self, token: str, method: str, params: Params) -> Reply:
        """Answer one HTTP request, long polling and held (timeout fault) answers included."""
        if token != self.token:
            return Reply.error(401, "Unauthorized")
        self._in_flight += 1
        try:
            reply = self.handle(method, params)
            if method.lower() == "getupdates" and reply.body.get("result") == []:
                reply = await self._long_poll(params)
            if reply.delay > 0:
                await self._until(lambda: self._closing, reply.delay)
            return reply
        finally:
            self._in_flight -= 1
            self._wake()

    async def _long_poll(self, params: Params) -> Reply:
        generation = self.poll_generation
        limit = params.get("limit")
        timeout = params.get("timeout")
        seconds = float(timeout) if isinstance(timeout, int | float) else 0.0
        if seconds <= 0:  # short polling answers at once: no later request can supersede it
            return Reply.ok([])

        def ready() -> bool:
            superseded = self.poll_generation != generation
            return self._closing or superseded or bool(self.pending_updates(limit))

        await self._until(ready, seconds)
        if self.poll_generation != generation and not self._closing:
            return Reply.error(409, POLL_CONFLICT)
        return Reply.ok(self.pending_updates(limit))

    def _wake(self) -> None:
        """Wake every waiter; each re-checks its own condition."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _until(self, predicate: Callable[[], bool], seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                while not predicate():
                    await self._changed.wait()
        except TimeoutError:
            return predicate()
        return True


class _BotApiHandler(RequestHandler):
    def initialize(self, fake: FakeBotAPI) -> None:
        self._fake = fake

    async def get(self, token: str, method: str) -> None:
        reply = await self._fake.respond(token, method, request_params(self.request))
        self.set_status(reply.status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(reply.body))

    async def post(self, token: str, method: str) -> None:
        await self.get(token, method)


def request_params(request: HTTPServerRequest) -> JSON:
    """Decode a Bot API request: query string, form, multipart (files as bytes) or JSON."""
    if request.headers.get("Content-Type", "").startswith("application/json"):
        return _json_object(request.body)
    params = {
        name: decode_value(name, values[-1].decode()) for name, values in request.arguments.items()
    }
    for name, files in request.files.items():
        params[name] = files[0].body
        params[f"{name}{FILE_NAME}"] = files[0].filename
    return params


def decode_value(name: str, raw: str) -> Any:
    """PTB JSON-encodes every non-str value; strings, and "@channel" chat ids, come raw."""
    if name in TEXT_FIELDS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _json_object(body: bytes) -> JSON:
    try:
        decoded = json.loads(body or b"{}")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _no_access_log(handler: RequestHandler) -> None:
    """Tornado logs every request by default; the calls log is the better record."""
