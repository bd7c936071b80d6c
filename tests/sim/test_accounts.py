"""Accounts per API key: each key answers for its own orders and refills only, has its own
balance, and ids stay global and increasing across keys."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

from runner.api.models import ItemError
from runner.panel.client import PanelClient
from runner.panel.http import RetryPolicy
from runner.sim.engine import SimPanel
from tests.sim.conftest import KEY_A, KEY_B, START, Panel, PanelFactory

INCORRECT = {"error": "Incorrect order ID"}


def test_status_answers_only_the_keys_own_orders(panel: Panel) -> None:
    mine = panel.add(KEY_A)
    theirs = panel.add(KEY_B)
    assert panel.call(KEY_A, "status", order=mine)["status"] == "Pending"
    assert panel.call(KEY_A, "status", order=theirs) == INCORRECT
    assert panel.call(KEY_B, "status", order=mine) == INCORRECT
    many = panel.call(KEY_A, "status", orders=f"{mine},{theirs},{theirs + 1}")
    assert set(many) == {str(mine), str(theirs), str(theirs + 1)}
    assert many[str(mine)]["status"] == "Pending"
    assert many[str(theirs)] == INCORRECT and many[str(theirs + 1)] == INCORRECT


def test_status_takes_at_most_100_ids_a_call(panel: Panel) -> None:
    mine = panel.add(KEY_A)
    ids = [mine, *range(1, 150)]
    answer = panel.call(KEY_A, "status", orders=",".join(map(str, ids)))
    assert len(answer) == 100 and answer[str(mine)]["status"] == "Pending"


def test_refill_and_cancel_only_for_the_keys_own_orders(panel: Panel) -> None:
    done = panel.add(KEY_A, service=1)  # refill and cancel allowed
    live = panel.add(KEY_A, service=3, link="https://instagram.com/p/9")
    panel.clock[0] += 3600  # an hour, 60 sim-hours: `done` completed
    live_now = panel.add(KEY_A, service=3, link="https://instagram.com/p/10")
    assert panel.call(KEY_B, "refill", order=done) == INCORRECT
    assert panel.call(KEY_B, "refill", orders=str(done)) == [{"order": done, "refill": INCORRECT}]
    assert panel.call(KEY_B, "cancel", orders=str(live_now)) == [
        {"order": live_now, "cancel": INCORRECT}
    ]
    refill = panel.call(KEY_A, "refill", order=done)["refill"]
    assert panel.call(KEY_B, "refill_status", refill=refill) == {"error": "Refill not found"}
    assert panel.call(KEY_A, "refill_status", refill=refill) == {"status": "Pending"}
    assert panel.call(KEY_A, "cancel", orders=str(live_now)) == [{"order": live_now, "cancel": 1}]
    assert live < live_now


def test_each_key_has_its_own_balance(make_panel: PanelFactory) -> None:
    panel = make_panel(balance=Decimal("10.00"))
    assert panel.call(KEY_A, "balance") == {"balance": "10.00", "currency": "USD"}
    panel.add(KEY_A, service=1, quantity=1000)  # 0.90
    assert panel.call(KEY_A, "balance")["balance"] == "9.10000"  # 5 decimals, as charged
    assert panel.call(KEY_B, "balance")["balance"] == "10.00"  # a new key: the default
    panel.panel.set_balance(Decimal("0.50"), key=KEY_B)
    answer = panel.call(KEY_B, "add", service=1, link="https://x.com/b", quantity=1000)
    assert answer == {"error": "Not enough funds on balance"}
    assert panel.call(KEY_A, "balance")["balance"] == "9.10000"  # 5 decimals, as charged


def test_the_same_link_is_busy_per_account(panel: Panel) -> None:
    panel.add(KEY_A, link="https://instagram.com/same")
    again = panel.call(KEY_A, "add", service=1, link="https://instagram.com/same", quantity=100)
    assert "active order with this link" in again["error"]
    assert panel.add(KEY_B, link="https://instagram.com/same") > 0


def test_ids_are_global_and_increasing_across_keys(panel: Panel) -> None:
    ids = [panel.add(KEY_A if i % 3 else KEY_B, link=f"https://x.com/{i}") for i in range(12)]
    assert ids == sorted(ids) and len(set(ids)) == 12
    held = panel.inspect()
    assert [o["order"] for o in held] == ids
    assert len({o["account"] for o in held}) == 2
    assert [o["order"] for o in panel.panel.orders(key=KEY_B)] == ids[::3]


def test_smms_client_sees_another_keys_order_as_incorrect(panel: Panel) -> None:
    theirs = panel.add(KEY_B)
    fast = RetryPolicy(attempts=2, initial=0.001, max_wait=0.01)
    with PanelClient("sim", panel.url, KEY_A, retry=fast) as client:
        mine = client.add(1, {"link": "https://instagram.com/mine", "quantity": 100})
        answer = client.status_many([mine, theirs])
    assert answer[theirs] == ItemError("Incorrect order ID")
    assert not isinstance(answer[mine], ItemError)


def test_keys_are_not_stored_in_the_panel_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "panel.db"
    panel = SimPanel(path, clock=lambda: START, others_rate=0)
    status, answer = panel.handle(
        {
            "key": KEY_A,
            "action": "add",
            "service": "1",
            "link": "https://x.com/a",
            "quantity": "100",
        }
    )
    assert status == 200 and "order" in answer
    panel.close()
    stored = b"".join(p.read_bytes() for p in path.parent.iterdir())
    assert path.stat().st_size > 0
    assert KEY_A.encode() not in stored


def test_a_panel_file_from_before_accounts_goes_to_the_first_key(tmp_path: Path) -> None:
    """Orders and the balance of a pre-accounts file belong to the first key that comes."""
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE orders (
          id INTEGER PRIMARY KEY, service INTEGER NOT NULL, link TEXT,
          quantity INTEGER NOT NULL, runs INTEGER NOT NULL, interval INTEGER NOT NULL,
          units INTEGER NOT NULL, charge TEXT NOT NULL, created REAL NOT NULL,
          start_count INTEGER NOT NULL, partial REAL, canceled_at REAL,
          refunded INTEGER NOT NULL DEFAULT 0, params TEXT NOT NULL);
        CREATE TABLE refills (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL,
          created REAL NOT NULL);
        INSERT INTO meta VALUES ('balance', '99.10'), ('next_order', '30000'),
          ('next_refill', '600');
        INSERT INTO orders VALUES (30000, 1, 'https://x.com/old', 1000, 1, 0, 1000, '0.9',
          1000.0, 5, NULL, NULL, 0, '{}');
        """
    )
    db.commit()
    db.close()
    panel = SimPanel(path, clock=lambda: START, others_rate=0)
    try:
        assert panel.handle({"key": KEY_A, "action": "balance"})[1]["balance"] == "99.10"
        status = panel.handle({"key": KEY_A, "action": "status", "order": "30000"})[1]
        assert status["status"] == "Completed"
        assert panel.handle({"key": KEY_B, "action": "status", "order": "30000"})[1] == INCORRECT
        assert panel.handle({"key": KEY_B, "action": "balance"})[1]["balance"] == "250.00"
    finally:
        panel.close()
