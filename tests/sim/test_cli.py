"""The simulator as a user meets it: ``smm sim serve`` and its options in a real process,
``sim://`` URL options, ``smm sim reset``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.commands import sim as sim_command
from runner.panel import client
from runner.panel.http import RetryPolicy
from runner.sim import catalog, others
from tests.conftest import REPO, Runner, write_campaign, write_project


def post(url: str, **form: str) -> tuple[int, dict[str, str], Any]:
    body = urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(url, body, timeout=10) as reply:
            return reply.status, dict(reply.headers), json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), json.loads(exc.read())


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``smm sim serve`` in its own process with every realism option set."""
    args = ["--port", "0", "--limit", "2/min", "--others-rate", "0", "--decimals", "2"]
    args += ["--key", "alice", "--key", "bob", "--balance", "10.00"]
    with subprocess.Popen(
        [sys.executable, "-m", "runner", "sim", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert " at " in line, proc.stderr.read() if proc.stderr else line
            yield line.split(" at ")[1].split(" ")[0]
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_serve_options(served: str) -> None:
    status, _, answer = post(
        served, key="alice", action="add", service="3", link="https://x.com/a", quantity="100"
    )
    assert status == 200
    order = answer["order"]
    status, _, answer = post(served, key="alice", action="status", order=str(order))
    assert answer["charge"] == "0.01"  # 0.012345 at --decimals 2
    status, headers, _ = post(served, key="alice", action="balance")
    assert status == 429 and int(headers["Retry-After"]) >= 1  # --limit 2/min
    assert post(served, key="bob", action="balance")[2] == {"balance": "10.00", "currency": "USD"}
    assert post(served, key="bob", action="status", order=str(order))[2] == {
        "error": "Incorrect order ID"
    }
    assert post(served, key="carol", action="balance")[2] == {"error": "Invalid API key"}
    with urllib.request.urlopen(served.replace("/api/v2", "/_sim/stats")) as reply:
        stats = json.loads(reply.read())
    assert stats["limited"] == 1
    with urllib.request.urlopen(served.replace("/api/v2", "/_sim/orders?all=1")) as reply:
        assert [o["order"] for o in json.loads(reply.read())] == [order]  # --others-rate 0


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--limit", "5/day"], "limit '5/day': expected N/s"),
        (["--decimals", "11"], "--decimals"),
        (["--others-rate", "-1"], "--others-rate"),
    ],
)
def test_bad_serve_options_are_one_line(run: Runner, option: list[str], message: str) -> None:
    result = run("sim", "serve", "--port", "0", *option)
    assert result.code == 1 and message in result.err
    assert "Traceback" not in result.err


def test_the_help_shows_the_simulators_defaults() -> None:
    assert sim_command.DEFAULT_OTHERS_RATE == others.DEFAULT_RATE
    assert sim_command.DEFAULT_DECIMALS == catalog.DEFAULT_DECIMALS


def sim_project(options: str) -> None:
    write_project(Path.cwd(), {"demo": {"url": f'"sim://demo?{options}"'}})


def test_sim_url_limit(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    # The client waits out Retry-After (60 s here) within max_time: keep that short.
    monkeypatch.setattr(client, "DEFAULT_RETRY", RetryPolicy(attempts=2, max_time=0.05))
    sim_project("limit=1/min")
    write_campaign("c", ["{id: a, service: 1, link: https://x.com/a, quantity: 100}"])
    result = run("plan")  # services and balance (in parallel): one is over the limit
    assert result.code == 1 and ": rate limited (HTTP 429)" in result.out
    sim_project("limit=100/s")
    assert run("plan").code == 0


def test_sim_url_decimals_and_others_rate(run: Runner) -> None:
    sim_project("decimals=2&others_rate=0")
    write_campaign("c", ["{id: a, service: 3, link: https://x.com/a, quantity: 100}"])
    assert run("apply", "--auto-approve").code == 0
    status = json.loads(run("status", "--refresh", "--json").out)
    assert status["orders"][0]["charge"] == "0.01"


@pytest.mark.parametrize(
    "option",
    [
        "decimals=x",
        "decimals=20",
        "decimals=010",
        "seed=" + "9" * 5000,
        "others_rate=-2",
        "limit=3",
        "limit=1/fortnight",
    ],
)
def test_bad_sim_url_options_are_one_line(run: Runner, option: str) -> None:
    sim_project(option)
    result = run("balance", "demo")
    assert result.code == 1 and "bad sim:// option" in result.err
    assert "Traceback" not in result.err


def test_reset_starts_a_sim_panel_afresh(run: Runner) -> None:
    sim_project("others_rate=0")
    write_campaign("c", ["{id: a, service: 1, link: https://x.com/a, quantity: 1000}"])
    assert run("apply", "--auto-approve").code == 0
    assert run("balance", "demo").out.strip() == "demo: 249.10 USD"
    data = Path(".smm/sim/demo.db")
    assert data.is_file()
    Path("sub").mkdir()
    os.chdir("sub")  # the project's folder is found from below, as for every command
    result = run("sim", "reset", "demo")
    os.chdir("..")
    assert result.code == 0
    assert result.out == "sim://demo starts afresh: deleted ../.smm/sim/demo.db\n"
    assert not data.exists() and not list(data.parent.glob("demo.db*"))
    assert run("balance", "demo").out.strip() == "demo: 250.00 USD"
    refreshed = json.loads(run("refresh", "--json").out)
    assert refreshed["item_errors"] == 1  # the order recorded in the state is not the panel's


def test_reset_without_data_and_by_url(run: Runner) -> None:
    result = run("sim", "reset", "sim://fresh?speed=5")
    assert result.code == 0
    assert (
        result.out
        == "sim://fresh starts afresh: it had no data (.smm/sim/fresh.db does not exist)\n"
    )


@pytest.mark.parametrize("name", ["../demo", "a/b", "", ".hidden", "sim://../x"])
def test_reset_refuses_what_is_not_a_name(run: Runner, name: str) -> None:
    Path(".smm").mkdir()
    (Path(".smm") / "keep").write_text("x")
    result = run("sim", "reset", name)
    assert result.code == 1 and "is not a simulated panel's name" in result.err
    assert (Path(".smm") / "keep").exists()


def test_sim_url_quirks() -> None:
    """quirks=1: the in-process panel answers with the variants some panels use."""
    from runner.workflows.connect import open_client
    from runner.workflows.context import Context

    for options, quirky in (("quirks=1", True), ("quirks=0", False)):
        sim_project(options)
        ctx = Context()
        with open_client(ctx.project, ctx.project.panel("demo")) as panel:
            transport = panel._http._transport  # the in-process panel, asked directly
            with httpx.Client(transport=transport) as raw:
                form = {"key": "k", "action": "services"}
                services = raw.post("http://sim.invalid/api/v2", data=form).json()
        assert isinstance(services[0]["service"], str) is quirky
