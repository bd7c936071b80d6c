"""What happened to each action of an apply: the executor's results, as values.

The executor produces them; the apply workflow, the renderers and the JSON event stream
read them.  ``Result`` is the one vocabulary for an action's end.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class Result(enum.StrEnum):
    PLACED = "placed"
    REJECTED = "rejected"
    NOT_SENT = "not_sent"
    IN_DOUBT = "in_doubt"
    SKIPPED = "skipped"
    REFILL_REQUESTED = "refill_requested"
    REFILL_FAILED = "refill_failed"
    CANCEL_REQUESTED = "cancel_requested"
    CANCEL_FAILED = "cancel_failed"

    @property
    def failed(self) -> bool:
        return self in _FAILED

    @property
    def words(self) -> str:
        """As a person reads it: ``in doubt``, ``not sent``."""
        return self.value.replace("_", " ")


_FAILED = frozenset(
    {
        Result.REJECTED,
        Result.NOT_SENT,
        Result.IN_DOUBT,
        Result.REFILL_FAILED,
        Result.CANCEL_FAILED,
    }
)

NOT_STARTED = "interrupted before it started"


@dataclass(frozen=True)
class Outcome:
    address: str
    result: Result
    message: str = ""
    order_id: int | None = None
    cost: Decimal | None = None
    currency: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "event": "order",
            "address": self.address,
            "result": str(self.result),
            "order_id": self.order_id,
            "message": self.message,
            "cost": None if self.cost is None else str(self.cost),
            "currency": self.currency,
        }


@dataclass
class ApplyResult:
    """Every outcome of one apply, in the order they were recorded."""

    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False
    execute_seconds: float = 0.0
    store_seconds: float = 0.0
    held_seconds: float = 0.0  # creates held back so that lost answers can be settled

    def count(self, result: Result) -> int:
        return sum(1 for o in self.outcomes if o.result is result)

    def counts(self) -> dict[str, int]:
        return {str(r): self.count(r) for r in Result}

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result.failed]

    @property
    def spent(self) -> Decimal:
        return sum(
            (o.cost or Decimal(0) for o in self.outcomes if o.result is Result.PLACED), Decimal(0)
        )

    def spent_by_currency(self) -> dict[str, Decimal]:
        """What was spent, per currency (panels answer in their own)."""
        out: dict[str, Decimal] = {}
        for o in self.outcomes:
            if o.result is Result.PLACED and o.cost is not None:
                out[o.currency or ""] = out.get(o.currency or "", Decimal(0)) + o.cost
        return dict(sorted(out.items()))

    @property
    def currency(self) -> str | None:
        """The one currency of what was spent, if there is exactly one."""
        currencies = {o.currency for o in self.outcomes if o.currency}
        return currencies.pop() if len(currencies) == 1 else None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted and not self.count(Result.SKIPPED)
