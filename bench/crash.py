"""The crash-and-fault harness: kill -9 applies at random moments, with every network fault
of the simulator, then repair from the simulator's ground truth and check that no address
was ordered twice, every panel order is recorded, and the state is never corrupt.

It runs on the SQLite store and on the PostgreSQL one (``SMM_BENCH_PG``, a database of its
own, a schema per trial); on PostgreSQL, trials also lose the database in the middle of an
apply: the server restarted (the bench) or every connection ended (the tests).

``python -m bench crash`` runs 105+ trials per store and the concurrent-start checks; the
tests run a few trials of the same code.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from bench.apply import smm, start_sim, stop_sim, write_project
from bench.faultpoints import ACTIONS, POINTS
from bench.postgres import database

FAULTS = ("none", "rate_limit", "server_error", "html", "bad_json", "drop_before", "drop_after")
ORDERS = 24


@dataclass
class Tally:
    trials: int = 0
    killed_mid_apply: int = 0
    in_doubt_imported: int = 0
    in_doubt_retried: int = 0
    duplicates: int = 0
    unrecorded: int = 0
    corrupt: int = 0
    by_fault: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.duplicates == 0 and self.unrecorded == 0 and self.corrupt == 0


def sim_orders(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(url.replace("/api/v2", "/_sim/orders")) as answer:
        data: list[dict[str, Any]] = json.loads(answer.read())
    return data


def stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url.replace("/api/v2", "/_sim/stats")) as answer:
        data: dict[str, Any] = json.loads(answer.read())
    return data


def adds(url: str) -> int:
    return int(stats(url)["by_action"].get("add", 0))


def wait_for_adds(url: str, before: int, proc: subprocess.Popen[Any], timeout: float = 20) -> None:
    """Until the apply has sent its first order (or ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and adds(url) == before:
        time.sleep(0.01)


def settle(url: str, timeout: float = 60.0) -> None:
    """Wait until the panel has answered everything it received and nothing new comes."""
    deadline = time.monotonic() + timeout
    previous = -1
    while time.monotonic() < deadline:
        now = stats(url)
        if now["in_flight"] == 0 and now["requests"] == previous:
            return
        previous = now["requests"]
        time.sleep(0.3)


def project(
    folder: Path,
    url: str,
    name: str,
    state: str | None = None,
    quantity: Callable[[int], int] = lambda i: 100,
    panel: str = "    timeout: 5\n    settle_seconds: 0.5\n",
) -> dict[str, str]:
    """The project of one trial; ``state`` (a URL) as SMM_STATE, else the default file;
    ``quantity`` of each order; ``panel``: more panel settings, as YAML lines (the
    simulator ends a request when it answers: a short settle time is enough)."""
    env = write_project(folder, url, "sim", panel)
    if state is not None:
        env["SMM_STATE"] = state
    (folder / "campaigns").mkdir(exist_ok=True)
    lines = [f"campaign: {name}", "panel: sim", "orders:"]
    for i in range(ORDERS):
        lines.append(
            f"  - {{id: o{i}, service: 1, link: https://instagram.com/{name}/{i},"
            f" quantity: {quantity(i)}}}"
        )
    (folder / "campaigns" / f"{name}.yaml").write_text("\n".join(lines) + "\n")
    return env


def records(folder: Path, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    proc = smm(folder, env, "state", "export")
    if proc.returncode != 0:
        return {}
    return {o["address"]: o for o in json.loads(proc.stdout)["orders"]}


def resolve(folder: Path, env: dict[str, str], url: str, name: str, tally: Tally) -> None:
    """Settle every in-doubt order from the panel's ground truth."""
    by_link = {o["link"]: o["order"] for o in sim_orders(url)}
    for address, record in records(folder, env).items():
        if record["phase"] not in ("in_doubt", "submitting"):
            continue
        index = address.split("/o")[-1]
        order = by_link.get(f"https://instagram.com/{name}/{index}")
        if order is not None:
            smm(folder, env, "state", "import", address, str(order), "--yes")
            tally.in_doubt_imported += 1
        else:
            smm(folder, env, "state", "retry", address, "--yes")
            tally.in_doubt_retried += 1


def check(folder: Path, env: dict[str, str], url: str, name: str, tally: Tally) -> None:
    mine = [o for o in sim_orders(url) if f"/{name}/" in (o["link"] or "")]
    links = [o["link"] for o in mine]
    tally.duplicates += len(links) - len(set(links))
    recorded = {r["order_id"] for r in records(folder, env).values() if r["order_id"]}
    tally.unrecorded += len({o["order"] for o in mine} - recorded)
    if "SMM_STATE" in env:  # PostgreSQL: the whole state must read back
        tally.corrupt += smm(folder, env, "state", "export").returncode != 0
        return
    db = sqlite3.connect(folder / ".smm" / "state.db")
    try:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            tally.corrupt += 1
    finally:
        db.close()


def start_apply(folder: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "runner", "apply", "--auto-approve", "--parallelism", "4", "--json"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def repair(folder: Path, env: dict[str, str], url: str, name: str, tally: Tally) -> None:
    """As a person would: once the panel has settled, settle the in-doubt orders from its
    ground truth and apply again, until nothing is left to do; then check."""
    settle(url)
    for _ in range(30):  # faults keep striking the re-applies: repeat until settled
        resolve(folder, env, url, name, tally)
        result = smm(folder, env, "apply", "--auto-approve")
        if "No changes." in result.stdout:
            break
    resolve(folder, env, url, name, tally)
    check(folder, env, url, name, tally)


def trial(
    url: str, fault: str, rng: random.Random, tally: Tally, index: int, state: str | None = None
) -> None:
    name = f"t{index}-{fault.replace('_', '')}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        schema = f"?schema=crash_{index}_{fault.replace('_', '')}"
        env = project(folder, url, name, None if state is None else state + schema)
        adds_before = adds(url)
        proc = start_apply(folder, env)
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0.05, 0.6))  # at start-up, planning or placing
        else:
            wait_for_adds(url, adds_before, proc)  # while it places orders
            time.sleep(rng.uniform(0.0, 0.15))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            tally.killed_mid_apply += 1
        proc.wait()
        # A request the dead apply sent may still be inside the panel: look at the
        # panel's ground truth only once it has settled, as a person would.
        repair(folder, env, url, name, tally)
    tally.trials += 1
    tally.by_fault[fault] = tally.by_fault.get(fault, 0) + 1


def fault_points(state: str | None = None, nth: int = 3) -> dict[str, Any]:
    """A kill and a failure at each step of placing an order (``bench.faultpoints``), each
    hit on every run: the apply that comes next, alone, orders nothing twice; then the
    usual repair and checks."""
    tally = Tally()
    missed: list[str] = []
    sim, url = start_sim(5, ["--seed", "1"])
    try:
        for index, (point, action) in enumerate((p, a) for p in POINTS for a in ACTIONS):
            name = f"fp{index}"
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                schema = f"?schema=faultpoint_{index}"
                env = project(folder, url, name, None if state is None else state + schema)
                marker = folder / "fault-point-hit"
                hook = [sys.executable, "-m", "bench.faultpoints", point, action, str(nth)]
                subprocess.run(
                    [*hook, str(marker), "--", "apply", "--auto-approve", "--parallelism", "4"],
                    cwd=folder,
                    env=env,
                    capture_output=True,
                    check=False,
                    timeout=600,
                )
                if not marker.exists():
                    missed.append(f"{point}/{action}")
                tally.killed_mid_apply += 1
                settle(url)
                smm(folder, env, "apply", "--auto-approve")  # the tool alone, first
                check(folder, env, url, name, Tally())  # (unrecorded ones are in doubt)
                links = [o["link"] for o in sim_orders(url) if f"/{name}/" in (o["link"] or "")]
                tally.duplicates += len(links) - len(set(links))
                repair(folder, env, url, name, tally)
            tally.trials += 1
            tally.by_fault[f"{point}/{action}"] = 1
    finally:
        stop_sim(sim)
    return {
        "name": "fault points",
        "trials": tally.trials,
        "points_missed": missed,
        "duplicates": tally.duplicates,
        "unrecorded_panel_orders": tally.unrecorded,
        "corrupt_state_files": tally.corrupt,
        "ok": tally.ok and not missed,
    }


def lose_database(state: str, how: str) -> None:
    """The database goes away under the apply: the server restarts, or every connection
    to the database ends.  Either way it answers again before this returns."""
    server, database = state.rsplit("/", 1)
    if how == "restart":
        clusters = sorted(Path("/etc/postgresql").iterdir())
        version = clusters[-1].name
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    else:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (database.split("?")[0],),
            )
    deadline = time.monotonic() + 60
    while True:
        try:
            psycopg.connect(f"{server}/postgres", connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def database_lost(url: str, state: str, tally: Tally, index: int, how: str) -> str:
    """An apply that loses its database while it places orders; what it said."""
    name = f"lost{index}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = project(folder, url, name, f"{state}?schema=lost_{index}")
        adds_before = adds(url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "apply", "--auto-approve", "--parallelism", "4"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for_adds(url, adds_before, proc)
        time.sleep(0.05)
        lose_database(state, how)
        _out, err = proc.communicate(timeout=120)
        tally.killed_mid_apply += proc.returncode != 0
        repair(folder, env, url, name, tally)
    tally.trials += 1
    tally.by_fault[f"database_{how}"] = tally.by_fault.get(f"database_{how}", 0) + 1
    return err.strip().splitlines()[-1] if err.strip() else ""


def concurrent(url: str, applies: int, index: int, state: str | None = None) -> bool:
    """``applies`` applies started at the same moment on one store: one places orders."""
    name = f"c{index}x{applies}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        schema = f"?schema=concurrent_{index}_{applies}"
        env = project(folder, url, name, None if state is None else state + schema)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "runner", "apply", "--auto-approve"],
                cwd=folder,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(applies)
        ]
        outs = [p.communicate(timeout=120) for p in procs]
        placing = sum(1 for out, _ in outs if f"{ORDERS} orders placed" in out)
        locked = sum(1 for _, err in outs if "the state is locked by" in err)
        mine = [o for o in sim_orders(url) if f"/{name}/" in (o["link"] or "")]
        return (
            placing == 1
            and len(mine) == ORDERS
            and placing + locked + sum(1 for out, _ in outs if "No changes." in out) == applies
        )


