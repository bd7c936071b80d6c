"""Runners on machines whose clocks disagree share one PostgreSQL state: every time they
write is on the database server's clock, so reconciliation's windows (which compare
times written by different runners) stay true."""

from __future__ import annotations

import datetime as _dt

import pytest

from runner.state import StateLocation, open_store
from runner.state import model as state_model
from runner.state.location import parse


def server_now(url: str) -> _dt.datetime:
    import psycopg

    with psycopg.connect(url.split("?")[0]) as conn:
        row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    moment: _dt.datetime = row[0]
    return moment


@pytest.mark.parametrize("ahead", [3600.0, -3.0])
def test_a_runner_whose_clock_is_off_stamps_the_servers_time(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, ahead: float, tmp_path: object
) -> None:
    real = state_model.wall
    monkeypatch.setattr(state_model, "wall", lambda: real() + ahead)  # this machine is off
    location: StateLocation = parse(pg_url, __import__("pathlib").Path.cwd())
    store = open_store(location)
    try:
        assert abs(store.clock_offset + ahead) < 2
        assert store.clock_margin >= 0.25
        with store.transaction() as tx:
            tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
        record = store.record("c/a")
        assert record is not None
        written = _dt.datetime.fromisoformat(record.created_at.replace("Z", "+00:00"))
        assert abs((written - server_now(pg_url)).total_seconds()) < 2
    finally:
        store.close()


def test_a_sqlite_state_is_on_one_machine_one_clock(tmp_path: object) -> None:
    from pathlib import Path

    store = open_store(Path(str(tmp_path)) / "s.db")
    assert store.clock_offset == 0.0 and store.clock_margin == 0.0
