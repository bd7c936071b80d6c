"""What ``smm report`` shows, as values: spend against budget, each order's delivery over
time, counts, balances, and the orders that need a person.

``build`` is pure: the report workflow hands it what the campaign files and the state
say; the renderers turn the result into HTML, Markdown or JSON.  Every number comes from
the state: a delivery curve has one point per observation the store recorded, never a
value made up in between; spend is ``OrderRecord.spent``, the definition plan and status
share.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runner.delivery.rows import Row, row_of, with_topups
from runner.money import exact
from runner.state import BalanceSeen, Observation, OrderRecord, Phase, RefillRecord
from runner.state.spectext import StoredSpec

# The statuses after which the panel has finished delivering: fewer units later is a drop.
_DONE = frozenset({"Completed", "Partial"})
NOT_CHECKED = "not checked yet"


def status_of(view: OrderView) -> str:
    """The status the report shows: the status row's, with a word for never checked."""
    return NOT_CHECKED if view.row.status == "-" else view.row.status


@dataclass(frozen=True)
class Point:
    """One observation of an order: its status and, where the order counts units, how
    many were delivered (quantity - remains)."""

    at: str
    status: str
    remains: int | None
    delivered: int | None
    charge: Decimal | None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "status": self.status,
            "remains": self.remains,
            "delivered": self.delivered,
            "charge": exact(self.charge),
        }


@dataclass(frozen=True)
class Drop:
    """Units lost after the panel had finished delivering (what refills are for)."""

    at: str
    lost: int
    delivered: int

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "lost": self.lost, "delivered": self.delivered}


@dataclass(frozen=True)
class OrderView:
    """An order as the report shows it: its status row and its delivery curve."""

    row: Row
    panel: str
    link: str | None
    spent: Decimal
    charged: bool  # whether ``spent`` is the panel's reported charge (else our estimate)
    points: tuple[Point, ...]
    refills: tuple[RefillRecord, ...]
    drops: tuple[Drop, ...]

    @property
    def address(self) -> str:
        return self.row.address

    def to_json(self) -> dict[str, Any]:
        return {
            **self.row.to_json(),
            "panel": self.panel,
            "link": self.link,
            "spent": str(self.spent),
            "spent_is": "charge" if self.charged else "estimate",
            "points": [p.to_json() for p in self.points],
            "refills": [r.to_json() for r in self.refills],
            "drops": [d.to_json() for d in self.drops],
        }


@dataclass(frozen=True)
class Spend:
    """A campaign's spend: the panel's reported charges plus our estimates for orders it
    has reported no charge for yet, against the budget of its file."""

    campaign: str
    panels: tuple[str, ...]
    orders: int
    desired: int | None  # orders in the campaign file (None: the file was not loaded)
    charged: Decimal
    estimated: Decimal
    budget: Decimal | None
    currency: str

    @property
    def spent(self) -> Decimal:
        return self.charged + self.estimated

    @property
    def left(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.spent

    @property
    def over(self) -> bool:
        return self.budget is not None and self.spent > self.budget

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "panels": list(self.panels),
            "orders": self.orders,
            "desired": self.desired,
            "charged": str(self.charged),
            "estimated": str(self.estimated),
            "spent": str(self.spent),
            "budget": exact(self.budget),
            "left": exact(self.left),
            "currency": self.currency,
        }


@dataclass(frozen=True)
class Attention:
    """An order a person must look at, why, and what settles it."""

    address: str
    kind: str  # in doubt | rejected | conflict | submitting | drift
    why: str
    commands: tuple[str, ...] = ()
    advice: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "why": self.why,
            "commands": list(self.commands),
            "advice": self.advice,
        }


