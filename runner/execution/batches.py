"""Refills and cancels: one batched call per panel (the client sends 100 ids a request);
every answer, success or per-item error, is recorded in one transaction per panel."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runner.api.models import ItemError
from runner.errors import PanelError
from runner.execution.results import Outcome, Result
from runner.panel.client import PanelClient
from runner.plans.plan import Action
from runner.state import CancelRecord, RefillRecord, Transaction

Stamp = Callable[[], str]
Record = Callable[[Callable[[Transaction], None]], None]


def _by_panel(actions: list[Action]) -> dict[str, dict[int, Action]]:
    groups: dict[str, dict[int, Action]] = {}
    for action in actions:
        assert action.order_id is not None
        groups.setdefault(action.panel, {})[action.order_id] = action
    return groups


def refills(
    actions: list[Action], clients: Mapping[str, PanelClient], stamp: Stamp, record: Record
) -> list[Outcome]:
    return _batch(
        actions,
        clients,
        stamp,
        record,
        "refill",
        lambda client, ids: client.refill_many(ids),
        ok=lambda at, a, refill: (
            RefillRecord(at, refill),
            Outcome(a.address, Result.REFILL_REQUESTED, f"refill {refill}", a.order_id),
        ),
        failed=lambda at, a, message: (
            RefillRecord(at, None, message),
            Outcome(a.address, Result.REFILL_FAILED, message, a.order_id),
        ),
    )


def cancels(
    actions: list[Action], clients: Mapping[str, PanelClient], stamp: Stamp, record: Record
) -> list[Outcome]:
    return _batch(
        actions,
        clients,
        stamp,
        record,
        "cancel",
        lambda client, ids: client.cancel(ids),
        ok=lambda at, a, _: (
            CancelRecord(at, True),
            Outcome(a.address, Result.CANCEL_REQUESTED, "", a.order_id),
        ),
        failed=lambda at, a, message: (
            CancelRecord(at, False, message),
            Outcome(a.address, Result.CANCEL_FAILED, message, a.order_id),
        ),
    )


def _batch(
    actions: list[Action],
    clients: Mapping[str, PanelClient],
    stamp: Stamp,
    record: Record,
    method: str,
    call: Callable[[PanelClient, list[int]], Mapping[int, Any]],
    ok: Callable[[str, Action, Any], tuple[Any, Outcome]],
    failed: Callable[[str, Action, str], tuple[Any, Outcome]],
) -> list[Outcome]:
    outcomes = []
    for panel, by_id in _by_panel(actions).items():
        at = stamp()
        try:
            answers = call(clients[panel], list(by_id))
        except PanelError as exc:
            answers = {i: ItemError(exc.detail) for i in by_id}
        records = []
        for order_id, action in by_id.items():
            answer = answers[order_id]
            if isinstance(answer, ItemError) or answer is False:
                message = answer.message if isinstance(answer, ItemError) else "refused"
                entry, outcome = failed(at, action, message)
            else:
                entry, outcome = ok(at, action, answer)
            records.append((action.address, entry))
            outcomes.append(outcome)
        record(_writer(method, records))
    return outcomes


def _writer(method: str, records: list[tuple[str, Any]]) -> Callable[[Transaction], None]:
    def write(tx: Any) -> None:
        for address, entry in records:
            getattr(tx, method)(address, entry)

    return write
