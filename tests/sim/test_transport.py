"""The in-process ``sim://`` transport keeps the panel's ``timeout:`` as a real connection
does: an answer slower than the timeout is a read timeout, after the request was processed
(in doubt), exactly as over HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from runner.errors import OutcomeUnknown
from runner.sim.engine import SimPanel
from runner.sim.faults import FaultPlan
from runner.sim.transport import SimTransport
from runner.sim.wire import SimEndpoint
from runner.workflows.connect import open_client
from runner.workflows.context import Context
from tests.conftest import Runner, write_campaign, write_project
from tests.sim.conftest import KEY_A

ADD = {"key": KEY_A, "action": "add", "service": "1", "link": "https://x.com/a", "quantity": "100"}


def endpoint(latency_ms: float) -> SimEndpoint:
    panel = SimPanel(":memory:", others_rate=0)
    return SimEndpoint(panel, FaultPlan(latency_ms=latency_ms))


def test_a_slow_answer_is_a_read_timeout_after_the_order_was_placed() -> None:
    sim = endpoint(latency_ms=2000)
    with (
        httpx.Client(transport=SimTransport(sim), timeout=0.05) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post("http://sim.invalid/api/v2", data=ADD)
    assert len(sim.panel.orders()) == 1  # processed: the client is in doubt
    sim.panel.close()


def test_an_answer_within_the_timeout_comes_after_the_latency() -> None:
    sim = endpoint(latency_ms=150)
    with httpx.Client(transport=SimTransport(sim), timeout=5) as client:
        started = time.monotonic()
        answer = client.post("http://sim.invalid/api/v2", data=ADD).json()
        waited = time.monotonic() - started
    assert "order" in answer and waited >= 0.15
    sim.panel.close()


def test_no_timeout_waits_for_the_answer() -> None:
    sim = endpoint(latency_ms=100)
    with httpx.Client(transport=SimTransport(sim), timeout=None) as client:
        assert "order" in client.post("http://sim.invalid/api/v2", data=ADD).json()
    sim.panel.close()


def project(timeout: str, latency_ms: int) -> Context:
    fields = {"url": f'"sim://demo?latency_ms={latency_ms}&others_rate=0"', "timeout": timeout}
    write_project(Path.cwd(), {"demo": fields})
    return Context()


def test_smms_client_on_sim_url_is_in_doubt_past_its_timeout() -> None:
    ctx = project("0.1", latency_ms=1500)
    with (
        open_client(ctx.project, ctx.project.panel("demo")) as client,
        pytest.raises(OutcomeUnknown, match="timed out"),
    ):
        client.add(1, {"link": "https://instagram.com/a", "quantity": 100})
    data = SimPanel(Path(".smm/sim/demo.db"), others_rate=0)
    assert len(data.orders()) == 1  # placed once: add is never repeated when in doubt
    data.close()


def test_apply_on_a_slow_sim_url_leaves_the_order_in_doubt(run: Runner) -> None:
    url = '"sim://demo?latency_ms=1500&fault_actions=add&others_rate=0"'  # slow adds only
    write_project(Path.cwd(), {"demo": {"url": url, "timeout": "0.1"}})
    write_campaign("c", ["{id: a, service: 1, link: https://x.com/a, quantity: 100}"])
    result = run("apply", "--auto-approve")
    assert result.code == 1
    plan = json.loads(run("plan", "--json").out)
    assert [a["action"] for a in plan["actions"]] == ["in-doubt"]
    data = SimPanel(Path(".smm/sim/demo.db"), others_rate=0)
    assert len(data.orders()) == 1  # the order exists: in doubt is the truth
    data.close()
