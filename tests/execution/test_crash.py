"""A small run of the crash-and-fault harness (``bench/crash.py`` runs 100+ trials)."""

from __future__ import annotations

from bench.crash import fault_points, harness


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


def test_a_kill_or_a_failure_at_every_step_of_placing_an_order() -> None:
    """Each step (submitting committed, on the wire, answered, outcome queued, outcome
    committed), killed and failed: every point is reached on every run, and neither the
    next apply alone nor the repair ever orders twice."""
    result = fault_points()
    assert result["points_missed"] == []
    assert result["trials"] == 10
    assert result["duplicates"] == 0
    assert result["unrecorded_panel_orders"] == 0
    assert result["corrupt_state_files"] == 0
    assert result["ok"] is True
