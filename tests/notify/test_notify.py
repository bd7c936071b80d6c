"""Notifications end to end: the simulated panel over HTTP, the real `smm` commands, and
Apprise posting to a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Runner, Sim, write_campaign
from tests.notify.receiver import Receiver, receiver

TOKEN = "hk_9f8e7d6c5b4a39281706"
ORDER = "{id: f, service: 1, link: https://instagram.com/a, quantity: 1000, on_partial: reorder}"


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with receiver() as r:
        monkeypatch.setenv("HOOK_TOKEN", TOKEN)
        yield r


def add_notify(hook: Receiver, extra: str = "", events: str = "") -> None:
    lines = [
        "notify:",
        f"  - url: json://127.0.0.1:{hook.port}/hook/${{HOOK_TOKEN}}",
        "    timeout: 1",
    ]
    if events:
        lines.append(f"    events: [{events}]")
    if extra:
        lines.append(f"    {extra}")
    with Path("smm.yaml").open("a") as f:
        f.write("\n".join(lines) + "\n")


def notices() -> list[tuple[str, int, str | None]]:
    with sqlite3.connect(".smm/state.db") as db:
        return list(db.execute("SELECT event, sent_at IS NOT NULL, error FROM notices"))


def partial_order(run: Runner, sim: Sim, clock: list[float]) -> None:
    sim.panel.partial_rate = 1.0
    write_campaign("c", [ORDER], extra="budget: 5\n")
    assert run("apply", "--auto-approve").code == 0
    sim.panel.partial_rate = 0.0
    clock[0] += 3600


def test_a_partial_order_is_told_once(
    run: Runner, clocked: tuple[Sim, list[float]], hook: Receiver
) -> None:
    sim, clock = clocked
    add_notify(hook, events="partial, canceled, in_doubt, budget")
    partial_order(run, sim, clock)
    result = run("refresh", "--json")
    assert result.code == 0, result.err
    (sent,) = json.loads(result.out)["notified"]
    assert sent.startswith("partial:c/f:")
    assert hook.titles == ["smm: c/f ended Partial"]
    assert hook.paths == [f"/hook/{TOKEN}"]  # the secret reached the receiver, and only it
    # Every run after that is quiet, whatever the panel says again.
    for _ in range(3):
        assert run("refresh").code == 0
    assert len(hook.posts) == 1
    assert notices() == [("partial", 1, None)]


def test_a_failing_receiver_is_a_warning_and_a_retry(
    run: Runner, clocked: tuple[Sim, list[float]], hook: Receiver
) -> None:
    sim, clock = clocked
    add_notify(hook, events="partial")
    partial_order(run, sim, clock)
    hook.mode = "fail"
    result = run("-v", "refresh")
    assert result.code == 0
    assert "warning: notify: partial to json://… (notify item 1) not sent" in result.err
    assert "tried again at the next run" in result.err
    assert TOKEN not in result.out + result.err
    assert notices() == [("partial", 0, notices()[0][2])]
    hook.mode = "ok"
    assert run("refresh").code == 0
    assert hook.titles == ["smm: c/f ended Partial"]
    assert run("refresh").code == 0
    assert len(hook.posts) == 1


def test_a_hanging_receiver_never_holds_the_run(
    run: Runner, clocked: tuple[Sim, list[float]], hook: Receiver
) -> None:
    sim, clock = clocked
    add_notify(hook, events="partial")
    partial_order(run, sim, clock)
    hook.mode = "hang"
    result = run("-vv", "refresh")
    assert result.code == 0
    assert "not sent" in result.err and TOKEN not in result.out + result.err
    hook.released.set()
    hook.mode = "ok"
    assert run("refresh").code == 0
    assert hook.titles == ["smm: c/f ended Partial"]


def test_apply_summary_and_budget(
    run: Runner, clocked: tuple[Sim, list[float]], hook: Receiver
) -> None:
    add_notify(hook, events="apply_summary, budget")
    write_campaign("c", [ORDER], extra="budget: 0.95\n")
    result = run("apply", "--auto-approve")
    assert result.code == 0, result.err
    assert hook.titles == [
        "smm: campaign c has spent 95% of its budget",
        "smm: apply finished",
    ]
    assert "1 placed." in hook.posts[1]["message"]
    assert run("apply", "--auto-approve").code == 0  # nothing to do: nothing to tell
    assert len(hook.posts) == 2


def test_balance_below(run: Runner, clocked: tuple[Sim, list[float]], hook: Receiver) -> None:
    add_notify(hook, extra="balance_below: 100000", events="partial")
    write_campaign("c", [ORDER])
    assert run("apply", "--auto-approve").code == 0
    assert run("plan").code in (0, 2)
    assert hook.titles == ["smm: the balance on demo is below 100000.00"]


def test_a_receiver_failure_never_fails_an_apply(
    run: Runner, clocked: tuple[Sim, list[float]], hook: Receiver
) -> None:
    add_notify(hook, events="apply_summary")
    hook.mode = "fail"
    write_campaign("c", [ORDER])
    result = run("apply", "--auto-approve")
    assert result.code == 0
    assert "apply_summary" in result.err and "not sent" in result.err


@pytest.mark.parametrize(
    "url",
    [
        "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/4242",
        "mailto://user:hunter2secret@example.com",
        "json://example.com/${NOT CLOSED",
    ],
)
def test_secrets_written_out_are_refused(
    run: Runner, clocked: tuple[Sim, list[float]], url: str
) -> None:
    with Path("smm.yaml").open("a") as f:
        f.write(f"notify:\n  - url: '{url}'\n")
    write_campaign("c", [ORDER])
    result = run("refresh")
    assert result.code == 1
    assert result.err.startswith("Error: smm.yaml:7:10: notify[0].url ")
    assert "ENV_VAR" in result.err or "reference" in result.err
    assert "AAHd" not in result.err and "hunter2" not in result.err


def test_an_unset_variable_is_a_warning(
    run: Runner, clocked: tuple[Sim, list[float]], hook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, clock = clocked
    add_notify(hook, events="partial")
    monkeypatch.delenv("HOOK_TOKEN")
    partial_order(run, sim, clock)
    result = run("refresh")
    assert result.code == 0
    assert "HOOK_TOKEN is not set" in result.err
