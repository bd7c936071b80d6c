"""``smm apply``: plan (or read a saved plan), confirm, execute, record.

Everything a person sees while it runs goes through an ``ApplyView`` the command passes
in: the plan, the prompt, each outcome (once it is recorded) and the interrupt notices.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Protocol

from runner.errors import EXIT_INTERRUPTED, SmmError, StalePlan
from runner.executor import Executor
from runner.money import format_amount
from runner.outcome import Outcome, Report
from runner.panel.client import PanelClient
from runner.plan import Kind, Plan
from runner.state import StateStore, locked
from runner.workflows import campaigns, planning
from runner.workflows.context import Context

# A balance asked for less than this long ago is not asked again before ordering.
BALANCE_FRESH_SECONDS = 10.0


class ApplyView(Protocol):
    """What the person running apply sees; the command implements it."""

    def show_plan(self, plan: Plan) -> None: ...
    def confirm(self, plan: Plan) -> None:
        """Return to go on; raise ``Declined`` to stop with nothing ordered."""
        ...

    def started(self, plan: Plan) -> None: ...
    def outcome(self, outcome: Outcome) -> None: ...
    def notice(self, text: str) -> None: ...
    def stopped(self) -> None:
        """The executor stopped (normally or not): close what ``started`` opened."""
        ...


@dataclass(frozen=True)
class Applied:
    """What an apply did: the plan it carried out, and the report (None when nothing was
    executed: the plan had errors or no changes)."""

    plan: Plan
    report: Report | None


def apply(
    ctx: Context,
    paths: Sequence[Path],
    view: ApplyView,
    *,
    parallelism: int = 8,
    lock_timeout: float = 0.0,
) -> Applied:
    saved_plan = planning.load_saved(paths[0]) if planning.is_plan_file(paths) else None
    if saved_plan is not None:
        names = {a.campaign for a in saved_plan.actions}
    else:
        names = {c.name for c in campaigns.load(paths).campaigns}
    with locked(ctx.state_location, names, lock_timeout) as store:
        # We hold the lock, so no apply of these campaigns is alive: a leftover
        # `submitting` is in doubt.
        with store.transaction() as tx:
            tx.abandon_submitting("an earlier apply stopped while sending it", campaigns=names)
        fetched_at: float | None = None
        if saved_plan is not None:
            plan = saved_plan
            check_fresh(plan, store, paths[0])
            panels = {a.panel for a in plan.actions if a.kind.changes}
            clients = {p: ctx.client(p) for p in panels}
            saved = True
        else:
            planned = planning.build(ctx, paths, store=store, apply_running=False)
            plan, clients, saved = planned.plan, planned.clients, False
            fetched_at = planned.made_at
        try:
            return _execute(plan, clients, store, view, saved, parallelism, fetched_at)
        finally:
            for client in clients.values():
                client.close()


def _execute(
    plan: Plan,
    clients: dict[str, PanelClient],
    store: StateStore,
    view: ApplyView,
    saved: bool,
    parallelism: int,
    fetched_at: float | None,
) -> Applied:
    view.show_plan(plan)
    if plan.errors or not plan.has_changes:
        return Applied(plan, None)
    if not saved:
        view.confirm(plan)
    recheck_balance(plan, clients, fetched_at)
    view.started(plan)
    executor = Executor(store, clients, parallelism=parallelism, on_outcome=view.outcome)
    started = time.perf_counter()
    try:
        with interrupts(executor, view):
            report = executor.run(plan)
    finally:
        view.stopped()
    report.execute_seconds = time.perf_counter() - started
    report.store_seconds = executor.store_seconds
    return Applied(plan, report)


def check_fresh(plan: Plan, store: StateStore, path: Path) -> None:
    info = store.info()
    fresh_store = plan.lineage is None and info.serial == 0
    if not fresh_store and (plan.lineage != info.lineage or plan.serial != info.serial):
        raise StalePlan(
            f"{path} is stale: it was made against state serial {plan.serial}"
            f"{'' if plan.lineage == info.lineage else ' of another state store'}, and the "
            f"state is now at serial {info.serial}; run smm plan again"
        )


def recheck_balance(
    plan: Plan, clients: Mapping[str, PanelClient], fetched_at: float | None = None
) -> None:
    """The balance may have moved since the plan was made (a saved plan, a slow answer to
    the prompt, another tool spending): ask again unless it was asked a moment ago."""
    if fetched_at is not None and time.monotonic() - fetched_at < BALANCE_FRESH_SECONDS:
        return
    costs: dict[str, Decimal] = {}
    for action in plan.of_kind(Kind.CREATE):
        costs[action.panel] = costs.get(action.panel, Decimal(0)) + (action.cost or 0)
    for panel, total in sorted(costs.items()):
        balance = clients[panel].balance()
        if total > balance.amount:
            raise SmmError(
                f"panel {panel}: the balance is now {format_amount(balance.amount)} "
                f"{balance.currency}, below the plan's cost {format_amount(total)}; "
                "nothing was ordered"
            )


@contextmanager
def interrupts(executor: Executor, view: ApplyView) -> Iterator[None]:
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
            view.notice(
                "\nInterrupted: starting nothing new; waiting for requests in flight "
                "(Ctrl-C again to stop now, leaving them in doubt)."
            )
            return
        executor.abandon_in_flight("apply stopped by a second Ctrl-C")
        view.notice("\nStopped. Orders in flight are recorded as in doubt.")
        os._exit(EXIT_INTERRUPTED)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
