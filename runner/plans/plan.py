"""The plan: a value.  Actions and checks sort deterministically and have a JSON form.

The planner builds it; renderers print it; the executor carries out its actions; a saved
plan is its JSON, read back with ``Plan.from_json``.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runner.api import ordertypes
from runner.errors import Location
from runner.jsonstream import Items, chunks
from runner.money import parse_amount
from runner.plans.moves import Move
from runner.plans.summary import summary_line

PLAN_FORMAT = 2


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


def _loc_json(loc: Location | None) -> dict[str, Any] | None:
    if loc is None:
        return None
    return {"file": loc.file, "line": loc.line, "column": loc.column}


def _loc_from(data: Any) -> Location | None:
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
            "location": _loc_json(self.location),
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
            location=_loc_from(data.get("location")),
            changes=tuple(Change.from_json(c) for c in data.get("changes") or ()),
            selection=data.get("selection"),
        )


@dataclass(frozen=True, order=True, slots=True)
class Check:
    level: str  # "error" | "warning"
    message: str
    location: Location | None = None
    address: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.level}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "message": self.message,
            "address": self.address,
            "location": _loc_json(self.location),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Check:
        return cls(
            data["level"], data["message"], _loc_from(data.get("location")), data.get("address")
        )


@dataclass(frozen=True)
class CampaignCost:
    """A campaign's planned cost and what it has spent (``OrderRecord.spent``), in its
    one currency, against its budget."""

    name: str
    cost: Decimal
    budget: Decimal | None
    spent: Decimal
    currency: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.name,
            "cost": str(self.cost),
            "budget": None if self.budget is None else str(self.budget),
            "spent": str(self.spent),
            "currency": self.currency,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CampaignCost:
        return cls(
            str(data["campaign"]),
            Decimal(data["cost"]),
            parse_amount(data.get("budget")),
            Decimal(data["spent"]),
            data.get("currency"),
        )


@dataclass(frozen=True)
class PanelSummary:
    name: str
    balance: Decimal | None
    currency: str
    cost: Decimal

    @property
    def after(self) -> Decimal | None:
        return None if self.balance is None else self.balance - self.cost

    def to_json(self) -> dict[str, Any]:
        return {
            "panel": self.name,
            "balance": None if self.balance is None else str(self.balance),
            "currency": self.currency,
            "cost": str(self.cost),
            "balance_after": None if self.after is None else str(self.after),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PanelSummary:
        return cls(
            data["panel"],
            parse_amount(data.get("balance")),
            data["currency"],
            Decimal(data["cost"]),
        )


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    checks: tuple[Check, ...] = ()
    campaigns: tuple[CampaignCost, ...] = ()
    panels: tuple[PanelSummary, ...] = ()
    lineage: str | None = None
    serial: int = 0
    rates: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)
    created_at: str = ""
    # The serial of each campaign the plan covers, when it was made: a saved plan is
    # stale once any of them moved (another campaign's changes do not matter).
    serials: dict[str, int] = field(default_factory=dict, compare=False)
    # The campaign paths it was made from (relative to the project), to plan them again.
    paths: tuple[str, ...] = ()
    # What reconciliation found about in-doubt orders before planning, one line each.
    reconciliation: tuple[str, ...] = field(default=(), compare=False)
    # Records that take a new address (``moved:`` in the files), recorded at apply.
    moves: tuple[Move, ...] = ()
    # Its scope (``--target``; none: all), and ``--allow-over-limits``.
    targets: tuple[str, ...] = ()
    allow_over_limits: bool = False
    # Catalog drift of the services it uses (``runner.plans.drift.Drift.to_json``).
    drift: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "actions", tuple(sorted(self.actions)))
        object.__setattr__(
            self,
            "checks",
            tuple(
                sorted(
                    set(self.checks),
                    key=lambda c: (c.level != "error", c.location or Location("", 0, 0), c.message),
                )
            ),
        )

    @property
    def errors(self) -> list[Check]:
        return [c for c in self.checks if c.level == "error"]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.level == "warning"]

    def count(self, kind: Kind) -> int:
        return sum(1 for a in self.actions if a.kind is kind)

    @property
    def has_changes(self) -> bool:
        return bool(self.moves) or any(a.kind.changes for a in self.actions)

    def of_kind(self, *kinds: Kind) -> list[Action]:
        return [a for a in self.actions if a.kind in kinds]

    @property
    def total_cost(self) -> Decimal:
        return sum((p.cost for p in self.panels), Decimal(0))

    def summary(self) -> str:
        spend = [
            (p.name, p.cost, p.balance, p.currency)
            for p in self.panels
            if p.cost or self.count(Kind.CREATE)
        ]
        creates, refills, cancels = (self.count(k) for k in (Kind.CREATE, Kind.REFILL, Kind.CANCEL))
        return summary_line(len(self.errors), len(self.moves), creates, refills, cancels, spend)

    def to_json(self) -> dict[str, Any]:
        data = self._fields([a.to_json() for a in self.actions])
        data["checksum"] = checksum(data)
        return data

    def json_chunks(self) -> Iterator[str]:
        """``json.dumps(self.to_json(), indent=2)``, piece by piece: each action's JSON is
        made, written and counted into the checksum (the last field) in turn."""
        # The checksum's text is the body's with sorted keys: "actions" comes first.
        digest = hashlib.sha256(b'{"actions":[')

        def actions() -> Iterator[dict[str, Any]]:
            for i, action in enumerate(self.actions):
                data = action.to_json()
                digest.update((("," if i else "") + _compact(data)).encode())
                yield data

        body = self._fields(Items(actions()))

        def fields() -> Iterator[tuple[str, Any]]:
            yield from body.items()
            rest = _compact({k: v for k, v in body.items() if k != "actions"})
            digest.update(("]," + rest[1:]).encode())
            yield "checksum", "sha256:" + digest.hexdigest()

        return chunks(fields())

    def _fields(self, actions: Any) -> dict[str, Any]:
        counts = {str(k): self.count(k) for k in Kind}
        return {
            "format_version": PLAN_FORMAT,
            "created_at": self.created_at,
            "state": {"lineage": self.lineage, "serial": self.serial, "campaigns": self.serials},
            "paths": list(self.paths),
            "targets": list(self.targets),
            "allow_over_limits": self.allow_over_limits,
            "drift": list(self.drift),
            "reconciliation": list(self.reconciliation),
            "moves": [m.to_json() for m in self.moves],
            "summary": self.summary(),
            "counts": counts,
            "has_changes": self.has_changes,
            "valid": not self.errors,
            "actions": actions,
            "checks": [c.to_json() for c in self.checks],
            "campaigns": [c.to_json() for c in self.campaigns],
            "panels": [p.to_json() for p in self.panels],
            "total_cost": str(self.total_cost),
            "rates": self.rates,
        }

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """A saved plan read back; any edit of it (a checksum that does not match) or any
        value of the wrong shape is a ``ValueError``."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format_version") != PLAN_FORMAT:
            raise ValueError(
                f"unsupported plan format {str(data.get('format_version'))[:20]!r} "
                f"(this smm writes format {PLAN_FORMAT})"
            )
        if data.get("checksum") != checksum(data):
            raise ValueError("its checksum does not match: the file was edited after it was saved")
        try:
            state = data["state"]
            return cls(
                actions=tuple(Action.from_json(a) for a in data["actions"]),
                checks=tuple(Check.from_json(c) for c in data["checks"]),
                campaigns=tuple(CampaignCost.from_json(c) for c in data["campaigns"]),
                panels=tuple(PanelSummary.from_json(p) for p in data["panels"]),
                lineage=state["lineage"],
                serial=int(state["serial"]),
                rates={
                    str(panel): {str(k): str(v) for k, v in rates.items()}
                    for panel, rates in data.get("rates", {}).items()
                },
                created_at=str(data.get("created_at", "")),
                serials={str(k): int(v) for k, v in state["campaigns"].items()},
                paths=tuple(str(p) for p in data.get("paths", [])),
                reconciliation=tuple(str(r) for r in data.get("reconciliation", [])),
                moves=tuple(Move.from_json(m) for m in data.get("moves", [])),
                targets=tuple(str(t) for t in data.get("targets", [])),
                allow_over_limits=data.get("allow_over_limits") is True,
                drift=tuple(dict(d) for d in data.get("drift", [])),
            )
        except (KeyError, TypeError, AttributeError, ArithmeticError) as exc:
            raise ValueError(f"a value is missing or of the wrong kind ({exc!r:.80})") from None


def checksum(data: dict[str, Any]) -> str:
    """A digest of everything in a plan's JSON but the checksum itself."""
    body = {k: v for k, v in data.items() if k != "checksum"}
    return "sha256:" + hashlib.sha256(_compact(body).encode()).hexdigest()


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
