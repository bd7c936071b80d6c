"""Failover: a create its panel definitely refused, placed with the next candidate.

Only after a definite refusal (an error answer, or never sent): an order whose answer
was lost may exist, and is never sent elsewhere.  The next candidate of the plan's
selector (cheapest first) is taken when it still fits the campaign's budget and that
panel's balance (its rate fitted ``max_rate`` when the plan was made).  Pure: the apply
workflow runs the actions it returns and records why each moved.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runner.execution.results import Outcome, Result
from runner.money import format_amount
from runner.plans.plan import Action, Kind, Plan
from runner.plans.selection import Candidate, alternates

DEFINITE = frozenset({Result.REJECTED, Result.NOT_SENT})


@dataclass(frozen=True)
class Move:
    """A create placed elsewhere: the new action, and what it costs more (or less)."""

    action: Action
    was: Action
    why: str
    extra: Decimal  # in the currency the plan compared costs in (or the panels' one)
    unit: str | None

    def note(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        more = "more" if self.extra >= 0 else "less"
        return (
            f"moved from service {self.was.service} on {self.was.panel} ({self.why}) to "
            f"service {self.action.service} on {self.action.panel}: "
            f"{format_amount(abs(self.extra))}{unit} {more} than planned"
        )

    def event(self) -> dict[str, Any]:
        """What the state keeps about the move."""
        return {
            "from": {"panel": self.was.panel, "service": self.was.service},
            "to": {"panel": self.action.panel, "service": self.action.service},
            "why": self.why,
            "extra_cost": str(self.extra),
            "currency": self.unit,
        }


@dataclass
class Failover:
    """The room an apply has left for moves: per campaign (budget) and per panel
    (balance), and the candidates each address has tried."""

    plan: Plan
    budget_room: dict[str, Decimal | None] = field(default_factory=dict)
    budget_unit: dict[str, str | None] = field(default_factory=dict)
    compared: dict[str, Decimal | None] = field(default_factory=dict)
    balance_room: dict[str, Decimal | None] = field(default_factory=dict)
    tried: dict[str, set[tuple[str, int]]] = field(default_factory=dict)
    current: dict[str, Action] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for cost in self.plan.campaigns:
            room = None if cost.budget is None else cost.budget - cost.spent - cost.cost
            self.budget_room[cost.name] = room
            self.budget_unit[cost.name] = cost.currency
        for panel in self.plan.panels:
            self.balance_room[panel.name] = panel.after
        for action in self.plan.of_kind(Kind.CREATE):
            self.current[action.address] = action
            if action.service is not None:
                self.tried[action.address] = {(action.panel, action.service)}
            chosen = (action.selection or {}).get("chosen") or {}
            compared = chosen.get("compared")
            self.compared[action.address] = None if compared is None else Decimal(str(compared))

    def moves(self, outcomes: Iterable[Outcome]) -> list[Move]:
        """For each definite refusal of a selector's create, the next candidate that
        fits; the rooms are taken as if each move will be placed."""
        found = []
        for outcome in outcomes:
            action = self.current.get(outcome.address)
            if outcome.result not in DEFINITE or action is None or not action.selection:
                continue
            move = self._next(action, outcome.message or str(outcome.result.words))
            if move is not None:
                found.append(move)
                self.current[action.address] = move.action
        return found

    def _next(self, action: Action, why: str) -> Move | None:
        tried = self.tried.setdefault(action.address, set())
        for candidate in alternates(action.selection):
            key = (candidate.panel, candidate.service)
            if key in tried:
                continue
            tried.add(key)
            if self._fits(action, candidate):
                return self._move(action, candidate, why)
        return None

    def _fits(self, action: Action, candidate: Candidate) -> bool:
        if candidate.cost is None:
            return False
        balance = self.balance_room.get(candidate.panel)
        if balance is None or candidate.cost > balance:
            return False
        room = self.budget_room.get(action.campaign)
        if room is None:
            return True
        extra = self._extra(action, candidate, self.budget_unit.get(action.campaign))
        return extra is not None and extra <= room

    def _extra(self, action: Action, candidate: Candidate, unit: str | None) -> Decimal | None:
        """What the move costs more, in ``unit`` (the budget's); None: not comparable
        (budgets are never held to an amount in another currency)."""
        assert candidate.cost is not None
        if unit is not None and candidate.currency == unit == action.currency:
            return candidate.cost - (action.cost or Decimal(0))
        compared_in = (action.selection or {}).get("compared_in")
        now = self.compared.get(action.address)
        if unit is not None and unit == compared_in and now is not None and candidate.compared:
            return candidate.compared - now
        return None

    def _move(self, action: Action, candidate: Candidate, why: str) -> Move:
        assert candidate.cost is not None
        selection: Mapping[str, Any] = action.selection or {}
        chosen = selection.get("chosen") or {}
        planned = chosen.get("compared")
        if planned is not None and candidate.compared is not None:
            extra = candidate.compared - Decimal(str(planned))
            unit = selection.get("compared_in") or candidate.currency
        else:
            extra = candidate.cost - (action.cost or Decimal(0))
            unit = candidate.currency
        moved_from = {"panel": action.panel, "service": action.service, "why": why}
        new = dataclasses.replace(
            action,
            panel=candidate.panel,
            service=candidate.service,
            service_name=candidate.name,
            service_type=candidate.type,
            cost=candidate.cost,
            units=candidate.units,
            currency=candidate.currency,
            spec={
                **(action.spec or {}),
                "panel": candidate.panel,
                "service": candidate.service,
                "moved_from": moved_from,
            },
            selection={**selection, "moved_from": {**moved_from, "name": action.service_name}},
        )
        room = self.budget_room.get(action.campaign)
        spent = self._extra(action, candidate, self.budget_unit.get(action.campaign))
        if room is not None and spent is not None:
            self.budget_room[action.campaign] = room - spent
        self.compared[action.address] = candidate.compared
        balance = self.balance_room.get(candidate.panel)
        if balance is not None:
            self.balance_room[candidate.panel] = balance - candidate.cost
        return Move(new, action, why, extra, unit)