@dataclass(frozen=True)
class Report:
    generated_at: str
    state: str  # where the state lives, fit to print
    campaigns: tuple[Spend, ...]
    orders: tuple[OrderView, ...]
    attention: tuple[Attention, ...]
    balances: Mapping[str, tuple[BalanceSeen, ...]]  # every panel in scope, maybe none seen
    notes: tuple[str, ...] = ()  # what could not be asked (a refresh's panel errors)
    by_status: Mapping[str, int] = field(default_factory=dict)
    by_panel: Mapping[str, int] = field(default_factory=dict)
    # The orders of each campaign (``build`` fills it: looked up, never searched for).
    by_campaign: Mapping[str, tuple[OrderView, ...]] = field(default_factory=dict, compare=False)

    def of(self, campaign: str) -> list[OrderView]:
        if self.by_campaign or not self.orders:
            return list(self.by_campaign.get(campaign, ()))
        return [o for o in self.orders if o.row.campaign == campaign]

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "state": self.state,
            "campaigns": [c.to_json() for c in self.campaigns],
            "by_status": dict(self.by_status),
            "by_panel": dict(self.by_panel),
            "attention": [a.to_json() for a in self.attention],
            "balances": {p: [b.to_json() for b in seen] for p, seen in self.balances.items()},
            "notes": list(self.notes),
            "orders": [o.to_json() for o in self.orders],
        }


@dataclass(frozen=True)
class Desired:
    """What the campaign files say, as far as the report needs it."""

    budgets: Mapping[str, Decimal | None]
    fingerprints: Mapping[str, str]  # address -> the fingerprint of the order in its file
    locations: Mapping[str, str] = field(default_factory=dict)  # address -> file:line
    orders: Mapping[str, int] = field(default_factory=dict)  # campaign -> orders in its file
    panels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # campaign -> panels
    # address -> why its outcome needs a person (runner.plans.attention)
    outcomes: Mapping[str, str] = field(default_factory=dict)


def curve(record: OrderRecord, history: Iterable[Observation]) -> tuple[Point, ...]:
    """The order's observations, oldest first; the last status closes the curve when it
    was checked after the last change (the same values, seen again later)."""
    units = record.spec.get("units")
    quantity = units if isinstance(units, int) else None

    def delivered(remains: int | None) -> int | None:
        if quantity is None or remains is None:
            return None
        return max(0, quantity - remains)

    points = [
        Point(o.at, o.status, o.remains, delivered(o.remains), o.charge)
        for o in history  # the store's order: oldest first
        if o.status
    ]
    last = record.last
    if (
        last is not None
        and last.status
        and last.error is None
        and (not points or last.checked_at > points[-1].at)
    ):
        points.append(
            Point(last.checked_at, last.status, last.remains, delivered(last.remains), last.charge)
        )
    return tuple(points)


def drops(points: Iterable[Point]) -> tuple[Drop, ...]:
    """Every fall of the delivered count once the order was Completed (or Partial)."""
    found: list[Drop] = []
    done = False
    before: int | None = None
    for point in points:
        if done and point.delivered is not None and before is not None and point.delivered < before:
            found.append(Drop(point.at, before - point.delivered, point.delivered))
        if point.status in _DONE:
            done = True
        if point.delivered is not None:
            before = point.delivered
    return tuple(found)


_OUTCOME_ADVICE = (
    "Delivered short with no top-up to come, a refill rejected, or stuck: order what is "
    "missing (on_partial: reorder does it), or take it up with the panel."
)


def _attention(record: OrderRecord, desired: Desired) -> Attention | None:
    address = record.address
    if record.phase is Phase.IN_DOUBT:
        return Attention(
            address,
            "in doubt",
            record.error or "the answer to add was lost",
            (f"smm state import {address} ORDER_ID", f"smm state retry {address}"),
            "Look for the order on the panel: import it if it exists, retry if it does not.",
        )
    if record.phase is Phase.REJECTED:
        return Attention(
            address,
            "rejected",
            record.error or "the panel refused the order",
            (),
            "The next apply tries again; fix the cause first if it is in the file.",
        )
    if record.phase is Phase.SUBMITTING:
        return Attention(
            address,
            "submitting",
            "add is being sent, or the apply sending it stopped",
            (),
            "If no apply is running, the next plan marks it in doubt.",
        )
    wanted = desired.fingerprints.get(address)
    if record.phase is Phase.PLACED and wanted is not None and wanted != record.fingerprint:
        where = desired.locations.get(address, "its campaign file")
        return Attention(
            address,
            "conflict",
            f"the order in {where} was edited after it was placed",
            (),
            "Revert the edit, or give the order a new id to place a new order.",
        )
    return None


