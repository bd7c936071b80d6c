"""Lost answers settled without a person: kill -9 trials with lost answers, followed only
by plain ``smm apply`` runs.

Each trial starts from a state that has placed one order before (a state's very first
order on a panel has no lower bound: if its answer is lost, it is never imported), starts
an apply of 24 orders against ``smm sim serve`` (30 ms latency, other customers ordering
meanwhile, 15% of ``add`` answers lost after the order was made or before), kills it
while it places orders, then runs ``smm apply --auto-approve`` until it exits 0 (at most
a few times).  An order lost last has no own order after it, so no window end: as a
pipeline's next run would, the trial then places one more order of another campaign
(again, if that one is lost too) and applies once more.  No ``state import`` or ``state
retry``: whatever is settled, reconciliation settled.  Two kinds of campaign: distinct
orders (each its own quantity, so its own charge) and look-alikes (one service and
quantity, different links: only the window and the send order tell them apart).

Reported: the share of in-doubt orders resolved by themselves (target >= 95% for both),
imports of a wrong order (0), orders placed twice (0), orders missing (0: an address the
state calls placed that the panel does not hold), and the status calls spent per
resolved order (the surveys between look-alikes included).  Then the cost of sending
look-alikes one at a time: orders per second of 24 creates at several latencies,
distinct, in 4 look-alike groups, all look-alike, and all look-alike with
``identical_in_flight: 8``.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import crash
from bench.apply import smm, start_sim, stop_sim, summary_of
from bench.crash import ORDERS, adds, settle, sim_orders, stats, wait_for_adds

HEAL_RUNS = 6


@dataclass
class Healing:
    trials: int = 0
    in_doubt: int = 0
    resolved: int = 0
    wrong_imports: int = 0
    duplicates: int = 0
    missing: int = 0
    left_in_doubt: int = 0
    status_calls: int = 0
    resolved_before_next: int = 0
    next_orders: int = 0
    runs: list[int] = field(default_factory=list)
    why_left: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "trials": self.trials,
            "in_doubt_orders": self.in_doubt,
            "resolved_by_themselves": self.resolved,
            "share_resolved": round(self.resolved / self.in_doubt, 3) if self.in_doubt else 1.0,
            "share_resolved_before_the_next_order": (
                round(self.resolved_before_next / self.in_doubt, 3) if self.in_doubt else 1.0
            ),
            "next_orders_placed": self.next_orders,
            "left_in_doubt": self.left_in_doubt,
            "wrong_imports": self.wrong_imports,
            "placed_twice": self.duplicates,
            "missing": self.missing,
            "status_calls_per_resolved": (
                round(self.status_calls / self.resolved, 2) if self.resolved else None
            ),
            "applies_per_trial": round(sum(self.runs) / len(self.runs), 2) if self.runs else 0,
            "why_left_in_doubt": self.why_left,
        }


def project(
    folder: Path, url: str, name: str, identical: bool, index: int = 0, keyed: bool = False
) -> dict[str, str]:
    # Distinct orders are distinct on the whole account (all trials share one key): each
    # has its own quantity, so its own charge.
    def quantity(i: int) -> int:
        return 100 if identical else 100 + 10 * i + ORDERS * 10 * index

    settings = PANEL + ("    idempotency: request_id\n" if keyed else "")
    return crash.project(folder, url, name, quantity=quantity, panel=settings)


def state(folder: Path, env: dict[str, str]) -> dict[str, Any]:
    proc = smm(folder, env, "state", "export")
    data: dict[str, Any] = json.loads(proc.stdout) if proc.returncode == 0 else {}
    return data


def one_more(folder: Path, env: dict[str, str], name: str, tag: str, quantity: int) -> int:
    """Apply a campaign of one order of its own (outside campaigns/); its exit code."""
    (folder / "more").mkdir(exist_ok=True)
    path = folder / "more" / f"{tag}.yaml"
    path.write_text(
        f"campaign: {name}-{tag}\npanel: sim\norders:\n  - {{id: x, service: 1, "
        f"link: https://instagram.com/{name}-{tag}, quantity: {quantity}}}\n"
    )
    return smm(folder, env, "apply", "--auto-approve", str(path.relative_to(folder))).returncode


def heal(folder: Path, env: dict[str, str]) -> tuple[int, int]:
    """Plain applies until one exits 0 (at most ``HEAL_RUNS``): (runs, last exit code)."""
    runs, code = 0, 1
    for _ in range(HEAL_RUNS):
        runs += 1
        code = smm(folder, env, "apply", "--auto-approve", "--parallelism", "4").returncode
        if code == 0:
            break
        time.sleep(0.6)  # the settle time: the next run may bound what this one lost
    return runs, code


def trial(
    url: str, rng: random.Random, tally: Healing, index: int, identical: bool, keyed: bool
) -> None:
    name = f"h{index}{'i' if identical else 'd'}{'k' if keyed else ''}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = project(folder, url, name, identical, index, keyed)
        # A state that has placed before: its first order placed (a fresh state again
        # when that one's answer was lost).
        for attempt in range(5):
            (folder / ".smm" / "state.db").unlink(missing_ok=True)
            if one_more(folder, env, name, f"pre{attempt}", 60 + 2 * index) == 0:
                break
        before = adds(url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "apply", "--auto-approve", "--parallelism", "4"],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_adds(url, before, proc)
        time.sleep(rng.uniform(0.0, 0.15))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        settle(url)
        calls_before = int(stats(url)["by_action"].get("status", 0))
        runs, code = heal(folder, env)
        tally.resolved_before_next += count_resolved(folder, env, name)
        for n in range(3):
            if code == 0:
                break
            settle(url)
            tally.next_orders += 1
            one_more(folder, env, name, f"next{n}", 61 + 2 * index + 40 * n)
            more, code = heal(folder, env)
            runs += more
        tally.runs.append(runs)
        tally.status_calls += int(stats(url)["by_action"].get("status", 0)) - calls_before
        settle(url)
        score(folder, env, url, name, tally)
        left = smm(folder, env, "reconcile", "--dry-run", "--json")
        if left.stdout.startswith("{"):
            for decision in json.loads(left.stdout)["decisions"]:
                why = decision["reason"].split(":")[0].split(",")[0]
                why = " ".join(w for w in why.split() if not w.isdigit())
                tally.why_left[why] = tally.why_left.get(why, 0) + 1
    tally.trials += 1


def count_resolved(folder: Path, env: dict[str, str], name: str) -> int:
    """How many of the campaign's orders once in doubt are settled now."""
    data = state(folder, env)
    doubted = {e["address"] for e in data.get("events", []) if e["kind"] == "in_doubt"}
    phases = {o["address"]: o["phase"] for o in data.get("orders", [])}
    return sum(
        1 for a in doubted if a.startswith(f"{name}/") and a in phases and phases[a] != "in_doubt"
    )


