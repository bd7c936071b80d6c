"""Pacing: the client finds a panel's rate limit from its answers (429, Retry-After, rising
latency) and keeps close to it; a configured ``rate_limit:`` is a ceiling; status calls go
out several at a time.

The throttle is driven against the simulator's own token bucket (``runner.sim.limiter``) on
a shared fake clock, request after request as a client would send them, and a client
over real HTTP against a limited simulator."""

from __future__ import annotations

import itertools
import math
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from runner.errors import Halted, OutcomeUnknown, PanelRejected
from runner.panel.client import STATUS_PARALLELISM, PanelClient
from runner.panel.http import RetryPolicy
from runner.panel.ratelimit import CALM, FASTER, RECOVER, SLOWER, Throttle
from runner.sim.faults import FaultPlan
from runner.sim.limiter import Limiter, parse_limit
from tests.conftest import SECRET_KEY, Sim
from tests.hostile import HostilePanel

ADD: dict[str, str | int] = {"link": "https://x.example/1", "quantity": 100}


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


@dataclass
class Run:
    sent: int  # requests, refused ones included
    refused: int  # answered 429
    seconds: float
    throttle: Throttle


def drive(
    limit: str,
    requests: int,
    ceiling: str | None = None,
    latency: float = 0.001,
    drained: bool = False,
) -> Run:
    """``requests`` requests admitted one after another by a panel limited to ``limit``
    (each refused one retried, as the client retries a 429), paced by a fresh throttle;
    ``drained``: another client of the key emptied the bucket just before."""
    clock = Clock()
    bucket = Limiter.parse(limit)
    bucket.clock = clock
    while drained and bucket.admit("key") is None:
        pass
    throttle = Throttle(ceiling, clock=clock, sleep=clock.sleep)
    sent = refused = 0
    admitted = 0
    while admitted < requests:
        at = throttle.acquire()
        sent += 1
        clock.now += latency
        wait = bucket.admit("key")
        if wait is None:
            admitted += 1
            throttle.answered(at, latency)
        else:
            refused += 1
            throttle.limited(at, float(wait))
    return Run(sent, refused, clock.now, throttle)


def ideal_seconds(limit: str, requests: int) -> float:
    """The fastest a token bucket lets ``requests`` through: its burst at once, the rest
    at its rate."""
    count, per = parse_limit(limit)
    return max(0, requests - count) * per / count


@pytest.mark.parametrize("limit", ["20/s", "5/s", "100/s", "60/min", "600/min"])
def test_the_pacer_finds_a_token_bucket_and_keeps_close_to_it(limit: str) -> None:
    count, per = parse_limit(limit)
    requests = 30 * count  # some 30 periods' worth
    run = drive(limit, requests)
    assert run.refused <= 0.02 * run.sent, run
    assert run.seconds <= ideal_seconds(limit, requests) / 0.9, run
    # It may probe above the limit while the bucket's tokens last, never far.
    assert run.throttle.rate is not None and run.throttle.rate <= count / per * 1.25


@pytest.mark.parametrize("limit", ["20/s", "5/s", "60/min"])
def test_a_bucket_another_client_emptied_is_found_all_the_same(limit: str) -> None:
    """Refused before anything was answered, the throttle only holds; then it learns the
    rate from what comes through, and keeps close to it."""
    count, per = parse_limit(limit)
    requests = 30 * count
    run = drive(limit, requests, drained=True)
    assert run.refused <= 0.02 * run.sent + 2, run
    assert run.seconds <= requests * per / count / 0.9, run


def test_a_retry_after_of_zero_holds_a_second_and_is_one_pushback() -> None:
    clock = Clock()
    throttle = Throttle(clock=clock, sleep=clock.sleep)
    out = [throttle.acquire() for _ in range(20)]
    clock.now = 0.1
    for at in out[:12]:
        throttle.answered(at, 0.1)
    for at in out[12:]:
        throttle.limited(at, 0.0)
    assert throttle.pushbacks == 1
    assert throttle.holding() == pytest.approx(1.0)
    for bad in (-5.0, None):
        throttle.limited(throttle.acquire(), bad)
        assert throttle.holding() == pytest.approx(1.0)


