"""Pacing against a rate-limited panel: apply 600 orders to `smm sim serve --limit 20/s`
with no ``rate_limit:`` in smm.yaml.

The simulator answers HTTP 429 with ``Retry-After`` beyond a token bucket of 20 requests
a second.  Reports the share of the limit the apply sustained (admitted requests a second
during the execution, over 20; target at least 90%) and the share of all requests
answered 429 (target at most 2%).  The count of 429s comes from the simulator itself.
"""

from __future__ import annotations

import json
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.apply import smm, start_sim, stop_sim, summary_of, write_project
from bench.corpus import write_corpus

ORDERS = 600
LIMIT = 20  # requests a second


def _stats(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url.replace("/api/v2", "/_sim/stats")) as answer:
        stats: dict[str, object] = json.loads(answer.read())
    return stats


def measure(extra: str = "") -> dict[str, object]:
    """One apply of ``ORDERS`` orders against a panel limited to ``LIMIT`` a second;
    ``extra``: more of the panel's settings in smm.yaml (e.g. a ``rate_limit:``)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_corpus(folder / "campaigns", files=6, orders_per_file=ORDERS // 6)
        sim, url = start_sim(0, ["--limit", f"{LIMIT}/s"])
        try:
            env = write_project(folder, url, extra=extra)
            started = time.perf_counter()
            proc = smm(folder, env, "apply", "--auto-approve", "--json")
            total = time.perf_counter() - started
            stats = _stats(url)
        finally:
            stop_sim(sim)
    summary = summary_of(proc, ORDERS)
    execute = float(summary["timing"]["execute_seconds"])
    requests = int(str(stats["requests"]))
    limited = int(str(stats["limited"]))
    by_action = stats["by_action"]
    assert isinstance(by_action, dict)
    return {
        "execute_seconds": round(execute, 2),
        "command_seconds": round(total, 2),
        "requests": requests,
        "answered_429": limited,
        # The adds the panel admitted, a second, during the execution: the limit's share used.
        "limit_share": round(ORDERS / execute / LIMIT, 3),
        "share_429": round(limited / requests, 4),
    }


def run() -> dict[str, object]:
    return {
        "name": f"apply {ORDERS} orders to a panel limited to {LIMIT}/s, no rate_limit set",
        **measure(),
        "target_limit_share": 0.9,
        "target_share_429": 0.02,
    }