def harness(
    trials_per_fault: int,
    concurrent_rounds: int,
    seed: int = 1,
    state: str | None = None,
    lose: str | None = None,
) -> dict[str, Any]:
    """The trials on the SQLite store, or on the PostgreSQL database at ``state``; with
    ``lose`` ("restart" or "terminate"), one more trial loses the database mid-apply."""
    rng = random.Random(seed)
    tally = Tally()
    concurrency_ok = 0
    concurrency_runs = 0
    lost_said = None
    for fault in FAULTS:
        extra = ["--fault-actions", "add", "--seed", str(seed)]
        if fault != "none":
            extra += ["--fault", f"{fault}=0.25"]
        sim, url = start_sim(30, extra)
        try:
            for i in range(trials_per_fault):
                trial(url, fault, rng, tally, i, state)
            if fault == "none":
                for r in range(concurrent_rounds):
                    for applies in (2, 4):
                        concurrency_runs += 1
                        concurrency_ok += concurrent(url, applies, r, state)
                if lose is not None and state is not None:
                    lost_said = database_lost(url, state, tally, 0, lose)
        finally:
            stop_sim(sim)
    return {
        "name": "crash-and-fault harness",
        "store": "sqlite" if state is None else "postgresql",
        "trials": tally.trials,
        "killed_mid_apply": tally.killed_mid_apply,
        "by_fault": tally.by_fault,
        "in_doubt_imported": tally.in_doubt_imported,
        "in_doubt_retried": tally.in_doubt_retried,
        "duplicates": tally.duplicates,
        "unrecorded_panel_orders": tally.unrecorded,
        "corrupt_state_files": tally.corrupt,
        "concurrent_starts": concurrency_runs,
        "concurrent_starts_ok": concurrency_ok,
        **({} if lost_said is None else {"database_lost_apply_said": lost_said}),
        "ok": tally.ok and concurrency_ok == concurrency_runs,
    }


def run() -> dict[str, Any]:
    sqlite = harness(trials_per_fault=15, concurrent_rounds=3)
    points = fault_points()
    with database() as state:
        postgres = harness(trials_per_fault=15, concurrent_rounds=3, state=state, lose="restart")
        pg_points = fault_points(state)
    return {
        "name": "crash-and-fault harness, SQLite and PostgreSQL",
        "sqlite": sqlite,
        "postgresql": postgres,
        "fault_points": points,
        "fault_points_postgresql": pg_points,
        "ok": sqlite["ok"] and postgres["ok"] and points["ok"] and pg_points["ok"],
    }
