"""How fast one panel is called: the rate the panel allows, found from its answers, under
the ``rate_limit:`` of smm.yaml (``60/min``) as a hard ceiling.

Panels limit each key, most with a token bucket, and say so only by answering HTTP 429
(often with ``Retry-After``).  The throttle shared by every thread of one panel client:

- sends freely until the panel first pushes back (a 429, or a 503 with ``Retry-After``);
- then slows down at once: every sender holds until ``Retry-After`` has passed, and the
  rate becomes a little below what the panel admitted in the last seconds (the answered
  requests over that time), or a little below the rate it had when it kept being refused;
  429s of requests sent before that cut are the same push-back and do not cut again;
- speeds up carefully: by a few percent after each calm stretch (some seconds and
  some requests) during which the rate really held senders back;
- treats a latency that rises far above what the panel answered in before as a push-back
  too (without a hold): a panel that queues is a panel near its limit.

A configured ceiling is never exceeded, and requests are spaced evenly (a burst of one).
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable

_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0}
_UNITS |= {"h": 3600.0, "hour": 3600.0}
_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+?)s?\s*$")

WINDOW = 2.0  # seconds of answers that tell the rate the panel admits
SLOWER = 0.9  # the new rate after a push-back, as a share of the admitted one
FASTER = 1.03  # the rate's rise after each calm stretch
CALM = 4.0  # seconds without a push-back, with senders held back, before a rise ...
CALM_REQUESTS = 20  # ... and as many requests sent in them
MIN_RATE = 1 / 60  # never slower than one request a minute
DEFAULT_HOLD = 1.0  # seconds to hold on a 429 that does not say how long
MAX_HOLD = 60.0  # a longer Retry-After is the retry policy's to refuse, not a hold's
SLOW_FACTOR = 4.0  # latency this many times the usual one, ...
SLOW_EXTRA = 0.5  # ... and at least this many seconds above it, is a push-back
LATENCIES = 64  # answers remembered for the usual latency


def parse_rate(text: str) -> tuple[int, float]:
    """``"60/min"`` -> (60, 60.0): so many calls per so many seconds."""
    match = _PATTERN.match(text.lower())
    if not match or match.group(2) not in _UNITS or int(match.group(1)) < 1:
        raise ValueError(f"rate limit {text!r}: expected N/sec, N/min or N/hour")
    return int(match.group(1)), _UNITS[match.group(2)]


class Throttle:
    """Paces the requests of one panel client (thread-safe)."""

    def __init__(
        self,
        ceiling: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        calls, period = parse_rate(ceiling) if ceiling else (0, 1.0)
        # The configured limit, requests a second (None: none configured).
        self.ceiling: float | None = calls / period if calls else None
        # The rate found from the panel's answers (None: it never pushed back).
        self.learnt: float | None = None
        self.pushbacks = 0  # times the throttle slowed down
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0  # the earliest time the next request may go
        self._hold = 0.0  # no request before this (Retry-After)
        self._cut = float("-inf")  # when the throttle last slowed down
        self._raised = 0.0  # when the rate last rose (or was cut)
        self._held_back = False  # whether the rate delayed a request since then
        self._since = 0  # requests sent since then
        self._first: float | None = None
        self._answered: deque[float] = deque()
        self._latencies: deque[float] = deque(maxlen=LATENCIES)
        self._slow = 0.0  # the latency's moving average

    @property
    def rate(self) -> float | None:
        """Requests a second now (None: no limit)."""
        if self.learnt is None:
            return self.ceiling
        return self.learnt if self.ceiling is None else min(self.learnt, self.ceiling)

    @property
    def interval(self) -> float:
        rate = self.rate
        return 0.0 if rate is None else 1.0 / rate

    def holding(self) -> float:
        """Seconds until the panel's last ``Retry-After`` has passed (0: not holding)."""
        with self._lock:
            return max(0.0, self._hold - self._clock())

    def acquire(self) -> float:
        """Wait for this request's turn; returns when it goes (for ``limited``)."""
        with self._lock:
            now = self._clock()
            if self._first is None:
                self._first = now
            self._since += 1
            self._maybe_faster(now)
            start = max(now, self._hold, self._next)
            if self._next > now and self._next >= self._hold:
                self._held_back = True
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)
        return start

    def answered(self, sent: float, latency: float) -> None:
        """The panel answered a request sent at ``sent`` in ``latency`` seconds."""
        with self._lock:
            now = self._clock()
            self._answered.append(now)
            self._trim(now)
            usual = min(self._latencies) if self._latencies else latency
            self._latencies.append(latency)
            self._slow = latency if self._slow == 0.0 else 0.8 * self._slow + 0.2 * latency
            queued = self._slow > max(usual * SLOW_FACTOR, usual + SLOW_EXTRA)
            if queued and len(self._latencies) >= 8 and sent >= self._cut:
                self._slow_down(now, hold=0.0)
                # The new latency is the panel's pace from here: a further cut needs a
                # further rise.
                self._latencies.clear()
                self._slow = 0.0

    def limited(self, sent: float, retry_after: float | None) -> None:
        """The panel refused a request sent at ``sent`` for its rate (429)."""
        with self._lock:
            now = self._clock()
            hold = DEFAULT_HOLD if retry_after is None else min(retry_after, MAX_HOLD)
            self._hold = max(self._hold, now + hold)
            self._next = max(self._next, self._hold)
            if sent >= self._cut:  # a new push-back, not an echo of the last one
                self._slow_down(now, hold)

    def _slow_down(self, now: float, hold: float) -> None:
        self._trim(now)
        assert self._first is not None
        span = max(1.0, min(WINDOW, now - self._first))
        admitted = len(self._answered) / span
        current = self.rate
        self.pushbacks += 1
        self._cut = now + hold  # what is sent before the hold ends is still this push-back
        self._raised = now + hold
        self._held_back = False
        self._since = 0
        if current is None and admitted == 0:
            return  # refused before anything was answered: nothing to learn from but the hold
        base = admitted if current is None else min(current, admitted) if admitted else current
        self.learnt = max(MIN_RATE, base * SLOWER)

    def _maybe_faster(self, now: float) -> None:
        if self.learnt is None or now - self._raised < CALM or self._since < CALM_REQUESTS:
            return
        if self._held_back and (self.ceiling is None or self.learnt < self.ceiling):
            self.learnt *= FASTER
        self._raised = now
        self._held_back = False
        self._since = 0

    def _trim(self, now: float) -> None:
        while self._answered and self._answered[0] < now - WINDOW:
            self._answered.popleft()
