"""A call's time, retries included: each attempt ends at the panel's ``timeout``; a read
that gets no usable answer is tried again, but all its attempts and the waits between them
end within twice the timeout (``runner.panel.retry.BUDGET_TIMEOUTS``); an ``add`` is in
doubt at its first deadline.  Waits the panel asks for (``Retry-After``) are honoured, on
a 429 and on a retried 5xx alike.

Bounds are checked with a generous tolerance (a loaded machine is slow, never fast): the
old behaviour, five attempts and exponential backoff, took 5x the timeout and more."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runner.errors import OutcomeUnknown
from runner.panel.http import RetryPolicy
from runner.panel.retry import BUDGET_TIMEOUTS
from tests.conftest import Runner
from tests.hostile import HostilePanel
from tests.panel.conftest import client_of
from tests.panel.test_pacing import Clock

BALANCE = b'{"balance": "12.50", "currency": "USD"}'
LINK: dict[str, str | int] = {"link": "https://instagram.com/a", "quantity": 100}
# The default policy (five attempts, real backoff), as a user's `smm balance` has it.
REAL = RetryPolicy()
SLACK = 1.5  # seconds of tolerance for a loaded machine


def timed(call: Callable[[], object]) -> tuple[float, BaseException | None]:
    started = time.monotonic()
    try:
        call()
    except Exception as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


@pytest.mark.parametrize("head", [True, False], ids=["head-and-body", "body-after-headers"])
def test_a_trickling_read_ends_within_twice_its_timeout(hostile: HostilePanel, head: bool) -> None:
    """One byte every 200 ms, every time: before, five attempts of 1 s and 7.5 s of backoff."""
    hostile.reply(body=BALANCE * 4, trickle_ms=200, trickle_head=head)
    with client_of(hostile, timeout=1.0, retry=REAL, sleep=time.sleep) as client:
        seconds, error = timed(client.balance)
    assert isinstance(error, OutcomeUnknown), error
    assert "no complete answer within 1 s" in str(error)
    assert seconds <= BUDGET_TIMEOUTS * 1.0 + SLACK, seconds
    assert hostile.actions() == ["balance", "balance"]  # it was tried again, within the bound


def test_a_late_read_is_still_tried_again_within_the_bound(hostile: HostilePanel) -> None:
    hostile.reply(body=BALANCE, delay=30).reply(body=BALANCE)
    with client_of(hostile, timeout=0.5, retry=REAL, sleep=time.sleep) as client:
        seconds, error = timed(client.balance)
    assert error is None
    assert seconds <= BUDGET_TIMEOUTS * 0.5 + SLACK
    assert hostile.actions() == ["balance", "balance"]


def test_quick_failures_keep_their_attempts(hostile: HostilePanel) -> None:
    """The budget is time without an answer: five quick 502s are five attempts."""
    hostile.reply(body=b"<html>bad gateway</html>", status=502, times=4).reply(body=BALANCE)
    with client_of(hostile, timeout=5.0, retry=REAL) as client:  # backoff on no real clock
        assert client.balance().currency == "USD"
    assert hostile.actions() == ["balance"] * 5


@pytest.mark.parametrize(
    "options",
    [
        {"trickle_ms": 200},  # prompt headers, then the body a byte at a time
        {"trickle_ms": 200, "trickle_head": True},
        {"trickle_ms": 200, "declare_length": False},
        {"delay": 30},
    ],
    ids=["body", "head", "body-to-close", "silent"],
)
def test_an_add_is_in_doubt_at_its_first_deadline(
    hostile: HostilePanel, options: dict[str, Any]
) -> None:
    hostile.reply({"order": 5}, **options)
    with client_of(hostile, timeout=0.6, retry=REAL, sleep=time.sleep) as client:
        seconds, error = timed(lambda: client.add(1, LINK))
    assert type(error) is OutcomeUnknown, error  # in doubt: never "not sent", never retried
    assert seconds <= 0.6 + SLACK
    assert hostile.actions() == ["add"]


def test_the_cli_balance_ends_within_the_stated_bound(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path]
) -> None:
    """The reported case: `smm balance` against a panel that trickles its answer."""
    hp_project(timeout="1")
    hostile.reply(body=BALANCE * 4, trickle_ms=250, trickle_head=True)
    started = time.monotonic()
    result = run("balance", "hp")
    seconds = time.monotonic() - started
    assert result.code == 1
    assert "timed out: no complete answer within 1 s" in result.err
    assert seconds <= BUDGET_TIMEOUTS * 1 + SLACK, seconds


# --- Retry-After ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_retry_after_on_a_retried_5xx_is_waited_out(hostile: HostilePanel, status: int) -> None:
    """A 5xx that says when to come back: the retry waits that long (on the test's clock),
    not the backoff's milliseconds."""
    clock = Clock()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.sleep(seconds)

    hostile.reply(body=b"busy", status=status, headers=(("Retry-After", "7"),), times=1).reply(
        body=BALANCE
    )
    with client_of(hostile, timeout=5.0, sleep=sleep, clock=clock) as client:
        assert client.balance().currency == "USD"
    assert hostile.actions() == ["balance", "balance"]
    assert sum(waits) == pytest.approx(7.0, abs=0.05), waits


def test_a_wait_the_panel_asks_for_is_not_time_without_an_answer(hostile: HostilePanel) -> None:
    """Retry-After longer than the call's budget: waited out (max_time bounds it), not cut."""
    clock = Clock()
    hostile.reply(body=b"busy", status=500, headers=(("Retry-After", "3"),)).reply(body=BALANCE)
    with client_of(hostile, timeout=0.5, sleep=clock.sleep, clock=clock) as client:
        assert client.balance().currency == "USD"
    assert hostile.actions() == ["balance", "balance"]
