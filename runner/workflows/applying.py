"""``smm apply``: plan (or read a saved plan), confirm, execute, record.

Everything a person sees while it runs goes through an ``ApplyView`` the command passes
in: the plan, the prompt, each outcome (once it is recorded) and the interrupt notices.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Protocol

from runner.api.models import OrderInfo
from runner.clock import parse_moment
from runner.errors import EXIT_INTERRUPTED, SmmError, StalePlan
from runner.execution.executor import Executor
from runner.execution.reconciler import Decision, Verdict
from runner.execution.results import ApplyResult, Outcome, Result
from runner.money import format_amount
from runner.panel.client import PanelClient
from runner.plans import moves
from runner.plans.plan import Kind, Plan
from runner.render.words import plural
from runner.state import BalanceSeen, LastStatus, Phase, StateStore, locked, now_iso
from runner.workflows import campaigns, followup, planning
from runner.workflows import reconcile as reconciliation
from runner.workflows.context import Context
from runner.workflows.failingover import fail_over, noted

# A balance asked for less than this long ago is not asked again before ordering; it ages
# on ``monotonic``, the clock of ``PanelFacts.fetched_at`` (a test moves it).
BALANCE_FRESH_SECONDS = 10.0
monotonic = time.monotonic


class ApplyView(Protocol):
    """What the person running apply sees; the command implements it."""

    def show_plan(self, plan: Plan) -> None: ...
    def confirm(self, plan: Plan) -> None:
        """Return to go on; raise ``Declined`` to stop with nothing ordered."""
        ...

    def reconciled(self, lines: Sequence[str]) -> None:
        """What reconciliation did at the end of the apply (one line per order)."""
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
    report: ApplyResult | None
    warnings: list[str] = field(default_factory=list)  # notifications not sent


def apply(
    ctx: Context,
    paths: Sequence[Path],
    view: ApplyView,
    *,
    parallelism: int = 8,
    lock_timeout: float = 0.0,
    reconcile: bool = True,
    targets: Sequence[str] = (),
    allow_over_limits: bool = False,
) -> Applied:
    """Plan the campaigns under ``paths`` (or take the saved plan ``paths[0]``), confirm,
    and place the orders, under the lock of the campaigns concerned.

    Rates are the ones in force now (the services are asked afresh, never taken from the
    cache); a saved plan is carried out only if planning again now gives exactly the same
    actions at the same rates, against the same state."""
    saved = planning.load_saved(paths[0]) if planning.is_plan_file(paths) else None
    if saved is not None:
        names = {*saved.serials, *(a.campaign for a in saved.actions), *moves.sources(saved.moves)}
    else:
        names = planning.covered(campaigns.load(paths, ctx).campaigns)
    with locked(ctx.state_location, names, lock_timeout) as store:
        if store.created:
            view.notice(f"Started a new state at {store.where}.")
        # We hold the lock, so no apply of these campaigns is alive: a leftover
        # `submitting` is in doubt.
        with store.transaction() as tx:
            tx.abandon_submitting("an earlier apply stopped while sending it", campaigns=names)
        if saved is not None:
            check_fresh(saved, store, paths[0])
            planned = planning.build(
                ctx,
                planning.project_paths(ctx, saved),
                store=store,
                refresh_services=True,
                reconcile_first=reconcile,
                record_to=store,
                targets=saved.targets,
                allow_over_limits=saved.allow_over_limits,
            )
        else:
            planned = planning.build(
                ctx,
                paths,
                store=store,
                refresh_services=True,
                reconcile_first=reconcile,
                record_to=store,
                targets=targets,
                allow_over_limits=allow_over_limits,
            )
        try:
            record_observations(store, planned)
            plan = planned.plan
            if saved is not None and not plan.errors:
                # What runs is what planning gives now, once the saved plan is shown to be
                # exactly that: nothing of a saved file is sent as it is.
                check_same(saved, plan, paths[0])
            run = Run(ctx, store, view, planned.clients, parallelism, names)
            applied = run.execute(plan, saved is not None, planned.made_at)
            if reconcile and applied.report is not None and not applied.report.interrupted:
                applied = run.settle_lost_answers(applied, paths if saved is None else ())
            if not plan.errors and (applied.report is None or not applied.report.interrupted):
                planning.remember(store, plan, planned.facts)  # what drift is measured from
            if ctx.project.notify:  # (a saved plan's files are not read again)
                files = None if saved else paths
                followup.after_apply(ctx, store, names, files, applied.report, applied.warnings)
            return applied
        finally:
            planned.close()


def record_observations(store: StateStore, planned: planning.Planned) -> None:
    """What the panels just said about our orders and balances joins the history."""
    records = [r for r in planned.records.values() if r.order_id is not None]
    recorded_as = {m.target: m.source for m in planned.plan.moves}  # not moved yet
    at = now_iso(store.clock_offset)
    with store.transaction() as tx:
        for record in records:
            facts = planned.facts.get(record.panel)
            info = None if facts is None else facts.statuses.get(record.order_id or 0)
            if isinstance(info, OrderInfo):
                address = recorded_as.get(record.address, record.address)
                tx.status(address, LastStatus.answered(info, at))
        for name, facts in sorted(planned.facts.items()):
            if facts.balance is not None:
                tx.balance(BalanceSeen(name, at, facts.balance.amount, facts.balance.currency))


# Rounds of placing again what reconciliation proved absent, after the first.
EXTRA_ROUNDS = 2


@dataclass
class Run:
    """One apply's execution, under the lock: the plan, then the lost answers settled."""

    ctx: Context
    store: StateStore
    view: ApplyView
    clients: dict[str, PanelClient]
    parallelism: int
    names: set[str]

    def execute(self, plan: Plan, saved: bool, fetched_at: float | None) -> Applied:
        self.view.show_plan(plan)
        if plan.errors or not plan.has_changes:
            return Applied(plan, None)
        if not saved:
            self.view.confirm(plan)
        recheck_balance(plan, self.clients, fetched_at)
        planning.record_moves(self.store, plan)  # before anything under a new address
        return Applied(plan, fail_over(plan, self._run(plan), self.store, self._run))

    def _run(self, plan: Plan, notes: Mapping[str, str] | None = None) -> ApplyResult:
        panels = {a.panel for a in plan.actions}
        settle = {
            p: self.ctx.project.panel(p).settle for p in panels if p in self.ctx.project.panels
        }
        executor = Executor(
            self.store,
            self.clients,
            parallelism=self.parallelism,
            on_outcome=lambda o: self.view.outcome(noted(o, notes or {})),
            on_notice=self.view.notice,
            settle=settle,
            bound_after=unbounded_doubts(self.store, self.names, settle),
            **reconciliation.pacing(self.ctx, self.store, self.names, settle),
        )
        self.view.started(plan)
        started = time.perf_counter()
        try:
            with interrupts(executor, self.view):
                report = executor.run(plan)
        finally:
            self.view.stopped()
        report.execute_seconds = time.perf_counter() - started
        report.store_seconds = executor.store_seconds
        report.held_seconds = executor.held_seconds
        return report

    def settle_lost_answers(self, applied: Applied, paths: Sequence[Path]) -> Applied:
        """Once this apply's orders bound the windows, reconcile again; an order of this
        apply proven absent is placed again (it was confirmed), a few rounds at most."""
        assert applied.report is not None
        report = applied.report
        mine = {a.address for a in applied.plan.of_kind(Kind.CREATE)}
        for _ in range(EXTRA_ROUNDS):
            doubtful = {o.address for o in report.outcomes if o.result is Result.IN_DOUBT}
            if not doubtful:
                break
            found = reconciliation.reconcile(self.ctx, self.store, self.names, clients=self.clients)
            reconciliation.record(self.store, found)
            self.view.reconciled(found.summary())
            settled = {d.address: d for d in found.decisions if d.verdict is not Verdict.UNDECIDED}
            report.outcomes = [
                _settled(o, settled[o.address]) if o.address in settled else o
                for o in report.outcomes
            ]
            again = {d.address for d in found.of(Verdict.ABSENT) + found.of(Verdict.RESEND)} & mine
            if not again or not paths:
                break
            planned = planning.build(
                self.ctx, paths, store=self.store, reconcile_first=False, refresh=False
            )
            planned.close()
            retry = dataclasses.replace(
                planned.plan,
                actions=tuple(
                    a for a in planned.plan.actions if a.kind is Kind.CREATE and a.address in again
                ),
            )
            if planned.plan.errors or not retry.actions:
                break
            more = self._run(retry)
            again_done = {o.address for o in more.outcomes}
            report.outcomes = [o for o in report.outcomes if o.address not in again_done]
            report.outcomes += more.outcomes
            report.interrupted = more.interrupted
            if more.interrupted:
                break
        return Applied(applied.plan, report)


