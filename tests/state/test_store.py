"""The state store: private file, lineage and serial, transactions, schema version."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from runner.state import LastStatus, Phase, StateError, Transaction, open_readonly, open_store
from runner.state.groupcommit import GroupWriter
from runner.state.sqlite import SCHEMA_VERSION
from tests.conftest import Runner, followers, write_campaign


def test_file_is_private_and_has_a_lineage(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state.db"
    store = open_store(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    info = store.info()
    assert info.serial == 0 and info.lineage is not None and len(info.lineage) == 36
    store.close()
    assert open_store(path).info().lineage == info.lineage  # set once
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_serial_moves_on_order_changes_only(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    with store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {"x": 1}, Decimal("0.9"), "run")
        tx.placed("c/a", 7)
    assert store.info().serial == 1  # one batch, one step
    status = LastStatus("Pending", 100, 0, Decimal("0.9"), "USD", "t1")
    with store.transaction() as tx:
        tx.status("c/a", status)
    assert store.info().serial == 2
    with store.transaction() as tx:
        tx.status("c/a", LastStatus("Pending", 100, 0, Decimal("0.9"), "USD", "t2"))
    assert store.info().serial == 2  # nothing new was learnt
    record = store.record("c/a")
    assert record is not None and record.phase is Phase.PLACED and record.order_id == 7
    assert record.last is not None and record.last.charge == Decimal("0.9")


def test_a_failed_batch_leaves_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
        raise RuntimeError("crash in the middle")
    assert store.records() == {} and store.info().serial == 0


def test_never_submits_a_placed_order_again(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    with store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
        tx.placed("c/a", 7)
    with pytest.raises(StateError, match="refusing to submit"), store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run2")
    record = store.record("c/a")
    assert record is not None and record.order_id == 7


def _submit(address: str) -> Callable[[Transaction], None]:
    return lambda tx: tx.begin_submit(address, "c", "demo", "fp", {}, None, "run")


def _placed(address: str, order_id: int) -> Callable[[Transaction], None]:
    return lambda tx: tx.placed(address, order_id)


def test_group_writer_commits_many_threads_together(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    writer = GroupWriter(store)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: writer.write(_submit(f"c/o{i}")), range(64)))
    # Outcomes queued without waiting keep their order after their address's submit.
    receipts = [
        writer.write(_placed(f"c/o{i}", 1000 + i), durable=False, wait=False) for i in range(64)
    ]
    assert all(r.committed() for r in receipts)
    writer.close()
    records = store.records()
    assert len(records) == 64
    assert all(r.phase is Phase.PLACED for r in records.values())
    assert writer.commits < 64 + 64  # some writes shared a commit


def test_group_writer_a_refused_write_fails_alone(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    with store.transaction() as tx:
        tx.begin_submit("c/placed", "c", "demo", "fp", {}, None, "run")
        tx.placed("c/placed", 7)
    serial = store.info().serial
    writer = GroupWriter(store)
    results: dict[str, BaseException | None] = {}
    start = threading.Barrier(6)

    def submit(address: str) -> None:
        start.wait()
        try:
            writer.write(_submit(address))
            results[address] = None
        except StateError as exc:
            results[address] = exc

    threads = [threading.Thread(target=submit, args=(f"c/n{i}",)) for i in range(5)]
    threads.append(threading.Thread(target=submit, args=("c/placed",)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    assert isinstance(results.pop("c/placed"), StateError)
    assert set(results) == {f"c/n{i}" for i in range(5)} and not any(results.values())
    record = store.record("c/placed")
    assert record is not None and record.phase is Phase.PLACED and record.order_id == 7
    assert store.info().serial > serial


def test_group_writer_raises_a_queued_write_failure(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    writer = GroupWriter(store)
    receipt = writer.write(lambda tx: tx.placed("c/missing", 1), durable=False, wait=False)
    assert receipt.committed() is False  # the caller can tell, without waiting for close
    with pytest.raises(StateError, match="c/missing: not in the state"):
        writer.close()


def test_withdraw_only_takes_back_a_submitting_record(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    with store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
        tx.withdraw("c/a", "interrupted before it started")
    assert store.record("c/a") is None
    assert [e.kind for e in store.events("c/a")] == ["submitting", "withdrawn"]
    with store.transaction() as tx:
        tx.begin_submit("c/b", "c", "demo", "fp", {}, None, "run")
        tx.placed("c/b", 9)
    with pytest.raises(StateError, match="not being submitted"), store.transaction() as tx:
        tx.withdraw("c/b", "never")
    record = store.record("c/b")
    assert record is not None and record.phase is Phase.PLACED


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    open_store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StateError, match="newer smm"):
        open_store(path)


def test_read_only_open_of_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    reader = open_readonly(tmp_path / "none.db")
    assert reader.records() == {} and reader.info().serial == 0
    assert not (tmp_path / "none.db").exists()


def test_state_list_and_show(run: Runner) -> None:
    assert "No orders recorded" in run("state", "list").out
    write_campaign("c", followers(2))
    assert run("apply", "--auto-approve").code == 0
    text = run("--no-color", "state", "list").out
    assert "c/o0" in text and "placed" in text
    listed = json.loads(run("state", "list", "--json").out)
    assert [o["phase"] for o in listed["orders"]] == ["placed", "placed"]
    shown = json.loads(run("state", "show", "c/o1", "--json").out)
    assert shown["spec"]["params"]["link"] == "https://instagram.com/u1"
    assert run("state", "show", "c/zz").code == 1


def test_forget_needs_confirmation_and_never_takes_money_from_spend(run: Runner) -> None:
    """A charged order stays (its spend stays in the budget); a rejected one may go, once
    confirmed."""
    same = "service: 1, link: https://instagram.com/same, quantity: 100"
    write_campaign("c", [f"{{id: a, {same}}}", f"{{id: b, {same}}}"], "budget: 1.00\n")
    assert run("apply", "--auto-approve", "--parallelism", "1").code == 1  # b: duplicate link
    orders = {o["address"]: o for o in json.loads(run("state", "export").out)["orders"]}
    assert [orders["c/a"]["phase"], orders["c/b"]["phase"]] == ["placed", "rejected"]
    spent = json.loads(run("status", "--json").out)["campaigns"][0]["spent"]
    charged = run("state", "forget", "c/a", "--auto-approve")
    assert charged.code == 1
    assert (
        "c/a: order" in charged.err and "would take that out of campaign c's spend" in charged.err
    )
    assert "smm state mv c/a NEW_ADDRESS" in charged.err
    assert json.loads(run("status", "--json").out)["campaigns"][0]["spent"] == spent
    refused = run("state", "forget", "c/b")
    assert refused.code == 1 and "--auto-approve" in refused.err
    assert run("state", "forget", "c/b", "--yes").code == 0  # the old spelling still works
    assert [o["address"] for o in json.loads(run("state", "export").out)["orders"]] == ["c/a"]
    events = json.loads(run("state", "export").out)["events"]
    assert events[-1]["kind"] == "forgotten"
