"""A survey between look-alikes against a panel that answers one of its reads wrongly:
one wrong "no such order" moves no order to another link and has none placed twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from runner.sim.engine import SimPanel
from runner.sim.faults import FaultPlan
from runner.sim.server import BackgroundServer
from runner.sim.wire import Reply, SimEndpoint, _json
from tests.conftest import Runner, Sim, StoreClock, http_project, write_campaign


class Liar(SimEndpoint):
    """The simulator, except that while ``armed`` the first status call for several ids
    that holds an own order answers it as none (once: a panel's passing hiccup)."""

    armed = False

    def _answer(self, form: dict[str, str], action: str) -> Reply | str:
        reply = super()._answer(form, action)
        ids = form.get("orders", "").split(",")
        if not self.armed or action != "status" or len(ids) < 2:
            return reply
        assert isinstance(reply, Reply)
        honest = json.loads(reply.body)
        own = [k for k, v in honest.items() if isinstance(v, dict) and "status" in v]
        if not own:
            return reply
        self.armed = False  # once
        return _json(200, {**honest, **{k: {"error": "Incorrect order ID"} for k in own}})


@pytest.fixture
def liar(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sim, Liar]]:
    panel = SimPanel(":memory:", speed=60.0, seed=7)
    endpoint = Liar(panel, FaultPlan(seed=7))
    with BackgroundServer(endpoint) as server:
        sim = Sim(panel, endpoint, server.url)
        http_project(sim, monkeypatch)
        yield sim, endpoint
    panel.close()


def identical(n: int) -> list[str]:
    return [
        f"{{id: o{i}, service: 1, link: https://instagram.com/s{i}, quantity: 100}}"
        for i in range(n)
    ]


def state(run: Runner) -> dict[str, dict[str, Any]]:
    return {o["address"]: o for o in json.loads(run("state", "export").out)["orders"]}


def test_one_wrong_answer_in_a_survey_moves_no_order(
    run: Runner, liar: tuple[Sim, Liar], store_clock: StoreClock
) -> None:
    """o0's add is made by the panel (answer lost), o1's never reaches it; the survey
    before o1 is answered with o0's order as "Incorrect order ID" once (status lag, a
    hiccup).  Taken as proof, it would give o0's order to o1 (another link) and place
    o0 again; asked again, the order is there: o0 imports it, o1 is placed."""
    sim, endpoint = liar
    write_campaign("seed", ["{id: s, service: 1, link: https://instagram.com/seed, quantity: 500}"])
    assert run("apply", "--auto-approve", "campaigns/seed.yaml").code == 0
    write_campaign("c", identical(3))
    sim.faults.queue("drop_after", action="add")
    sim.faults.queue("drop_before", action="add")
    endpoint.armed = True
    run("apply", "--auto-approve", "--parallelism", "1", "--no-reconcile", "campaigns/c.yaml")
    assert not endpoint.armed  # the panel did answer wrongly once
    store_clock.advance(1.0)
    made = {str(o["link"]): int(str(o["order"])) for o in sim.orders()}
    first = made["https://instagram.com/s0"]
    assert "https://instagram.com/s1" not in made
    assert first in state(run)["c/o1"]["spec"]["survey"]["own"]  # the second read saw it
    found = json.loads(run("reconcile", "--json").out)
    verdicts = {d["address"]: (d["verdict"], d["order_id"]) for d in found["decisions"]}
    assert verdicts == {"c/o0": ("import", first), "c/o1": ("absent", None)}
    assert run("apply", "--auto-approve", "campaigns/c.yaml").code == 0
    links = [str(o["link"]) for o in sim.orders()]
    assert sorted(links) == sorted({*links}) and len(links) == 4  # seed, s0, s1, s2: once
    orders = state(run)
    assert orders["c/o0"]["order_id"] == first
    assert made["https://instagram.com/s2"] == orders["c/o2"]["order_id"]