def test_one_stall_of_an_unlimited_panel_costs_at_most_half_its_pace() -> None:
    """Eight senders at 50 ms, then every answer takes 3 s for a while: the throttle slows
    down, but never below half the rate the panel kept before."""
    clock = Clock()
    throttle = Throttle(clock=clock, sleep=clock.sleep)
    for _ in range(400):  # 160 a second for 2.5 s
        at = throttle.acquire()
        clock.now += 1 / 160
        throttle.answered(at, 0.05)
    for _ in range(16):
        at = throttle.acquire()
        clock.now += 3.0 / 8
        throttle.answered(at, 3.0)
    assert throttle.pushbacks == 1 and throttle.learnt is not None
    assert throttle.learnt >= 0.5 * 160 * 0.9


def test_a_configured_ceiling_is_never_exceeded() -> None:
    """Below the panel's limit the ceiling holds alone: no 429, the rate never rises above
    it however long the calm, requests evenly spaced."""
    clock = Clock()
    throttle = Throttle("10/s", clock=clock, sleep=clock.sleep)
    sends = [throttle.acquire() for _ in range(500)]
    gaps = [b - a for a, b in itertools.pairwise(sends)]
    assert min(gaps) == pytest.approx(0.1)
    assert throttle.rate == 10.0
    run = drive("20/s", 400, ceiling="10/s")
    assert run.refused == 0 and run.seconds == pytest.approx(39.9, abs=0.2)
    # A panel that limits below the ceiling is found under it, and the rate never goes
    # back above the ceiling when the panel's rate is higher.
    below = drive("5/s", 300, ceiling="10/s")
    assert below.refused <= 6 and below.throttle.rate is not None and below.throttle.rate <= 5.5


def test_one_pushback_cuts_once_and_holds_every_sender() -> None:
    """Requests already out when the first 429 comes back are the same push-back; every
    sender, whatever it sends next, waits out Retry-After."""
    clock = Clock()
    throttle = Throttle(clock=clock, sleep=clock.sleep)
    out = [throttle.acquire() for _ in range(30)]  # 30 requests out at once
    clock.now = 0.5
    for at in out[:20]:
        throttle.answered(at, 0.5)
    for at in out[20:]:
        throttle.limited(at, 3.0)
    assert throttle.pushbacks == 1
    assert throttle.learnt == pytest.approx(20 * SLOWER)  # 20 answered in (at least) 1 s
    assert throttle.holding() == pytest.approx(3.0)
    assert throttle.acquire() == pytest.approx(3.5)
    assert throttle.acquire() == pytest.approx(3.5 + 1 / (20 * SLOWER))
    # A refusal of a request sent after the hold is a new push-back.
    throttle.limited(throttle.acquire(), 1.0)
    assert throttle.pushbacks == 2 and (throttle.learnt or 0) < 20 * SLOWER


def test_a_refusal_before_any_answer_only_holds() -> None:
    clock = Clock()
    throttle = Throttle(clock=clock, sleep=clock.sleep)
    throttle.limited(throttle.acquire(), 2.0)
    assert throttle.learnt is None and throttle.rate is None
    assert throttle.acquire() == pytest.approx(2.0)
    # A 429 without Retry-After holds a second.
    throttle.limited(2.0, None)
    assert throttle.holding() == pytest.approx(1.0)


def test_the_rate_rises_carefully_and_only_when_it_holds_senders_back() -> None:
    clock = Clock()
    throttle = Throttle(clock=clock, sleep=clock.sleep)
    for _ in range(10):
        throttle.answered(throttle.acquire(), 0.01)
    clock.now = 1.0
    throttle.limited(throttle.acquire(), 0.0)
    learnt = throttle.learnt
    assert learnt is not None and learnt == pytest.approx(10 * SLOWER)
    # Idle senders (one request every 10 s) teach nothing: the rate stays.
    for _ in range(5):
        clock.now += 10
        throttle.answered(throttle.acquire(), 0.01)
    assert throttle.learnt == learnt
    # Busy senders held back by the rate: a few percent per calm stretch near the rate the
    # panel pushed back at; past it, calm all along, faster and faster, never by more than
    # a quarter at once.
    rates = [learnt]
    start = clock.now
    while clock.now - start < 20 * CALM:
        throttle.answered(throttle.acquire(), 0.0)
        if throttle.learnt != rates[-1]:
            rates.append(throttle.learnt or 0)
    steps = [b / a for a, b in itertools.pairwise(rates)]
    assert steps[0] == pytest.approx(FASTER)
    assert all(FASTER - 1e-9 <= step <= RECOVER + 1e-9 for step in steps)
    assert steps[-1] > steps[0]


