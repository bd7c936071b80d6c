"""Pacing creates so that a lost answer can later be settled from evidence.

Reconciliation (``runner.execution.reconciler``) needs, for an order whose answer was lost, an own
order id known from before it was sent (a lower bound) and an own order sent after it
surely ended (an upper bound).  Two small rules give both, at little cost:

- **bootstrap**: while no own order id is known on a panel, its creates go one at a
  time, so that at most one request lacks a lower bound (one round trip, once);
- **hold back the last**: the last create of a panel waits until every other create of
  the panel has ended and every lost answer of the panel (earlier ones included) has
  settled; sent then, its id bounds all their windows.  The wait is at most the panel's
  settle time, and only when an answer was lost.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from runner.plans.plan import Action


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


class Pacer:
    def __init__(
        self,
        creates: Sequence[Action],
        known: Callable[[str], bool],
        settle: Mapping[str, float],
        bound_after: Mapping[str, _dt.datetime],
        stop: threading.Event,
        notice: Callable[[str], None] = lambda text: None,
    ) -> None:
        self._known = known
        self._settle = settle
        self._bound_after = dict(bound_after)
        self._stop = stop
        self._notice = notice
        self._told: set[str] = set()
        self._cond = threading.Condition()
        self._total = Counter(a.panel for a in creates)
        self._started: Counter[str] = Counter()
        self._ended: Counter[str] = Counter()
        self.held_seconds = 0.0

    def order(self, creates: Sequence[Action]) -> list[Action]:
        """Each panel's last create moved to the end, where holding it back delays no
        other create."""
        last: dict[str, Action] = {}
        for action in creates:
            last[action.panel] = action
        held = set(map(id, last.values()))
        return [a for a in creates if id(a) not in held] + list(last.values())

    def before(self, action: Action) -> None:
        """Block until ``action`` may be sent (or the apply is stopping)."""
        panel = action.panel
        with self._cond:
            while not self._stop.is_set():
                busy = self._started[panel] > self._ended[panel]
                last = self._started[panel] == self._total[panel] - 1
                if busy and (not self._known(panel) or last):
                    self._cond.wait(0.1)
                    continue
                if last:
                    wait = (self._bound_after.get(panel, now()) - now()).total_seconds()
                    if wait > 1 and panel not in self._told:
                        self._told.add(panel)
                        self._notice(
                            f"Holding the last order on {panel} for {wait:.0f} s, until its "
                            "lost answers surely ended, so that they can be checked on the "
                            "panel (Ctrl-C stops)."
                        )
                    if wait > 0:
                        self.held_seconds += min(wait, 0.1)
                        self._cond.wait(min(wait, 0.1))
                        continue
                break
            self._started[panel] += 1

    def ended(self, action: Action, lost: bool) -> None:
        """``action``'s request ended; ``lost``: its answer was lost (in doubt)."""
        with self._cond:
            self._ended[action.panel] += 1
            if lost:
                after = now() + _dt.timedelta(seconds=self._settle.get(action.panel, 0.0))
                current = self._bound_after.get(action.panel)
                if current is None or after > current:
                    self._bound_after[action.panel] = after
            self._cond.notify_all()
