"""``smm refresh``: record every unfinished order's and open refill's current status."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from runner.api.models import ItemError, OrderInfo, RefillStatus
from runner.delivery import Refreshed
from runner.errors import SmmError
from runner.state import LastStatus, OrderRecord, StateStore, locked, now_iso
from runner.workflows import campaigns
from runner.workflows.context import Context
from runner.workflows.facts import ids_to_refresh


@dataclass
class _PanelAnswers:
    statuses: dict[int, OrderInfo | ItemError] = field(default_factory=dict)
    refills: dict[int, RefillStatus | ItemError] = field(default_factory=dict)
    error: str | None = None


def refresh(ctx: Context, paths: Sequence[Path], lock_timeout: float = 0.0) -> Refreshed:
    """Refresh the recorded orders of the campaigns under ``paths`` (every campaign when
    no campaign folder exists), under the state lock."""
    return refresh_campaigns(ctx, campaigns.names_in(paths), lock_timeout)


def refresh_campaigns(ctx: Context, names: set[str] | None, lock_timeout: float) -> Refreshed:
    with locked(ctx.state_location, names, lock_timeout) as store:
        return refresh_records(ctx, store, store.records(names).values())


def refresh_records(ctx: Context, store: StateStore, records: Iterable[OrderRecord]) -> Refreshed:
    """Ask each panel (concurrently, 100 ids a call) and record the answers."""
    records = list(records)
    order_ids = ids_to_refresh(records)
    refill_ids: dict[str, list[int]] = {}
    for record in records:
        for refill in record.open_refills:
            assert refill.refill_id is not None
            refill_ids.setdefault(record.panel, []).append(refill.refill_id)

    def ask(panel: str) -> _PanelAnswers:
        try:
            with ctx.client(panel) as client:
                return _PanelAnswers(
                    client.status_many(order_ids.get(panel, [])),
                    client.refill_status_many(refill_ids.get(panel, [])),
                )
        except SmmError as exc:
            return _PanelAnswers(error=exc.message)

    panels = sorted(set(order_ids) | set(refill_ids))
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(panels)))) as pool:
        answers = dict(zip(panels, pool.map(ask, panels), strict=True))
    result = Refreshed()
    at = now_iso(store.clock_offset)
    with store.transaction() as tx:
        for record in records:
            answer = answers.get(record.panel)
            if answer is None:
                continue
            if answer.error is not None:
                if answer.error not in result.panel_errors:
                    result.panel_errors.append(answer.error)
                continue
            if record.order_id is not None and record.order_id in answer.statuses:
                result.orders += 1
                info = answer.statuses[record.order_id]
                if isinstance(info, ItemError):
                    result.item_errors += 1
                    tx.status(record.address, LastStatus.unanswered(record.last, info.message, at))
                else:
                    tx.status(record.address, LastStatus.answered(info, at))
            for refill in record.open_refills:
                assert refill.refill_id is not None
                if refill.refill_id not in answer.refills:
                    continue
                result.refills += 1
                state = answer.refills[refill.refill_id]
                if isinstance(state, ItemError):
                    result.item_errors += 1
                    tx.refill_status(
                        record.address, refill.refill_id, refill.status, state.message, at
                    )
                else:
                    tx.refill_status(record.address, refill.refill_id, str(state), None, at)
    return result