def test_rising_latency_slows_down_without_a_hold() -> None:
    clock = Clock()
    throttle = Throttle(clock=clock, sleep=clock.sleep)
    for _ in range(20):
        at = throttle.acquire()
        clock.now += 0.05
        throttle.answered(at, 0.05)
    assert throttle.learnt is None
    for _ in range(10):
        at = throttle.acquire()
        clock.now += 3.0
        throttle.answered(at, 3.0)
    assert throttle.pushbacks >= 1 and throttle.learnt is not None
    assert throttle.holding() == 0.0
    # Steady slow answers are the panel's usual pace, not a push-back each time.
    cuts = throttle.pushbacks
    for _ in range(64 + 20):
        at = throttle.acquire()
        clock.now += 3.0
        throttle.answered(at, 3.0)
    assert throttle.pushbacks <= cuts + 1


def test_a_limited_simulator_paces_parallel_senders_over_http(sim: Sim) -> None:
    """Four threads add 100 orders to a panel limited to 25/s with no rate_limit set:
    every order placed once, none in doubt, few 429s, and the rate learnt near 25/s."""
    sim.endpoint.limiter = Limiter(25, 1.0)
    retry = RetryPolicy(attempts=8, max_time=60.0, initial=0.01, max_wait=0.5)
    placed: list[int] = []
    errors: list[BaseException] = []
    with PanelClient("sim", sim.url, SECRET_KEY, retry=retry) as client:

        def sender(first: int) -> None:
            for i in range(first, 100, 4):
                try:
                    placed.append(client.add(1, {"link": f"https://x.com/{i}", "quantity": 100}))
                except BaseException as exc:
                    errors.append(exc)

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        throttle = client._http.throttle
    assert errors == []
    assert sorted(placed) == sorted(int(str(o["order"])) for o in sim.orders())
    assert len(placed) == 100 == len(set(placed))
    assert sim.endpoint.limited <= 6, sim.endpoint.stats()
    assert throttle.learnt is not None and 15 <= throttle.learnt <= 27


def test_status_calls_go_out_several_at_a_time(sim: Sim) -> None:
    """1,000 ids: ten calls of 100, up to STATUS_PARALLELISM of them answered at once, and
    every id's answer where it belongs."""
    with PanelClient("test", sim.url, SECRET_KEY) as client:
        ids = [client.add(1, {"link": f"https://x.com/{i}", "quantity": 100}) for i in range(3)]
    sim.endpoint.faults = FaultPlan(latency_ms=200.0)
    asked = [*ids, *range(10**9, 10**9 + 997)]
    with PanelClient("test", sim.url, SECRET_KEY) as client:
        answers = client.status_many(asked)
        calls = client.calls["status"]
    assert calls == math.ceil(len(asked) / 100)
    assert STATUS_PARALLELISM // 2 < sim.endpoint.most_in_flight <= STATUS_PARALLELISM
    assert set(answers) == set(asked)
    assert all(not hasattr(answers[i], "message") for i in ids)
    assert all(hasattr(answers[i], "message") for i in asked[3:])


def test_status_batches_come_in_order_while_the_next_calls_are_out(sim: Sim) -> None:
    """Answers a batch at a time, in the ids' order; a caller that stops taking them stops
    the calls (no more than the ones already out)."""
    asked = list(range(10**9, 10**9 + 3000))
    with PanelClient("test", sim.url, SECRET_KEY) as client:
        batches = [sorted(batch) for batch in client.status_batches(asked)]
    assert [i for batch in batches for i in batch] == asked
    assert all(len(batch) == 100 for batch in batches)
    sim.endpoint.faults = FaultPlan(latency_ms=50.0)
    with PanelClient("test", sim.url, SECRET_KEY) as client:
        stream = client.status_batches(asked)
        next(stream)
        stream.close()
        calls = client.calls["status"]
    assert calls <= 1 + 2 * STATUS_PARALLELISM


