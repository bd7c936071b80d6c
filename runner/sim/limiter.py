"""The panel's own rate limit: a token bucket per API key, as panels limit per account.

``N/s`` (or ``N/min``, ``N/h``) lets a key make N requests at once, then one every
1/N of the unit.  A request beyond the limit is not processed: the panel answers HTTP 429
with ``Retry-After`` (whole seconds, at least 1) until the next token.  Buckets live in
memory: an in-process ``sim://`` panel starts each command with full buckets.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
}


def parse_limit(text: str) -> tuple[int, float]:
    """``"10/s"`` -> (10, 1.0); ``"60/min"`` -> (60, 60.0)."""
    count, sep, unit = text.strip().partition("/")
    seconds = UNITS.get(unit.strip().lower())
    if not sep or seconds is None or not count.strip().isdigit() or int(count) < 1:
        raise ValueError(f"limit {text!r}: expected N/s, N/min or N/h with N at least 1")
    return int(count), seconds


class Limiter:
    """Token buckets, one per key; thread-safe."""

    def __init__(self, count: int, per: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(count)
        self.rate = count / per  # tokens a second
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, text: str) -> Limiter:
        return cls(*parse_limit(text))

    def admit(self, key: str) -> int | None:
        """None if the request may go on (a token is taken); else the seconds to wait."""
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))