def score(folder: Path, env: dict[str, str], url: str, name: str, tally: Healing) -> None:
    held = [o for o in sim_orders(url) if f"/{name}/" in (o["link"] or "")]
    by_link: dict[str, list[int]] = {}
    for order in held:
        by_link.setdefault(str(order["link"]), []).append(int(order["order"]))
    tally.duplicates += sum(len(ids) - 1 for ids in by_link.values())
    data = state(folder, env)
    doubted = {
        e["address"]
        for e in data.get("events", [])
        if e["kind"] == "in_doubt" and e["address"].startswith(f"{name}/")
    }
    records = {
        o["address"]: o for o in data.get("orders", []) if o["address"].startswith(f"{name}/")
    }
    tally.in_doubt += len(doubted)
    for address in doubted:
        record = records.get(address)
        if record is None:
            continue
        if record["phase"] == "in_doubt":
            tally.left_in_doubt += 1
        else:
            tally.resolved += 1
    for address, record in records.items():
        link = f"https://instagram.com/{name}/{address.split('/o')[-1]}"
        truth = by_link.get(link, [])
        if record["phase"] == "placed":
            if not truth:
                tally.missing += 1
            elif record["order_id"] not in truth:
                tally.wrong_imports += 1


PANEL = "    timeout: 5\n    settle_seconds: 0.5\n"
LATENCIES = (10, 50, 200)
KINDS: dict[str, tuple[Any, str]] = {
    "distinct": (lambda i: 100 + 10 * i, ""),
    "4 look-alike groups": (lambda i: 100 + 100 * (i % 4), ""),
    "all look-alike": (lambda i: 100, ""),
    "all look-alike, identical_in_flight 8": (lambda i: 100, "    identical_in_flight: 8\n"),
}


def throughput() -> list[dict[str, Any]]:
    """Orders per second of one apply of ``ORDERS`` creates (parallelism 8), by latency
    and by how alike the orders are."""
    rows = []
    for latency in LATENCIES:
        sim, url = start_sim(latency)
        row: dict[str, Any] = {"latency_ms": latency}
        try:
            for n, (label, (quantity, extra)) in enumerate(KINDS.items()):
                with tempfile.TemporaryDirectory() as tmp:
                    folder = Path(tmp)
                    name = f"t{latency}k{n}"
                    env = crash.project(folder, url, name, quantity=quantity, panel=PANEL + extra)
                    proc = smm(
                        folder, env, "apply", "--auto-approve", "--parallelism", "8", "--json"
                    )
                    seconds = float(summary_of(proc, ORDERS)["timing"]["execute_seconds"])
                    row[label] = round(ORDERS / seconds, 1)
        finally:
            stop_sim(sim)
        rows.append(row)
    return rows


def run() -> dict[str, Any]:
    rng = random.Random(7)
    results: dict[str, Any] = {"name": "in doubt, resolved by itself (kill -9, 15% lost answers)"}
    cases = {
        "distinct orders": (False, False),
        "look-alike orders": (True, False),
        "look-alike orders, idempotency: request_id": (True, True),
    }
    for label, (identical, keyed) in cases.items():
        tally = Healing()
        extra = [
            "--fault-actions",
            "add",
            "--seed",
            "3",
            "--fault",
            "drop_after=0.1",
            "--fault",
            "drop_before=0.05",
            "--others-rate",
            "5",
        ]
        sim, url = start_sim(30, extra)
        try:
            for i in range(10):
                trial(url, rng, tally, i, identical, keyed)
        finally:
            stop_sim(sim)
        results[label] = tally.to_json()
    results["target_share"] = 0.95
    kinds = tuple(cases)
    results["ok"] = all(
        results[k]["share_resolved"] >= 0.95
        and results[k]["wrong_imports"] == 0
        and results[k]["placed_twice"] == 0
        and results[k]["missing"] == 0
        for k in kinds
    )
    results["orders_per_second"] = throughput()
    return results
