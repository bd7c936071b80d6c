"""Review: an imported order's id is no evidence of when its answer "arrived": its
record keeps the lost attempt's times, yet `windows` uses it as a lower bound for every
order sent after the lost attempt gave up."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from runner.sim.engine import SimPanel
from runner.sim.faults import FaultPlan
from runner.sim.server import BackgroundServer
from runner.sim.wire import SimEndpoint
from tests.conftest import SECRET_KEY, Runner, Sim, StoreClock, http_project, write_campaign


def phases(run: Runner) -> dict[str, str]:
    return {o["address"]: o["phase"] for o in json.loads(run("state", "export").out)["orders"]}


def count(sim: Sim, link: str) -> int:
    return sum(1 for o in sim.orders() if o["link"] == link)


def test_a_person_import_of_a_later_order_proves_an_existing_order_absent(
    run: Runner, monkeypatch: pytest.MonkeyPatch, store_clock: StoreClock
) -> None:
    shift = [0.0]  # the panel's clock runs ahead with the state's: no real wait
    panel = SimPanel(":memory:", speed=60.0, seed=7, clock=lambda: time.time() + shift[0])
    endpoint = SimEndpoint(panel, FaultPlan(seed=7))
    with BackgroundServer(endpoint) as server:
        sim = Sim(panel, endpoint, server.url)
        http_project(sim, monkeypatch)
        person_import_scenario(run, sim, shift, store_clock)
    panel.close()


def person_import_scenario(
    run: Runner, sim: Sim, shift: list[float], store_clock: StoreClock
) -> None:
    write_campaign("seed", ["{id: s, service: 1, link: https://instagram.com/seed, quantity: 500}"])
    assert run("apply", "--auto-approve", "campaigns/seed.yaml").code == 0
    # a/o: the request never reached the panel (answer lost before it): in doubt
    write_campaign("a", ["{id: o, service: 1, link: https://instagram.com/a, quantity: 100}"])
    sim.faults.queue("drop_before", action="add")
    run("apply", "--auto-approve", "--no-reconcile", "campaigns/a.yaml")
    # b/d: placed by the panel, answer lost: in doubt
    write_campaign("b", ["{id: d, service: 1, link: https://instagram.com/b, quantity: 200}"])
    sim.faults.queue("drop_after", action="add")
    run("apply", "--auto-approve", "--no-reconcile", "campaigns/b.yaml")
    assert phases(run) == {"seed/s": "placed", "a/o": "in_doubt", "b/d": "in_doubt"}
    assert count(sim, "https://instagram.com/b") == 1
    # The person looks at the panel, sees no order for a/o, places it by hand ...
    answer = httpx.post(
        sim.url,
        data={
            "key": SECRET_KEY,
            "action": "add",
            "service": "1",
            "link": "https://instagram.com/a",
            "quantity": "100",
        },
    ).json()
    manual = int(answer["order"])
    # ... and records it, as the README says (it exists: checked with the panel)
    imported = run("state", "import", "a/o", str(manual), "--yes")
    assert imported.code == 0, imported.out + imported.err
    shift[0] += 3  # settled; other customers take ids meanwhile
    store_clock.advance(3)
    # a later order bounds b/d's window from above
    write_campaign("c", ["{id: x, service: 1, link: https://instagram.com/c, quantity: 300}"])
    assert run("apply", "--auto-approve", "--no-reconcile", "campaigns/c.yaml").code == 0
    result = run("reconcile", "--json")
    decisions = {d["address"]: d for d in json.loads(result.out)["decisions"]}
    assert decisions["b/d"]["verdict"] != "absent", decisions["b/d"]


def test_an_import_by_reconcile_shrinks_a_later_window_past_its_order(
    run: Runner, monkeypatch: pytest.MonkeyPatch, store_clock: StoreClock
) -> None:
    """a/o's request times out at 1 s; the panel creates its order at 2 s (within the
    settle time of 3 s). b/d, sent at ~1.1 s, is created at once, so its id is lower.
    Reconciling a first imports a/o; then b/d's window starts above a/o's id."""
    from runner.sim.wire import Reply

    release = threading.Event()  # a/o's add leaves the busy worker's queue
    processed = threading.Event()

    class Slow(SimEndpoint):
        def _answer(self, form: dict[str, str], action: str) -> Reply | str:
            if action == "add" and form.get("link") == "https://instagram.com/a":
                # queued on a busy worker; processed after the client gave up
                assert release.wait(60), "never released"
                try:
                    return super()._answer(form, action)
                finally:
                    processed.set()
            return super()._answer(form, action)

    panel = SimPanel(":memory:", speed=60.0, seed=7, others_rate=2)
    endpoint = Slow(panel, FaultPlan(seed=7))
    with BackgroundServer(endpoint) as server:
        sim = Sim(panel, endpoint, server.url)
        http_project(sim, monkeypatch, settle="3")
        from pathlib import Path

        Path("smm.yaml").write_text(Path("smm.yaml").read_text() + "    timeout: 1\n")
        write_campaign(
            "seed", ["{id: s, service: 1, link: https://instagram.com/seed, quantity: 500}"]
        )
        assert run("apply", "--auto-approve", "campaigns/seed.yaml").code == 0
        write_campaign("a", ["{id: o, service: 1, link: https://instagram.com/a, quantity: 100}"])
        write_campaign("b", ["{id: d, service: 1, link: https://instagram.com/b, quantity: 200}"])
        run("apply", "--auto-approve", "--no-reconcile", "campaigns/a.yaml")
        sim.faults.queue("drop_after", action="add")
        run("apply", "--auto-approve", "--no-reconcile", "campaigns/b.yaml")
        release.set()
        assert processed.wait(60)
        store_clock.advance(3.5)  # both lost answers settled (settle_seconds: 3)
        write_campaign("c", ["{id: x, service: 1, link: https://instagram.com/c, quantity: 300}"])
        assert run("apply", "--auto-approve", "--no-reconcile", "campaigns/c.yaml").code == 0
        ids = {str(o["link"]): int(str(o["order"])) for o in sim.orders()}
        assert ids["https://instagram.com/b"] < ids["https://instagram.com/a"]  # the setup
        first = run("reconcile", "campaigns/a.yaml")
        assert "a/o: imported" in first.out, first.out + first.err
        second = run("reconcile", "--json", "campaigns/b.yaml")
        (decision,) = json.loads(second.out)["decisions"]
        assert decision["verdict"] != "absent", decision
    panel.close()
