"""A panel that changes its mind about how an order ended: Partial, then Completed (a
refund reversed), then Partial again; and `remains` it cannot mean.  The order is topped
up once, for one shortfall; the receiver hears of it once; nonsense orders nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from runner.sim.engine import SimPanel
from runner.sim.faults import FaultPlan
from runner.sim.server import BackgroundServer
from runner.sim.wire import Reply, SimEndpoint, _json
from runner.state import model
from tests.conftest import Runner, Sim, http_project, write_campaign
from tests.notify.receiver import Receiver, receiver

ORDER = "{id: f, service: 1, link: https://instagram.com/a, quantity: 1000, on_partial: reorder}"


class FlippingEndpoint(SimEndpoint):
    """The simulator, except that the status of the orders in ``says`` is what it holds."""

    says: dict[int, dict[str, str]] = {}

    def _answer(self, form: dict[str, str], action: str) -> Reply | str:
        reply = super()._answer(form, action)
        if action != "status" or not self.says:
            return reply
        assert isinstance(reply, Reply)
        honest: dict[str, Any] = json.loads(reply.body)
        if "orders" in form:
            for key in honest:
                honest[key] = self.says.get(int(key), honest[key])
            return _json(200, honest)
        return _json(200, self.says.get(int(form["order"]), honest))


@pytest.fixture
def flipping(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Sim, FlippingEndpoint, list[float], Receiver]]:
    clock = [1_000_000.0]
    panel = SimPanel(":memory:", speed=60, seed=5, clock=lambda: clock[0])
    endpoint = FlippingEndpoint(panel, FaultPlan())
    with BackgroundServer(endpoint) as server, receiver() as hook:
        sim = Sim(panel, endpoint, server.url)
        http_project(sim, monkeypatch)
        with open("smm.yaml", "a") as f:
            f.write(f"notify:\n  - url: json://127.0.0.1:{hook.port}/x\n    events: [partial]\n")
        yield sim, endpoint, clock, hook
    panel.close()


def status_of(run: Runner, address: str) -> str:
    rows = json.loads(run("status", "--json").out)["orders"]
    return str(next(r["status"] for r in rows if r["address"] == address))


def said(status: str, remains: int) -> dict[str, str]:
    return {"status": status, "remains": str(remains), "charge": "0.5", "currency": "USD"}


def test_partial_completed_partial_is_one_topup_and_one_message(
    run: Runner,
    flipping: tuple[Sim, FlippingEndpoint, list[float], Receiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim, endpoint, clock, hook = flipping
    real = time.time()
    hours = [-14.0]  # this machine's clock, as the state reads it: each step 7 hours on,
    monkeypatch.setattr(model, "wall", lambda: real + hours[0] * 3600)  # so refresh re-asks
    write_campaign("c", [ORDER])
    assert run("apply", "--auto-approve").code == 0
    (placed,) = sim.orders()
    first = int(str(placed["order"]))
    clock[0] += 3600  # done on the panel; what it says of it is another matter
    endpoint.says = {first: said("Partial", 570)}
    assert run("refresh").code == 0
    assert run("apply", "--auto-approve").code == 0  # the top-up, for 570
    assert len(sim.orders()) == 2
    clock[0] += 3600  # the top-up completes
    hours[0] = -7.0
    endpoint.says = {first: said("Completed", 0)}
    assert run("refresh").code == 0
    assert status_of(run, "c/f") == "Completed"  # asked again, and recorded
    assert run("apply", "--auto-approve").code == 0
    hours[0] = 0.0
    endpoint.says = {first: said("Partial", 570)}
    assert run("refresh").code == 0
    assert status_of(run, "c/f") == "Partial"
    plan = json.loads(run("plan", "--json").out)
    assert [a["action"] for a in plan["actions"]] == ["no-op", "no-op"]
    assert run("apply", "--auto-approve").code == 0
    assert len(sim.orders()) == 2
    assert hook.titles == ["smm: c/f ended Partial"]


@pytest.mark.parametrize("remains", [5000, -40])
def test_remains_it_cannot_mean_orders_nothing(
    run: Runner, flipping: tuple[Sim, FlippingEndpoint, list[float], Receiver], remains: int
) -> None:
    sim, endpoint, clock, _hook = flipping
    write_campaign("c", [ORDER])
    assert run("apply", "--auto-approve").code == 0
    clock[0] += 3600
    (placed,) = sim.orders()
    endpoint.says = {int(str(placed["order"])): said("Partial", remains)}
    assert run("refresh").code == 0
    plan = json.loads(run("plan", "--json").out)
    assert [a["action"] for a in plan["actions"]] == ["no-op"]
    assert run("apply", "--auto-approve").code == 0
    assert len(sim.orders()) == 1
    status = run("refresh", "--detailed-exitcode")
    if remains > 1000:
        assert status.code == 2 and "5000 remain of 1000 ordered" in status.out
    else:
        assert status.code == 0
