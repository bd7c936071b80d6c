"""The command line as a user meets it: version, help, exit codes, errors, secrecy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner import cli
from tests.conftest import REPO, SECRET_KEY, Runner, Sim, write_project


def test_version(run: Runner) -> None:
    result = run("--version")
    assert result.code == 0 and result.out.strip() == "smm 0.1.0"


def test_python_dash_m_works_like_smm() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "runner", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "smm 0.1.0"


def test_help_does_not_import_heavy_modules() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "runner", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and "Usage: smm" in proc.stdout
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "click" in imported
    assert not imported & {"httpx", "rich", "jsonschema", "yaml", "tenacity"}


def test_usage_errors_exit_1_not_2(run: Runner) -> None:
    assert run("no-such-command").code == 1
    assert run("services").code == 1  # missing argument
    assert run("services", "demo", "--format", "xml").code == 1


def test_services_and_balance_of_the_demo_panel(run: Runner) -> None:
    result = run("services", "demo")
    assert result.code == 0
    assert "Instagram Followers" in result.out and "Rate: USD per 1000 units" in result.out
    assert "0.12345" in result.out
    poll = run("services", "demo", "--type", "poll", "--json")
    assert poll.code == 0 and '"service": 7' in poll.out and '"service": 1,' not in poll.out
    found = run("services", "demo", "--search", "tiktok", "--json")
    assert '"service": 20' in found.out and '"service": 7' not in found.out
    assert run("balance", "demo").out.strip() == "demo: 250.00 USD"
    assert run("balance", "demo", "--json").out.strip() == (
        '{"panel": "demo", "balance": "250.00", "currency": "USD"}'
    )
    assert Path(".smm/sim/demo.db").is_file()


def test_real_panel_over_http(run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(Path.cwd(), {"local": {"url": sim.url, "key_env": "LOCAL_KEY"}})
    monkeypatch.setenv("LOCAL_KEY", SECRET_KEY)
    result = run("balance", "local")
    assert result.code == 0 and result.out.strip() == "local: 250.00 USD"
    assert sim.endpoint.by_action == {"balance": 1}


def test_missing_key_variable_is_one_line(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(
        Path.cwd(),
        {"gator": {"url": "https://smm-gator.example/api/v2", "key_env": "SMM_GATOR_KEY"}},
    )
    monkeypatch.delenv("SMM_GATOR_KEY", raising=False)
    result = run("balance", "gator")
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert "SMM_GATOR_KEY is not set" in result.err and "Traceback" not in result.err


def test_unknown_panel(run: Runner) -> None:
    result = run("balance", "nope")
    assert result.code == 1 and "unknown panel 'nope'" in result.err


def test_bad_project_file_names_its_place(run: Runner) -> None:
    Path("smm.yaml").write_text("panels:\n  demo:\n    url: sim://demo\n    key: abc\n")
    result = run("balance", "demo")
    assert result.code == 1
    assert result.err.startswith("Error: smm.yaml:4:5: ")
    assert "API keys are not allowed" in result.err


def test_a_bug_exits_3_with_a_crash_log(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    from runner.workflows import panels

    def boom(*args: object) -> None:
        raise RuntimeError(f"kaboom {SECRET_KEY}")

    from runner.errors import register_secret

    register_secret(SECRET_KEY)
    monkeypatch.setattr(panels, "balance", boom)
    result = run("balance", "demo")
    assert result.code == 3
    assert "internal error" in result.err and "Traceback" not in result.err
    log = Path(".smm/crash.log").read_text()
    assert "RuntimeError: kaboom ***" in log and SECRET_KEY not in log


def test_the_key_never_appears_anywhere(
    run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(
        Path.cwd(),
        {
            "local": {"url": sim.url, "key_env": "LOCAL_KEY"},
            "dead": {"url": "http://127.0.0.1:9/api/v2", "key_env": "LOCAL_KEY"},
        },
    )
    monkeypatch.setenv("LOCAL_KEY", SECRET_KEY)
    outputs = []
    for args, fault in [
        (("-vv", "balance", "local"), None),
        (("-vv", "services", "local", "--json"), None),
        (("-v", "balance", "local"), "bad_json"),
        (("-v", "balance", "local"), "html"),
        (("-vv", "balance", "dead"), None),
    ]:
        if fault:
            sim.faults.queue(fault, count=10)
        outputs.append(run(*args))
        sim.faults.clear()
    sim.panel.keys = frozenset({"another"})
    outputs.append(run("-vv", "balance", "local"))
    assert outputs[0].code == 0 and "DEBUG" in outputs[0].err
    assert all(r.code == 1 for r in outputs[2:])
    assert "Invalid API key" in outputs[-1].err
    for result in outputs:
        assert SECRET_KEY not in result.out and SECRET_KEY not in result.err
    crash = Path(".smm/crash.log")
    assert not crash.exists() or SECRET_KEY not in crash.read_text()


class ThirdPartyError(Exception):
    """What the client below raises for an answer with an ``error``."""


class ThirdPartyClient:
    """A client of the panel API as third parties write them (after the public `babismm`
    package): its own code, form-encoded POSTs with a browser's User-Agent, ids joined by
    commas, an ``error`` in a 2xx answer raised.  Nothing of smm's own client is used."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url
        self.key = key
        self.http = httpx.Client(
            timeout=30, headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"}
        )

    def request(self, action: str, **data: object) -> Any:
        form = {"key": self.key, "action": action}
        form.update({k: str(v) for k, v in data.items() if v is not None})
        answer = self.http.post(self.url, data=form)
        answer.raise_for_status()
        result = answer.json()
        if isinstance(result, dict) and result.get("error"):
            raise ThirdPartyError(result["error"])
        return result

    def ids(self, values: list[Any]) -> str:
        return ",".join(map(str, values))


