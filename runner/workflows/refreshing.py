"""``smm refresh``: record every unfinished order's and open refill's current status."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from runner.api.models import ItemError, OrderInfo, RefillStatus
from runner.delivery import Refreshed
from runner.errors import SmmError
from runner.panel.client import PanelClient
from runner.state import LastStatus, OrderRecord, StateStore, Transaction, locked, now_iso
from runner.workflows import campaigns
from runner.workflows.context import Context
from runner.workflows.facts import ids_to_refresh


def refresh(ctx: Context, paths: Sequence[Path], lock_timeout: float = 0.0) -> Refreshed:
    """Refresh the recorded orders of the campaigns under ``paths`` (every campaign when
    no campaign folder exists), under the state lock."""
    return refresh_campaigns(ctx, campaigns.names_in(paths), lock_timeout)


def refresh_campaigns(ctx: Context, names: set[str] | None, lock_timeout: float) -> Refreshed:
    with locked(ctx.state_location, names, lock_timeout) as store:
        return refresh_records(ctx, store, store.records(names).values())


def refresh_records(ctx: Context, store: StateStore, records: Iterable[OrderRecord]) -> Refreshed:
    """Ask each panel (panels at once; per panel 100 ids a call, several calls at once)
    and record the answers as they come, while the next calls are out."""
    by_order: dict[tuple[str, int], list[OrderRecord]] = {}
    by_refill: dict[tuple[str, int], list[tuple[OrderRecord, str | None]]] = {}
    kept = list(records)
    for panel, ids in ids_to_refresh(kept).items():
        for order_id in ids:
            by_order[panel, order_id] = []
    for record in kept:
        if record.order_id is not None and (record.panel, record.order_id) in by_order:
            by_order[record.panel, record.order_id].append(record)
        for refill in record.open_refills:
            assert refill.refill_id is not None
            by_refill.setdefault((record.panel, refill.refill_id), []).append(
                (record, refill.status)
            )
    del kept
    order_ids: dict[str, list[int]] = {}
    for panel, order_id in by_order:
        order_ids.setdefault(panel, []).append(order_id)
    refill_ids: dict[str, list[int]] = {}
    for panel, refill_id in by_refill:
        refill_ids.setdefault(panel, []).append(refill_id)
    panels = sorted(set(order_ids) | set(refill_ids))
    answers: queue.Queue[_Answer] = queue.Queue(maxsize=64)

    stopping = threading.Event()
    clients: list[PanelClient] = []

    def ask(panel: str) -> None:
        try:
            with ctx.client(panel) as client:
                clients.append(client)
                if stopping.is_set():
                    client.halt()
                for statuses in client.status_batches(order_ids.get(panel, [])):
                    answers.put(_Answer(panel, statuses=statuses))
                    if stopping.is_set():
                        return
                for refills in client.refill_status_batches(refill_ids.get(panel, [])):
                    answers.put(_Answer(panel, refills=refills))
                    if stopping.is_set():
                        return
        except SmmError as exc:
            answers.put(_Answer(panel, error=exc.message))
        finally:
            answers.put(_Answer(panel, done=True))

    result = Refreshed()
    running = len(panels)
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(panels)))) as pool:
        for panel in panels:
            pool.submit(ask, panel)
        try:
            while running:
                batch = [answers.get()]
                while True:  # what has come meanwhile goes in the same transaction
                    try:
                        batch.append(answers.get_nowait())
                    except queue.Empty:
                        break
                at = now_iso(store.clock_offset)
                with store.transaction() as tx:
                    for answer in batch:
                        running -= answer.done
                        if answer.error is not None and answer.error not in result.panel_errors:
                            result.panel_errors.append(answer.error)
                        _record_statuses(tx, answer, by_order, result, at)
                        _record_refills(tx, answer, by_refill, result, at)
        except BaseException:
            # Stopping (Ctrl-C, a failed write): the askers end their waits and stop.
            stopping.set()
            for client in list(clients):
                client.halt()
            while running:
                running -= answers.get().done
            raise
    return result


@dataclass(frozen=True)
class _Answer:
    """One call's answers from one panel (or its failure, or its end)."""

    panel: str
    statuses: dict[int, OrderInfo | ItemError] = field(default_factory=dict)
    refills: dict[int, RefillStatus | ItemError] = field(default_factory=dict)
    error: str | None = None
    done: bool = False


def _record_statuses(
    tx: Transaction,
    answer: _Answer,
    by_order: dict[tuple[str, int], list[OrderRecord]],
    result: Refreshed,
    at: str,
) -> None:
    for order_id, info in answer.statuses.items():
        for record in by_order.get((answer.panel, order_id), ()):
            result.orders += 1
            if isinstance(info, ItemError):
                result.item_errors += 1
                tx.status(record.address, LastStatus.unanswered(record.last, info.message, at))
            else:
                tx.status(record.address, LastStatus.answered(info, at))


def _record_refills(
    tx: Transaction,
    answer: _Answer,
    by_refill: dict[tuple[str, int], list[tuple[OrderRecord, str | None]]],
    result: Refreshed,
    at: str,
) -> None:
    for refill_id, state in answer.refills.items():
        for record, status in by_refill.get((answer.panel, refill_id), ()):
            result.refills += 1
            if isinstance(state, ItemError):
                result.item_errors += 1
                tx.refill_status(record.address, refill_id, status, state.message, at)
            else:
                tx.refill_status(record.address, refill_id, str(state), None, at)
