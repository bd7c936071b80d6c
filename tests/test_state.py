"""The state store: private file, lineage and serial, transactions, schema version."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from runner.state import LastStatus, Phase, open_readonly, open_store
from runner.state.sqlite import SCHEMA_VERSION, StateError
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
    shown = json.loads(run("state", "show", "c/o1").out)
    assert shown["spec"]["params"]["link"] == "https://instagram.com/u1"
    assert run("state", "show", "c/zz").code == 1


def test_forget_needs_confirmation(run: Runner) -> None:
    write_campaign("c", followers(1))
    assert run("apply", "--auto-approve").code == 0
    refused = run("state", "forget", "c/o0")
    assert refused.code == 1 and "--yes" in refused.err
    assert run("state", "forget", "c/o0", "--yes").code == 0
    assert json.loads(run("state", "export").out)["orders"] == []
    events = json.loads(run("state", "export").out)["events"]
    assert events[-1]["kind"] == "forgotten"
