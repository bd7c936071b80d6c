"""A client-side rate limit (``60/min``) shared by every thread using one panel client."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0}
_UNITS |= {"h": 3600.0, "hour": 3600.0}
_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+?)s?\s*$")


def parse_rate(text: str) -> tuple[int, float]:
    """``"60/min"`` -> (60, 60.0): so many calls per so many seconds."""
    match = _PATTERN.match(text.lower())
    if not match or match.group(2) not in _UNITS or int(match.group(1)) < 1:
        raise ValueError(f"rate limit {text!r}: expected N/sec, N/min or N/hour")
    return int(match.group(1)), _UNITS[match.group(2)]


class RateLimiter:
    """Spaces calls evenly: at most ``calls`` per ``period`` seconds, with a burst of one."""

    def __init__(
        self,
        calls: int,
        period: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = period / calls
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    @classmethod
    def parse(cls, text: str) -> RateLimiter:
        calls, period = parse_rate(text)
        return cls(calls, period)

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)
