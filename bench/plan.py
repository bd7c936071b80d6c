"""`smm plan` on 10,000 placed orders in 100 files whose statuses must be refreshed.

Checks the call counts (ceil(n/100) status calls, one balance call, at most one
services call) and reports the time and the peak memory of the plan command.
"""

from __future__ import annotations

import json
import math
import resource
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bench.apply import smm, start_sim, stop_sim, write_project
from bench.corpus import write_corpus
from runner.api.ordertypes import wire_params
from runner.config import campaign
from runner.panel.client import encode_param
from runner.sim.engine import SimPanel
from runner.state import StateLocation, open_store
from runner.state.location import parse

FILES = 100
PER_FILE = 100


def populate(folder: Path, data: Path, state: StateLocation | None = None) -> None:
    """Orders on the panel and in the state (``state``, else the default file), as if an
    apply had placed them."""
    loaded = campaign.load([folder / "campaigns"])
    assert not loaded.problems
    panel = SimPanel(data, speed=0.001, balance=Decimal(1_000_000))
    store = open_store(state or folder / ".smm" / "state.db")
    with store.transaction() as tx:
        for spec in loaded.orders:
            form = {"key": "bench-key", "action": "add", "service": str(spec.service)}
            for name, value in wire_params(spec.param_map, None).items():
                form[name] = encode_param(value)
            _status, body = panel.handle(form)
            assert "order" in body, body
            tx.import_order(
                spec.address,
                spec.campaign,
                spec.panel,
                spec.fingerprint(),
                spec.to_json(),
                body["order"],
                None,
            )
    store.close()
    panel.close()


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_kib: int
    calls: dict[str, int]


def measure(state: str | None = None) -> Measured:
    """One ``smm plan`` of the corpus; ``state`` (a path or a URL) as SMM_STATE, else the
    default SQLite file."""
    n = FILES * PER_FILE
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_corpus(folder / "campaigns", files=FILES, orders_per_file=PER_FILE)
        data = folder / "sim.db"
        populate(folder, data, None if state is None else parse(state, folder))
        sim, url = start_sim(0, ["--data", str(data), "--speed", "0.001"])
        try:
            env = write_project(folder, url)
            if state is not None:
                env["SMM_STATE"] = state
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            started = time.perf_counter()
            proc = smm(folder, env, "plan", "--json")
            seconds = time.perf_counter() - started
            peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            stats_url = url.replace("/api/v2", "/_sim/stats")
            with urllib.request.urlopen(stats_url) as answer:
                stats = json.loads(answer.read())
        finally:
            stop_sim(sim)
    assert proc.returncode == 0, proc.stderr[-2000:]
    plan = json.loads(proc.stdout)
    assert plan["counts"]["no-op"] == n, plan["counts"]
    calls = stats["by_action"]
    assert calls.get("status") == math.ceil(n / 100), calls
    assert calls.get("balance") == 1 and calls.get("services", 0) <= 1, calls
    return Measured(seconds, max(peak_kib, before), calls)


def run() -> dict[str, object]:
    measured = measure()
    return {
        "name": f"plan {FILES * PER_FILE} placed orders in {FILES} files, statuses refreshed",
        "seconds": round(measured.seconds, 3),
        "peak_rss_mib": round(measured.peak_kib / 1024, 1),
        "calls": measured.calls,
    }
