"""An httpx transport that answers from an in-process simulated panel (``sim://NAME``)."""

from __future__ import annotations

import httpx

from runner.sim.wire import DROP, SimEndpoint


class SimTransport(httpx.BaseTransport):
    def __init__(self, endpoint: SimEndpoint) -> None:
        self.endpoint = endpoint

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply = self.endpoint.respond(
            request.read(),
            content_type=request.headers.get("Content-Type"),
            query=request.url.query.decode("ascii", "replace"),
        )
        if reply == DROP or isinstance(reply, str):
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(
            reply.status, headers=reply.headers, content=reply.body, request=request
        )
