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

The first reading rests on the panel's "no such order": one such answer that is wrong
(a hiccup, a status that lags behind the order) would give the lost order to the next
look-alike and have the lost one placed again.  So the ids answered as no order are
asked a second time, and only an id answered so twice is ruled out; an id below an own
order the survey saw existed then (ids grow), whatever was answered for it.  The
second reading needs a panel that answers only for orders that exist: a survey whose
highest id (far above any own order known) is answered as an order, or not answered, is
dropped.  The survey costs a few ``status`` calls per lost look-alike, and nothing
otherwise.
"""

from __future__ import annotations

import datetime as _dt
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
    at = stamp()
    try:
        first = client.status_many(ids)
        # "No such order" twice, or it proves nothing (one wrong answer would move an
        # order to the next look-alike).
        again = client.status_many(i for i in ids if _none(first.get(i)))
    except SmmError:
        return {}
    answered = stamp()
    if not _none(again.get(top)):
        # The highest id asked, far above any own order known, should be no order of the
        # account: a panel that answers it as one (or not at all) may answer for ids it
        # never gave out, and "seen before" would prove nothing.
        return {}
    own = [i for i in ids if any(isinstance(a.get(i), OrderInfo) for a in (first, again))]
    seen = set(own)
    unsure = [i for i in ids if i not in seen and not _none(again.get(i))]
    return {
        KEY: {
            "at": at,
            "answered": answered,
            "after": after,
            "to": top,
            "own": own,
            "unsure": unsure,
        }
    }


def _none(answer: OrderInfo | ItemError | None) -> bool:
    """Whether the panel itself said that the id is no order of the account."""
    return isinstance(answer, ItemError) and answer.said


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
        if it is below an own order the survey saw (ids grow), whatever was answered."""
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
