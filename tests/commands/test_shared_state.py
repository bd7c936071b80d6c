"""A state shared on PostgreSQL by two working folders (two CI runners, or a runner and a
person), against the simulated panel over HTTP with latency: different campaigns are
applied at the same time, the same campaign never twice at once, a killed apply's locks
are released, and a lost database connection stops placing with nothing sent unrecorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, SECRET_KEY, Sim, followers
from tests.pgserver import backends, terminate

ORDERS = 24


def folder(root: Path, name: str, sim: Sim, campaigns: dict[str, int]) -> Path:
    """A working folder of its own (a checkout), with campaigns of ``ORDERS`` orders whose
    links start at the given offset."""
    work = root / name
    (work / "campaigns").mkdir(parents=True)
    # The simulator ends a request when it answers: a short settle time is enough.
    (work / "smm.yaml").write_text(
        f"panels:\n  demo:\n    url: {sim.url}\n    key_env: SIM_KEY\n    settle_seconds: 0.3\n"
    )
    for campaign, start in campaigns.items():
        orders = "".join(f"  - {o}\n" for o in followers(ORDERS, start=start))
        (work / "campaigns" / f"{campaign}.yaml").write_text(
            f"campaign: {campaign}\npanel: demo\norders:\n{orders}"
        )
    return work


def env(state: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SIM_KEY": SECRET_KEY,
        "SMM_STATE": state,
        "SMM_CRASH_LOG": os.environ["SMM_CRASH_LOG"],
    }


def spawn(cwd: Path, state: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runner", *args],
        cwd=cwd,
        env=env(state),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def smm(cwd: Path, state: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        cwd=cwd,
        env=env(state),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def apply(cwd: Path, state: str, *extra: str) -> subprocess.Popen[str]:
    return spawn(cwd, state, "apply", "--auto-approve", "--parallelism", "2", *extra)


def orders_of(sim: Sim, first: int) -> list[dict[str, Any]]:
    """The panel's orders for the links of the campaign starting at ``first``."""
    links = {f"https://instagram.com/u{i}" for i in range(first, first + ORDERS)}
    return [o for o in sim.orders() if o["link"] in links]


