"""The state before the first apply: read as empty, nothing created on disk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from runner.state.model import BalanceSeen, Dump, Event, Observation, OrderRecord, StateInfo


@dataclass
class EmptyState:
    """The state before the first apply: nothing recorded, nothing created on disk."""

    where: str
    clock_offset: float = 0.0
    clock_margin: float = 0.0

    def info(self) -> StateInfo:
        return StateInfo(None, 0)

    def records(self, campaigns: set[str] | None = None) -> dict[str, OrderRecord]:
        return {}

    def each_record(self, campaigns: set[str] | None = None) -> Iterator[OrderRecord]:
        return iter(())

    def record(self, address: str) -> OrderRecord | None:
        return None

    def events(self, address: str | None = None) -> list[Event]:
        return []

    def history(self, campaigns: set[str] | None = None) -> list[Observation]:
        return []

    def balances(self) -> list[BalanceSeen]:
        return []

    def highest_order_ids(self) -> dict[str, int]:
        return {}

    def holder_of(self, panel: str, order_id: int) -> str | None:
        return None

    def services_seen(self) -> dict[tuple[str, int], dict[str, Any]]:
        return {}

    def dump(self) -> Dump:
        return Dump(None, 0, {}, (), (), (), (), ())

    def close(self) -> None:
        pass
