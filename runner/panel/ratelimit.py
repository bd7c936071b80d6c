"""How fast one panel is called: the rate the panel allows, found from its answers, under
the ``rate_limit:`` of smm.yaml (``60/min``) as a hard ceiling.

Panels limit each key, most with a token bucket, and say so only by answering HTTP 429
(often with ``Retry-After``).  The throttle shared by every thread of one panel client:

- sends freely until the panel first pushes back (a 429, or a 503 with ``Retry-After``);
- then slows down at once: every sender holds until ``Retry-After`` has passed (a second
  when it says nothing, or 0), and the rate becomes a little below what the panel
  admitted: at the first push-back, the answers of the last seconds; later, what came
  through since the bucket first ran dry beyond its size (or the last twenty answers,
  when paced below the limit); with too few answers to measure, a little below the
  rate it had.  429s of requests sent before that took effect are the same push-back.
  Refused before much was answered (another client of the key emptied the bucket), it
  only holds;
- speeds up after each calm stretch (some seconds and some requests) in which the rate
  really held senders back: carefully (a few percent) below the rate the panel pushed
  back at, faster and faster past it, quickly (a quarter) far below it;
- treats a latency that rises far above the panel's usual one as a push-back too, without
  a hold and never to less than half the rate: a panel that queues is near its limit.

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

WINDOW = 2.0  # seconds of answers, at least, that tell the rate the panel admits
EVIDENCE = 10  # answers in that window needed to take their rate as the panel's limit
SLOWER = 0.9  # the new rate after a push-back, as a share of the admitted one
FLOOR = 0.5  # a latency cut never goes below this share of the rate before it
FASTER = 1.03  # the rise after a calm stretch, near the rate the panel pushed back at
RECOVER = 1.25  # the rise after a calm stretch, far below it (or with no such rate)
FAR = 0.8  # "far below": under this share of it
CALM = 4.0  # seconds without a push-back, with senders held back, before a rise ...
CALM_REQUESTS = 20  # ... and as many requests sent in them
MIN_RATE = 1 / 60  # never slower than one request a minute
DEFAULT_HOLD = 1.0  # seconds to hold on a 429 that does not say how long (or says 0)
MAX_HOLD = 60.0  # a longer Retry-After is the retry policy's to refuse, not a hold's
SLOW_FACTOR = 4.0  # latency this many times the usual one, ...
SLOW_EXTRA = 0.5  # ... and at least this many seconds above it, is a push-back
LATENCIES = 64  # answers remembered for the usual latency
ANSWERS = 8192  # answer times remembered for the admitted rate


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
        # The rate the panel last pushed back at, when enough answers showed it.
        self.best: float | None = None
        self.pushbacks = 0  # times the throttle slowed down
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0  # the earliest time the next request may go
        self._hold = 0.0  # no request before this (Retry-After)
        self._cut = float("-inf")  # requests sent before this are the last push-back's
        self._raised = 0.0  # when the rate last rose (or was cut)
        self._held_back = False  # whether the rate delayed a request since then
        self._since = 0  # requests sent since then
        self._first: float | None = None
        self._first_push: float | None = None  # when the panel first refused
        self._burst = 0  # answers until then
        self._total = 0  # answers
        self._rises = 0  # rises at or above the best rate since the last cut
        self._answered: deque[float] = deque(maxlen=ANSWERS)
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
            self._total += 1
            self._answered.append(now)
            usual = min(self._latencies) if self._latencies else latency
            self._latencies.append(latency)
            self._slow = latency if self._slow == 0.0 else 0.8 * self._slow + 0.2 * latency
            queued = self._slow > max(usual * SLOW_FACTOR, usual + SLOW_EXTRA)
            if queued and len(self._latencies) >= 8 and sent >= self._cut:
                # A panel that queues: slow to a little below what it answered before it
                # began to (a window long enough to reach back past the slow answers).
                count, rate = self._admitted(now, WINDOW + 3 * self._slow)
                if count >= EVIDENCE:
                    self.pushbacks += 1
                    current = self.rate
                    floor = 0.0 if current is None else current * FLOOR / SLOWER
                    self._slow_to(max(rate, floor), now, 0.0)
                # The new latency is the panel's pace from here: a further cut needs a
                # further rise.
                self._latencies.clear()
                self._slow = 0.0

    def limited(self, sent: float, retry_after: float | None) -> None:
        """The panel refused a request sent at ``sent`` for its rate (429)."""
        with self._lock:
            now = self._clock()
            hold = DEFAULT_HOLD if not retry_after or retry_after <= 0 else retry_after
            hold = min(hold, MAX_HOLD)
            self._hold = max(self._hold, now + hold)
            self._next = max(self._next, self._hold)
            if sent < self._cut:
                return  # sent before the last push-back took effect: the same push-back
            self.pushbacks += 1
            rate = self.rate
            if self._first_push is None:
                # The answers until now emptied the bucket: its size, for later estimates.
                self._first_push, self._burst = now, self._total
                count, admitted = self._admitted(now, WINDOW)
                if count >= EVIDENCE:
                    base = admitted
                elif rate is not None:
                    base = rate
                else:  # refused before much was answered (another client of the key?)
                    self._cut = now + hold
                    return
            else:
                # A token bucket admits its size once, then its rate: what came through
                # since it first ran dry, beyond that size, is the rate.
                span = max(1.0, now - self._first_push)
                base = max(0.0, self._total - self._burst) / span
                # Paced below the limit for a while, the bucket was full and wasted tokens:
                # then the last few seconds (some twenty answers) tell the rate better.
                window = WINDOW if rate is None else max(WINDOW, min(120.0, 20 / rate))
                count, recent = self._admitted(now, window)
                if now - window > self._first_push and count >= 2:
                    base = max(base, recent)
            if rate is not None:
                base = min(base, rate) if base > 0 else rate
            if base <= 0:
                self._cut = now + hold
                return
            self.best = base
            self._slow_to(base, now, hold)

    def _admitted(self, now: float, window: float) -> tuple[int, float]:
        """Answers in the last ``window`` seconds, and their rate."""
        count = 0
        for at in reversed(self._answered):
            if at < now - window:
                break
            count += 1
        assert self._first is not None
        return count, count / max(1.0, min(window, now - self._first))

    def _slow_to(self, base: float, now: float, hold: float) -> None:
        current = self.rate
        self.learnt = max(MIN_RATE, SLOWER * (base if current is None else min(base, current)))
        self._cut = now + hold  # what is sent before the hold ends is still this push-back
        self._raised = now + hold
        self._held_back = False
        self._since = 0
        self._rises = 0

    def _maybe_faster(self, now: float) -> None:
        if self.learnt is None or now - self._raised < CALM or self._since < CALM_REQUESTS:
            return
        if self._held_back and (self.ceiling is None or self.learnt < self.ceiling):
            if self.best is None or self.learnt < FAR * self.best:
                self.learnt *= RECOVER  # far below where the panel pushed back
            elif self.learnt < self.best:
                self.learnt *= FASTER  # near it: carefully
            else:  # past it, calm all along: the limit is higher, probe faster and faster
                self._rises += 1
                self.learnt *= min(RECOVER, 1 + (FASTER - 1) * 2**self._rises)
        self._raised = now
        self._held_back = False
        self._since = 0
