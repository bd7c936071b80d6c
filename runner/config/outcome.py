"""What an order asks about its outcome: ``on_partial``, ``max_topups``, ``auto_refill``.

Requests about the order, like ``refills:``, never part of what is ordered (its
fingerprint): runner.plans.topups and runner.plans.refills act on them.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runner.clock import parse_duration


@dataclass(frozen=True, slots=True)
class Outcome:
    on_partial: str = "report"  # "reorder": top up a shortfall
    max_topups: int = 2
    auto_refill: tuple[_dt.timedelta, _dt.timedelta] | None = None  # every, for

    @property
    def reorder(self) -> bool:
        return self.on_partial == "reorder"

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> Outcome:
        """From an order's fields (as the schema checked them)."""
        schedule = fields.get("auto_refill")
        every = window = None
        if isinstance(schedule, Mapping):
            every = parse_duration(str(schedule.get("every")))
            window = parse_duration(str(schedule.get("for")))
        return cls(
            on_partial=fields.get("on_partial", "report"),
            max_topups=fields.get("max_topups", 2),
            auto_refill=None if every is None or window is None else (every, window),
        )

    def to_json(self) -> dict[str, Any]:
        """The settings that are set (an order without them keeps its old JSON)."""
        out: dict[str, Any] = {}
        if self.reorder:
            out.update(on_partial=self.on_partial, max_topups=self.max_topups)
        if self.auto_refill is not None:
            every, window = self.auto_refill
            out["auto_refill"] = {
                "every": int(every.total_seconds()),
                "for": int(window.total_seconds()),
            }
        return out


NO_OUTCOME = Outcome()  # an order that asks nothing about its outcome