def _spend(
    name: str, records: list[OrderRecord], desired: Desired, currencies: Mapping[str, str]
) -> Spend:
    spent = sum((r.spent for r in records), Decimal(0))
    charged = sum(
        (r.spent for r in records if r.spent_is_charge),
        Decimal(0),
    )
    panels = sorted({r.panel for r in records} | set(desired.panels.get(name, ())))
    seen = sorted({r.last.currency for r in records if r.last and r.last.currency})
    if not seen:
        seen = sorted({currencies[p] for p in panels if p in currencies})
    return Spend(
        name,
        tuple(panels),
        len(records),
        desired.orders.get(name),
        charged,
        spent - charged,
        desired.budgets.get(name),
        "/".join(seen),
    )


def build(
    records: Mapping[str, OrderRecord],
    history: Iterable[Observation],
    balances: Iterable[BalanceSeen],
    desired: Desired,
    *,
    state: str,
    now: _dt.datetime,
    notes: Iterable[str] = (),
) -> Report:
    """The report of ``records`` (their campaigns' budgets and files in ``desired``)."""
    by_address: dict[str, list[Observation]] = {}
    for observation in history:
        by_address.setdefault(observation.address, []).append(observation)
    ordered = sorted(records.values(), key=lambda r: (r.campaign, r.address))
    views: list[OrderView] = []
    rows = with_topups([row_of(r, now) for r in ordered])  # delivery counted with top-ups
    for record, row in zip(ordered, rows, strict=True):
        points = curve(record, by_address.get(record.address, ()))
        params = record.spec.get("params")
        link = params.get("link") if isinstance(params, Mapping) else None
        views.append(
            OrderView(
                row,
                record.panel,
                None if link is None else str(link),
                record.spent,
                record.spent_is_charge,
                points,
                tuple(record.refills),
                drops(points),
            )
        )
        if isinstance(record.spec, StoredSpec):
            record.spec.unparse()  # read once: 100,000 parsed specs would be 120 MB more
    seen: dict[str, list[BalanceSeen]] = {}
    for balance in balances:
        seen.setdefault(balance.panel, []).append(balance)
    currencies = {p: s[-1].currency for p, s in seen.items()}
    # A campaign with nothing recorded is shown when it has a budget to compare with.
    recorded = {r.campaign for r in ordered}
    budgeted = {n for n, b in desired.budgets.items() if b is not None}
    names = sorted(recorded | budgeted)
    idle = len(set(desired.budgets) - recorded - budgeted)
    if idle:
        notes = [
            *notes,
            f"{idle} campaign{'s' if idle != 1 else ''} with nothing recorded "
            "and no budget not shown",
        ]
    grouped: dict[str, list[OrderRecord]] = {}
    for record in ordered:
        grouped.setdefault(record.campaign, []).append(record)
    campaigns = tuple(_spend(n, grouped.get(n, []), desired, currencies) for n in names)
    by_campaign: dict[str, list[OrderView]] = {}
    for view in views:
        by_campaign.setdefault(view.row.campaign, []).append(view)
    panels = sorted({p for c in campaigns for p in c.panels})
    attention = tuple(a for r in ordered if (a := _attention(r, desired)) is not None)
    named = {a.address for a in attention}
    attention += tuple(
        Attention(address, "outcome", why, (), _OUTCOME_ADVICE)
        for address, why in sorted(desired.outcomes.items())
        if address not in named
    )
    return Report(
        generated_at=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        state=state,
        campaigns=campaigns,
        orders=tuple(views),
        attention=attention,
        balances={p: tuple(seen.get(p, ())) for p in panels},
        notes=tuple(notes),
        by_status=dict(sorted(Counter(status_of(v) for v in views).items())),
        by_panel=dict(sorted(Counter(v.panel for v in views).items())),
        by_campaign={name: tuple(found) for name, found in by_campaign.items()},
    )
