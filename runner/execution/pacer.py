"""Pacing creates so that every lost answer can later be settled from evidence.

Reconciliation (``runner.execution.reconciler``) needs, for an order whose answer was
lost, an own order id known from before it was sent (a lower bound) and an own order
sent after it surely ended (an upper bound), and it must be able to tell the order from
its look-alikes.  Three rules give that, at little cost:

- **bootstrap**: while no own order id is known on a panel, its creates go one at a
  time, so that at most one request lacks a lower bound (one round trip, once);
- **look-alikes one at a time**: orders with the same service, units and cost on one
  panel look the same in a ``status`` answer.  Such an order starts only once the
  previous look-alike's answer arrived or, when it was lost, once that request surely
  ended (its settle time) — so look-alikes' ids follow their send order.  Look-alike
  groups are interleaved, so that a campaign of several groups still runs in parallel;
  ``identical_in_flight: N`` on a panel lets N of a kind be out at once (at the cost of
  telling them apart);
- **a survey between lost look-alikes**: the first look-alike sent after one of its kind
  was lost is preceded by a survey (``survey_due``): the panel's own orders in the ids
  where the lost one's order would be, as they are once it surely ended and before the
  next is sent.  Two look-alikes lost in a row with one order made between them are then
  told apart: the order was there before the second was sent, or it was not;
- **hold back the last two**: the last two creates of a panel wait until every other
  create of the panel has ended and every lost answer of the panel (earlier ones
  included) has settled; sent then, the first one's id bounds all their windows, and
  should its answer be lost too, the second (sent once it settled) bounds them all.  The
  wait is at most the panel's settle time, and only when an answer was lost; the cost
  otherwise is one round trip at the end.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal

from runner.plans.plan import Action

# Creates held back at the end of each panel's turn (bounds for its lost answers).
HELD = 2
# Waited beyond a lost request's settle time, so that a moment stamped (to the
# millisecond) after the wait is surely later than its end as the state records it.
CUSHION = 0.005

# What a status answer shows of an order: its panel, service, units and charge.
Kind = tuple[str, int | None, int | None, Decimal | None]


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def kind_of(panel: str, service: object, units: object, cost: object) -> Kind:
    """Orders of one kind look alike to reconciliation (``status`` shows neither the link
    nor anything of ours)."""
    return (
        panel,
        service if isinstance(service, int) else None,
        units if isinstance(units, int) else None,
        Decimal(str(cost)) if isinstance(cost, Decimal | int | str) else None,
    )


def action_kind(action: Action) -> Kind:
    return kind_of(action.panel, action.service, action.units, action.cost)


class Pacer:
    def __init__(
        self,
        creates: Sequence[Action],
        known: Callable[[str], bool],
        settle: Mapping[str, float],
        bound_after: Mapping[str, _dt.datetime],
        stop: threading.Event,
        notice: Callable[[str], None] = lambda text: None,
        *,
        identical_in_flight: Mapping[str, int] | None = None,
        lost_alikes: Mapping[Kind, Iterable[_dt.datetime]] | None = None,
    ) -> None:
        """``lost_alikes``: per kind, when the lost answers recorded before this apply
        surely ended (a look-alike sent before then could not be told from them)."""
        self._creates = list(creates)
        self._known = known
        self._settle = settle
        self._bound_after = dict(bound_after)
        self._stop = stop
        self._notice = notice
        self._told: set[object] = set()
        self._cond = threading.Condition()
        self._total = Counter(a.panel for a in creates)
        self._started: Counter[str] = Counter()
        self._ended: Counter[str] = Counter()
        self._limit = dict(identical_in_flight or {})
        self._flying: Counter[Kind] = Counter()
        self._lost: dict[Kind, list[_dt.datetime]] = {
            k: list(v) for k, v in (lost_alikes or {}).items()
        }
        # Kinds with a lost look-alike that no survey followed yet.
        self._unsurveyed: set[Kind] = {k for k, v in self._lost.items() if v}
        self.held_seconds = 0.0
        # The look-alike sent last of each kind, and for a create the one it was sent after
        # (that one's request had surely ended: their ids follow that order).
        self._previous: dict[Kind, str] = {}
        self._after: dict[str, str] = {}
        # Per panel: its look-alike groups (in order of first appearance) and its last.
        self._groups: dict[str, OrderedDict[Kind, deque[Action]]] = {}
        self._held: dict[str, deque[Action]] = {}
        for action in reversed(self._creates):
            last = self._held.setdefault(action.panel, deque())
            if len(last) < HELD:
                last.appendleft(action)
        held = {id(a) for last in self._held.values() for a in last}
        for action in self._creates:
            if id(action) not in held:
                groups = self._groups.setdefault(action.panel, OrderedDict())
                groups.setdefault(action_kind(action), deque()).append(action)
        self._panels = deque(self._held)

    def turns(self) -> Iterator[Action]:
        """Every create, each once it may be sent (blocking until then); once stopping,
        the rest at once (the caller skips them)."""
        for _ in range(len(self._creates)):
            with self._cond:
                action = self._next()
            if action is None:
                yield from self._rest()
                return
            yield action

    def _next(self) -> Action | None:
        """The next create that may start, marked started; None when stopping."""
        while not self._stop.is_set():
            action, wait = self._pick()
            if action is not None:
                self._started[action.panel] += 1
                kind = action_kind(action)
                if self._limit.get(action.panel, 1) == 1 and kind in self._previous:
                    self._after[action.address] = self._previous[kind]
                self._previous[kind] = action.address
                self._flying[kind] += 1
                return action
            pause = min(wait, 0.1) if wait is not None else 0.1
            if wait is not None:
                self.held_seconds += pause
            self._cond.wait(pause)
        return None

    def marks(self, action: Action) -> dict[str, str]:
        """What the record of ``action`` keeps of its send order: the look-alike whose
        request had surely ended before it was sent (the evidence outlives a crash)."""
        after = self._after.get(action.address)
        return {} if after is None else {"after": after}

    def survey_due(self, action: Action) -> bool:
        """Whether a survey must precede ``action`` (just taken from ``turns``): a
        look-alike of it was lost, and no survey was taken since (due once)."""
        with self._cond:
            kind = action_kind(action)
            due = kind in self._unsurveyed
            self._unsurveyed.discard(kind)
            return due

    def _rest(self) -> list[Action]:
        with self._cond:
            rest = [a for groups in self._groups.values() for q in groups.values() for a in q]
            rest += [a for last in self._held.values() for a in last]
            self._groups.clear()
            self._held.clear()
        return rest

    def _pick(self) -> tuple[Action | None, float | None]:
        """A create that may start now (taken off the queues), else how long until one
        may by the clock (None: when another ends)."""
        moment = now()
        soonest: float | None = None
        for _ in range(len(self._panels)):
            panel = self._panels[0]
            self._panels.rotate(-1)
            if panel not in self._held:
                continue
            busy = self._started[panel] > self._ended[panel]
            if busy and not self._known(panel):
                continue
            groups = self._groups.get(panel)
            for kind, queue in (groups or {}).items():
                wait = self._alike_wait(kind, moment)
                if wait is not None:
                    if wait > 0 and (soonest is None or wait < soonest):
                        soonest = wait
                    continue
                action = queue.popleft()
                assert groups is not None
                if queue:
                    groups.move_to_end(kind)  # the next turn goes to another group
                else:
                    del groups[kind]
                return action, None
            if groups or busy:
                continue
            wait = (self._bound_after.get(panel, moment) - moment).total_seconds()
            if wait > 0:
                if wait > 1 and panel not in self._told:
                    self._told.add(panel)
                    self._notice(
                        f"Holding the last orders on {panel} for {wait:.0f} s, until its "
                        "lost answers surely ended, so that they can be checked on the "
                        "panel (Ctrl-C stops)."
                    )
                soonest = wait if soonest is None or wait < soonest else soonest
                continue
            last = self._held[panel]
            action = last.popleft()
            if not last:
                del self._held[panel]
            return action, None
        return None, soonest

    def _alike_wait(self, kind: Kind, moment: _dt.datetime) -> float | None:
        """None when an order of this kind may start now; else seconds until a lost
        look-alike surely ended (0: until a look-alike in flight ends)."""
        lost = [t for t in self._lost.get(kind, ()) if t > moment]
        if kind in self._lost:
            self._lost[kind] = lost
        out = self._flying[kind] + len(lost)
        if out < self._limit.get(kind[0], 1):
            return None
        if self._flying[kind] or not lost:
            return 0.0
        wait = (min(lost) - moment).total_seconds()
        if wait > 1 and kind not in self._told:
            self._told.add(kind)
            self._notice(
                f"Holding orders like a lost one on {kind[0]} (service {kind[1]}, "
                f"{kind[2]} units) for {wait:.0f} s, until it surely ended, so that the "
                "two can be told apart on the panel (Ctrl-C stops)."
            )
        return wait

    def ended(self, action: Action, lost: bool) -> None:
        """``action``'s request ended; ``lost``: its answer was lost (in doubt)."""
        with self._cond:
            self._ended[action.panel] += 1
            kind = action_kind(action)
            self._flying[kind] -= 1
            if lost:
                wait = self._settle.get(action.panel, 0.0) + CUSHION
                after = now() + _dt.timedelta(seconds=wait)
                self._lost.setdefault(kind, []).append(after)
                self._unsurveyed.add(kind)
                current = self._bound_after.get(action.panel)
                if current is None or after > current:
                    self._bound_after[action.panel] = after
            self._cond.notify_all()
