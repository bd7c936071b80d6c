"""`smm plan`, `smm refresh` and `smm status` of 10,000 and 100,000 placed orders.

The orders sit in files of 100 (100 and 1,000 files), placed on the simulated panel and
recorded in the state as an apply would have, with no status known yet: every one of them
is asked about.  Each command runs in a child of a small launcher, which reads its peak
RSS with ``os.wait4`` (per command, not the running maximum over all children).  Targets: time at
100k <= 11x and peak memory <= 4x the same command at 10k, and 100k in <= 400 MB.

Then the issue's second figure: `smm refresh` of the 100,000 orders against the simulator
at ``--latency-ms 50``, against the ideal ``ceil(n/100) * 50 ms / P`` (P: the client's
status parallelism; target <= 1.3).  Every refresh must still send ceil(n/100) status
calls, as the simulator counts them.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.apply import start_sim, stop_sim, write_project
from bench.corpus import write_corpus
from bench.plan import populate

PER_FILE = 100
SIZES = (10_000, 100_000)
LATENCY_MS = 50
TARGET_TIME_RATIO = 11.0
TARGET_MEMORY_RATIO = 4.0
TARGET_PEAK_MB = 400.0
TARGET_PACE_RATIO = 1.3


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    stdout: str


# Runs a command and writes its wall time and peak RSS (os.wait4: that child's own) to a
# file.  A child forked from this process would start with its peak RSS (Linux keeps the
# forking process's high-water mark across exec); one forked from this small launcher
# starts clean.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_pid, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    json.dump({"seconds": seconds, "maxrss_kib": usage.ru_maxrss}, out)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_smm(folder: Path, env: dict[str, str], *args: str) -> Run:
    """One smm command in a child of its own: its wall time and its peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        figures = Path(tmp) / "figures.json"
        out, err = Path(tmp) / "out", Path(tmp) / "err"
        with out.open("w") as stdout, err.open("w") as stderr:
            proc = subprocess.run(
                [
                    sys.executable,
                    "-I",
                    "-c",
                    LAUNCHER,
                    str(figures),
                    sys.executable,
                    "-m",
                    "runner",
                    *args,
                ],
                cwd=folder,
                env=env,
                stdout=stdout,
                stderr=stderr,
                check=False,
            )
        assert proc.returncode == 0, (args, err.read_text()[-2000:])
        measured = json.loads(figures.read_text())
        return Run(measured["seconds"], measured["maxrss_kib"] / 1024, out.read_text())


def status_calls(url: str) -> int:
    with urllib.request.urlopen(url.replace("/api/v2", "/_sim/stats")) as answer:
        stats = json.loads(answer.read())
    return int(stats["by_action"].get("status", 0))


def status_parallelism() -> int:
    from runner.panel import client

    return int(getattr(client, "STATUS_PARALLELISM", 1))


def measure(n: int, paced: bool) -> dict[str, object]:
    """plan --json, refresh and status --json of ``n`` placed orders; with ``paced``, one
    more refresh against the simulator at LATENCY_MS."""
    calls = math.ceil(n / 100)
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_corpus(folder / "campaigns", files=n // PER_FILE, orders_per_file=PER_FILE)
        data = folder / "sim.db"
        started = time.perf_counter()
        populate(folder, data)
        figures["populate_seconds"] = round(time.perf_counter() - started, 1)
        sim, url = start_sim(0, ["--data", str(data), "--speed", "0.001"])
        try:
            env = write_project(folder, url)
            plan = run_smm(folder, env, "plan", "--json")
            counts = json.loads(plan.stdout)["counts"]
            assert counts["no-op"] == n, counts
            assert status_calls(url) == calls
            refresh = run_smm(folder, env, "refresh")
            assert status_calls(url) == 2 * calls
            status = run_smm(folder, env, "status", "--json")
            shown = json.loads(status.stdout)
            assert len(shown["orders"]) == n, len(shown["orders"])
        finally:
            stop_sim(sim)
        for name, run in (("plan", plan), ("refresh", refresh), ("status", status)):
            figures[name] = {"seconds": round(run.seconds, 3), "peak_rss_mb": round(run.peak_mb, 1)}
        if paced:
            sim, url = start_sim(LATENCY_MS, ["--data", str(data), "--speed", "0.001"])
            try:
                env = write_project(folder, url)
                slow = run_smm(folder, env, "refresh")
                assert status_calls(url) == calls
            finally:
                stop_sim(sim)
            parallelism = status_parallelism()
            ideal = calls * LATENCY_MS / 1000 / parallelism
            figures["refresh_at_latency"] = {
                "latency_ms": LATENCY_MS,
                "status_parallelism": parallelism,
                "seconds": round(slow.seconds, 3),
                "ideal_seconds": round(ideal, 3),
                "ratio": round(slow.seconds / ideal, 3),
                "target_ratio": TARGET_PACE_RATIO,
            }
    return figures


def run() -> dict[str, object]:
    small, large = SIZES
    at = {small: measure(small, paced=False), large: measure(large, paced=True)}
    ratios: dict[str, object] = {}
    for name in ("plan", "refresh", "status"):
        a, b = at[small][name], at[large][name]
        assert isinstance(a, dict) and isinstance(b, dict)
        ratios[name] = {
            "time_ratio": round(b["seconds"] / a["seconds"], 2),
            "memory_ratio": round(b["peak_rss_mb"] / a["peak_rss_mb"], 2),
        }
    return {
        "name": f"plan, refresh and status of {small} and {large} placed orders "
        f"({PER_FILE} a file)",
        str(small): at[small],
        str(large): at[large],
        "ratios": ratios,
        "targets": {
            "time_ratio": TARGET_TIME_RATIO,
            "memory_ratio": TARGET_MEMORY_RATIO,
            "peak_rss_mb_at_100k": TARGET_PEAK_MB,
        },
    }
