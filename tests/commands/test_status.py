"""`smm refresh` and `smm status` while orders progress on the simulated panel over HTTP."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from tests.conftest import Runner, Sim, write_campaign

ORDERS = [
    "{id: big, service: 1, link: https://instagram.com/a, quantity: 1000, refills: 1}",
    "{id: drip, service: 3, link: https://instagram.com/p/1, quantity: 100,"
    " drip_feed: {runs: 3, interval: 10}}",
    "{id: talk, service: 2, link: https://instagram.com/p/2, comments: [Nice, Wow]}",
]


def statuses(run: Runner) -> dict[str, dict[str, Any]]:
    result = run("status", "--json")
    assert result.code == 0, result.err
    return {o["address"]: o for o in json.loads(result.out)["orders"]}


def test_refresh_and_status_follow_delivery(run: Runner, clocked: tuple[Sim, list[float]]) -> None:
    sim, clock = clocked
    write_campaign("c", ORDERS, extra="budget: 5\n")
    assert run("apply", "--auto-approve").code == 0
    assert {a: o["status"] for a, o in statuses(run).items()} == {
        "c/big": None,
        "c/drip": None,
        "c/talk": None,
    }
    clock[0] += 6  # 6 sim-minutes: past pending, part-way through
    result = run("refresh", "--json")
    assert result.code == 0
    assert json.loads(result.out) == {
        "orders": 3,
        "refills": 0,
        "item_errors": 0,
        "panel_errors": [],
    }
    assert sim.endpoint.by_action["status"] == 1  # one batch for three orders
    now = statuses(run)
    assert now["c/big"]["status"] == "In progress"
    assert now["c/big"]["delivered"] == 500 and now["c/big"]["ordered"] == 1000
    assert now["c/drip"]["delivered"] == 100 and now["c/drip"]["ordered"] == 300
    assert now["c/talk"]["charge"] == "0.025"
    clock[0] += 3600
    assert run("status", "--refresh", "--json").code == 0
    done = statuses(run)
    assert {a: o["status"] for a, o in done.items()} == {
        "c/big": "Completed",
        "c/drip": "Completed",
        "c/talk": "Completed",
    }
    assert done["c/drip"]["delivered"] == 300
    campaigns = json.loads(run("status", "--json").out)["campaigns"]
    # 0.9 + 0.03704 (0.037035 rounded to the panel's 5 decimals) + 0.025
    assert campaigns == [{"campaign": "c", "spent": "0.96204", "budget": "5", "currency": "USD"}]
    # the refill, then its status: a list of objects, times as ISO 8601
    assert run("apply", "--auto-approve").code == 0
    (refill,) = statuses(run)["c/big"]["refills"]
    assert refill["status"] is None and isinstance(refill["refill_id"], int)
    assert statuses(run)["c/big"]["refills_open"] is True
    clock[0] += 3600
    assert json.loads(run("refresh", "--json").out)["refills"] == 1
    big = statuses(run)["c/big"]
    (refill,) = big["refills"]
    assert refill["status"] == "Completed" and big["refills_open"] is False
    dt.datetime.fromisoformat(refill["requested_at"].replace("Z", "+00:00"))
    dt.datetime.fromisoformat(str(big["created_at"]).replace("Z", "+00:00"))
    assert isinstance(big["age_seconds"], int) and big["age_seconds"] >= 0
    assert "age" not in big  # no display strings ("30s") in JSON
    shown = json.loads(run("state", "show", "c/big", "--json").out)
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds == ["submitting", "placed", "refill", "refill_status"]
    assert [o["status"] for o in shown["history"]] == ["In progress", "Completed"]


def test_status_table_text(run: Runner, clocked: tuple[Sim, list[float]]) -> None:
    sim, clock = clocked
    write_campaign("c", ORDERS[:1], extra="budget: 5\n")
    assert run("apply", "--auto-approve").code == 0
    clock[0] += 3600
    result = run("status", "--refresh")
    assert result.code == 0
    lines = [line for line in result.out.splitlines() if "c/big" in line]
    assert len(lines) == 1
    cells = re.split(r"\s{2,}", lines[0].strip())
    order = sim.orders()[0]["order"]
    assert cells[:5] == ["c/big", str(order), "Completed", "1000/1000", "0.90"]
    assert "Refills" not in result.out  # no order has one: the column is left out
    assert "Charge USD" in result.out
    assert "Spent 0.90 USD of a budget of 5.00 USD." in result.out
    md = run("status", "--format", "markdown").out
    assert f"| `c/big` | {order} | Completed | 1000/1000 | 0.90 | - |" in md


def test_per_item_errors_are_recorded_not_fatal(
    run: Runner, clocked: tuple[Sim, list[float]]
) -> None:
    sim, clock = clocked
    write_campaign("c", ORDERS[:2])
    assert run("apply", "--auto-approve").code == 0
    gone = sim.orders()[0]["order"]
    sim.panel._db.execute("DELETE FROM orders WHERE id = ?", (gone,))  # the panel forgot it
    clock[0] += 600
    result = run("refresh", "--json")
    assert result.code == 0
    assert json.loads(result.out)["item_errors"] == 1
    rows = statuses(run)
    lost = next(r for r in rows.values() if r["order_id"] == gone)
    assert lost["note"] == "panel: Incorrect order ID"
    other = next(r for r in rows.values() if r["order_id"] != gone)
    assert other["status"] in ("In progress", "Completed")


def test_in_doubt_and_rejected_are_highlighted(
    run: Runner, clocked: tuple[Sim, list[float]]
) -> None:
    sim, _clock = clocked
    write_campaign("c", ORDERS[:2])
    sim.faults.queue("drop_after", action="add")
    sim.faults.queue("drop_before", action="add")
    run("apply", "--auto-approve", "--parallelism", "1")
    rows = statuses(run)
    assert {(r["phase"], r["status"]) for r in rows.values()} == {("in_doubt", None)}
    assert "smm state import c/big ORDER_ID, or smm state retry c/big" in str(rows["c/big"]["note"])
    text = run("--no-color", "status").out
    assert "IN DOUBT" in text


def test_watch_stops_when_everything_is_finished(
    run: Runner, clocked: tuple[Sim, list[float]]
) -> None:
    _sim, clock = clocked
    write_campaign("c", ORDERS[2:])
    assert run("apply", "--auto-approve").code == 0
    clock[0] += 3600
    result = run("status", "--watch", "--interval", "0.1")
    assert result.code == 0 and "Completed" in result.out


def test_status_without_state(run: Runner) -> None:
    Path("campaigns").mkdir()
    result = run("status")
    assert result.code == 1  # no campaign files
    write_campaign("c", ORDERS[:1])
    assert "No orders recorded yet" in run("status").out


def test_a_completed_order_is_watched_for_drops(
    run: Runner, clocked: tuple[Sim, list[float]]
) -> None:
    """Followers lost after delivery are why refills exist: a completed order is asked
    about again after a while (not on every refresh), and a drop joins its history."""
    import sqlite3

    _sim, clock = clocked
    write_campaign("c", ORDERS[:1])
    assert run("apply", "--auto-approve").code == 0
    clock[0] += 3600
    assert json.loads(run("refresh", "--json").out)["orders"] == 1  # now Completed
    assert json.loads(run("refresh", "--json").out)["orders"] == 0  # not asked again yet
    db = sqlite3.connect(".smm/state.db")  # six hours later
    db.execute("UPDATE orders SET checked_at = '2000-01-01T00:00:00.000Z'")
    db.commit()
    db.close()
    assert json.loads(run("refresh", "--json").out)["orders"] == 1
    db = sqlite3.connect(".smm/state.db")  # a month later: no longer watched
    db.execute("UPDATE orders SET checked_at = '2000-01-01T00:00:00.000Z'")
    db.execute("UPDATE orders SET created_at = '2000-01-01T00:00:00.000Z'")
    db.commit()
    db.close()
    assert json.loads(run("refresh", "--json").out)["orders"] == 0
