"""The SQLite backend's own promises: only a missing file starts a new state; a damaged,
foreign, replaced or unwritable file is refused with one line; old states migrate."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from runner.state import LastStatus, Phase, StateError, open_readonly, open_store
from runner.state.sqlite import _V1, SCHEMA_VERSION, SQLiteStore, _statements
from tests.conftest import Runner, Sim, followers, http_project, write_campaign


def other_sqlite(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (body TEXT)")
    db.commit()
    db.close()


NOT_A_STATE: dict[str, Callable[[Path], object]] = {
    "empty file": lambda p: p.write_bytes(b""),
    "another sqlite database": other_sqlite,
    "damaged header": lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200),
    "text": lambda p: p.write_text("hello\n"),
}


@pytest.mark.parametrize("kind", sorted(NOT_A_STATE))
def test_a_file_that_is_not_a_state_is_refused_never_reinitialised(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "state.db"
    NOT_A_STATE[kind](path)
    before = path.read_bytes()
    for opener in (open_store, open_readonly):
        with pytest.raises(StateError) as caught:
            opener(path)
        assert str(path) in str(caught.value)
    assert path.read_bytes() == before  # untouched


@pytest.mark.parametrize("kind", sorted(NOT_A_STATE))
def test_apply_refuses_a_file_that_is_not_a_state(
    run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    http_project(sim, monkeypatch)
    write_campaign("c", followers(2))
    path = Path(".smm/state.db")
    path.parent.mkdir()
    NOT_A_STATE[kind](path)
    result = run("apply", "--auto-approve")
    assert result.code == 1 and "Traceback" not in result.err
    assert result.err.startswith("Error: ") and len(result.err.strip().splitlines()) == 1
    assert sim.orders() == []


def test_a_new_state_appears_whole(tmp_path: Path) -> None:
    path = tmp_path / "a" / "state.db"
    store = open_store(path)
    assert store.created and store.info().lineage
    store.close()
    again = open_store(path)
    assert not again.created
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def test_a_state_deleted_during_use_stops_writes_and_keeps_a_copy(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = open_store(path)
    with store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
        tx.placed("c/a", 11)
    path.unlink()
    with (
        pytest.raises(StateError, match="deleted or replaced") as caught,
        store.transaction() as tx,
    ):
        tx.begin_submit("c/b", "c", "demo", "fp", {}, None, "run")
    saved = sorted(tmp_path.glob("state.db.recovered-*"))
    assert len(saved) == 1 and str(saved[0]) in str(caught.value)
    record = open_readonly(saved[0]).record("c/a")
    assert record is not None and record.order_id == 11
    assert not path.exists()  # nothing was re-created behind the user's back


def test_a_state_replaced_during_use_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = open_store(path)
    other = open_store(tmp_path / "other.db")
    other.close()
    os.replace(tmp_path / "other.db", path)
    with pytest.raises(StateError, match="deleted or replaced"), store.transaction():
        pass


def test_an_unwritable_state_is_one_line(tmp_path: Path) -> None:
    """A read-only file or folder makes SQLite refuse writes; the cause is named."""
    path = tmp_path / "state.db"
    store = SQLiteStore(path)
    store._db.execute("PRAGMA query_only = 1")  # as a read-only file does, even for root
    with pytest.raises(StateError, match=r"readonly.*permissions"), store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
    assert store.records() == {}


def test_a_full_disk_is_one_line_and_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = SQLiteStore(path)
    with store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages + 1}")  # the disk is full
    with (
        pytest.raises(StateError, match=r"full.*nothing of this write was recorded"),
        store.transaction() as tx,
    ):
        tx.begin_submit("c/b", "c", "demo", "fp", {"big": "x" * 100_000}, None, "run")
    assert sorted(store.records()) == ["c/a"]


def test_a_damaged_record_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = open_store(path)
    with store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
    store.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE orders SET phase = 'bogus', spec = '{not json'")
    db.commit()
    db.close()
    with pytest.raises(StateError, match=r"c/a.*damaged"):
        open_readonly(path).records()


def test_a_version_1_state_migrates_with_its_history(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    db = sqlite3.connect(path)
    for statement in _statements(_V1):
        db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('lineage', 'L'), ('serial', '4')")
    db.execute(
        "INSERT INTO orders (address, campaign, panel, fingerprint, phase, order_id, spec,"
        " status, remains, checked_at, created_at, updated_at) VALUES"
        " ('c/a', 'c', 'demo', 'fp', 'placed', 9, '{}', 'Completed', 0, 't2', 't0', 't2')"
    )
    for at, status in (("t1", "Pending"), ("t2", "Completed")):
        detail = {"status": status, "remains": 0, "charge": "0.9", "checked_at": at}
        db.execute(
            "INSERT INTO events (at, address, kind, detail) VALUES (?, 'c/a', 'status', ?)",
            (at, json.dumps(detail)),
        )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with pytest.raises(StateError, match="needs an upgrade"):
        open_readonly(path)
    store = open_store(path)
    info = store.info()
    assert info.lineage == "L" and info.serial == 4 and info.campaigns == {"c": 4}
    assert [(o.at, o.status, o.charge) for o in store.history()] == [
        ("t1", "Pending", Decimal("0.9")),
        ("t2", "Completed", Decimal("0.9")),
    ]
    assert store.events() == []
    record = store.record("c/a")
    assert record is not None and record.phase is Phase.PLACED
    with store.transaction() as tx:  # and it is writable as a version 2 state
        tx.status("c/a", LastStatus("Completed", 0, 0, Decimal("0.9"), "USD", "t3"))
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