def test_sim_serve_subprocess_and_a_third_party_client(tmp_path: Path) -> None:
    """A client written as third parties write them works unchanged against `smm sim
    serve`, run as its own process."""
    with subprocess.Popen(
        [sys.executable, "-m", "runner", "sim", "serve", "--port", "0", "--speed", "100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            url = line.split(" at ")[1].split(" ")[0]
            client = ThirdPartyClient(url, SECRET_KEY)
            try:
                _drive_a_third_party_client(client)
            finally:
                client.http.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _drive_a_third_party_client(client: ThirdPartyClient) -> None:
    services = client.request("services")
    assert {s["type"] for s in services} >= {"Default", "Poll", "Subscriptions"}
    assert client.request("balance") == {"balance": "250.00", "currency": "USD"}
    order = client.request("add", service=1, link="https://instagram.com/acme", quantity=100)
    order = order["order"]
    comments = client.request(
        "add", service=2, link="https://instagram.com/p/1", comments="Great!\nLove it"
    )["order"]
    poll = client.request("add", service=7, link="https://t.me/a/1", quantity=100, answer_number=2)
    sub = client.request("add", service=18, username="acme", min=20, max=100, posts=2, delay=30)
    drip = client.request(
        "add", service=3, link="https://instagram.com/p/2", quantity=10, runs=2, interval=1
    )
    assert all(isinstance(x["order"], int) for x in (poll, sub, drip))
    status = client.request("status", order=order)
    assert set(status) == {"charge", "start_count", "status", "remains", "currency"}
    multi = client.request("status", orders=client.ids([order, comments, 1]))
    assert multi["1"] == {"error": "Incorrect order ID"}
    assert multi[str(comments)]["charge"] == "0.025"
    # A refill needs the order done: asked until it is (each ask a round trip; the
    # panel runs 100,000 times faster than real time).
    for _ in range(1000):
        if client.request("status", order=order)["status"] in ("Completed", "Partial"):
            break
    else:
        raise AssertionError("the order never completed")
    refill = client.request("refill", order=order)
    assert refill["refill"].isdigit()
    many = client.request("refill", orders=client.ids([order, 1]))
    assert many[1] == {"order": 1, "refill": {"error": "Incorrect order ID"}}
    assert client.request("refill_status", refill=refill["refill"])["status"] in (
        "Pending",
        "In progress",
        "Completed",
    )
    statuses = client.request("refill_status", refills=client.ids([refill["refill"], 1]))
    assert statuses[1] == {"refill": 1, "status": {"error": "Refill not found"}}
    cancelled = client.request("cancel", orders=client.ids([poll["order"], 1]))
    assert cancelled[1] == {"order": 1, "cancel": {"error": "Incorrect order ID"}}
    with pytest.raises(ThirdPartyError, match="Quantity less than minimal 50"):
        client.request("add", service=1, link="https://instagram.com/x", quantity=1)


def test_main_returns_codes_without_exiting() -> None:
    assert cli.main(["--help"]) == 0
