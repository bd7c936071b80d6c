"""Failures never look like success: every command that asks a panel says what it could
not learn and exits 1 (one rule, whatever the command); colour off means no escape code
at all; a search that finds nothing says so.  Each runs as a user types it: a process
of its own, or a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.conftest import (
    REPO,
    Runner,
    Sim,
    env_without,
    followers,
    http_project,
    typed,
    write_campaign,
    write_project,
)
from tests.terminal import Terminal

SGR = re.compile(r"\x1b\[[0-9;]*m")
KEY_UNSET = "environment variable SIM_KEY is not set"


@pytest.fixture
def placed(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    """Two orders placed on the simulator over HTTP, still under way."""
    http_project(sim, monkeypatch)
    sim.panel.speed = 0.001  # nothing moves by itself
    write_campaign("c", followers(2), "budget: 5.00\n")
    assert typed("apply", "--auto-approve").code == 0
    return sim


def key_unset(sim: Sim) -> dict[str, str]:
    """The environment without the panel's key variable."""
    return env_without("SIM_KEY")


def panel_down(sim: Sim) -> dict[str, str]:
    """The same project, its panel's address now answering nothing."""
    write_project(Path.cwd(), {"demo": {"url": "http://127.0.0.1:9/api/v2", "key_env": "SIM_KEY"}})
    return dict(os.environ)


def terminal(*args: str, env: dict[str, str] | None = None) -> Terminal:
    environment = {**(env or dict(os.environ)), "PYTHONPATH": str(REPO), "TERM": "xterm"}
    if env is None:
        environment.pop("NO_COLOR", None)
    return Terminal(args, Path.cwd(), environment, columns=100)


CASES = {"key unset": key_unset, "panel down": panel_down}


ALL = [
    ("refresh",),
    ("refresh", "--json"),
    ("status", "--refresh"),
    ("status", "--refresh", "--json"),
    ("report", "--refresh"),
    ("report", "--refresh", "--format", "markdown"),
    ("plan",),
    ("plan", "--no-refresh"),
    ("balance", "demo"),
    ("services", "demo"),
    ("reconcile",),
]


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_command_that_asks_a_panel_fails_alike(placed: Sim, case: str, run: Runner) -> None:
    env = CASES[case](placed)
    cause = KEY_UNSET if case == "key unset" else "could not connect"
    for args in ALL:
        # A refused connection is retried with backoff: in-process, where the tests'
        # retry policy is short; the key unset as typed, in a process of its own.
        result = typed(*args, env=env) if case == "key unset" else run(*args)
        label = " ".join(args)
        if args == ("reconcile",):  # nothing in doubt: it needs no panel, and says so
            assert result.code == 0 and "No orders in doubt." in result.out, label
            continue
        assert result.code == 1, (label, result.out, result.err)
        assert cause in result.err + result.out, (label, result.out, result.err)
        assert "Traceback" not in result.err
        if "--json" in args:
            json.loads(result.out)  # stdout stays the data; the error is on stderr
            assert cause in result.err, label
    invoke = (lambda *a: typed(*a, env=env)) if case == "key unset" else run
    refreshed = invoke("refresh")
    assert refreshed.out.startswith("Refresh incomplete: 1 panel could not be asked")
    assert "Refreshed" not in refreshed.out  # never a success line first
    status = invoke("status", "--refresh")
    assert "Not refreshed: 1 panel could not be asked" in status.err
    assert "c/o0" in status.out  # the table, as last recorded, is still shown
    plan = invoke("plan")
    assert "Plan: 1 error; nothing will be applied." in plan.out


def test_watch_ends_when_the_panel_cannot_be_asked(placed: Sim) -> None:
    term = terminal("status", "--watch", "--interval", "0.1", env=env_without("SIM_KEY"))
    assert term.wait(timeout=60) == 1, term.text
    assert KEY_UNSET in term.text
    assert "Not refreshed: 1 panel could not be asked" in term.text
    assert "Traceback" not in term.text


def test_status_says_the_currency_before_any_refresh(placed: Sim) -> None:
    """The spend line has its currency from the first status, refreshed or not."""
    out = typed("status").out
    assert "Spent 0.18 USD of a budget of 5.00 USD." in out, out


@pytest.mark.parametrize("how", ["--no-color", "NO_COLOR=1", "--no-color after"])
def test_no_colour_means_no_escape_code_at_all(placed: Sim, how: str) -> None:
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    args: tuple[str, ...] = ()
    if how == "NO_COLOR=1":
        env["NO_COLOR"] = "1"
    flag = ("--no-color",) if how.startswith("--no-color") else ()
    write_campaign("d", followers(1, start=5), "budget: 5.00\n")
    commands = (
        ("plan",),
        ("apply", "--auto-approve"),  # the plan, the live bar and each outcome
        ("status",),
        ("services", "demo"),
        ("state", "list"),
    )
    for command in commands:
        args = (*flag, *command) if how == "--no-color" else (*command, *flag)
        term = terminal(*args, env=env)
        assert term.wait() == 0, term.text
        assert not SGR.search(term.raw), (args, repr(term.raw[:400]))
    coloured = terminal("plan", env={k: v for k, v in env.items() if k != "NO_COLOR"})
    assert coloured.wait() == 0
    assert SGR.search(coloured.raw)  # the same command on a terminal, colour allowed: styled


