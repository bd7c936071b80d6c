"""Refills and cancels: the batched calls, 100 ids a request, one transaction per panel.

A part of the executor (``Executor`` is a ``Batches``): it needs the executor's clients,
its clock and its durable writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runner.api.models import ItemError
from runner.errors import PanelError
from runner.execution.results import Outcome, Result
from runner.panel.client import PanelClient
from runner.plans.plan import Action
from runner.state import CancelRecord, RefillRecord, Transaction


class Batches:
    clients: Mapping[str, PanelClient]

    def _stamp(self) -> str:
        raise NotImplementedError

    def _record(self, write: Callable[[Transaction], None]) -> None:
        raise NotImplementedError

    def _by_panel(self, actions: list[Action]) -> dict[str, dict[int, Action]]:
        groups: dict[str, dict[int, Action]] = {}
        for action in actions:
            assert action.order_id is not None
            groups.setdefault(action.panel, {})[action.order_id] = action
        return groups

    def refills(self, actions: list[Action]) -> list[Outcome]:
        return self._batch(
            actions,
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

    def cancels(self, actions: list[Action]) -> list[Outcome]:
        return self._batch(
            actions,
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
        self,
        actions: list[Action],
        method: str,
        call: Callable[[PanelClient, list[int]], Mapping[int, Any]],
        ok: Callable[[str, Action, Any], tuple[Any, Outcome]],
        failed: Callable[[str, Action, str], tuple[Any, Outcome]],
    ) -> list[Outcome]:
        """One batched call per panel (the client sends 100 ids a request); every answer,
        success or per-item error, is recorded in one transaction per panel."""
        outcomes = []
        for panel, by_id in self._by_panel(actions).items():
            at = self._stamp()
            try:
                answers = call(self.clients[panel], list(by_id))
            except PanelError as exc:
                answers = {i: ItemError(exc.detail) for i in by_id}
            records = []
            for order_id, action in by_id.items():
                answer = answers[order_id]
                if isinstance(answer, ItemError) or answer is False:
                    message = answer.message if isinstance(answer, ItemError) else "refused"
                    record, outcome = failed(at, action, message)
                else:
                    record, outcome = ok(at, action, answer)
                records.append((action.address, record))
                outcomes.append(outcome)
            self._record(_writer(method, records))
        return outcomes


def _writer(method: str, records: list[tuple[str, Any]]) -> Callable[[Transaction], None]:
    def write(tx: Any) -> None:
        for address, record in records:
            getattr(tx, method)(address, record)

    return write
