"""The fake Bot API without its sockets: a PTB request that hands each call to the fake in
this process, for measuring a bot's own work with the network stubbed out (benchmarks).

Parameters are decoded as the HTTP server decodes them (`request_params`), so a bot talking
through this request sees the same answers as one talking HTTP to `FakeBotAPI.base_url`.
"""

import json
from typing import Any

from telegram.request import BaseRequest, RequestData

from playground.fakebotapi.server import FakeBotAPI, decode_value
from playground.fakebotapi.world import FILE_NAME


class InProcessRequest(BaseRequest):
    """`ApplicationBuilder().request(...)` and `.get_updates_request(...)` take one each."""

    def __init__(self, fake: FakeBotAPI) -> None:
        self._fake = fake

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open: there is no connection."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *_timeouts: Any,
        **_named_timeouts: Any,
    ) -> tuple[int, bytes]:
        # url: <base_url><token>/<method>, as PTB builds it.
        token, _, api_method = url.rpartition("/bot")[2].partition("/")
        reply = await self._fake.respond(token, api_method, _params(request_data))
        return reply.status, json.dumps(reply.body).encode()


def _params(request_data: RequestData | None) -> dict[str, Any]:
    if request_data is None:
        return {}
    params = {
        name: decode_value(name, value) for name, value in request_data.json_parameters.items()
    }
    if request_data.contains_files:
        for name, (filename, content, *_mime) in request_data.multipart_data.items():
            data = content.read() if hasattr(content, "read") else content  # bytes or a file
            params[name], params[f"{name}{FILE_NAME}"] = data, filename
    return params
