"""Surveys: the account's own orders in a range of ids, as the panel answered at a moment
between two look-alikes, the first of which was lost.

Two look-alikes lost in a row, of which one made an order, leave one candidate that
either could own: their windows are the same, and a ``status`` answer names no link.  So
the pacer (``runner.execution.pacer``) has the executor take a survey before it sends a
look-alike of a kind that was lost, once the lost request surely ended: ``status`` for
the ids above the lost one's lower bound.  The survey is kept in the record of the
look-alike sent after it, and reconciliation (``runner.execution.windows``) reads it
two ways:

- a request that surely ended before the survey was taken made its order, if any,
  before then: its order is one of the survey's own orders (or an id the survey did
  not cover, or could not read);
- a request sent after the survey was answered made its order, if any, after then: its
  order is none of the survey's own orders.

Each reading rests on answers that one wrong answer (a hiccup, a status lagging behind
its order, a stray entry) could turn: a wrong "no such order" would give the lost order
to the next look-alike, a wrong order would rule the next one's order out; either way an
order would go to the wrong link and another be placed twice.  So the survey reads every
id twice, a third time where the two reads disagree, and keeps what two reads agree on:
an own order, no order, or (no two agreeing) unsure, which rules nothing out.  One wrong
answer then changes nothing.  An id below an own order the survey saw existed then
(ids grow), whatever was answered for it.  The survey also asks for ``after``, an own
order it knows exists: a panel that does not answer it as an order (down, lagging,
answering every id as none) gives no survey, nor does one that answers the highest id
asked (far above any own order known) as an order, or not at all (it may answer for ids
it never gave out).  The survey costs a few ``status`` calls per lost look-alike, and
nothing otherwise.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from runner.api.models import ItemError, OrderInfo
from runner.clock import parse_moment
from runner.errors import SmmError
from runner.panel.client import PanelClient
from runner.state import OrderRecord

# Ids surveyed past the highest own id known: the lost order, if it exists, was made
# before the survey, among the ids the panel gave out meanwhile (others' orders too).
AHEAD = 300
# At most this many ids in one survey (10 ``status`` calls).
MOST = 1000
# The key of a survey in the spec of the record sent after it.
KEY = "survey"


def take(
    client: PanelClient, after: int, known: int | None, stamp: Callable[[], str]
) -> dict[str, Any]:
    """The survey of ids above ``after`` (the lowest lower bound of the lost look-alikes
    it follows; ``known``: the highest own id known now) as a mark for the next record;
    empty when the panel could not be asked (the look-alike is sent all the same: the
    evidence is only weaker)."""
    top = min(max(after, known or after) + AHEAD, after + MOST)
    ids = range(after + 1, top + 1)
    asked = [after, *ids]
    at = stamp()
    try:
        reads = [client.status_many(asked), client.status_many(asked)]
        # Where the two reads do not agree on what the panel said: a third decides.
        disputed = [i for i in asked if not _agree(reads[0].get(i), reads[1].get(i))]
        if disputed:
            reads.append(client.status_many(disputed))
    except SmmError:
        return {}
    answered = stamp()

    def agreed(i: int) -> str | None:
        votes = Counter(_says(read.get(i)) for read in reads)
        return next((what for what in ("own", "none") if votes[what] >= 2), None)

    if agreed(after) != "own":
        return {}  # an order known to exist not answered as one: the answers prove nothing
    if agreed(top) != "none":
        return {}  # may answer for ids it never gave out: "seen" would prove nothing
    return {
        KEY: {
            "at": at,
            "answered": answered,
            "after": after,
            "to": top,
            "own": [i for i in ids if agreed(i) == "own"],
            "unsure": [i for i in ids if agreed(i) is None],
        }
    }


def _agree(one: OrderInfo | ItemError | None, other: OrderInfo | ItemError | None) -> bool:
    said = _says(one)
    return said is not None and said == _says(other)


def _says(answer: OrderInfo | ItemError | None) -> str | None:
    """What the panel itself said the id is: an own order, no order, or nothing readable."""
    if isinstance(answer, OrderInfo):
        return "own"
    if isinstance(answer, ItemError) and answer.said:
        return "none"
    return None


@dataclass(frozen=True)
class Survey:
    """Own orders among ``after < id <= to`` as the panel answered between ``at`` and
    ``answered``; ``unsure``: ids it gave no readable answer for.  ``carrier``: the
    address whose record keeps it (sent after it was answered)."""

    at: _dt.datetime
    answered: _dt.datetime
    after: int
    to: int
    own: frozenset[int]
    unsure: frozenset[int]
    carrier: str

    def covers(self, order_id: int) -> bool:
        return self.after < order_id <= self.to

    def held(self, order_id: int) -> bool:
        """Whether own order ``order_id`` may have existed when the panel answered: it did
        if it is below an own order the survey saw (ids grow), whatever was answered for
        it."""
        return (
            not self.covers(order_id)
            or order_id in self.own
            or order_id in self.unsure
            or any(order_id < i for i in self.own)
        )


def surveys_of(records: Iterable[OrderRecord]) -> list[Survey]:
    """The surveys the records keep; one that cannot be read (a damaged state) proves
    nothing and is left out."""
    found = []
    for record in records:
        survey = _parse(record.spec.get(KEY), record.address)
        if survey is not None:
            found.append(survey)
    return found


def _parse(data: object, carrier: str) -> Survey | None:
    if not isinstance(data, Mapping):
        return None
    at, answered = (_moment(data.get(k)) for k in ("at", "answered"))
    after, to, own, unsure = (data.get(k) for k in ("after", "to", "own", "unsure"))
    if at is None or answered is None or answered < at:
        return None
    if not isinstance(after, int) or not isinstance(to, int) or not _id(after) or to <= after:
        return None
    if not isinstance(own, list) or not isinstance(unsure, list):
        return None
    if not all(_id(i) for i in own) or not all(_id(i) for i in unsure):
        return None
    return Survey(at, answered, after, to, frozenset(own), frozenset(unsure), carrier)


def _moment(value: object) -> _dt.datetime | None:
    return parse_moment(value) if isinstance(value, str) else None


def _id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
