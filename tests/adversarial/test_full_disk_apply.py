"""Review: the disk fills up in the middle of an apply (SQLite's max_page_count)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from runner.state import sqlite as sqlite_state
from tests.conftest import Runner, Sim, followers, http_project, write_campaign


@pytest.fixture
def project(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    return sim


@pytest.mark.parametrize("after", [3, 6, 10, 15])
def test_a_disk_that_fills_during_apply(
    run: Runner, project: Sim, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    write_campaign("c", followers(12))
    original = sqlite_state.SQLiteStore.transaction
    count = [0]

    @contextmanager
    def full(self: Any, durable: bool = True) -> Iterator[Any]:
        count[0] += 1
        if count[0] == after:
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            self._db.execute(f"PRAGMA max_page_count = {pages}")
        with original(self, durable) as tx:
            yield tx

    monkeypatch.setattr(sqlite_state.SQLiteStore, "transaction", full)
    result = run("apply", "--auto-approve", "--parallelism", "4")
    monkeypatch.setattr(sqlite_state.SQLiteStore, "transaction", original)
    exit3 = result.code == 3
    assert "Traceback" not in result.err
    # the disk has room again: every order on the panel is known to the state
    state = {o["address"]: o for o in json.loads(run("state", "export").out)["orders"]}
    links = {f"https://instagram.com/u{i}": f"c/o{i}" for i in range(12)}
    for order in project.orders():
        address = links[str(order["link"])]
        assert address in state, (address, result.err)
        assert state[address]["phase"] in ("placed", "in_doubt", "submitting"), state[address]
    run("apply", "--auto-approve")
    held = [str(o["link"]) for o in project.orders()]
    assert len(held) == len(set(held))
    assert not exit3, result.err
