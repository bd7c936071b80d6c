"""Renaming without re-ordering: ``moved:`` in a campaign file and ``smm state mv``.  The
order keeps its panel order, its spend, its refills and its history; nothing is ordered
again, whatever the path (plan then apply, a saved plan, state mv)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import Sim, followers, http_project, typed, write_campaign


@pytest.fixture
def placed(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    sim.panel.speed = 0.001
    write_campaign("c", followers(2), "budget: 5.00\n")
    assert typed("apply", "--auto-approve").code == 0
    return sim


def addresses() -> dict[str, int]:
    data = json.loads(typed("state", "export").out)
    return {o["address"]: o["order_id"] for o in data["orders"]}


def renamed(moved: str, extra_orders: list[str] | None = None) -> Path:
    """Campaign c with o0 now called first, and a moved: block."""
    orders = [
        "{id: first, service: 1, link: https://instagram.com/u0, quantity: 100}",
        *followers(1, start=1),
        *(extra_orders or []),
    ]
    return write_campaign("c", orders, f"budget: 5.00\nmoved:\n{moved}")


def test_moved_entry_renames_without_ordering_again(placed: Sim) -> None:
    before = addresses()
    held = len(placed.orders())
    renamed("  - {from: o0, to: first}\n")
    plan = typed("plan")
    assert plan.code == 0, plan.err
    assert f"> move      c/o0 -> c/first (order {before['c/o0']})" in plan.out
    assert "+ create" not in plan.out and "orphan" not in plan.out
    assert "Plan: 1 to move, 0 to create, 0 to refill, 0 to cancel." in plan.out
    assert typed("plan", "--detailed-exitcode").code == 2  # a move is a change
    doc = json.loads(typed("plan", "--json").out)
    assert doc["moves"] == [{"from": "c/o0", "to": "c/first", "order_id": before["c/o0"]}]
    applied = typed("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 1 record moved. Spent 0.00 USD." in applied.out
    assert len(placed.orders()) == held  # nothing ordered again
    after = addresses()
    assert after == {"c/first": before["c/o0"], "c/o1": before["c/o1"]}
    shown = json.loads(typed("state", "show", "c/first", "--json").out)
    assert [e["kind"] for e in shown["events"]][:2] == ["submitting", "placed"]
    assert shown["events"][-1] == {**shown["events"][-1], "kind": "moved"}
    assert shown["spec"]["address"] == "c/first"
    # The entry may stay in the file: the next plans have nothing to do.
    again = typed("plan", "--detailed-exitcode")
    assert again.code == 0 and "Plan: 0 to create, 0 to refill, 0 to cancel." in again.out
    spent = json.loads(typed("status", "--json").out)["campaigns"][0]["spent"]
    assert spent == "0.18"  # the spend moved with the order


def test_a_saved_plan_carries_its_moves(placed: Sim) -> None:
    held = len(placed.orders())
    renamed("  - {from: o0, to: first}\n")
    assert typed("plan", "-o", "plan.json").code == 0
    assert "c/o0 -> c/first" in typed("show", "plan.json").out
    applied = typed("apply", "plan.json")
    assert applied.code == 0, applied.err
    assert "c/first" in addresses() and len(placed.orders()) == held
    # Saved again before the move, applied after it: stale, refused.
    assert typed("apply", "plan.json").code == 1


def test_move_to_a_recorded_address_is_an_error(placed: Sim) -> None:
    """o0 and o1 are both recorded: o0 cannot take o1's address; nothing moves, and the
    error is at the entry, with what to do."""
    before = addresses()
    path = write_campaign("c", followers(1, start=1), "moved:\n  - {from: o0, to: o1}\n")
    result = typed("plan")
    assert result.code == 1
    expected = f"c/o0 cannot move to c/o1: c/o1 is recorded too (order {before['c/o1']})"
    assert any(
        line.strip().startswith(f"{path}:") and expected in line for line in result.out.splitlines()
    ), result.out
    assert "Plan: 1 error; nothing will be applied." in result.out
    assert typed("apply", "--auto-approve").code == 1
    assert addresses() == before


def test_moved_entries_are_checked_where_they_are_written(placed: Sim) -> None:
    path = renamed(
        "  - {from: o0, to: nowhere}\n"
        "  - {from: o1, to: first}\n"
        "  - {from: gone, to: first}\n"
        "  - {from: gone, to: first}\n"
        "  - {from: BAD ID, to: first}\n"
    )
    result = typed("validate")
    assert result.code == 1
    lines = result.out.splitlines()
    assert any(
        line.startswith(f"{path}:") and "'nowhere' is not an order of this file" in line
        for line in lines
    ), result.out
    assert any("'o1' is still an order of this file" in line for line in lines), result.out
    assert any("c/gone is moved twice (first at line" in line for line in lines), result.out
    assert any("must be an order id, or <campaign>/<order id>" in line for line in lines)
    assert all(re.match(r"^campaigns/c\.yaml:\d+:\d+: ", line) for line in lines[:-1])


def test_two_records_for_one_new_name_is_refused(placed: Sim) -> None:
    """o0 and o1 both recorded, both named as first's old name: refused, nothing moves."""
    write_campaign(
        "c",
        ["{id: first, service: 1, link: https://instagram.com/u0, quantity: 100}"],
        "budget: 5.00\nmoved:\n  - {from: o0, to: first}\n  - {from: o1, to: first}\n",
    )
    result = typed("apply", "--auto-approve")
    assert result.code == 1
    assert "are both recorded and both named as c/first's old name" in result.out
    assert set(addresses()) == {"c/o0", "c/o1"}


