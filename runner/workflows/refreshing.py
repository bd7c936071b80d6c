"""``smm refresh``: record every unfinished order's and open refill's current status."""

from __future__ import annotations

import datetime as _dt
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from runner.api.models import ItemError, OrderInfo, RefillStatus
from runner.delivery.rows import Refreshed
from runner.errors import SmmError
from runner.panel.client import PanelClient
from runner.state import LastStatus, OrderRecord, StateStore, Transaction, locked, now_iso
from runner.workflows import campaigns, followup
from runner.workflows.context import Context
from runner.workflows.panelfacts import needs_refresh


def refresh(
    ctx: Context, paths: Sequence[Path], lock_timeout: float = 0.0, attention: bool = False
) -> Refreshed:
    """Refresh the recorded orders of the campaigns under ``paths`` (every campaign when
    no campaign folder exists), under the state lock; then notify the receivers of what
    they have not heard yet, and (``attention``) say what needs a person."""
    names = campaigns.names_in(paths)
    with locked(ctx.state_location, names, lock_timeout) as store:
        result = refresh_records(ctx, store, store.each_record(names))
        if not ctx.project.notify and not attention:
            return result
        specs = followup.specs_under(paths, result.warnings)
        records = store.records(names)
        sent = followup.notify(ctx, store, records, specs)
        result.notified += sent.sent
        result.warnings += sent.warnings
        if attention:
            result.attention = followup.attention(ctx, store, records, specs)
    return result


def refresh_campaigns(ctx: Context, names: set[str] | None, lock_timeout: float) -> Refreshed:
    with locked(ctx.state_location, names, lock_timeout) as store:
        return refresh_records(ctx, store, store.each_record(names))


def refresh_records(ctx: Context, store: StateStore, records: Iterable[OrderRecord]) -> Refreshed:
    """Ask each panel (panels at once; per panel 100 ids a call, several calls at once)
    and record the answers as they come.  The calls start while the records are still
    being read, and the answers are written while the next calls are out."""
    by_order: dict[tuple[str, int], list[OrderRecord]] = {}
    by_refill: dict[tuple[str, int], list[tuple[OrderRecord, str | None]]] = {}
    feeds: dict[str, _Feed] = {}
    answers: queue.SimpleQueue[_Answer] = queue.SimpleQueue()
    stopping = threading.Event()
    clients: list[PanelClient] = []
    result = Refreshed()
    running = 0

    def feed_of(panel: str) -> _Feed:
        nonlocal running
        feed = feeds.get(panel)
        if feed is None:
            feed = feeds[panel] = _Feed()
            running += 1
            pool.submit(_ask, ctx, panel, feed, (answers, stopping, clients))
        return feed

    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="smm-refresh")
    try:
        now = _dt.datetime.now(_dt.UTC)
        for record in records:  # only those asked about are kept
            if needs_refresh(record, now):
                assert record.order_id is not None
                key = (record.panel, record.order_id)
                if key not in by_order:
                    feed_of(record.panel).orders.put(record.order_id)
                by_order.setdefault(key, []).append(record)
            for refill in record.open_refills:
                assert refill.refill_id is not None
                key = (record.panel, refill.refill_id)
                if key not in by_refill:
                    feed_of(record.panel).refills.put(refill.refill_id)
                by_refill.setdefault(key, []).append((record, refill.status))
        for feed in feeds.values():
            feed.end()
        while running:
            batch = _next_answers(answers)
            running -= sum(answer.done for answer in batch)
            for answer in batch:
                if answer.crash is not None:
                    raise answer.crash
            at = now_iso(store.clock_offset)
            with store.transaction() as tx:
                for answer in batch:
                    if answer.error is not None and answer.error not in result.panel_errors:
                        result.panel_errors.append(answer.error)
                    _record_statuses(tx, answer, by_order, result, at)
                    _record_refills(tx, answer, by_refill, result, at)
    except BaseException:
        # Stopping (Ctrl-C, a damaged record, a failed write): the askers end their waits
        # and stop.
        stopping.set()
        for feed in feeds.values():
            feed.end()
        for client in list(clients):
            client.halt()
        while running:
            running -= answers.get().done
        raise
    finally:
        pool.shutdown(wait=True)
    return result


def _ask(
    ctx: Context,
    panel: str,
    feed: _Feed,
    shared: tuple[queue.SimpleQueue[_Answer], threading.Event, list[PanelClient]],
) -> None:
    """One panel's statuses, then its refills' statuses, put on ``answers`` a call at a
    time, until the feed ends or ``stopping``; always a last ``done`` answer."""
    answers, stopping, clients = shared
    try:
        with ctx.client(panel) as client:
            clients.append(client)
            if stopping.is_set():
                client.halt()
            for statuses in client.status_batches(feed.each(feed.orders)):
                answers.put(_Answer(panel, statuses=statuses))
                if stopping.is_set():
                    return
            for refills in client.refill_status_batches(feed.each(feed.refills)):
                answers.put(_Answer(panel, refills=refills))
                if stopping.is_set():
                    return
    except SmmError as exc:
        answers.put(_Answer(panel, error=exc.message))
    except BaseException as exc:  # a bug: raised where the answers are read
        answers.put(_Answer(panel, crash=exc))
    finally:
        answers.put(_Answer(panel, done=True))


def _next_answers(answers: queue.SimpleQueue[_Answer]) -> list[_Answer]:
    """The next answer, and what has come meanwhile: they go in the same transaction."""
    batch = [answers.get()]
    while True:
        try:
            batch.append(answers.get_nowait())
        except queue.Empty:
            return batch


class _Feed:
    """The ids to ask one panel about, handed over as the records are read."""

    def __init__(self) -> None:
        self.orders: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self.refills: queue.SimpleQueue[int | None] = queue.SimpleQueue()

    def end(self) -> None:
        self.orders.put(None)
        self.refills.put(None)

    @staticmethod
    def each(ids: queue.SimpleQueue[int | None]) -> Iterator[int]:
        while (ident := ids.get()) is not None:
            yield ident


@dataclass(frozen=True)
class _Answer:
    """One call's answers from one panel (or its failure, or its end)."""

    panel: str
    statuses: dict[int, OrderInfo | ItemError] = field(default_factory=dict)
    refills: dict[int, RefillStatus | ItemError] = field(default_factory=dict)
    error: str | None = None
    crash: BaseException | None = None
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
