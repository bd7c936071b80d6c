"""Which own order is whose, when several in-doubt orders could own the same orders.

Pure and generic: records (by address), the candidate order ids each one could own
(in its window, and fitting it), and the pairs whose ids must follow their send order
(``a`` before ``b``: ``b`` was sent after ``a``'s request had surely ended, so an order
``a`` made has the lower id).  Every candidate is someone's (it is an own order no
record claims, inside the windows of the orders in doubt); a record may own nothing
(its request never made an order).

``outcomes`` lists, for each record, what it owns across every assignment that fits
all of that: one id in all of them proves it; ``None`` in all of them proves it never
made an order; anything else cannot be told.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

# Assignments explored at most: look-alikes in doubt together are few (the pacer keeps
# them apart); past this, nothing is decided.
LIMIT = 20_000


class TooMany(Exception):
    """More assignments than ``LIMIT``: the evidence cannot be weighed."""


def outcomes(
    records: Sequence[str],
    candidates: Collection[int],
    could_own: Mapping[str, Collection[int]],
    before: Collection[tuple[str, str]],
    limit: int = LIMIT,
) -> dict[str, set[int | None]]:
    """Per record, every id (or None) it owns in some valid assignment; all empty when
    no assignment is valid (the evidence contradicts itself).  ``TooMany`` past
    ``limit`` steps."""
    ids = sorted(candidates)
    seen: dict[str, set[int | None]] = {r: set() for r in records}
    owner: dict[str, int] = {}
    after = {r: {b for a, b in before if a == r} for r in records}
    steps = 0

    def assign(index: int) -> None:
        nonlocal steps
        steps += 1
        if steps > limit:
            raise TooMany
        if index == len(ids):
            for record in records:
                seen[record].add(owner.get(record))
            return
        ident = ids[index]
        for record in records:
            if record in owner or ident not in could_own.get(record, ()):
                continue
            # Ids are taken in increasing order: a record sent after this one that
            # already owns a (smaller) id would break the send order.
            if any(later in owner for later in after[record]):
                continue
            owner[record] = ident
            assign(index + 1)
            del owner[record]

    assign(0)
    return seen
