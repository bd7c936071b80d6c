"""Faults the simulated panel can inject, for tests and the crash harness.

Kinds (``--fault KIND=RATE``, RATE between 0 and 1):

- ``rate_limit``: HTTP 429 with ``Retry-After`` before the request is processed;
- ``server_error``: HTTP 500 before the request is processed;
- ``html``: an HTTP 403 "Just a moment..." CDN page before the request is processed;
- ``bad_json``: the request is processed, then the JSON answer arrives truncated;
- ``drop_before``: the connection is closed before the request is processed;
- ``drop_after``: the request is processed (an order exists), then the connection is
  closed without an answer.

Besides rates, one-shot faults can be queued for the next requests of an action.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

KINDS = ("rate_limit", "server_error", "html", "bad_json", "drop_before", "drop_after")
ALIASES = {
    "429": "rate_limit",
    "5xx": "server_error",
    "500": "server_error",
    "malformed_json": "bad_json",
    "drop": "drop_before",
}
BEFORE = frozenset({"rate_limit", "server_error", "html", "drop_before"})


def fault_kind(text: str) -> str:
    kind = ALIASES.get(text.strip().lower(), text.strip().lower())
    if kind not in KINDS:
        raise ValueError(f"unknown fault {text!r}; expected one of {', '.join(KINDS)}")
    return kind


def parse_fault(text: str) -> tuple[str, float]:
    """``"drop_after=0.2"`` -> ("drop_after", 0.2)."""
    name, sep, rate_text = text.partition("=")
    kind = fault_kind(name)
    try:
        rate = float(rate_text) if sep else 1.0
    except ValueError:
        raise ValueError(f"fault {text!r}: the rate must be a number from 0 to 1") from None
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"fault {text!r}: the rate must be a number from 0 to 1")
    return kind, rate


@dataclass
class FaultPlan:
    """Which fault, if any, hits the next request."""

    rates: dict[str, float] = field(default_factory=dict)
    actions: frozenset[str] | None = None  # rates and latency hit only these (None: all)
    latency_ms: float = 0.0
    seed: int | None = None
    retry_after: int = 1
    _queue: list[tuple[str, str | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self._rng.seed(self.seed)

    @classmethod
    def parse(cls, specs: Iterable[str], **kwargs: object) -> FaultPlan:
        plan = cls(**kwargs)  # type: ignore[arg-type]
        for spec in specs:
            kind, rate = parse_fault(spec)
            plan.rates[kind] = rate
        return plan

    def queue(self, kind: str, action: str | None = None, count: int = 1) -> None:
        """Hit the next ``count`` requests (of ``action``, if given) with ``kind``."""
        with self._lock:
            self._queue.extend([(fault_kind(kind), action)] * count)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.rates.clear()

    def pick(self, action: str) -> str | None:
        with self._lock:
            for i, (kind, only) in enumerate(self._queue):
                if only is None or only == action:
                    del self._queue[i]
                    return kind
            if self.actions is not None and action not in self.actions:
                return None
            for kind in KINDS:
                rate = self.rates.get(kind, 0.0)
                if rate and self._rng.random() < rate:
                    return kind
        return None
