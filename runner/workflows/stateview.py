"""``smm state list / show / export``: what the state holds, read-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runner.errors import SmmError
from runner.state import (
    BalanceSeen,
    Event,
    Observation,
    OrderRecord,
    StateInfo,
    open_readonly,
)
from runner.workflows.context import Context


@dataclass(frozen=True)
class Snapshot:
    info: StateInfo
    records: dict[str, OrderRecord]
    events: list[Event]
    history: list[Observation]
    balances: list[BalanceSeen]

    def to_json(self) -> dict[str, Any]:
        return {
            "lineage": self.info.lineage,
            "serial": self.info.serial,
            "campaigns": dict(self.info.campaigns),
            "orders": [r.to_json() for r in self.records.values()],
            "events": [e.to_json() for e in self.events],
            "history": [o.to_json() for o in self.history],
            "balances": [b.to_json() for b in self.balances],
        }


def records(ctx: Context) -> tuple[StateInfo, dict[str, OrderRecord]]:
    reader = open_readonly(ctx.state_location)
    try:
        return reader.info(), reader.records()
    finally:
        reader.close()


def show(ctx: Context, address: str) -> dict[str, Any]:
    """Everything recorded about ``address``, with its history, as JSON values."""
    reader = open_readonly(ctx.state_location)
    try:
        record = reader.record(address)
        if record is None:
            raise SmmError(f"{address}: not in the state")
        data = record.to_json()
        data["events"] = [e.to_json() for e in reader.events(address)]
        data["history"] = [
            o.to_json() for o in reader.history({record.campaign}) if o.address == address
        ]
        return data
    finally:
        reader.close()


def export(ctx: Context) -> Snapshot:
    reader = open_readonly(ctx.state_location)
    try:
        return Snapshot(
            reader.info(), reader.records(), reader.events(), reader.history(), reader.balances()
        )
    finally:
        reader.close()
