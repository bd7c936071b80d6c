"""Every lost answer resolvable, and never resolved wrongly: idempotency keys, and
evidence from another account.  Against the simulator over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.sim.engine import SimPanel
from runner.sim.faults import FaultPlan
from runner.sim.server import BackgroundServer
from runner.sim.wire import SimEndpoint
from tests.conftest import Runner, Sim, http_project, write_campaign


@pytest.fixture
def project(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    return sim


def declare(text: str) -> None:
    Path("smm.yaml").write_text(Path("smm.yaml").read_text() + f"    {text}\n")


def distinct(n: int) -> list[str]:
    return [
        f"{{id: o{i}, service: 1, link: https://instagram.com/r{i}, quantity: {100 + 10 * i}}}"
        for i in range(n)
    ]


def seed(run: Runner) -> None:
    write_campaign("seed", ["{id: s, service: 1, link: https://instagram.com/seed, quantity: 500}"])
    assert run("apply", "--auto-approve", "campaigns/seed.yaml").code == 0


def records(run: Runner) -> dict[str, dict[str, Any]]:
    data = json.loads(run("state", "export").out)
    return {o["address"]: o for o in data["orders"]}


def once_each(sim: Sim) -> dict[str, int]:
    links = [str(o["link"]) for o in sim.orders()]
    assert len(links) == len(set(links)), "a link ordered twice"
    return {str(o["link"]): int(str(o["order"])) for o in sim.orders()}


def keys_sent(sim: Sim) -> list[str]:
    rows = sim.panel.store.db.execute("SELECT key FROM meta WHERE key LIKE 'request_id:%'")
    return [str(r[0]) for r in rows]


def test_an_in_doubt_add_is_sent_again_with_the_same_key(run: Runner, project: Sim) -> None:
    declare("idempotency: request_id")
    write_campaign("c", distinct(3))
    # the first answer is lost after the order was made: no window needed at all
    project.faults.queue("drop_after", action="add")
    result = run("apply", "--auto-approve", "--parallelism", "1", "campaigns/c.yaml")
    assert result.code == 0, result.out + result.err
    assert "c/o0: sent again with the same request_id" in result.out
    held = once_each(project)
    state = records(run)
    assert {r["phase"] for r in state.values()} == {"placed"}
    assert state["c/o0"]["order_id"] == held["https://instagram.com/r0"]
    assert len(keys_sent(project)) == 3
    assert project.endpoint.by_action["add"] == 4  # o0 twice, with one key


def test_the_plan_says_the_add_will_be_sent_again(run: Runner, project: Sim) -> None:
    declare("idempotency: request_id")
    seed(run)
    write_campaign("c", distinct(2))
    project.faults.queue("drop_before", action="add")  # never reached the panel
    run("apply", "--auto-approve", "--parallelism", "1", "--no-reconcile", "campaigns/c.yaml")
    assert records(run)["c/o0"]["phase"] == "in_doubt"
    before = records(run)
    plan = run("plan", "campaigns/c.yaml")
    assert "c/o0: will be sent again with the same request_id" in plan.out
    assert "+ create    c/o0" in plan.out
    assert records(run) == before  # a plan records nothing
    applied = run("apply", "--auto-approve", "campaigns/c.yaml")
    assert applied.code == 0, applied.out + applied.err
    once_each(project)
    assert records(run)["c/o0"]["phase"] == "placed"


def test_a_key_declared_after_the_add_went_out_without_one_is_not_trusted(
    run: Runner, project: Sim
) -> None:
    """The add that was lost carried no key: sending it again could order twice."""
    seed(run)
    write_campaign("c", distinct(1))
    project.faults.queue("drop_after", action="add")
    run("apply", "--auto-approve", "--no-reconcile", "campaigns/c.yaml")
    declare("idempotency: request_id")
    found = json.loads(run("reconcile", "--dry-run", "--json").out)
    assert [d["verdict"] for d in found["decisions"]] != ["resend"]
    run("apply", "--auto-approve", "campaigns/c.yaml")
    once_each(project)


def test_the_simulator_answers_a_repeated_key_with_the_order_it_made(project: Sim) -> None:
    form = {
        "key": "k",
        "action": "add",
        "service": "1",
        "link": "https://instagram.com/x",
        "quantity": "100",
        "request_id": "abc",
    }
    first = project.panel.handle(form)
    again = project.panel.handle(form)
    other = project.panel.handle({**form, "request_id": "def", "link": "https://x.com/y"})
    assert first == again and first[1]["order"] != other[1]["order"]
    assert len(project.orders()) == 2
    balance = project.panel.handle({"key": "k", "action": "balance"})[1]["balance"]
    fresh = project.panel.handle({"key": "k2", "action": "balance"})[1]["balance"]
    assert float(fresh) - float(balance) == pytest.approx(0.18)  # charged twice, not three


@pytest.fixture
def second() -> Iterator[Sim]:
    """Another provider: its ids are far lower."""
    panel = SimPanel(":memory:", speed=60.0, seed=11)
    endpoint = SimEndpoint(panel, FaultPlan(seed=11))
    with BackgroundServer(endpoint) as server:
        yield Sim(panel, endpoint, server.url)
    panel.close()


def test_ids_of_another_account_under_the_same_name_prove_nothing(
    run: Runner, project: Sim, second: Sim
) -> None:
    """The panel's URL changed under the same name (ids around 10,000 after 50,000): the
    old account's ids neither bound nor empty a window of the new one."""
    with project.panel.store.write():
        project.panel.store.skip_ids("next_order", 30_000)
    seed(run)
    assert records(run)["seed/s"]["order_id"] > 50_000
    Path("smm.yaml").write_text(Path("smm.yaml").read_text().replace(project.url, second.url))
    write_campaign("c", distinct(3))
    second.faults.queue("drop_after", action="add")
    result = run("apply", "--auto-approve", "--parallelism", "1", "campaigns/c.yaml")
    held = once_each(second)
    state = records(run)
    # never placed twice; never "proven absent" from the other account's ids
    assert all(
        r["order_id"] < 50_000 for a, r in state.items() if a.startswith("c/") and r["order_id"]
    )
    if state["c/o0"]["phase"] == "placed":
        assert state["c/o0"]["order_id"] == held["https://instagram.com/r0"]
    else:
        assert result.code == 1
        assert "c/o0: still in doubt" in result.out