def test_a_failing_status_call_stops_the_rest_and_is_raised(sim: Sim) -> None:
    sim.faults.queue("server_error", action="status", count=50)
    retry = RetryPolicy(attempts=2, initial=0.001, max_wait=0.01)
    asked = list(range(10**9, 10**9 + 5000))
    with (
        PanelClient("test", sim.url, SECRET_KEY, retry=retry, sleep=lambda s: None) as client,
        pytest.raises(OutcomeUnknown, match="HTTP 500"),
    ):
        client.status_many(asked)
    assert sim.endpoint.by_action["status"] < 50 + 2 * STATUS_PARALLELISM


def test_ctrl_c_during_parallel_status_calls_ends_their_waits_at_once(sim: Sim) -> None:
    """Every status call answered 429 with Retry-After: 30: a Ctrl-C while the batches
    wait ends the command in a moment, not after the panel's 30 s."""
    sim.faults.retry_after = 30
    sim.faults.queue("rate_limit", action="status", count=1000)
    asked = list(range(10**9, 10**9 + 2000))
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    with PanelClient("test", sim.url, SECRET_KEY) as client:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            client.status_many(asked)
        stopped = time.monotonic() - started
        assert not client._http.halted.is_set()  # the client is usable again
    timer.cancel()
    assert stopped < 5


def in_background(
    outcome: dict[str, object], name: str, job: Callable[[], object]
) -> threading.Thread:
    """``job`` started on a thread of its own; its result (or what it raised, as the
    executor would see it) goes to ``outcome[name]``."""

    def work() -> None:
        try:
            outcome[name] = job()
        except Exception as exc:
            outcome[name] = exc

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_a_failing_status_call_stops_its_own_batches_only(hostile: HostilePanel) -> None:
    """Status batches (a survey on apply's prepare thread) and an add of another order
    share one client.  The first status call fails: the batches still waiting for their
    turn end, but the add waiting for its own (the panel's pace) still goes out — only a
    Ctrl-C (``halt``) stops every request of the client."""
    hostile.reply({"error": "Too many ids in one request"}, action="status", delay=0.2)
    hostile.reply({"order": 9001}, action="add")
    retry = RetryPolicy(attempts=1, initial=0.001, max_wait=0.01)
    outcome: dict[str, object] = {}
    with PanelClient("p", hostile.url, SECRET_KEY, rate_limit="1/sec", retry=retry) as client:
        asker = in_background(outcome, "status", lambda: client.status_many(range(1, 1001)))
        assert hostile.wait_for_requests(1, timeout=5, action="status")
        sender = in_background(outcome, "add", lambda: client.add(1, ADD))
        asker.join(10)
        sender.join(10)
        assert not client._http.halted.is_set()
    assert isinstance(outcome["status"], PanelRejected), outcome
    assert hostile.actions().count("status") < 10  # the rest of the batches ended unsent
    assert outcome["add"] == 9001, outcome["add"]
    assert hostile.actions().count("add") == 1


def test_halt_stops_the_batches_and_every_other_request(hostile: HostilePanel) -> None:
    """``halt`` (Ctrl-C) reaches the requests of every caller, status batches included."""
    hostile.reply({"error": "unused"}, action="status", gated=True)
    hostile.hold()
    outcome: dict[str, object] = {}
    try:
        with PanelClient("p", hostile.url, SECRET_KEY, rate_limit="1/sec") as client:
            asker = in_background(outcome, "status", lambda: client.status_many(range(1, 1001)))
            assert hostile.wait_for_requests(1, timeout=5, action="status")
            client.halt()
            with pytest.raises(Halted):
                client.add(1, ADD)
            hostile.release()
            asker.join(10)
    finally:
        hostile.release()
    assert isinstance(outcome["status"], PanelRejected | Halted), outcome
    assert hostile.actions().count("status") == 1
    assert "add" not in hostile.actions()
