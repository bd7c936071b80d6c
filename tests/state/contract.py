"""The store contract: what every backend must do, written once.

``tests/state/test_contract.py`` runs these against each backend; a new backend adds a
factory to its ``BACKENDS`` and passes them all.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from runner.state import (
    BalanceSeen,
    Evidence,
    LastStatus,
    Phase,
    StateError,
    StateStore,
)

NewStore = Callable[[], StateStore]


def submit(store: StateStore, address: str, order_id: int | None = None) -> None:
    campaign = address.split("/")[0]
    with store.transaction() as tx:
        tx.begin_submit(address, campaign, "demo", "fp", {"x": 1}, Decimal("0.9"), "run", 5)
        if order_id is not None:
            tx.placed(address, order_id, "add", Evidence("t0", "t1"))


def check_lineage_and_serials(new_store: NewStore) -> None:
    store = new_store()
    info = store.info()
    assert info.serial == 0 and info.lineage and info.campaigns == {}
    submit(store, "a/x", 7)
    submit(store, "b/y", 8)
    after = store.info()
    assert after.lineage == info.lineage
    assert after.serial == 2 and after.campaigns == {"a": 1, "b": 1}
    with store.transaction() as tx:
        tx.status("a/x", LastStatus("Pending", 10, 0, Decimal("0.9"), "USD", "t2"))
    moved = store.info()
    assert moved.serial == 3 and moved.campaigns == {"a": 2, "b": 1}
    assert moved.serials(["b", "c"]) == {"b": 1, "c": 0}


def check_failed_batch_leaves_nothing(new_store: NewStore) -> None:
    store = new_store()
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
        raise RuntimeError("crash in the middle")
    assert store.records() == {} and store.info().serial == 0


def check_never_submits_twice(new_store: NewStore) -> None:
    store = new_store()
    submit(store, "c/a", 7)
    with pytest.raises(StateError, match="refusing to submit"), store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
    record = store.record("c/a")
    assert record is not None and record.phase is Phase.PLACED and record.order_id == 7


def check_refuses_to_submit_over_every_live_phase(new_store: NewStore) -> None:
    """The last guard against a second order: whatever the planner decided, the store
    refuses to begin a submit over a record that is submitting, placed or in doubt (the
    order may exist); only a rejected one is submitted again."""
    store = new_store()
    submit(store, "c/submitting")
    submit(store, "c/placed", 7)
    submit(store, "c/doubt")
    submit(store, "c/rejected")
    with store.transaction() as tx:
        tx.in_doubt("c/doubt", "read timeout", Evidence("t0", None, 5))
        tx.rejected("c/rejected", "Bad link")
    before = {a: (r.phase, r.order_id) for a, r in store.records().items()}
    assert {a: p for a, (p, _) in before.items()} == {
        "c/submitting": Phase.SUBMITTING,
        "c/placed": Phase.PLACED,
        "c/doubt": Phase.IN_DOUBT,
        "c/rejected": Phase.REJECTED,
    }
    for address in ("c/submitting", "c/placed", "c/doubt"):
        with pytest.raises(StateError, match="refusing to submit"), store.transaction() as tx:
            tx.begin_submit(address, "c", "demo", "fp2", {}, None, "run2")
    assert {a: (r.phase, r.order_id) for a, r in store.records().items()} == before
    with store.transaction() as tx:
        tx.begin_submit("c/rejected", "c", "demo", "fp2", {}, None, "run2")
    again = store.record("c/rejected")
    assert again is not None and again.phase is Phase.SUBMITTING


def check_savepoint_undoes_a_part(new_store: NewStore) -> None:
    store = new_store()
    submit(store, "c/a", 7)
    with store.transaction() as tx:
        with pytest.raises(StateError), tx.savepoint():
            tx.begin_submit("c/b", "c", "demo", "fp", {}, None, "run")
            tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")  # refused
        tx.begin_submit("c/d", "c", "demo", "fp", {}, None, "run")
    assert sorted(store.records()) == ["c/a", "c/d"]


def check_history_keeps_changes_only(new_store: NewStore) -> None:
    store = new_store()
    submit(store, "c/a", 7)
    seen = [
        LastStatus("Pending", 100, 0, Decimal("0.9"), "USD", "t1"),
        LastStatus("Pending", 100, 0, Decimal("0.9"), "USD", "t2"),  # a repeat
        LastStatus("In progress", 60, 5, Decimal("0.9"), "USD", "t3"),
        LastStatus("In progress", 60, 5, Decimal("0.9"), "USD", "t4", "Incorrect order ID"),
        LastStatus("Completed", 0, 5, Decimal("0.9"), "USD", "t5"),
    ]
    for last in seen:
        with store.transaction() as tx:
            tx.status("c/a", last)
    history = store.history()
    assert [(o.at, o.status, o.remains) for o in history] == [
        ("t1", "Pending", 100),
        ("t3", "In progress", 60),
        ("t5", "Completed", 0),
    ]
    assert history[0].charge == Decimal("0.9") and history[0].currency == "USD"
    assert store.history({"other"}) == []


def check_balances_keep_changes_only(new_store: NewStore) -> None:
    store = new_store()
    for at, amount in (("t1", "10.00"), ("t2", "10.0"), ("t3", "9.10")):
        with store.transaction() as tx:
            tx.balance(BalanceSeen("demo", at, Decimal(amount), "USD"))
    assert [(b.at, b.amount) for b in store.balances()] == [
        ("t1", Decimal("10.00")),
        ("t3", Decimal("9.10")),
    ]
    assert store.info().serial == 0  # balances are not about orders


def check_evidence_is_kept(new_store: NewStore) -> None:
    store = new_store()
    with store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run", 41)
        tx.begin_submit("c/b", "c", "demo", "fp", {}, None, "run", 41)
    with store.transaction() as tx:
        tx.in_doubt("c/a", "timed out", Evidence("t1", "t2"))
        tx.abandon_submitting("the apply died")
    a, b = store.record("c/a"), store.record("c/b")
    assert a is not None and a.evidence == Evidence("t1", "t2", 41)
    assert b is not None and b.phase is Phase.IN_DOUBT
    assert b.evidence.known_below == 41 and b.evidence.gave_up_at is not None
    assert store.highest_order_ids() == {}
    submit(store, "c/c", 99)
    assert store.highest_order_ids() == {"demo": 99}


def check_dump_and_restore(new_store: NewStore) -> None:
    source = new_store()
    submit(source, "a/x", 7)
    submit(source, "b/y")
    with source.transaction() as tx:
        tx.status("a/x", LastStatus("Pending", 10, 0, Decimal("0.9"), "USD", "t2"))
        tx.balance(BalanceSeen("demo", "t2", Decimal("5"), "USD"))
    dump = source.dump()
    target = new_store()
    target.restore(dump)
    assert target.dump() == dump
    assert target.info() == source.info()
    assert target.records() == source.records()
    with pytest.raises(StateError, match="not empty"):
        target.restore(dump)


def check_move_keeps_everything_of_the_order(new_store: NewStore) -> None:
    store = new_store()
    submit(store, "a/x", 7)
    submit(store, "a/y", 8)
    with store.transaction() as tx:
        tx.status("a/x", LastStatus("Pending", 10, 0, Decimal("0.9"), "USD", "t2"))
    before = store.info()
    with store.transaction() as tx:
        tx.move("a/x", "b/z")
    records = store.records()
    assert sorted(records) == ["a/y", "b/z"]
    moved = records["b/z"]
    assert (moved.campaign, moved.order_id, moved.phase) == ("b", 7, Phase.PLACED)
    assert moved.last is not None and moved.last.charge == Decimal("0.9")
    assert moved.spec["address"] == "b/z"
    assert [e.kind for e in store.events("b/z")][-1] == "moved"
    assert [o.address for o in store.history({"b"})] == ["b/z"]
    after = store.info()
    assert after.campaigns["a"] == before.campaigns["a"] + 1 and after.campaigns["b"] == 1
    with pytest.raises(StateError, match="recorded already"), store.transaction() as tx:
        tx.move("a/y", "b/z")
    with pytest.raises(StateError, match="not in the state"), store.transaction() as tx:
        tx.move("a/x", "c/w")
    assert sorted(store.records()) == ["a/y", "b/z"]


def check_services_seen_are_kept_without_moving_serials(new_store: NewStore) -> None:
    store = new_store()
    assert store.services_seen() == {}
    submit(store, "a/x", 7)
    before = store.info()
    said = {"name": "Likes: 100% real", "type": "Default", "rate": "0.90", "min": 10}
    with store.transaction() as tx:
        tx.saw_services("demo", {3: said, 12: {**said, "rate": "1.20"}})
        tx.saw_services("my-panel:2", {3: {**said, "name": "Other"}})
    with store.transaction() as tx:
        tx.saw_services("demo", {3: {**said, "rate": "0.95"}})  # the latest wins
    seen = store.services_seen()
    assert seen == {
        ("demo", 3): {**said, "rate": "0.95"},
        ("demo", 12): {**said, "rate": "1.20"},
        ("my-panel:2", 3): {**said, "name": "Other"},
    }
    assert store.info() == before  # not a change of what is recorded about orders


CHECKS = [
    check_move_keeps_everything_of_the_order,
    check_services_seen_are_kept_without_moving_serials,
    check_lineage_and_serials,
    check_failed_batch_leaves_nothing,
    check_never_submits_twice,
    check_refuses_to_submit_over_every_live_phase,
    check_savepoint_undoes_a_part,
    check_history_keeps_changes_only,
    check_balances_keep_changes_only,
    check_evidence_is_kept,
    check_dump_and_restore,
]
