"""A small run of the crash-and-fault harness (``bench/crash.py`` runs 100+ trials)."""

from __future__ import annotations

from bench.crash import harness


def test_kill_minus_nine_under_every_fault_orders_nothing_twice() -> None:
    result = harness(trials_per_fault=1, concurrent_rounds=0, seed=3)
    assert result["trials"] == 7
    assert result["killed_mid_apply"] >= 1
    assert result["duplicates"] == 0
    assert result["unrecorded_panel_orders"] == 0
    assert result["corrupt_state_files"] == 0
    assert result["ok"] is True


def test_on_postgresql_too_and_losing_the_database_mid_apply(pg_database: str) -> None:
    result = harness(
        trials_per_fault=1, concurrent_rounds=1, seed=5, state=pg_database, lose="terminate"
    )
    assert result["trials"] == 8 and result["store"] == "postgresql"
    assert result["by_fault"]["database_terminate"] == 1
    assert "the connection was lost" in result["database_lost_apply_said"]
    assert result["duplicates"] == 0
    assert result["unrecorded_panel_orders"] == 0
    assert result["corrupt_state_files"] == 0
    assert result["concurrent_starts_ok"] == result["concurrent_starts"] == 2
    assert result["ok"] is True
