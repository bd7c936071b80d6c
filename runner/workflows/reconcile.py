"""``smm reconcile``: settle in-doubt orders from the panel's evidence, without a person.

Run by itself, at the start of ``plan`` (as a dry run: it shows what it would do and the
plan follows it) and of ``apply``, and at the end of ``apply`` once the orders it placed
bound the windows (``runner.execution.reconciler`` explains the reasoning).  Imports and proven
absences are recorded with their evidence; nothing else is written.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.api.models import ItemError, OrderInfo
from runner.errors import SmmError
from runner.execution.reconciler import Decision, Verdict, decide, probe_plan, rounding, windows
from runner.panel.client import PanelClient
from runner.state import (
    LastStatus,
    OrderRecord,
    Phase,
    StateReader,
    StateStore,
    locked,
    now_iso,
    open_readonly,
)
from runner.workflows import campaigns
from runner.workflows.context import Context


@dataclass
class Reconciled:
    """What one reconciliation found and did."""

    decisions: list[Decision] = field(default_factory=list)
    calls: int = 0
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    def of(self, verdict: Verdict) -> list[Decision]:
        return [d for d in self.decisions if d.verdict is verdict]

    @property
    def settled(self) -> int:
        return len(self.of(Verdict.IMPORT)) + len(self.of(Verdict.ABSENT))

    def summary(self) -> tuple[str, ...]:
        """One line per decision, as the plan and apply show them."""
        lines = []
        for d in self.decisions:
            if d.verdict is Verdict.IMPORT:
                done = "would import" if self.dry_run else "imported"
                lines.append(f"{d.address}: {done} order {d.order_id} ({d.reason})")
            elif d.verdict is Verdict.ABSENT:
                done = "would place again" if self.dry_run else "placed again"
                lines.append(f"{d.address}: proven absent, {done} ({d.reason})")
            else:
                lines.append(f"{d.address}: still in doubt: {d.reason}")
        lines += [f"reconcile: {e}" for e in self.errors]
        return tuple(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "calls": self.calls,
            "imported": len(self.of(Verdict.IMPORT)),
            "absent": len(self.of(Verdict.ABSENT)),
            "undecided": len(self.of(Verdict.UNDECIDED)),
            "decisions": [d.to_json() for d in self.decisions],
            "errors": self.errors,
        }


ACTIVE = (Phase.IN_DOUBT, Phase.SUBMITTING)


def reconcile(
    ctx: Context,
    store: StateReader,
    names: Collection[str] | None,
    *,
    clients: Mapping[str, PanelClient] | None = None,
) -> Reconciled:
    """Decide what the evidence proves for the in-doubt orders of ``names`` (every
    campaign when None).  Reads only: ``record`` writes the decisions."""
    result = Reconciled()
    everything = store.records()
    doubtful = [
        r
        for r in everything.values()
        if r.phase is Phase.IN_DOUBT and (names is None or r.campaign in names)
    ]
    for panel in sorted({r.panel for r in doubtful}):
        mine = [r for r in doubtful if r.panel == panel]
        try:
            result.decisions += _panel(ctx, store, panel, mine, everything, clients, result)
        except SmmError as exc:
            result.errors.append(exc.message)
    return result


def _panel(
    ctx: Context,
    store: StateReader,
    panel: str,
    mine: list[OrderRecord],
    everything: Mapping[str, OrderRecord],
    clients: Mapping[str, PanelClient] | None,
    result: Reconciled,
) -> list[Decision]:
    config = ctx.project.panel(panel)
    # Times in the state are on the store's clock; so is "now" here.
    now = _dt.datetime.now(_dt.UTC) + _dt.timedelta(seconds=store.clock_offset)
    margin = store.clock_margin
    on_panel = [r for r in everything.values() if r.panel == panel]
    # Every order whose outcome is unknown may be the owner of a candidate, whichever
    # campaign (or runner) it belongs to: all of them are suitors.
    suitors = [r for r in on_panel if r.phase in ACTIVE]
    spans = windows(suitors, on_panel, config.settle, now, margin)
    ids = probe_plan({r.address: spans[r.address] for r in mine}, config.reconcile_calls)
    probed: dict[int, OrderInfo | ItemError] = {}
    if ids:
        client = clients.get(panel) if clients else None
        if client is None:
            with ctx.client(panel) as own:
                probed = own.status_many(ids)
                result.calls += own.calls.get("status", 0)
        else:
            before = client.calls.get("status", 0)
            probed = client.status_many(ids)
            result.calls += client.calls.get("status", 0) - before
    # Read again after probing: an order another runner placed meanwhile is claimed now,
    # or its `submitting` record (committed before its add) makes it a suitor.
    again = store.records()
    claimed = {r.order_id for r in again.values() if r.panel == panel and r.order_id}
    suitors = [r for r in again.values() if r.panel == panel and r.phase in ACTIVE]
    spans = windows(
        suitors, [r for r in again.values() if r.panel == panel], config.settle, now, margin
    )
    slack = rounding([r for r in again.values() if r.panel == panel], probed)
    decisions = decide(suitors, spans, probed, claimed, slack)
    wanted = {r.address for r in mine}
    return [d for d in decisions if d.address in wanted]


def record(store: StateStore, reconciled: Reconciled) -> None:
    """Write what was proven: imports (with the panel's status) and absences."""
    proven = [d for d in reconciled.decisions if d.verdict is not Verdict.UNDECIDED]
    if not proven:
        return
    at = now_iso(store.clock_offset)
    with store.transaction() as tx:
        for decision in proven:
            current = store.record(decision.address)
            if current is None or current.phase is not Phase.IN_DOUBT:
                continue  # settled meanwhile by someone else
            evidence = {**decision.evidence, "reason": decision.reason}
            if decision.verdict is Verdict.IMPORT:
                assert decision.order_id is not None
                tx.import_order(
                    current.address,
                    current.campaign,
                    current.panel,
                    current.fingerprint,
                    current.spec,
                    decision.order_id,
                    current.estimated_cost,
                    {"by": "reconcile", **evidence},
                )
                if decision.found is not None:
                    tx.status(current.address, LastStatus.answered(decision.found, at))
            else:
                tx.retry(current.address, f"proven absent by reconcile: {decision.reason}")
                tx.event(current.address, "reconciled", {"verdict": "absent", **evidence})


def as_if_recorded(
    records: Mapping[str, OrderRecord], reconciled: Reconciled
) -> dict[str, OrderRecord]:
    """The records as they will be once the decisions are recorded (a dry run plans with
    them); undecided orders carry the reason in their error."""
    out = dict(records)
    for decision in reconciled.decisions:
        record = out.get(decision.address)
        if record is None or record.phase is not Phase.IN_DOUBT:
            continue
        if decision.verdict is Verdict.IMPORT:
            out[decision.address] = dataclasses.replace(
                record, phase=Phase.PLACED, order_id=decision.order_id, error=None
            )
        elif decision.verdict is Verdict.ABSENT:
            out[decision.address] = dataclasses.replace(
                record, phase=Phase.REJECTED, error=f"proven absent: {decision.reason}"
            )
        else:
            out[decision.address] = dataclasses.replace(
                record, error=f"{record.error or 'outcome unknown'}; reconcile: {decision.reason}"
            )
    return out


def run(
    ctx: Context, paths: Sequence[Path], *, dry_run: bool = False, lock_timeout: float = 0.0
) -> Reconciled:
    """``smm reconcile``: settle what the evidence proves for the campaigns under
    ``paths`` (every campaign when no campaign folder exists), under their lock; with
    ``dry_run``, only say what would be done."""
    names = campaigns.names_in(paths)
    if dry_run:
        reader = open_readonly(ctx.state_location)
        try:
            found = reconcile(ctx, reader, names)
        finally:
            reader.close()
        found.dry_run = True
        return found
    with locked(ctx.state_location, names, lock_timeout) as store:
        with store.transaction() as tx:
            tx.abandon_submitting("an earlier apply stopped while sending it", campaigns=names)
        found = reconcile(ctx, store, names)
        record(store, found)
        return found
