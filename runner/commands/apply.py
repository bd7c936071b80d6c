"""``smm apply``: plan (or load a saved plan), confirm, execute, record, report."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from runner.console import console, out
from runner.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, SmmError
from runner.money import fmt

if TYPE_CHECKING:
    from runner.cli import Env
    from runner.executor import Executor, Outcome, Report
    from runner.panel.client import PanelClient
    from runner.plan import Plan
    from runner.state import StateStore

PROMPT = "Place these orders? Only 'yes' will be accepted:"


class StalePlan(SmmError):
    """The state moved on since the saved plan was made."""


def is_plan_file(paths: tuple[Path, ...]) -> bool:
    return len(paths) == 1 and paths[0].is_file() and paths[0].suffix == ".json"


def load_plan(path: Path) -> Plan:
    from runner.plan import Plan

    try:
        return Plan.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SmmError(f"{path}: not a saved plan ({exc})") from None


def check_fresh(plan: Plan, store: StateStore, path: Path) -> None:
    info = store.info()
    fresh_store = plan.lineage is None and info.serial == 0
    if not fresh_store and (plan.lineage != info.lineage or plan.serial != info.serial):
        raise StalePlan(
            f"{path} is stale: it was made against state serial {plan.serial}"
            f"{'' if plan.lineage == info.lineage else ' of another state store'}, and the "
            f"state is now at serial {info.serial}; run smm plan again"
        )


BALANCE_FRESH_SECONDS = 10.0


def recheck_balance(
    plan: Plan, clients: dict[str, PanelClient], fetched_at: float | None = None
) -> None:
    """The balance may have moved since the plan was made (a saved plan, a slow answer to
    the prompt, another tool spending): ask again unless it was asked a moment ago."""
    from runner.plan import Kind

    if fetched_at is not None and time.monotonic() - fetched_at < BALANCE_FRESH_SECONDS:
        return
    costs: dict[str, Decimal] = {}
    for action in plan.of_kind(Kind.CREATE):
        costs[action.panel] = costs.get(action.panel, Decimal(0)) + (action.cost or 0)
    for panel, total in sorted(costs.items()):
        balance = clients[panel].balance()
        if total > balance.amount:
            raise SmmError(
                f"panel {panel}: the balance is now {fmt(balance.amount)} {balance.currency}, "
                f"below the plan's cost {fmt(total)}; nothing was ordered"
            )


@contextmanager
def interrupts(executor: Executor, announce: bool) -> Iterator[None]:
    """First Ctrl-C: start nothing new, let requests in flight finish and be recorded.
    Second: stop now; what is in flight is recorded as in doubt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    presses = 0

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal presses
        presses += 1
        executor.stop.set()
        if presses == 1:
            if announce:
                print(
                    "\nInterrupted: starting nothing new; waiting for requests in flight "
                    "(Ctrl-C again to stop now, leaving them in doubt).",
                    file=sys.stderr,
                    flush=True,
                )
            return
        executor.abandon_in_flight("apply stopped by a second Ctrl-C")
        print("\nStopped. Orders in flight are recorded as in doubt.", file=sys.stderr, flush=True)
        os._exit(EXIT_INTERRUPTED)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def confirm(auto_approve: bool) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise SmmError("no terminal to confirm on: pass --auto-approve to apply without asking")
    answer = click.prompt(PROMPT, default="", show_default=False, prompt_suffix=" ")
    if answer.strip() != "yes":
        raise SmmError("apply cancelled: nothing was ordered")


def _emit(event: dict[str, Any]) -> None:
    out(json.dumps(event, default=str))


def run(
    env: Env,
    paths: tuple[Path, ...],
    auto_approve: bool,
    parallelism: int,
    lock_timeout: float,
    fmt_: str,
) -> int:
    from runner.commands import plan as planning
    from runner.state import locked

    with locked(env.project.state_path, lock_timeout) as store:
        # We hold the lock, so no apply is alive: a leftover `submitting` is in doubt.
        with store.transaction() as tx:
            tx.abandon_submitting("an earlier apply stopped while sending it")
        fetched_at: float | None = None
        if is_plan_file(paths):
            plan = load_plan(paths[0])
            check_fresh(plan, store, paths[0])
            panels = {a.panel for a in plan.actions if a.kind.changes}
            clients = {p: env.client(p) for p in panels}
            saved = True
        else:
            try:
                planned = planning.build(env, paths, store=store, apply_running=False)
            except planning.InvalidCampaigns as exc:
                print(f"Error: {exc}", file=sys.stderr)
                return EXIT_ERROR
            plan, clients, saved = planned.plan, planned.clients, False
            fetched_at = planned.made_at
        try:
            return _execute(
                plan, clients, store, saved, auto_approve, parallelism, fmt_, fetched_at
            )
        finally:
            for client in clients.values():
                client.close()


