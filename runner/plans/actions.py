"""What the plan does to each address: the kinds of action, and the ``Action`` value with
its JSON form (and what changed in a placed order's file).  ``runner.plans.plan`` gathers
them into a Plan."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runner.api import ordertypes
from runner.errors import Location
from runner.money import parse_amount


class Kind(enum.StrEnum):
    CREATE = "create"
    REFILL = "refill"
    CANCEL = "cancel"
    WAIT = "wait"
    NOOP = "no-op"
    CONFLICT = "conflict"
    IN_DOUBT = "in-doubt"
    ORPHAN = "orphan"
    INVALID = "error"  # cannot be placed as written: the plan's errors say why

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def changes(self) -> bool:
        return self in (Kind.CREATE, Kind.REFILL, Kind.CANCEL)


_SYMBOLS = {
    Kind.CREATE: "+",
    Kind.REFILL: "~",
    Kind.CANCEL: "-",
    Kind.WAIT: ".",
    Kind.NOOP: " ",
    Kind.CONFLICT: "!",
    Kind.IN_DOUBT: "?",
    Kind.ORPHAN: "#",
    Kind.INVALID: "x",
}


def loc_json(loc: Location | None) -> dict[str, Any] | None:
    if loc is None:
        return None
    return {"file": loc.file, "line": loc.line, "column": loc.column}


def loc_from(data: Any) -> Location | None:
    if not data:
        return None
    return Location(str(data["file"]), int(data["line"]), int(data["column"]))


@dataclass(frozen=True)
class Change:
    """One field of a placed order that its file now says otherwise."""

    field: str
    old: Any  # as recorded when the order was placed; None: not set
    new: Any  # as the file says now; None: not set

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(str(data["field"]), data.get("old"), data.get("new"))


def spec_changes(recorded: Any, wanted: Any) -> tuple[Change, ...]:
    """Field by field, how the file's order (``OrderSpec.to_json()``) differs from the one
    recorded when it was placed: panel, service, then the order type's fields.  Nothing
    when the record did not keep its parameters."""
    if not isinstance(recorded, Mapping) or not isinstance(recorded.get("params"), dict):
        return ()

    def fields(spec: Mapping[str, Any]) -> dict[str, Any]:
        params = spec.get("params")
        return {
            "panel": spec.get("panel"),
            "service": spec.get("service"),
            **(params if isinstance(params, dict) else {}),
        }

    old, new = fields(recorded), fields(wanted)
    names = ["panel", "service", *sorted((set(old) | set(new)) - {"panel", "service"})]
    return tuple(Change(n, old.get(n), new.get(n)) for n in names if old.get(n) != new.get(n))


@dataclass(frozen=True, order=True, slots=True)
class Action:
    address: str
    kind: Kind
    panel: str
    reason: str = ""
    service: int | None = None
    service_name: str | None = None
    service_type: str | None = None
    link: str | None = None
    units: int | None = None
    cost: Decimal | None = None
    currency: str | None = None
    order_id: int | None = None
    status: str | None = None
    fingerprint: str | None = None
    campaign: str = ""
    spec: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    location: Location | None = field(default=None, compare=False)
    # A conflict: what the file changed in the placed order.
    changes: tuple[Change, ...] = field(default=(), compare=False)
    # A selector's choice (``selection.Choice.to_json``); a failover: where it moved from.
    selection: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def fields(self) -> dict[str, Any]:
        """The order type's fields of a create (what ``add`` carries), as in the file."""
        inner = (self.spec or {}).get("params")
        return dict(inner) if isinstance(inner, dict) else {}

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "action": str(self.kind),
            "campaign": self.campaign,
            "panel": self.panel,
            "service": self.service,
            "service_name": self.service_name,
            "service_type": self.service_type,
            "link": self.link,
            "units": self.units,
            "cost": None if self.cost is None else str(self.cost),
            "currency": self.currency,
            "order_id": self.order_id,
            "status": self.status,
            "fingerprint": self.fingerprint,
            "reason": self.reason,
            "spec": self.spec,
            # What `add` will carry besides service and key, exactly (creates only).
            "sends": ordertypes.wire_params(self.fields, self.service_type) if self.spec else None,
            "location": loc_json(self.location),
            "changes": [c.to_json() for c in self.changes],
            "selection": self.selection,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Action:
        return cls(
            address=data["address"],
            kind=Kind(data["action"]),
            panel=data["panel"],
            reason=data.get("reason", ""),
            service=data.get("service"),
            service_name=data.get("service_name"),
            service_type=data.get("service_type"),
            link=data.get("link"),
            units=data.get("units"),
            cost=parse_amount(data.get("cost")),
            currency=data.get("currency"),
            order_id=data.get("order_id"),
            status=data.get("status"),
            fingerprint=data.get("fingerprint"),
            campaign=data.get("campaign", ""),
            spec=data.get("spec"),
            location=loc_from(data.get("location")),
            changes=tuple(Change.from_json(c) for c in data.get("changes") or ()),
            selection=data.get("selection"),
        )