def wait_for_orders(sim: Sim, first: int, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while len(orders_of(sim, first)) < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the apply placed nothing"
        time.sleep(0.01)


def records(cwd: Path, state: str) -> dict[str, dict[str, Any]]:
    result = smm(cwd, state, "state", "export")
    assert result.returncode == 0, result.stderr
    return {o["address"]: o for o in json.loads(result.stdout)["orders"]}


def assert_once(sim: Sim) -> None:
    links = [(o["service"], o["link"]) for o in sim.orders()]
    assert len(links) == len(set(links)), "an order was placed twice"


def window(sim: Sim, first: int) -> tuple[float, float]:
    created = sorted(float(o["created"]) for o in orders_of(sim, first))
    return created[0], created[-1]


def test_two_runners_apply_different_campaigns_at_the_same_time(
    sim: Sim, pg_url: str, tmp_path: Path
) -> None:
    sim.faults.latency_ms = 100
    one = folder(tmp_path, "runner1", sim, {"alpha": 0})
    two = folder(tmp_path, "runner2", sim, {"beta": 100})
    first = apply(one, pg_url)
    wait_for_orders(sim, 0, 1, first)
    second = apply(two, pg_url)
    outs = [p.communicate(timeout=120) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outs
    assert all(f"Apply complete: {ORDERS} orders placed." in out for out, _ in outs)
    (a_start, a_end), (b_start, b_end) = window(sim, 0), window(sim, 100)
    overlap = min(a_end, b_end) - max(a_start, b_start)
    # One lock for the whole state would put one window after the other.
    assert overlap > 0.25 * min(a_end - a_start, b_end - b_start), (a_start, a_end, b_start, b_end)
    assert set(records(one, pg_url)) == {f"alpha/o{i}" for i in range(ORDERS)} | {
        f"beta/o{i}" for i in range(100, 100 + ORDERS)
    }
    # each campaign's serial moved with its own writes only
    exported = json.loads(smm(one, pg_url, "state", "export").stdout)
    alpha, beta = exported["campaigns"]["alpha"], exported["campaigns"]["beta"]
    assert set(exported["campaigns"]) == {"alpha", "beta"} and alpha >= 2 and beta >= 2
    assert exported["serial"] == alpha + beta  # no write of one touched the other
    assert_once(sim)


def test_the_same_campaign_is_never_applied_twice_at_once(
    sim: Sim, pg_url: str, tmp_path: Path
) -> None:
    sim.faults.latency_ms = 50
    one = folder(tmp_path, "runner1", sim, {"alpha": 0})
    two = folder(tmp_path, "person", sim, {"alpha": 0})
    first = apply(one, pg_url)
    wait_for_orders(sim, 0, 1, first)
    refused = smm(two, pg_url, "apply", "--auto-approve")
    assert refused.returncode == 1
    assert f"the state is locked by pid {first.pid} on " in refused.stderr
    assert "(smm apply --auto-approve --parallelism 2; user " in refused.stderr
    assert "for campaign alpha" in refused.stderr
    waited = apply(two, pg_url, "--lock-timeout", "120")
    outs = [p.communicate(timeout=120) for p in (first, waited)]
    assert first.returncode == 0 and f"{ORDERS} orders placed" in outs[0][0], outs
    assert waited.returncode == 0 and "No changes." in outs[1][0], outs
    assert len(orders_of(sim, 0)) == ORDERS
    assert_once(sim)


def test_a_killed_apply_releases_its_locks(sim: Sim, pg_url: str, tmp_path: Path) -> None:
    sim.faults.latency_ms = 50
    one = folder(tmp_path, "runner1", sim, {"alpha": 0})
    first = apply(one, pg_url)
    wait_for_orders(sim, 0, 3, first)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    time.sleep(0.2)  # requests the dead apply sent are answered
    # The next apply is not blocked: the server ended the dead one's session and locks.
    again = smm(one, pg_url, "apply", "--auto-approve")
    assert "locked" not in again.stderr, again.stderr
    held = orders_of(sim, 0)
    recorded = records(one, pg_url)
    assert {o["order_id"] for o in recorded.values() if o["order_id"]} <= {o["order"] for o in held}
    in_doubt = {a for a, o in recorded.items() if o["phase"] == "in_doubt"}
    placed = {a for a, o in recorded.items() if o["phase"] == "placed"}
    assert placed | in_doubt == set(recorded) and len(recorded) == ORDERS
    assert len(held) <= ORDERS and len(held) >= len(placed)
    assert_once(sim)


def test_a_lost_connection_stops_placing_and_leaves_nothing_unrecorded(
    sim: Sim, pg_url: str, tmp_path: Path
) -> None:
    sim.faults.latency_ms = 100
    one = folder(tmp_path, "runner1", sim, {"alpha": 0})
    first = apply(one, pg_url)
    wait_for_orders(sim, 0, 4, first)
    terminate(backends(pg_url, f"smm-store/{first.pid}"))
    out, err = first.communicate(timeout=60)
    assert first.returncode == 1, out + err
    assert err.strip().splitlines()[-1].startswith("Error: state store postgresql://")
    assert "the connection was lost" in err and "Traceback" not in err
    held = {o["link"]: o["order"] for o in orders_of(sim, 0)}
    time.sleep(0.5)
    assert len(orders_of(sim, 0)) == len(held) < ORDERS  # it stopped placing
    # Every order on the panel has its record: none was sent before `submitting` was
    # committed; those whose outcome was lost are in doubt, none is left `submitting`.
    recorded = records(one, pg_url)
    by_link = {o["spec"]["params"]["link"]: o for o in recorded.values()}
    assert set(held) <= set(by_link)
    phases = {o["phase"] for o in recorded.values()}
    assert phases <= {"placed", "in_doubt"} and "in_doubt" in phases
    in_doubt = sorted(a for a, o in recorded.items() if o["phase"] == "in_doubt")
    for link, order in held.items():
        assert by_link[link]["order_id"] in (order, None)
    plan = smm(one, pg_url, "plan")
    assert all(address in plan.stdout for address in in_doubt), plan.stdout
    # The next run places the rest; a person settles the in-doubt ones from the panel.
    smm(one, pg_url, "apply", "--auto-approve")
    for address in in_doubt:
        link = recorded[address]["spec"]["params"]["link"]
        if link in held:
            smm(one, pg_url, "state", "import", address, str(held[link]), "--yes")
        else:
            smm(one, pg_url, "state", "retry", address, "--yes")
    final = smm(one, pg_url, "apply", "--auto-approve")
    assert final.returncode == 0, final.stdout + final.stderr
    assert len(orders_of(sim, 0)) == ORDERS
    assert_once(sim)


@pytest.fixture(autouse=True)
def _no_crash_log() -> Any:
    yield
    crash = Path(os.environ["SMM_CRASH_LOG"])
    assert not crash.exists(), crash.read_text()
