"""Review: a panel whose `status` answer for the probed window is not an honest
"Incorrect order ID" per id must never let reconciliation prove an existing order absent."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from runner.sim.engine import SimPanel
from runner.sim.faults import FaultPlan
from runner.sim.server import BackgroundServer
from runner.sim.wire import Reply, SimEndpoint, _json
from tests.conftest import Runner, Sim, StoreClock, http_project, write_campaign

Lie = Callable[[list[int], dict[str, Any]], object]


class LyingEndpoint(SimEndpoint):
    """The simulator, except that a status call for several ids is answered by ``lie``
    (given the ids asked for and the honest answer) once ``lie`` is set."""

    lie: Lie | None = None
    adds: list[str] = []

    def _answer(self, form: dict[str, str], action: str) -> Reply | str:
        if action == "add":
            self.adds = [*self.adds, form.get("link", "")]
        reply = super()._answer(form, action)
        if self.lie is None or action != "status" or "orders" not in form:
            return reply
        assert isinstance(reply, Reply)
        ids = [int(i) for i in form["orders"].split(",")]
        return _json(200, self.lie(ids, json.loads(reply.body)))


@pytest.fixture
def liar(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sim, LyingEndpoint]]:
    panel = SimPanel(":memory:", speed=60.0, seed=7)
    endpoint = LyingEndpoint(panel, FaultPlan(seed=7))
    with BackgroundServer(endpoint) as server:
        sim = Sim(panel, endpoint, server.url)
        http_project(sim, monkeypatch)
        yield sim, endpoint
    panel.close()


def distinct(n: int) -> list[str]:
    return [
        f"{{id: o{i}, service: 1, link: https://instagram.com/r{i}, quantity: {100 + 10 * i}}}"
        for i in range(n)
    ]


def lose_one(run: Runner, sim: Sim, clock: StoreClock) -> int:
    """o0's add is processed by the panel but its answer is lost; returns its real id."""
    write_campaign("seed", ["{id: s, service: 1, link: https://instagram.com/seed, quantity: 500}"])
    assert run("apply", "--auto-approve", "campaigns/seed.yaml").code == 0
    write_campaign("c", distinct(3))
    sim.faults.queue("drop_after", action="add")
    run("apply", "--auto-approve", "--parallelism", "1", "--no-reconcile", "campaigns/c.yaml")
    clock.advance(1.0)  # past the settle time (0.3 s)
    state = json.loads(run("state", "export").out)
    phases = {o["address"]: o["phase"] for o in state["orders"]}
    assert phases["c/o0"] == "in_doubt"
    (lost,) = [
        int(str(o["order"])) for o in sim.orders() if o["link"] == "https://instagram.com/r0"
    ]
    return lost


def placed_r0(endpoint: LyingEndpoint) -> int:
    """How many times an add for o0 reached the panel (the sim refuses a duplicate link
    while the first is active; a real panel need not)."""
    return endpoint.adds.count("https://instagram.com/r0")


def empty_object(ids: list[int], honest: dict[str, Any]) -> object:
    return {}


def other_shape(ids: list[int], honest: dict[str, Any]) -> object:
    # HTTP 200 with a message the panel means as "try later": no `error` key
    return {"message": "Too many requests, slow down"}


def empty_error(ids: list[int], honest: dict[str, Any]) -> object:
    return {"error": ""}


def comma_charge(ids: list[int], honest: dict[str, Any]) -> object:
    # A panel that formats money with a decimal comma: the entry is unreadable
    out = dict(honest)
    for k, v in honest.items():
        if isinstance(v, dict) and "charge" in v:
            out[k] = {**v, "charge": str(v["charge"]).replace(".", ",")}
    return out


def no_status_field(ids: list[int], honest: dict[str, Any]) -> object:
    out = dict(honest)
    for k, v in honest.items():
        if isinstance(v, dict) and "status" in v:
            out[k] = {kk: vv for kk, vv in v.items() if kk != "status"}
    return out


def list_shape(ids: list[int], honest: dict[str, Any]) -> object:
    # keyed by position-less list entries with an `order` field inside
    return {"orders": [{"order": k, **v} for k, v in honest.items() if isinstance(v, dict)]}


@pytest.mark.parametrize(
    "lie", [empty_object, other_shape, empty_error, comma_charge, no_status_field, list_shape]
)
def test_a_status_answer_that_says_nothing_proves_nothing(
    run: Runner, liar: tuple[Sim, LyingEndpoint], lie: Lie, store_clock: StoreClock
) -> None:
    sim, endpoint = liar
    lose_one(run, sim, store_clock)
    endpoint.lie = lie
    result = run("apply", "--auto-approve")
    endpoint.lie = None
    assert placed_r0(endpoint) == 1, result.out + result.err


def hide_own_once(told: list[int]) -> Lie:
    """The first status call for several ids that holds an own order answers it as none
    (a passing hiccup, a status lagging behind its order); honest from then on.  The ids
    it hid go to ``told``."""

    def lie(ids: list[int], honest: dict[str, Any]) -> object:
        own = [k for k, v in honest.items() if isinstance(v, dict) and "status" in v]
        if told or not own:
            return honest
        told.extend(int(k) for k in own)
        return {**honest, **{k: {"error": "Incorrect order ID"} for k in own}}

    return lie


def test_one_wrong_answer_in_a_survey_moves_no_order(
    run: Runner, liar: tuple[Sim, LyingEndpoint], store_clock: StoreClock
) -> None:
    """Look-alikes: o0's add is made by the panel (answer lost), o1's never reaches it;
    the survey before o1 is answered with o0's order as "Incorrect order ID" once.  Taken
    as proof, it would give o0's order to o1 (another link) and place o0 again; asked
    again, the order is there: o0 imports it, o1 is placed, no link is ordered twice."""
    sim, endpoint = liar
    write_campaign("seed", ["{id: s, service: 1, link: https://instagram.com/seed, quantity: 500}"])
    assert run("apply", "--auto-approve", "campaigns/seed.yaml").code == 0
    write_campaign(
        "c",
        [
            f"{{id: o{i}, service: 1, link: https://instagram.com/s{i}, quantity: 100}}"
            for i in range(3)
        ],
    )
    sim.faults.queue("drop_after", action="add")
    sim.faults.queue("drop_before", action="add")
    hidden: list[int] = []
    endpoint.lie = hide_own_once(hidden)
    run("apply", "--auto-approve", "--parallelism", "1", "--no-reconcile", "campaigns/c.yaml")
    endpoint.lie = None
    store_clock.advance(1.0)
    made = {str(o["link"]): int(str(o["order"])) for o in sim.orders()}
    first = made["https://instagram.com/s0"]
    assert "https://instagram.com/s1" not in made
    assert first in hidden  # the panel did answer o0's order wrongly, once

    def orders() -> dict[str, dict[str, Any]]:
        return {o["address"]: o for o in json.loads(run("state", "export").out)["orders"]}

    assert first in orders()["c/o1"]["spec"]["survey"]["own"]  # the second read saw it
    found = json.loads(run("reconcile", "--json").out)
    verdicts = {d["address"]: (d["verdict"], d["order_id"]) for d in found["decisions"]}
    assert verdicts == {"c/o0": ("import", first), "c/o1": ("absent", None)}
    assert run("apply", "--auto-approve", "campaigns/c.yaml").code == 0
    links = [str(o["link"]) for o in sim.orders()]
    assert len(links) == len(set(links)) == 4  # seed, s0, s1, s2: each once
    assert orders()["c/o0"]["order_id"] == first