def test_move_from_another_campaign(placed: Sim) -> None:
    held = len(placed.orders())
    write_campaign("c", followers(1, start=1), "budget: 5.00\n")
    write_campaign(
        "d",
        ["{id: adopted, service: 1, link: https://instagram.com/u0, quantity: 100}"],
        "moved:\n  - {from: c/o0, to: adopted}\n",
    )
    plan = typed("plan")
    assert "> move      c/o0 -> d/adopted" in plan.out, plan.out
    assert typed("apply", "--auto-approve").code == 0
    assert "d/adopted" in addresses() and "c/o0" not in addresses()
    assert len(placed.orders()) == held


def test_state_mv_an_address_and_a_whole_campaign(placed: Sim) -> None:
    held = len(placed.orders())
    before = addresses()
    refused = typed("state", "mv", "c/o0", "c/first")
    assert refused.code == 1 and "--auto-approve" in refused.err  # no terminal to ask on
    assert typed("state", "mv", "c/o0", "c/o1", "--auto-approve").code == 1  # taken
    moved = typed("state", "mv", "c/o0", "c/first", "--auto-approve")
    assert moved.code == 0, moved.err
    assert f"c/o0 -> c/first (order {before['c/o0']})" in moved.out
    assert "or the next plan orders the old names again" in moved.out
    whole = typed("state", "mv", "c", "launch", "--auto-approve")
    assert whole.code == 0, whole.err
    assert addresses() == {"launch/first": before["c/o0"], "launch/o1": before["c/o1"]}
    assert typed("state", "mv", "c/x", "y").code == 1  # an address and a campaign
    assert typed("state", "mv", "nothing", "other", "--auto-approve").code == 1
    assert len(placed.orders()) == held


def test_state_mv_asks_on_a_terminal_and_only_yes_moves(placed: Sim) -> None:
    import os

    from tests.conftest import REPO
    from tests.terminal import Terminal

    env = {**os.environ, "PYTHONPATH": str(REPO), "TERM": "xterm"}
    term = Terminal(["state", "mv", "c/o0", "c/first"], Path.cwd(), env)
    term.expect("Only 'yes' will be accepted:")
    term.type("y\r")  # not yes
    assert term.wait() == 1 and "cancelled: nothing was changed" in term.text
    assert "c/o0" in addresses()
    term = Terminal(["state", "mv", "c/o0", "c/first"], Path.cwd(), env)
    term.expect("Move 1 record from c/o0 to c/first? Nothing is ordered or sent.")
    term.type("yes\r")
    assert term.wait() == 0, term.text
    assert "c/first" in addresses()


def test_an_old_name_another_file_still_orders_is_refused(placed: Sim) -> None:
    """Moved away while its own campaign still orders it, it would be ordered again."""
    held = len(placed.orders())
    write_campaign(
        "d",
        ["{id: adopted, service: 1, link: https://instagram.com/u0, quantity: 100}"],
        "moved:\n  - {from: c/o0, to: adopted}\n",
    )
    result = typed("apply", "--auto-approve")
    assert result.code == 1
    assert "c/o0 is still an order of its campaign file: remove it there" in result.out
    assert "c/o0" in addresses() and len(placed.orders()) == held
