"""``smm state migrate``: the whole state moves between SQLite and PostgreSQL, either way,
and the plan against the new store shows no changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner.state import locked
from runner.state.location import parse
from tests.conftest import Runner, Sim, followers, http_project, write_campaign


@pytest.fixture
def project(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    write_campaign("launch", followers(3))
    write_campaign("later", followers(2, start=10))
    return sim


def export(run: Runner, *state: str) -> dict[str, Any]:
    result = run(*state, "state", "export")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def history_made(run: Runner, *state: str) -> dict[str, Any]:
    """An apply, then a refresh (statuses, history, balances): a state with everything."""
    applied = run(*state, "apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "5 orders placed" in applied.out
    refreshed = run(*state, "refresh")
    assert refreshed.code == 0, refreshed.err
    data = export(run, *state)
    assert data["orders"] and data["events"] and data["history"] and data["serial"] > 0
    return data


def test_sqlite_to_postgres(run: Runner, project: Sim, pg_url: str) -> None:
    before = history_made(run)
    result = run("state", "migrate", pg_url)
    assert result.code == 0, result.err
    assert "Copied the state from" in result.out and "5 orders" in result.out
    assert export(run, "--state", pg_url) == before
    plan = run("--state", pg_url, "plan", "--detailed-exitcode")
    assert plan.code == 0 and "Plan: 0 to create, 0 to refill, 0 to cancel." in plan.out
    assert len(project.orders()) == 5
    again = run("--state", pg_url, "apply", "--auto-approve")
    assert again.code == 0 and "No changes." in again.out
    assert len(project.orders()) == 5


def test_postgres_to_sqlite(run: Runner, project: Sim, pg_url: str) -> None:
    before = history_made(run, "--state", pg_url)
    result = run("--state", pg_url, "state", "migrate", "moved.db")
    assert result.code == 0, result.err
    assert export(run, "--state", "moved.db") == before
    plan = run("--state", "moved.db", "plan", "--detailed-exitcode")
    assert plan.code == 0 and "Plan: 0 to create, 0 to refill, 0 to cancel." in plan.out
    assert not Path(".smm/state.db").exists()


def test_a_saved_plan_stays_fresh_across_a_migration(
    run: Runner, project: Sim, pg_url: str
) -> None:
    history_made(run)
    write_campaign("more", followers(2, start=20))
    saved = run("plan", "-o", "plan.json")
    assert saved.code == 0, saved.err
    assert run("state", "migrate", pg_url).code == 0
    applied = run("--state", pg_url, "apply", "plan.json")
    assert applied.code == 0, applied.out + applied.err
    assert "2 orders placed" in applied.out


def test_a_target_that_holds_a_state_is_refused(run: Runner, project: Sim, pg_url: str) -> None:
    history_made(run, "--state", pg_url)
    write_campaign("solo", followers(1, start=30))
    assert run("--state", "other.db", "apply", "--auto-approve", "campaigns/solo.yaml").code == 0
    target = export(run, "--state", pg_url)
    result = run("--state", "other.db", "state", "migrate", pg_url)
    assert result.code == 1
    assert result.err.strip().count("\n") == 0
    assert "already holds a state" in result.err and "smm state migrate" in result.err
    assert export(run, "--state", pg_url) == target  # untouched
    assert run("state", "migrate", "other.db").code == 1  # nothing at .smm/state.db


def test_nothing_to_migrate(run: Runner, project: Sim, pg_url: str) -> None:
    result = run("--state", pg_url, "state", "migrate", "moved.db")
    assert result.code == 1 and "there is no state at" in result.err
    assert not Path("moved.db").exists()


def test_the_source_is_locked_while_it_is_copied(run: Runner, project: Sim, pg_url: str) -> None:
    history_made(run, "--state", pg_url)
    with locked(parse(pg_url, Path.cwd()), {"launch"}):  # an apply of one campaign
        result = run("--state", pg_url, "state", "migrate", "moved.db")
    assert result.code == 1 and "the state is locked by pid" in result.err
    assert run("--state", pg_url, "state", "migrate", "moved.db").code == 0
