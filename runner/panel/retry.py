"""When a panel call is tried again, and for how long: the retry policy, the panel's
``Retry-After`` hints, and the budget that bounds a call's time without an answer.

A call's attempts each have the panel's ``timeout`` as their deadline; all its attempts
and the backoff waits between them share a budget of ``BUDGET_TIMEOUTS`` timeouts, so a
panel that answers too slowly (or a byte a second) holds a read for at most twice its
timeout, not ``attempts`` times it.  Waits the panel asked for (429, ``Retry-After``) are
not time without an answer: they count against the policy's ``max_time`` only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx
import tenacity

from runner.errors import Halted, PanelError, UnexpectedResponse

log = logging.getLogger("runner.panel")
T = TypeVar("T")

# A call's attempts and backoff waits, together, take at most this many timeouts.
BUDGET_TIMEOUTS = 2.0


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retries: attempts and total time; backoff base and cap in seconds."""

    attempts: int = 5
    max_time: float = 60.0
    initial: float = 0.5
    max_wait: float = 10.0


class Budget:
    """The time one call may spend without an answer: its attempts on the wire and the
    backoff waits between them.  ``attempt_seconds`` is the next attempt's deadline."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.total = BUDGET_TIMEOUTS * timeout
        # Not worth an attempt with less than this left: a quarter timeout (at most 1 s).
        self.least = min(timeout / 4, 1.0)
        self.spent = 0.0

    def spend(self, seconds: float) -> None:
        self.spent += max(0.0, seconds)

    def left(self) -> float:
        return self.total - self.spent

    def attempt_seconds(self) -> float:
        return max(0.0, min(self.timeout, self.left()))

    def room_for_another(self) -> bool:
        return self.left() >= self.least


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the panel asks to wait (``Retry-After``, or ``X-RateLimit-Reset``)."""
    value = headers.get("retry-after")
    if value is None:
        reset = headers.get("x-ratelimit-reset", "").strip()
        if reset.isascii() and reset.isdigit() and len(reset) < 16:
            seconds = float(reset)
            # Some panels send an epoch timestamp, others seconds to wait.
            return max(0.0, seconds - time.time()) if seconds > 1e9 else seconds
        return None
    value = value.strip()
    try:
        seconds = float(value)
        return seconds if seconds >= 0 else 0.0  # and NaN is no hint at all
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def with_retries(
    attempt: Callable[[Budget], T],
    *,
    policy: RetryPolicy,
    budget: Budget,
    retryable: tuple[type[PanelError], ...],
    pause: Callable[[float], None],
    holding: Callable[[], float],
    what: str,
) -> T:
    """``attempt(budget)`` until it returns, or raises what is not ``retryable``, or the
    policy's attempts, its ``max_time`` or the call's ``budget`` run out (the last error
    is raised).  Backoff is exponential with jitter; a panel's ``Retry-After`` is waited
    out instead (at once when ``holding``: the throttle holds every sender already)."""
    backoff = tenacity.wait_exponential(
        multiplier=policy.initial, max=policy.max_wait
    ) + tenacity.wait_random(0, policy.initial)

    def hint_of(state: tenacity.RetryCallState) -> float | None:
        exc = state.outcome.exception() if state.outcome else None
        hint = getattr(exc, "retry_after", None)
        return None if hint is None else float(hint)

    def wait(state: tenacity.RetryCallState) -> float:
        hint = hint_of(state)
        if hint is not None and holding() > 0:
            return 0.0  # the throttle holds every sender of this panel, this one too
        if hint is not None:
            return min(hint, policy.max_time)
        # A backoff is time without an answer: it leaves the next attempt its least.
        seconds = min(float(backoff(state)), max(0.0, budget.left() - budget.least))
        budget.spend(seconds)
        return seconds

    def sleep(seconds: float) -> None:
        if seconds > 0:
            pause(seconds)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.debug("%s: retry %d after: %s", what, state.attempt_number, exc)

    limits = tenacity.stop_after_attempt(policy.attempts) | tenacity.stop_after_delay(
        policy.max_time
    )

    def stop(state: tenacity.RetryCallState) -> bool:
        # A panel that asks for more patience than the budget has: stop now, not later.
        hint = hint_of(state)
        elapsed = state.seconds_since_start or 0.0
        return (
            limits(state)
            or (hint is not None and elapsed + hint > policy.max_time)
            or not budget.room_for_another()
        )

    retrying = tenacity.Retrying(
        stop=stop,
        wait=wait,
        retry=tenacity.retry_if_exception(
            lambda e: isinstance(e, retryable) and not isinstance(e, UnexpectedResponse | Halted)
        ),
        reraise=True,
        sleep=sleep,
        before_sleep=before_sleep,
    )
    return retrying(attempt, budget)
