"""Top-ups and scheduled refills end to end: the simulated panel over HTTP, a clock the test
moves, the real commands; and `smm refresh --detailed-exitcode`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from runner.state import model
from tests.conftest import Runner, Sim, write_campaign

ORDER = "{id: f, service: 1, link: https://instagram.com/a, quantity: 1000, on_partial: reorder}"


def rows(run: Runner) -> dict[str, dict[str, Any]]:
    result = run("status", "--json")
    assert result.code == 0, result.err
    return {o["address"]: o for o in json.loads(result.out)["orders"]}


def test_a_partial_order_is_topped_up_once(run: Runner, clocked: tuple[Sim, list[float]]) -> None:
    sim, clock = clocked
    sim.panel.partial_rate = 1.0
    write_campaign("c", [ORDER], extra="budget: 5\n")
    assert run("apply", "--auto-approve").code == 0
    sim.panel.partial_rate = 0.0
    # While it runs: no top-up.
    clock[0] += 6
    assert "c/f+1" not in run("plan", "--json").out
    clock[0] += 3600
    assert run("refresh", "--detailed-exitcode").code == 0  # a top-up is to come: no person
    first = rows(run)["c/f"]
    assert first["status"] == "Partial"
    missing = first["ordered"] - first["delivered"]
    plan = json.loads(run("plan", "--json").out)
    (topup,) = [a for a in plan["actions"] if a["address"] == "c/f+1"]
    assert topup["action"] == "create" and topup["units"] == missing
    assert f"{missing} missing" in topup["reason"]
    text = run("plan").out
    assert "+ create" in text and "c/f+1" in text
    assert run("apply", "--auto-approve").code == 0
    # Placed: the next plans never top up the same shortfall again.
    again = json.loads(run("plan", "--json").out)["actions"]
    assert [a["action"] for a in again] == ["no-op", "no-op"]
    clock[0] += 3600
    assert run("refresh").code == 0
    now = rows(run)
    assert now["c/f+1"]["status"] == "Completed" and now["c/f+1"]["topup_of"] == "c/f"
    assert now["c/f"]["topups"] == ["c/f+1"]
    assert now["c/f"]["delivered_with_topups"] == 1000
    assert "1000/1000 (with 1 top-up)" in run("status").out
    report = json.loads(run("report", "--format", "json", "-o", "r.html").out)
    (shown,) = [o for o in report["orders"] if o["address"] == "c/f"]
    assert shown["topups"] == ["c/f+1"] and shown["delivered_with_topups"] == 1000
    assert "with c/f+1" in Path("r.html").read_text()
    plan = json.loads(run("plan", "--json").out)
    assert [a["action"] for a in plan["actions"]] == ["no-op", "no-op"]
    assert not [c for c in plan["checks"] if c["level"] == "error"]
    assert run("refresh", "--detailed-exitcode").code == 0
    assert len(sim.orders()) == 2


def test_without_reorder_a_partial_order_needs_a_person(
    run: Runner, clocked: tuple[Sim, list[float]]
) -> None:
    sim, clock = clocked
    sim.panel.partial_rate = 1.0
    write_campaign("c", [ORDER.replace(", on_partial: reorder", "")])
    assert run("apply", "--auto-approve").code == 0
    clock[0] += 3600
    result = run("refresh", "--detailed-exitcode")
    assert result.code == 2, result.out + result.err
    assert "Needs a person:" in result.out and "c/f: ended Partial" in result.out
    shown = json.loads(run("refresh", "--detailed-exitcode", "--json").out)
    assert shown["needs_a_person"][0].startswith("c/f: ended Partial")
    assert run("refresh").code == 0  # without the flag: 0
    report = json.loads(run("report", "--format", "json", "-o", "r.html").out)
    (needs,) = report["attention"]
    assert needs["address"] == "c/f" and needs["kind"] == "outcome"
    assert needs["why"].startswith("ended Partial, ")


def test_topups_used_up_need_a_person(run: Runner, clocked: tuple[Sim, list[float]]) -> None:
    sim, clock = clocked
    sim.panel.partial_rate = 1.0
    write_campaign("c", [ORDER.replace("reorder}", "reorder, max_topups: 1}")])
    assert run("apply", "--auto-approve").code == 0
    clock[0] += 3600
    assert run("refresh", "--detailed-exitcode").code == 0
    assert run("apply", "--auto-approve").code == 0  # the top-up, partial too
    clock[0] += 3600
    result = run("refresh", "--detailed-exitcode")
    assert result.code == 2
    assert "all 1 top-ups are used" in result.out
    assert "c/f+2" not in run("plan", "--json").out


def test_stuck_pending_needs_a_person(
    run: Runner, clocked: tuple[Sim, list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    with open("smm.yaml", "a") as f:
        f.write("stuck_after: 30m\n")
    write_campaign("c", [ORDER])
    assert run("apply", "--auto-approve").code == 0
    assert run("refresh", "--detailed-exitcode").code == 0
    # An hour later on this machine's clock; the panel has not moved: still Pending.
    later = time.time() + 3600
    monkeypatch.setattr(model, "wall", lambda: later)
    result = run("refresh", "--detailed-exitcode")
    assert result.code == 2, result.out
    assert "Pending since" in result.out


def test_scheduled_refills(
    run: Runner, clocked: tuple[Sim, list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, clock = clocked
    moment = [time.time()]  # this machine's clock, as the state reads it
    monkeypatch.setattr(model, "wall", lambda: moment[0])
    order = (
        "{id: f, service: 1, link: https://instagram.com/a, quantity: 100, "
        "auto_refill: {every: 1h, for: 3h}}"
    )
    write_campaign("c", [order])
    assert run("apply", "--auto-approve").code == 0
    clock[0] += 600
    assert run("refresh").code == 0
    assert rows(run)["c/f"]["status"] == "Completed"
    plan = json.loads(run("plan", "--json").out)
    assert plan["actions"][0]["action"] == "no-op"
    assert "next refill due" in plan["actions"][0]["reason"]
    moment[0] += 3600
    plan = json.loads(run("plan", "--json").out)
    assert plan["actions"][0]["action"] == "refill"
    assert run("apply", "--auto-approve").code == 0
    assert len(rows(run)["c/f"]["refills"]) == 1
    plan = json.loads(run("plan", "--json").out)
    assert plan["actions"][0]["action"] == "no-op"  # asked this period


def test_validate_checks_the_outcome_fields(run: Runner) -> None:
    bad = [
        "{id: a, service: 2, link: https://x/a, comments: [Hi], on_partial: reorder}",
        "{id: b, service: 1, link: https://x/b, quantity: 100, max_topups: 3}",
        "{id: c, service: 1, link: https://x/c, quantity: 100, auto_refill: {every: 7d, for: 1d}}",
        "{id: d, service: 1, link: https://x/d, quantity: 100, auto_refill: {every: 7, for: 1d}}",
        "{id: e, service: 1, link: https://x/e, quantity: 100, on_partial: always}",
        "{id: f, service: 1, link: https://x/f, quantity: 100, on_partial: reorder, cancel: true}",
    ]
    write_campaign("c", bad)
    result = run("validate")
    assert result.code == 1
    said = result.out + result.err
    for line, message in (
        (4, "on_partial: reorder needs an order with a quantity"),
        (5, "max_topups needs on_partial: reorder"),
        (6, "auto_refill every 7d is longer than for 1d"),
        (7, "auto_refill.every: must be a string"),
        (8, "on_partial"),
        (9, "cannot ask for both cancel and on_partial: reorder"),
    ):
        assert any(f"campaigns/c.yaml:{line}:" in x and message in x for x in said.splitlines()), (
            line,
            said,
        )


def test_on_partial_in_defaults(run: Runner, clocked: tuple[Sim, list[float]]) -> None:
    sim, clock = clocked
    sim.panel.partial_rate = 1.0
    write_campaign(
        "c",
        ["{id: f, service: 1, link: https://instagram.com/a, quantity: 1000}"],
        extra="defaults: {on_partial: reorder, max_topups: 1}\n",
    )
    assert run("apply", "--auto-approve").code == 0
    clock[0] += 3600
    assert run("refresh").code == 0
    plan = json.loads(run("plan", "--json").out)
    assert [a["address"] for a in plan["actions"] if a["action"] == "create"] == ["c/f+1"]


def test_a_topup_whose_answer_was_lost_is_never_placed_twice(
    run: Runner, clocked: tuple[Sim, list[float]]
) -> None:
    sim, clock = clocked
    sim.panel.partial_rate = 1.0
    write_campaign("c", [ORDER])
    assert run("apply", "--auto-approve").code == 0
    sim.panel.partial_rate = 0.0
    clock[0] += 3600
    assert run("refresh").code == 0
    sim.faults.queue("drop_after", action="add")
    result = run("apply", "--auto-approve", "--no-reconcile")
    assert result.code == 1
    plan = json.loads(run("plan", "--json", "--no-reconcile").out)
    (lost,) = [a for a in plan["actions"] if a["address"] == "c/f+1"]
    assert lost["action"] == "in-doubt"
    assert not [a for a in plan["actions"] if a["action"] == "create"]
    # A person settles it: the top-up's order, imported at its own address.
    order_id = max(int(str(o["order"])) for o in sim.orders())
    imported = run("state", "import", "c/f+1", str(order_id), "--yes")
    assert imported.code == 0, imported.err
    plan = json.loads(run("plan", "--json").out)
    assert [a["action"] for a in plan["actions"]] == ["no-op", "no-op"]
    assert len(sim.orders()) == 2
