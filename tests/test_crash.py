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
