"""An httpx transport that answers from an in-process simulated panel (``sim://NAME``).

It keeps the request's read timeout as a real connection does: an answer later than
the timeout (the simulated latency) is an ``httpx.ReadTimeout``, after the request was
processed, so the client is in doubt exactly as over HTTP.
"""

from __future__ import annotations

import time

import httpx

from runner.sim.wire import DROP, TIMEOUT, SimEndpoint


class SimTransport(httpx.BaseTransport):
    def __init__(self, endpoint: SimEndpoint) -> None:
        self.endpoint = endpoint

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        timeouts = request.extensions.get("timeout") or {}
        read = timeouts.get("read")
        reply = self.endpoint.respond(
            request.read(),
            started,
            content_type=request.headers.get("Content-Type"),
            query=request.url.query.decode("ascii", "replace"),
            deadline=None if read is None else started + float(read),
        )
        if reply == TIMEOUT:
            raise httpx.ReadTimeout("timed out", request=request)
        if reply == DROP or isinstance(reply, str):
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(
            reply.status, headers=reply.headers, content=reply.body, request=request
        )
