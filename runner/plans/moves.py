"""Renames without ordering again: the ``moved:`` entries of the campaigns, applied to
the records before planning.  Pure: records in, records under their new addresses out,
with the moves to show and record, and what forbids one.

A move carries an order's instances along: ``old@<period>`` becomes ``new@<period>`` and
a top-up ``old+1`` becomes ``new+1``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from runner.config.moved import Moved
from runner.errors import Location
from runner.state import OrderRecord
from runner.state.sqlread import campaign_of


@dataclass(frozen=True, order=True)
class Move:
    """One record that takes a new address."""

    source: str
    target: str
    order_id: int | None = field(default=None, compare=False)
    location: Location | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.target, "order_id": self.order_id}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Move:
        order_id = data.get("order_id")
        return cls(str(data["from"]), str(data["to"]), None if order_id is None else int(order_id))


@dataclass(frozen=True)
class Refusal:
    """A move that cannot be made (both addresses are recorded, or two old names are)."""

    message: str
    location: Location
    address: str


@dataclass
class Resolved:
    records: dict[str, OrderRecord]
    moves: list[Move] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


def sources(entries: Iterable[Moved | Move]) -> set[str]:
    """The campaigns the old names belong to (their records are read, and locked, too)."""
    return {campaign_of(e.source) for e in entries}


def _base(address: str) -> str:
    """The order's own address: without an instance's ``@period`` or a top-up's ``+n``."""
    cut = min((i for i in (address.find("@"), address.find("+")) if i >= 0), default=-1)
    return address if cut < 0 else address[:cut]


def resolve(
    entries: Iterable[Moved],
    records: Mapping[str, OrderRecord],
    desired: Collection[str] = (),
) -> Resolved:
    """The records as if every possible move were made, and the moves.  An old name that
    a loaded campaign still orders (``desired``) is refused: moved away, it would be
    ordered again."""
    wanted = []
    result = Resolved(dict(records))
    for entry in entries:
        if entry.source in desired:
            result.refusals.append(
                Refusal(
                    f"{entry.source} is still an order of its campaign file: remove it there "
                    f"before moving it to {entry.target}, or it is ordered again",
                    entry.location,
                    entry.target,
                )
            )
        else:
            wanted.append(entry)
    if not wanted:
        return result
    by_base: dict[str, list[str]] = {}
    for address in records:  # one pass, whatever the number of entries
        by_base.setdefault(_base(address), []).append(address)
    taken: dict[str, str] = {}  # new address -> the old one moving there
    for entry in wanted:
        for address in sorted(by_base.get(entry.source, ())):
            target = entry.target + address[len(entry.source) :]
            record = records[address]
            if target in records:
                other = records[target]
                order = f" (order {other.order_id})" if other.order_id else ""
                result.refusals.append(
                    Refusal(
                        f"{address} cannot move to {target}: {target} is recorded too{order}; "
                        f"one of them is not this order (smm state show both, then remove "
                        "the moved: entry or smm state forget the wrong one)",
                        entry.location,
                        target,
                    )
                )
                continue
            if target in taken:
                result.refusals.append(
                    Refusal(
                        f"{address} and {taken[target]} are both recorded and both named as "
                        f"{target}'s old name; only one of them can be it",
                        entry.location,
                        target,
                    )
                )
                continue
            taken[target] = address
            del result.records[address]
            result.records[target] = replace(record, address=target, campaign=campaign_of(target))
            result.moves.append(Move(address, target, record.order_id, entry.location))
    result.moves.sort()
    return result
