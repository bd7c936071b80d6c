"""``smm refresh``: record every non-terminal order's and open refill's current status."""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from runner.console import out
from runner.errors import EXIT_OK, SmmError

if TYPE_CHECKING:
    from runner.cli import Env
    from runner.panel.models import ItemError, OrderInfo, RefillStatus
    from runner.state import OrderRecord, StateStore


@dataclass
class Refreshed:
    orders: int = 0
    refills: int = 0
    item_errors: int = 0
    panel_errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "orders": self.orders,
            "refills": self.refills,
            "item_errors": self.item_errors,
            "panel_errors": self.panel_errors,
        }


@dataclass
class _PanelAnswers:
    statuses: dict[int, OrderInfo | ItemError] = field(default_factory=dict)
    refills: dict[int, RefillStatus | ItemError] = field(default_factory=dict)
    error: str | None = None


def campaigns_in(paths: tuple[Path, ...]) -> set[str] | None:
    """The campaign names under PATHS; None (everything) when no campaign folder exists."""
    from runner import campaign

    if not paths and not campaign.DEFAULT_PATH.exists():
        return None
    loaded = campaign.load(list(paths))
    if loaded.problems:
        for problem in loaded.problems:
            out(str(problem))
        raise SmmError("fix the campaign files first")
    return {c.name for c in loaded.campaigns}


def refresh_records(env: Env, store: StateStore, records: Iterable[OrderRecord]) -> Refreshed:
    """Ask each panel (concurrently, 100 ids a call) and record the answers."""
    from runner.facts import ids_to_refresh
    from runner.panel.models import ItemError
    from runner.state import LastStatus
    from runner.state.sqlite import now_iso

    records = list(records)
    order_ids = ids_to_refresh(records)
    refill_ids: dict[str, list[int]] = {}
    for record in records:
        for refill in record.open_refills:
            assert refill.refill_id is not None
            refill_ids.setdefault(record.panel, []).append(refill.refill_id)

    def ask(panel: str) -> _PanelAnswers:
        try:
            with env.client(panel) as client:
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
    at = now_iso()
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
                    prev = record.last
                    tx.status(
                        record.address,
                        LastStatus(
                            prev.status if prev else "",
                            prev.remains if prev else None,
                            prev.start_count if prev else None,
                            prev.charge if prev else None,
                            prev.currency if prev else None,
                            at,
                            info.message,
                        ),
                    )
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


def refresh(env: Env, names: set[str] | None, lock_timeout: float) -> Refreshed:
    """Refresh the recorded orders of these campaigns (all when None), under the lock."""
    from runner.state import locked

    with locked(env.project.state_path, lock_timeout) as store:
        return refresh_records(env, store, store.records(names).values())


def run(env: Env, paths: tuple[Path, ...], fmt: str, lock_timeout: float) -> int:
    result = refresh(env, campaigns_in(paths), lock_timeout)
    if fmt == "json":
        out(json.dumps(result.to_json()))
    else:
        out(
            f"Refreshed {result.orders} order{'s' if result.orders != 1 else ''} and "
            f"{result.refills} refill{'s' if result.refills != 1 else ''}"
            + (f" ({result.item_errors} unknown to the panel)" if result.item_errors else "")
            + "."
        )
        for error in result.panel_errors:
            out(f"Error: {error}")
    return EXIT_OK if not result.panel_errors else 1
