"""The HTTP face of the simulated panel, shared by the in-process transport and the server.

``SimEndpoint.respond(body, ...)`` turns one request (its body, content type and query
string) into a ``Reply`` (status, headers, bytes), ``DROP`` (close the connection without
answering) or ``TIMEOUT`` (the client gave up waiting), applying the fault plan.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Final

from runner.sim.engine import SimPanel
from runner.sim.faults import BEFORE, FaultPlan
from runner.sim.forms import decode
from runner.sim.limiter import Limiter

CDN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    b"<body><h1>Checking your browser before accessing the panel.</h1></body></html>"
)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


DROP: Final = "drop"  # the connection closes without an answer
TIMEOUT: Final = "timeout"  # the client's read timeout passed before the answer


def _sleep_until(moment: float) -> None:
    remaining = moment - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)


def _json(status: int, value: object) -> Reply:
    return Reply(status, json.dumps(value).encode(), {"Content-Type": "application/json"})


class SimEndpoint:
    """A panel endpoint: faults (the network and the CDN in front) and the panel's rate
    limit around a ``SimPanel``."""

    def __init__(
        self, panel: SimPanel, faults: FaultPlan | None = None, limiter: Limiter | None = None
    ) -> None:
        self.panel = panel
        self.faults = faults or FaultPlan()
        self.limiter = limiter
        self.requests = 0
        self.in_flight = 0
        self.most_in_flight = 0  # the most requests it was answering at once
        self.limited = 0  # answered 429 by the rate limit (not by an injected fault)
        self.by_action: dict[str, int] = {}
        self._count = threading.Lock()

    def stats(self) -> dict[str, object]:
        with self._count:
            return {
                "requests": self.requests,
                "in_flight": self.in_flight,
                "most_in_flight": self.most_in_flight,
                "limited": self.limited,
                "by_action": dict(self.by_action),
            }

    def respond(
        self,
        body: bytes,
        arrived: float | None = None,
        *,
        content_type: str | None = None,
        query: str = "",
        deadline: float | None = None,
    ) -> Reply | str:
        """The answer to one request (parameters as ``forms.decode`` reads them);
        ``arrived`` (time.monotonic()) starts the latency (by default: now).  Past
        ``deadline`` (time.monotonic()), the client has stopped waiting: ``TIMEOUT``, at the
        deadline, and the request may well have been processed."""
        with self._count:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            form = decode(body, content_type, query)
            start = time.monotonic() if arrived is None else arrived
            return self._respond(form, start, deadline)
        finally:
            with self._count:
                self.in_flight -= 1

    def _respond(self, form: dict[str, str], arrived: float, deadline: float | None) -> Reply | str:
        action = form.get("action", "")
        with self._count:
            self.requests += 1
            self.by_action[action] = self.by_action.get(action, 0) + 1
        reply = self._answer(form, action)
        answer_at = time.monotonic()
        if self.faults.latency_ms and (
            self.faults.actions is None or action in self.faults.actions
        ):
            # The latency is the time to answer, the panel's own work included: a client
            # can reach the ideal of N requests x latency, and a benchmark measures it.
            answer_at = max(answer_at, arrived + self.faults.latency_ms / 1000.0)
        if deadline is not None and answer_at > deadline and reply != DROP:
            _sleep_until(deadline)
            return TIMEOUT
        _sleep_until(answer_at)
        return reply

    def _answer(self, form: dict[str, str], action: str) -> Reply | str:
        fault = self.faults.pick(action)
        if fault in BEFORE:
            if fault == "drop_before":
                return DROP
            if fault == "rate_limit":
                return Reply(
                    429,
                    b"Too Many Requests",
                    {"Retry-After": str(self.faults.retry_after), "Content-Type": "text/plain"},
                )
            if fault == "server_error":
                return Reply(
                    500,
                    b"<html><body>500 Internal Server Error</body></html>",
                    {"Content-Type": "text/html"},
                )
            return Reply(403, CDN_PAGE, {"Content-Type": "text/html"})
        wait = None if self.limiter is None else self.limiter.admit(form.get("key", ""))
        if wait is not None:
            with self._count:
                self.limited += 1
            return Reply(
                429,
                json.dumps({"error": "Too many requests. Please try again later."}).encode(),
                {"Retry-After": str(wait), "Content-Type": "application/json"},
            )
        status, value = self.panel.handle(form)
        if fault == "drop_after":
            return DROP
        reply = _json(status, value)
        if fault == "bad_json":
            return Reply(status, reply.body[: max(1, len(reply.body) // 2)], reply.headers)
        return reply

    def inspect(self, everyone: bool = False) -> bytes:
        """The orders of every account (other customers' too with ``everyone``)."""
        return json.dumps(self.panel.orders(everyone=everyone)).encode()