def test_services_with_no_match_says_so(placed: Sim) -> None:
    typo = typed("services", "demo", "--type", "defualt")
    assert typo.code == 1 and typo.out == ""
    assert "demo: no service matches --type 'defualt'" in typo.err
    assert "types: comment likes, " in typo.err and "default" in typo.err
    search = typed("services", "demo", "--search", "no such thing", "--json")
    assert search.code == 1 and json.loads(search.out) == []
    assert "no service matches --search 'no such thing'" in search.err
    found = typed("services", "demo", "--type", "poll")
    assert found.code == 0 and "Poll" in found.out


def test_money_at_the_panels_precision_in_plan_apply_and_status(
    sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0.12345 per 1000 x 333 = 0.04111 (0.0411088... exactly): plan, apply and status
    show what the panel charges; JSON keeps the exact cost."""
    http_project(sim, monkeypatch)
    sim.panel.speed = 0.001
    write_campaign("m", ["{id: l, service: 3, link: https://instagram.com/p/l, quantity: 333}"])
    plan = typed("plan")
    assert "      cost         0.04111 USD\n" in plan.out, plan.out
    exact = json.loads(typed("plan", "--json").out)["actions"][0]["cost"]
    assert exact == "0.04110885"
    applied = typed("apply", "--auto-approve")
    assert "0.04111 USD" in applied.out and "0.0411088" not in applied.out, applied.out
    status = typed("status", "--refresh")
    assert "0.04111" in status.out and "0.0411088" not in status.out, status.out
    assert json.loads(typed("status", "--json").out)["orders"][0]["charge"] == "0.04111"


def test_watch_ends_when_the_panel_stops_answering_mid_way(placed: Sim) -> None:
    term = terminal("status", "--watch", "--interval", "0.2")
    term.expect("c/o1")  # watching: the table is on the screen
    placed.panel.keys = frozenset({"not ours"})  # from now on the panel refuses our key
    assert term.wait(timeout=60) == 1, term.text
    assert "Error: panel demo:" in term.text
    assert "Not refreshed: 1 panel could not be asked" in term.text
    assert "are finished" not in term.text and "Traceback" not in term.text


def test_reconcile_and_plan_say_why_an_in_doubt_order_could_not_be_looked_for(
    sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lost answer's window has both ends (the second order was sent after the first
    surely ended): settling it needs the panel, which cannot be asked."""
    http_project(sim, monkeypatch)
    write_campaign("c", followers(2))
    sim.faults.queue("drop_after", action="add")
    applied = typed("apply", "--auto-approve", "--no-reconcile", "--parallelism", "1")
    assert applied.code == 1  # o0 in doubt, o1 placed after it settled
    for args in (("reconcile",), ("reconcile", "--dry-run", "--json"), ("plan",)):
        result = typed(*args, env=env_without("SIM_KEY"))
        assert result.code == 1, (args, result.out, result.err)
        assert KEY_UNSET in result.out + result.err, (args, result.out, result.err)


def test_money_at_a_panel_s_own_precision(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    """A panel that charges with 2 decimals (decimals: 2 in smm.yaml; the simulator set
    so): text shows 0.04 where JSON keeps 0.04110885, and the charge agrees."""
    sim.panel.decimals = 2
    sim.panel.speed = 0.001
    write_project(
        Path.cwd(),
        {"demo": {"url": sim.url, "key_env": "SIM_KEY", "decimals": "2"}},
    )
    monkeypatch.setenv("SIM_KEY", "k")
    write_campaign("m", ["{id: l, service: 3, link: https://instagram.com/p/l, quantity: 333}"])
    plan = typed("plan")
    assert "      cost         0.04 USD\n" in plan.out, plan.out
    assert json.loads(typed("plan", "--json").out)["actions"][0]["cost"] == "0.04110885"
    assert "0.04 USD" in typed("apply", "--auto-approve").out
    status = typed("status", "--refresh")
    assert " 0.04 " in status.out and "0.0411" not in status.out, status.out


def test_a_simulated_panel_s_url_says_its_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(Path.cwd(), {"demo": {"url": "'sim://demo?decimals=2'"}})
    write_campaign("m", ["{id: l, service: 3, link: https://instagram.com/p/l, quantity: 333}"])
    assert "      cost         0.04 USD\n" in typed("plan").out
    write_project(Path.cwd(), {"demo": {"url": "sim://other"}})  # the default: 5
    assert "      cost         0.04111 USD\n" in typed("plan").out