def _settled(outcome: Outcome, decision: Decision) -> Outcome:
    """An in-doubt outcome of this apply, as reconciliation settled it."""
    if decision.verdict is Verdict.IMPORT:
        return dataclasses.replace(
            outcome,
            result=Result.PLACED,
            order_id=decision.order_id,
            message=f"found on the panel: {decision.reason}",
        )
    if decision.verdict is Verdict.RESEND:
        return dataclasses.replace(
            outcome, result=Result.NOT_SENT, message="in doubt: sent again with its request_id"
        )
    return dataclasses.replace(
        outcome, result=Result.NOT_SENT, message=f"proven absent: {decision.reason}"
    )


def unbounded_doubts(
    store: StateStore, names: set[str], settle: Mapping[str, float]
) -> dict[str, _dt.datetime]:
    """Per panel, the moment (on this machine's clock) after which a send bounds the lost
    answers recorded so far: each one's give-up time on the store's clock, plus the
    settle time and the clocks' margin; never later than that much from now (a time in
    the future, from a damaged state or a clock far ahead, must not hold an apply)."""
    after: dict[str, _dt.datetime] = {}
    now = _dt.datetime.now(_dt.UTC)
    for record in store.records(names).values():
        if record.phase is not Phase.IN_DOUBT or record.panel not in settle:
            continue
        gave_up = record.evidence.gave_up_at or record.updated_at
        moment = parse_moment(gave_up)
        if moment is None:
            continue
        wait = _dt.timedelta(seconds=settle[record.panel] + store.clock_margin)
        moment = min(moment - _dt.timedelta(seconds=store.clock_offset) + wait, now + wait)
        if moment > after.get(record.panel, moment - _dt.timedelta(seconds=1)):
            after[record.panel] = moment
    return after


