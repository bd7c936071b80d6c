"""Top-ups: what an order and its top-ups delivered, and whether to order what is missing.

An order with ``on_partial: reorder`` that ends Partial or Canceled having delivered less
than it ordered gets a top-up for the shortfall, addressed ``<address>+1``, ``+2``... up
to ``max_topups``.  Pure: the planner passes the records and the statuses it knows.

The rules, and why:

- delivery is counted across the whole chain (the order and its top-ups), so a panel that
  reports Partial, then Completed (a refund reversed), then Partial again never gets two
  top-ups for one shortfall: a new top-up is only ever for what the chain as a whole
  still misses, and only when nothing in the chain is still running or unsettled;
- a panel's ``remains`` is untrusted: more than was ordered means the answer cannot be
  counted (a person looks), a negative one counts as fully delivered (never a reason to
  order more);
- a shortfall below the service's minimum is not ordered (the plan says so), and one
  above its maximum is ordered up to the maximum (the next top-up takes the rest).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from runner.api.models import OrderStatus, Service
from runner.state import OrderRecord, Phase
from runner.state.addresses import SEPARATOR as SEPARATOR
from runner.state.addresses import base_address as base_address
from runner.state.addresses import topup_address as topup_address


def belongs(address: str, desired: Collection[str]) -> bool:
    """Whether ``address`` tops up one of the ``desired`` addresses."""
    found = base_address(address)
    return found is not None and found[0] in desired


@dataclass(frozen=True)
class Counted:
    """What one order of a chain delivered; ``problem`` when its answer cannot be counted."""

    ordered: int | None
    delivered: int | None
    running: bool = False
    problem: str | None = None


def recorded_units(record: OrderRecord) -> int | None:
    """The units a recorded order was placed for (as its record says)."""
    units = record.spec.get("units")
    return units if isinstance(units, int) and not isinstance(units, bool) else None


def counted(
    record: OrderRecord, status: OrderStatus | None, remains: int | None, ordered: int | None
) -> Counted:
    """What a recorded order of ``ordered`` units delivered, from its status and
    ``remains``."""
    if record.phase is Phase.REJECTED:
        return Counted(ordered, 0)
    if record.phase is not Phase.PLACED:
        return Counted(ordered, None, problem=f"{record.address} is {record.phase}")
    if status is None or not status.terminal:
        return Counted(ordered, None, running=True)
    if ordered is None:
        return Counted(None, None, problem=f"{record.address}: how much it ordered is unknown")
    if status is OrderStatus.COMPLETED:
        return Counted(ordered, ordered)
    if remains is None:
        return Counted(ordered, None, problem=f"{record.address}: the panel gave no remains")
    if remains > ordered:
        return Counted(
            ordered,
            None,
            problem=f"{record.address}: the panel says {remains} remain of {ordered} ordered",
        )
    return Counted(ordered, ordered - max(remains, 0))


@dataclass(frozen=True)
class Chain:
    """An order and its top-ups, as recorded: delivery counted across all of them."""

    ordered: int | None
    delivered: int | None  # None: not known (running, or an answer that cannot be counted)
    topups: int  # top-up addresses recorded (placed, in doubt or rejected)
    running: bool
    problem: str | None

    @property
    def missing(self) -> int:
        if self.ordered is None or self.delivered is None:
            return 0
        return max(0, self.ordered - self.delivered)


def chain(ordered: int | None, parts: Sequence[Counted], topups: int) -> Chain:
    """Sum the parts (the order first, then its top-ups in order)."""
    running = any(p.running for p in parts)
    problem = next((p.problem for p in parts if p.problem), None)
    delivered: int | None = None
    if not running and problem is None:
        delivered = sum(p.delivered or 0 for p in parts)
    return Chain(ordered, delivered, topups, running, problem)


@dataclass(frozen=True)
class TopUp:
    """Order ``quantity`` more at ``<address>+number``."""

    number: int
    quantity: int


@dataclass(frozen=True)
class NoTopUp:
    """Why the shortfall of a chain is not ordered; ``person`` when someone must look."""

    reason: str
    person: bool = True


def decide(
    chained: Chain,
    max_topups: int,
    next_number: int,
    service: Service | None,
    catalog_known: bool = True,
) -> TopUp | NoTopUp | None:
    """What to do about a chain's shortfall (None: nothing is missing, or not yet known).

    ``next_number``: the top-up address to use (the first one not placed; a rejected one
    is used again).  ``service``: the one the top-up would be placed with (None: gone from
    the catalog); without the catalog (``catalog_known``), only what the chain says."""
    if chained.running:
        return None
    if chained.problem is not None:
        return NoTopUp(f"no top-up: {chained.problem}")
    missing = chained.missing
    if missing <= 0:
        return None
    if next_number > max_topups:
        return NoTopUp(f"{missing} missing, and all {max_topups} top-ups are used")
    if not catalog_known:
        return TopUp(next_number, missing)  # the plan checks it against the service
    if service is None:
        return NoTopUp(f"{missing} missing; the service is no longer in the catalog")
    if missing < service.min:
        return NoTopUp(
            f"{missing} missing, below service {service.id}'s minimum of {service.min}: no top-up"
        )
    return TopUp(next_number, min(missing, service.max))
