"""Apply 1,000 distinct orders against `smm sim serve --latency-ms 50` with --parallelism 10.

Distinct: no two alike (look-alikes go one at a time per kind: ``bench/reconcile.py``
measures that cost).

Target: within 1.3x the ideal 1000 x 50 ms / 10 = 5 s.  Reports the ratio for the whole
command (start-up, plan, confirmation-free apply) and for the execution alone, and the
state store's share of the execution time: how long the state writer thread spent in
transactions.  It works beside the senders (``submitting`` is recorded ahead of them), so
that share is not added to the execution time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.corpus import write_corpus

ORDERS = 1000
LATENCY_MS = 50
PARALLELISM = 10


def start_sim(
    latency_ms: int, extra: list[str] | None = None, cwd: Path | None = None
) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runner",
            "sim",
            "serve",
            "--port",
            "0",
            "--latency-ms",
            str(latency_ms),
            "--balance",
            "100000",
            *(extra or []),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=cwd,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.split(" at ")[1].split(" ")[0]


def stop_sim(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def write_project(folder: Path, url: str, panel: str = "demo", extra: str = "") -> dict[str, str]:
    """smm.yaml with one panel on the simulator (``extra``: more of its settings, as YAML
    lines); the environment to run smm in."""
    (folder / "smm.yaml").write_text(
        f"panels:\n  {panel}:\n    url: {url}\n    key_env: BENCH_KEY\n{extra}"
    )
    return {
        **os.environ,
        "BENCH_KEY": "bench-key",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }


def smm(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def summary_of(proc: subprocess.CompletedProcess[str], orders: int) -> dict[str, Any]:
    """The summary event of ``apply --json``, which must have placed ``orders`` orders."""
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and events, proc.stderr[-2000:]
    summary: dict[str, Any] = events[-1]
    assert summary["counts"]["placed"] == orders, proc.stderr[-2000:]
    return summary


@dataclass(frozen=True)
class Timing:
    command: float  # the whole smm apply command, start-up and plan included
    execute: float  # placing the orders
    store: float  # the state writer's time inside transactions


def measure(state: str | None = None) -> Timing:
    """One apply of ``ORDERS`` orders; ``state`` (a path or a URL) as SMM_STATE, else the
    default SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_corpus(folder / "campaigns", files=10, orders_per_file=ORDERS // 10, distinct=True)
        sim, url = start_sim(LATENCY_MS)
        try:
            env = write_project(folder, url)
            if state is not None:
                env["SMM_STATE"] = state
            started = time.perf_counter()
            proc = smm(
                folder, env, "apply", "--auto-approve", "--parallelism", str(PARALLELISM), "--json"
            )
            total = time.perf_counter() - started
        finally:
            stop_sim(sim)
    timing = summary_of(proc, ORDERS)["timing"]
    return Timing(total, float(timing["execute_seconds"]), float(timing["store_seconds"]))


def run() -> dict[str, object]:
    ideal = ORDERS * LATENCY_MS / 1000 / PARALLELISM
    timing = measure()
    total, execute, store = timing.command, timing.execute, timing.store
    return {
        "name": f"apply {ORDERS} orders, latency {LATENCY_MS} ms, parallelism {PARALLELISM}",
        "ideal_seconds": ideal,
        "command_seconds": round(total, 3),
        "command_ratio": round(total / ideal, 3),
        "execute_seconds": round(execute, 3),
        "execute_ratio": round(execute / ideal, 3),
        "store_seconds": round(store, 3),
        "store_share_of_execute": round(store / execute, 3),
        "target_ratio": 1.3,
    }