def _execute(
    plan: Plan,
    clients: dict[str, PanelClient],
    store: StateStore,
    saved: bool,
    auto_approve: bool,
    parallelism: int,
    fmt_: str,
    fetched_at: float | None,
) -> int:
    from runner.commands import plan as planning
    from runner.executor import Executor
    from runner.plan import Kind

    as_json = fmt_ == "json"
    if not as_json:
        planning.show(plan, "text")
    if plan.errors:
        if as_json:
            _emit({"event": "error", "errors": [c.to_json() for c in plan.errors]})
        return EXIT_ERROR
    if not plan.has_changes:
        if as_json:
            _emit({"event": "summary", "changes": 0, "ok": True})
        else:
            out("No changes. Nothing to apply.")
        return EXIT_OK
    if not saved:
        confirm(auto_approve)
    recheck_balance(plan, clients, fetched_at)
    total = len(plan.of_kind(Kind.CREATE, Kind.REFILL, Kind.CANCEL))
    if as_json:
        _emit(
            {
                "event": "start",
                "actions": total,
                "creates": plan.count(Kind.CREATE),
                "refills": plan.count(Kind.REFILL),
                "cancels": plan.count(Kind.CANCEL),
                "cost": str(plan.total_cost),
                "state": {"lineage": plan.lineage, "serial": plan.serial},
            }
        )
    progress_ui = _Progress(total, enabled=not as_json and sys.stderr.isatty())
    executor = Executor(
        store,
        clients,
        parallelism=parallelism,
        on_outcome=lambda o: _on_outcome(o, as_json, progress_ui),
    )
    started = time.perf_counter()
    with interrupts(executor, announce=not as_json), progress_ui:
        report = executor.run(plan)
    report.execute_seconds = time.perf_counter() - started
    report.store_seconds = executor.store_seconds
    _summary(report, as_json)
    if report.interrupted:
        return EXIT_INTERRUPTED if report.failed or report.count("skipped") else EXIT_ERROR
    return EXIT_OK if report.ok else EXIT_ERROR


class _Progress:
    def __init__(self, total: int, enabled: bool) -> None:
        self.enabled = enabled
        self.total = total
        self.spent = Decimal(0)
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("[bold]Applying"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("spent {task.fields[spent]}"),
                console=console(stderr=True),
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("apply", total=self.total, spent="0.00")
        return self

    def advance(self, outcome: Outcome) -> None:
        if outcome.cost is not None and outcome.result == "placed":
            self.spent += outcome.cost
        if self._progress is not None:
            self._progress.update(self._task, advance=1, spent=fmt(self.spent))

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)


def _on_outcome(outcome: Outcome, as_json: bool, progress_ui: _Progress) -> None:
    if as_json:
        _emit(outcome.to_json())
        return
    progress_ui.advance(outcome)
    if not progress_ui.enabled:
        detail = f" order {outcome.order_id}" if outcome.order_id else ""
        message = f": {outcome.message}" if outcome.message else ""
        out(f"  {outcome.address}: {outcome.result.replace('_', ' ')}{detail}{message}")


def _currency(report: Report) -> str:
    currencies = {o.currency for o in report.outcomes if o.currency}
    return f" {currencies.pop()}" if len(currencies) == 1 else ""


def _summary(report: Report, as_json: bool) -> None:
    counts = {
        r: report.count(r)
        for r in (
            "placed",
            "rejected",
            "not_sent",
            "in_doubt",
            "refill_requested",
            "refill_failed",
            "cancel_requested",
            "cancel_failed",
            "skipped",
        )
    }
    if as_json:
        _emit(
            {
                "event": "summary",
                "ok": report.ok,
                "interrupted": report.interrupted,
                "counts": counts,
                "spent": str(report.spent),
                "timing": {
                    "execute_seconds": round(report.execute_seconds, 4),
                    "store_seconds": round(report.store_seconds, 4),
                },
                "failed": [o.to_json() for o in report.failed],
            }
        )
        return
    out("")
    out(
        f"Apply {'interrupted' if report.interrupted else 'complete'}: {counts['placed']} "
        f"placed, {counts['rejected'] + counts['not_sent']} rejected, {counts['in_doubt']} in "
        f"doubt, {counts['refill_requested']} refills, {counts['cancel_requested']} cancels"
        + (f", {counts['skipped']} not started" if counts["skipped"] else "")
        + f". Spent {fmt(report.spent)}{_currency(report)}."
    )
    for outcome in report.failed:
        hint = ""
        if outcome.result == "in_doubt":
            hint = (
                f" (resolve: smm state import {outcome.address} ORDER_ID, or "
                f"smm state retry {outcome.address})"
            )
        elif outcome.result in ("rejected", "not_sent"):
            hint = " (the next apply tries again)"
        out(f"  {outcome.address}: {outcome.result.replace('_', ' ')}: {outcome.message}{hint}")