def check_fresh(plan: Plan, store: StateStore, path: Path) -> None:
    """A saved plan belongs to one state, and to the serials of the campaigns it covers."""
    info = store.info()
    if plan.lineage is None or plan.lineage != info.lineage:
        raise StalePlan(
            f"{path} was made against another state (lineage {plan.lineage or 'none'}, "
            f"this one is {info.lineage}); run smm plan again against this state"
        )
    moved = {
        name: (serial, info.campaigns.get(name, 0))
        for name, serial in sorted(plan.serials.items())
        if info.campaigns.get(name, 0) != serial
    }
    if moved:
        what = ", ".join(f"{n} (serial {a} -> {b})" for n, (a, b) in moved.items())
        raise StalePlan(
            f"{path} is stale: since it was made, the state of {what} changed; run smm plan again"
        )


def _changes(plan: Plan) -> list[str]:
    """Everything about the plan's changing actions that reaches a panel or a bill."""
    return sorted(
        json.dumps(
            [
                a.address,
                str(a.kind),
                a.panel,
                a.fingerprint,
                a.service,
                a.service_type,
                a.link,
                a.units,
                str(a.cost),
                a.currency,
                a.order_id,
                a.spec,
            ],
            sort_keys=True,
            default=str,
        )
        for a in plan.actions
        if a.kind.changes
    ) + [json.dumps(["move", m.source, m.target]) for m in plan.moves]


def check_same(saved: Plan, fresh: Plan, path: Path) -> None:
    """The saved plan must be what planning now produces: same actions, same rates."""
    for panel, rates in sorted(saved.rates.items()):
        for service, rate in sorted(rates.items()):
            now = fresh.rates.get(panel, {}).get(service)
            if now is not None and now != rate:
                raise StalePlan(
                    f"{path} is stale: service {service} on {panel} now costs {now} "
                    f"(the plan used {rate}); run smm plan again"
                )
    if set(saved.serials) != set(fresh.serials) or _changes(saved) != _changes(fresh):
        raise StalePlan(
            f"{path} no longer matches what the campaign files and the state ask for "
            "(or it was altered); run smm plan again"
        )


def recheck_balance(
    plan: Plan, clients: Mapping[str, PanelClient], fetched_at: float | None = None
) -> None:
    """The balance may have moved since the plan was made (a saved plan, a slow answer to
    the prompt, another tool spending): ask again unless it was asked a moment ago."""
    if fetched_at is not None and monotonic() - fetched_at < BALANCE_FRESH_SECONDS:
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
    Second: stop now; what is in flight is recorded as in doubt, what was recorded but
    never handed to a sender is withdrawn."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    presses = 0

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal presses
        presses += 1
        executor.stop.set()
        executor.halt()  # orders waiting for the panel's turn are not sent, not waited for
        if presses == 1:
            view.notice(
                "\nInterrupted: starting nothing new; waiting for requests in flight "
                "(Ctrl-C again to stop now, leaving them in doubt)."
            )
            return
        withdrawn, doubtful = executor.abandon_in_flight("apply stopped by a second Ctrl-C")
        view.notice(
            f"\nStopped. {plural(doubtful, 'order')} in flight "
            f"{'is' if doubtful == 1 else 'are'} recorded as in doubt; "
            f"{plural(withdrawn, 'order')} not yet sent {'was' if withdrawn == 1 else 'were'} "
            "withdrawn (the next apply places them)."
        )
        os._exit(EXIT_INTERRUPTED)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
