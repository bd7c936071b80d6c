"""The simulated panel served over real HTTP on 127.0.0.1, with a clock each test moves,
and a plain urllib client (no smm code between the test and the panel)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from runner.sim.engine import SimPanel
from runner.sim.faults import FaultPlan
from runner.sim.server import BackgroundServer
from runner.sim.wire import SimEndpoint

KEY_A = "key-of-alice-0123456789"
KEY_B = "key-of-bob-9876543210"
START = 1_000_000.0


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Panel:
    panel: SimPanel
    endpoint: SimEndpoint
    url: str
    clock: list[float] = field(default_factory=lambda: [START])

    @property
    def base(self) -> str:
        return self.url.removesuffix("/api/v2")

    def send(
        self,
        body: bytes | None = None,
        *,
        method: str = "POST",
        path: str = "/api/v2",
        content_type: str = "application/x-www-form-urlencoded",
    ) -> Answer:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return Answer(reply.status, dict(reply.headers), reply.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return Answer(exc.code, dict(exc.headers), exc.read())

    def call(self, key: str, action: str, **params: object) -> Any:
        """One API request, urlencoded POST as the panel documents it; the JSON answer."""
        form = {"key": key, "action": action, **{k: str(v) for k, v in params.items()}}
        answer = self.send(urllib.parse.urlencode(form).encode())
        assert answer.status == 200, answer
        return answer.json()

    def add(self, key: str, service: int = 1, **params: object) -> int:
        params = {"link": f"https://instagram.com/u{self.clock[0]}", "quantity": 100, **params}
        answer = self.call(key, "add", service=service, **params)
        assert "order" in answer, answer
        return int(answer["order"])

    def inspect(self, query: str = "") -> list[dict[str, Any]]:
        answer = self.send(method="GET", path="/_sim/orders" + query)
        assert answer.status == 200
        data: list[dict[str, Any]] = answer.json()
        return data

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = self.send(method="GET", path="/_sim/stats").json()
        return data


PanelFactory = Callable[..., Panel]


@pytest.fixture
def make_panel() -> Iterator[PanelFactory]:
    """Start simulated panels: ``make_panel(others_rate=2, ...)`` (SimPanel's options;
    other customers off unless asked for, so ids are predictable)."""
    opened: list[tuple[BackgroundServer, SimPanel]] = []

    def make(
        faults: FaultPlan | None = None, endpoint: dict[str, Any] | None = None, **options: Any
    ) -> Panel:
        clock = [START]
        options.setdefault("others_rate", 0.0)
        panel = SimPanel(options.pop("path", ":memory:"), clock=lambda: clock[0], **options)
        sim_endpoint = SimEndpoint(panel, faults or FaultPlan(), **(endpoint or {}))
        server = BackgroundServer(sim_endpoint).__enter__()
        opened.append((server, panel))
        return Panel(panel, sim_endpoint, server.url, clock)

    yield make
    for server, panel in opened:
        server.__exit__(None, None, None)
        panel.close()


@pytest.fixture
def panel(make_panel: PanelFactory) -> Panel:
    return make_panel()
