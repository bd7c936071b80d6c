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
from runner.clock import parse_moment
from runner.errors import SmmError
from runner.execution.claims import Claims
from runner.execution.pacer import CUSHION, Kind, kind_of
from runner.execution.reconciler import Decision, Verdict, decide, probe_plan, rounding, windows
from runner.panel.client import PanelClient
from runner.panel.identity import account_of, request_id
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
            elif d.verdict is Verdict.RESEND:
                done = "will be sent again" if self.dry_run else "sent again"
                lines.append(f"{d.address}: {done} with the same request_id ({d.reason})")
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
            "resend": len(self.of(Verdict.RESEND)),
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
    # Ids of one account say nothing about another's: only this account's records count
    # (those recorded before accounts were, too).
    account = account_of(config.url, config.key())

    def same(record: OrderRecord) -> bool:
        return record.spec.get("account") in (None, account)

    keyed = config.idempotency == "request_id"
    early = [
        _elsewhere(r) if not same(r) else _resend(r, now, config.settle) if keyed else None
        for r in mine
    ]
    decided = [d for d in early if d is not None]
    done = {d.address for d in decided}
    mine = [r for r in mine if r.address not in done]
    if not mine:
        return decided
    everything = {a: r for a, r in everything.items() if same(r)}
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
    again = {a: r for a, r in store.records().items() if same(r)}
    claimed = {r.order_id for r in again.values() if r.panel == panel and r.order_id}
    suitors = [r for r in again.values() if r.panel == panel and r.phase in ACTIVE]
    spans = windows(
        suitors, [r for r in again.values() if r.panel == panel], config.settle, now, margin
    )
    slack = rounding([r for r in again.values() if r.panel == panel], probed)
    decisions = decide(suitors, spans, probed, claimed, slack)
    wanted = {r.address for r in mine}
    return decided + [d for d in decisions if d.address in wanted]


def _elsewhere(record: OrderRecord) -> Decision:
    return Decision(
        record.address,
        Verdict.UNDECIDED,
        "it was sent to another account (the panel's URL or key changed since): this "
        "one's ids say nothing about it",
    )


def _resend(record: OrderRecord, now: _dt.datetime, settle: float) -> Decision | None:
    """An add that carried its idempotency key is repaired by sending it again, once the
    lost request surely ended (never two requests with one key at once)."""
    if record.spec.get("request_id") != request_id(record.address, record.fingerprint):
        return None
    gave_up = parse_moment(record.evidence.gave_up_at or record.updated_at)
    if gave_up is None or now < gave_up + _dt.timedelta(seconds=settle):
        return Decision(
            record.address,
            Verdict.UNDECIDED,
            "its add carried an idempotency key: it is sent again once the lost request "
            f"surely ended ({settle:g} s after smm gave up on it)",
        )
    return Decision(
        record.address,
        Verdict.RESEND,
        "its add carried an idempotency key: the panel answers the same key with the "
        "order already made, or makes it",
    )


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
            elif decision.verdict is Verdict.RESEND:
                tx.retry(current.address, "in doubt: sent again with the same request_id")
                tx.event(current.address, "reconciled", {"verdict": "resend", **evidence})
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
        elif decision.verdict is Verdict.RESEND:
            out[decision.address] = dataclasses.replace(
                record,
                phase=Phase.REJECTED,
                error="in doubt: will be sent again with the same request_id",
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


def pacing(
    ctx: Context, store: StateReader, names: Collection[str], settle: Mapping[str, float]
) -> dict[str, Any]:
    """What the executor's pacer needs from the state and smm.yaml: how many look-alikes
    may be out at once per panel, when the lost answers of each kind recorded so far
    surely ended (on this machine's clock, never later than a settle time from now),
    where the survey before the next look-alike of each kind starts (the lowest lower
    bound of the lost ones), and which address owns each known order id."""
    now = _dt.datetime.now(_dt.UTC)
    lost: dict[Kind, list[_dt.datetime]] = {}
    below: dict[Kind, int] = {}
    known = []
    for record in store.records(set(names)).values():
        if record.order_id is not None:
            known.append((record.panel, record.order_id, record.address))
        if record.phase is not Phase.IN_DOUBT or record.panel not in settle:
            continue
        moment = parse_moment(record.evidence.gave_up_at or record.updated_at)
        if moment is None:
            continue
        wait = _dt.timedelta(seconds=settle[record.panel] + store.clock_margin + CUSHION)
        moment = min(moment - _dt.timedelta(seconds=store.clock_offset) + wait, now + wait)
        spec = record.spec
        kind = kind_of(record.panel, spec.get("service"), spec.get("units"), record.estimated_cost)
        lost.setdefault(kind, []).append(moment)
        low = record.evidence.known_below
        if low is not None:
            below[kind] = min(low, below.get(kind, low))
    limits = {
        name: ctx.project.panels[name].identical_in_flight
        for name in settle
        if name in ctx.project.panels
    }
    return {
        "identical_in_flight": limits,
        "lost_alikes": lost,
        "lost_below": below,
        "claims": Claims(known),
    }
