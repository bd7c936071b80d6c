"""Catalog drift: what changed in the services campaigns use since smm last used them.

The state keeps what each panel's catalog said about a service when an apply used it
(``saw_services``); the plan compares that with the catalog now, for the services its
actions use: a rate rise, a service gone, a service number that now sells something else
(another name or type).  Pure: the planner's facts and the memory in, findings out.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from runner.api.models import Service
from runner.money import format_amount
from runner.plans.plan import Action, Check, Kind

# A service's facts the memory keeps (and compares).
KEPT = ("name", "type", "rate", "min", "max", "refill", "cancel", "dripfeed")
NEAREST = 3


def seen(service: Service, currency: str | None) -> dict[str, Any]:
    """What the state keeps about a service the catalog lists now."""
    return {
        "name": service.name,
        "type": str(service.type),
        "rate": str(service.rate),
        "min": service.min,
        "max": service.max,
        "refill": service.refill,
        "cancel": service.cancel,
        "dripfeed": service.dripfeed,
        "currency": currency,
    }


@dataclass(frozen=True)
class Drift:
    """One change of one service: ``kind`` is rate, gone or renamed."""

    panel: str
    service: int
    kind: str
    level: str  # error | warning
    message: str
    old: str | None = None
    new: str | None = None
    addresses: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "panel": self.panel,
            "service": self.service,
            "kind": self.kind,
            "level": self.level,
            "message": self.message,
            "old": self.old,
            "new": self.new,
            "addresses": list(self.addresses),
        }

    def check(self, action: Action | None) -> Check:
        return Check(
            self.level,
            self.message,
            action.location if action else None,
            action.address if action else None,
        )


@dataclass(frozen=True)
class Catalog:
    """A panel's catalog now (None: the panel did not answer) and its currency."""

    services: Mapping[int, Service] | None
    currency: str | None


def used(actions: Iterable[Action]) -> dict[tuple[str, int], list[Action]]:
    """The services the plan's actions use, with the actions using each; for a selector
    that found nothing, the candidates ``max_rate`` left out."""
    found: dict[tuple[str, int], list[Action]] = {}
    for action in actions:
        if action.kind is Kind.ORPHAN:
            continue
        if action.service is not None and action.panel:
            found.setdefault((action.panel, action.service), []).append(action)
        if action.kind is Kind.INVALID and action.selection:
            for other in action.selection.get("left_out") or []:
                if "max_rate" in str(other.get("left_out")):
                    key = (str(other["panel"]), int(other["service"]))
                    found.setdefault(key, []).append(action)
    return found


def compare(
    actions: Iterable[Action],
    memory: Mapping[tuple[str, int], Mapping[str, Any]],
    catalogs: Mapping[str, Catalog],
) -> list[Drift]:
    """Every change of a used service the memory knows, as the plan reports it."""
    out: list[Drift] = []
    for (panel, ident), users in sorted(used(actions).items()):
        before = memory.get((panel, ident))
        catalog = catalogs.get(panel)
        if before is None or catalog is None or catalog.services is None:
            continue
        now = catalog.services.get(ident)
        addresses = tuple(sorted({a.address for a in users}))
        creates = [a for a in users if a.kind in (Kind.CREATE, Kind.INVALID, Kind.WAIT)]
        if now is None:
            out.append(_gone(panel, ident, before, catalog.services, addresses, creates))
            continue
        renamed = _renamed(panel, ident, before, now, addresses, creates)
        if renamed is not None:
            out.append(renamed)
        rise = _rate(panel, ident, before, now, catalog.currency, addresses, users)
        if rise is not None:
            out.append(rise)
    return out


def _gone(
    panel: str,
    ident: int,
    before: Mapping[str, Any],
    services: Mapping[int, Service],
    addresses: tuple[str, ...],
    creates: list[Action],
) -> Drift:
    name, kind = str(before.get("name", "")), str(before.get("type", ""))
    same = {s.name: s for s in services.values() if str(s.type) == kind}
    close = difflib.get_close_matches(name, list(same), n=NEAREST, cutoff=0.3)
    nearest = ", ".join(f"{same[n].id} '{n}'" for n in close) or "none of that type"
    return Drift(
        panel,
        ident,
        "gone",
        "error" if creates else "warning",
        f"service {ident} on {panel} ('{name}', {kind}) is gone from the catalog; the "
        f"nearest {kind} services by name: {nearest}",
        name,
        None,
        addresses,
    )


def _renamed(
    panel: str,
    ident: int,
    before: Mapping[str, Any],
    now: Service,
    addresses: tuple[str, ...],
    creates: list[Action],
) -> Drift | None:
    old_name, old_type = str(before.get("name", "")), str(before.get("type", ""))
    if now.name == old_name and str(now.type) == old_type:
        return None
    what = "name" if str(now.type) == old_type else "type"
    shown_now = f"'{now.name}'" + ("" if what == "name" else f" ({now.type})")
    shown_was = f"'{old_name}'" + ("" if what == "name" else f" ({old_type})")
    # A number names whatever the panel sells under it now: a create must not follow it
    # blindly.  (A selector chose by name, so the change is only news.)
    numeric = [a for a in creates if not a.selection]
    return Drift(
        panel,
        ident,
        "renamed",
        "error" if numeric else "warning",
        f"service {ident} on {panel} is now {shown_now} (was {shown_was}); confirm with "
        f"`smm services {panel} --search {shlex.quote(now.name[:30])}`, then `smm services "
        f"{panel} --accept {ident}` if it is still what the campaign wants",
        shown_was,
        shown_now,
        addresses,
    )


def _rate(
    panel: str,
    ident: int,
    before: Mapping[str, Any],
    now: Service,
    currency: str | None,
    addresses: tuple[str, ...],
    users: list[Action],
) -> Drift | None:
    try:
        old = Decimal(str(before.get("rate")))
    except (InvalidOperation, ValueError):
        return None
    if not old.is_finite() or now.rate <= old:
        return None
    unit = f" {currency}" if currency else ""
    text = f"{format_amount(old)} → {format_amount(now.rate)}{unit}"
    over = [a for a in users if a.kind is Kind.INVALID and a.selection]
    level = "error" if over else "warning"
    why = ", above the max_rate of " + ", ".join(a.address for a in over) if over else ""
    return Drift(
        panel,
        ident,
        "rate",
        level,
        f"service {ident} on {panel} ('{now.name}') costs more: {text}{why}",
        format_amount(old),
        format_amount(now.rate),
        addresses,
    )
