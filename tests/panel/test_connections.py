"""Connections: the pool of each panel is as large as apply's largest --parallelism, and
an order counts as sent (in flight, so in doubt if the run is killed) only once its
request has a connection and leaves, never while it waits for one."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from runner.commands.apply import MAX_PARALLELISM
from runner.errors import Halted
from runner.panel.http import MAX_CONNECTIONS
from tests.conftest import Runner, followers, write_campaign
from tests.hostile import HostilePanel
from tests.panel.conftest import client_of

SERVICES = [
    {"service": 1, "name": "Followers", "type": "Default", "rate": "0.90", "min": 10, "max": 1000}
]
LINK: dict[str, str | int] = {"link": "https://instagram.com/a", "quantity": 100}
WAIT = 60.0  # seconds a test waits for what must happen (a bound on a failure, not a pace)


def test_the_largest_parallelism_is_the_pool() -> None:
    assert MAX_PARALLELISM == MAX_CONNECTIONS


def test_a_parallelism_above_the_pool_is_refused(run: Runner) -> None:
    result = run("apply", "--parallelism", str(MAX_PARALLELISM + 1))
    assert result.code == 1
    assert f"is not in the range 1<=x<={MAX_PARALLELISM}" in result.err


def test_every_sender_of_a_high_parallelism_is_out_at_once(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path]
) -> None:
    """40 senders (above the old pool of 32): all 40 adds reach the panel together."""
    senders = 40
    hp_project()
    # Not look-alikes (runner.execution.pacer sends those one at a time): quantities differ.
    write_campaign("c", followers(senders + 3, step=10), panel="hp")
    hostile.reply(SERVICES, action="services").reply(
        {"balance": "1000", "currency": "USD"}, action="balance"
    )
    # The panel's first order goes alone, its last two after all the others (they bound
    # later reconciliations, runner.execution.pacer): 40 in between, held at the gate.
    hostile.reply(body='{"order": {n}}', action="add", numbered=True)
    hostile.reply(body='{"order": {n}}', action="add", numbered=True, gated=True)
    hostile.hold()
    reached: list[bool] = []

    def watch() -> None:
        reached.append(hostile.wait_for_requests(senders + 1, WAIT, action="add"))
        hostile.release()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = run("apply", "--auto-approve", "--no-reconcile", "--parallelism", str(senders))
    finally:
        hostile.release()
        watcher.join()
    adds = hostile.actions().count("add")
    assert reached == [True], f"{adds} adds reached the panel, not all at once: {result.err}"
    assert result.code == 0, result.out + result.err
    orders = json.loads(run("state", "export").out)["orders"]
    assert len(orders) == senders + 3 and {o["phase"] for o in orders} == {"placed"}


def test_an_order_waiting_for_a_connection_is_not_in_flight(hostile: HostilePanel) -> None:
    """One connection: the second add waits for it outside ``on_wire``; stopped then, it
    was never sent, and nothing counted it as sent."""
    hostile.reply({"order": 1}, action="add", gated=True)
    hostile.hold()
    on_wire: list[str] = []

    def marking(name: str) -> Callable[[], object]:
        from contextlib import contextmanager

        @contextmanager
        def wire():  # type: ignore[no-untyped-def]
            on_wire.append(name)
            yield

        return wire

    outcomes: dict[str, object] = {}
    with client_of(hostile, max_connections=1) as client:

        def place(name: str) -> None:
            try:
                outcomes[name] = client.add(1, LINK, marking(name))  # type: ignore[arg-type]
            except Halted as exc:
                outcomes[name] = exc

        first = threading.Thread(target=place, args=("first",))
        first.start()
        assert hostile.wait_for_requests(1, WAIT, action="add")
        second = threading.Thread(target=place, args=("second",))
        second.start()
        assert client._http.slots.wait_for_waiters(1, WAIT)  # waiting for the connection
        assert on_wire == ["first"]  # the waiting one is not on the wire
        client.halt()  # Ctrl-C: what waits is never sent
        second.join(WAIT)
        hostile.release()
        first.join(WAIT)
    assert outcomes["first"] == 1
    assert isinstance(outcomes["second"], Halted)
    assert on_wire == ["first"]
    assert hostile.actions() == ["add"]


@pytest.mark.parametrize("connections", [1, 3])
def test_a_freed_connection_lets_the_next_one_go(hostile: HostilePanel, connections: int) -> None:
    hostile.reply(body='{"order": {n}}', action="add", numbered=True, gated=True)
    hostile.hold()
    results: list[int] = []
    lock = threading.Lock()
    with client_of(hostile, max_connections=connections) as client:

        def place() -> None:
            order = client.add(1, LINK)
            with lock:
                results.append(order)

        threads = [threading.Thread(target=place) for _ in range(connections + 2)]
        for thread in threads:
            thread.start()
        assert hostile.wait_for_requests(connections, WAIT, action="add")
        assert client._http.slots.wait_for_waiters(2, WAIT)
        assert len(hostile.requests) == connections  # the others wait, unsent
        hostile.release()
        for thread in threads:
            thread.join(WAIT)
    assert sorted(results) == list(range(1, connections + 3))


def test_an_order_waiting_for_its_turn_is_not_in_flight(hostile: HostilePanel) -> None:
    """A panel paced at 1 a minute: the second add waits for its turn outside ``on_wire``;
    stopped during that wait (Ctrl-C), it was never sent, and nothing counted it as sent."""
    from contextlib import contextmanager

    hostile.reply({"order": 1}, action="add")
    on_wire: list[str] = []
    seen_while_waiting: list[list[str]] = []

    def marking(name: str) -> Callable[[], object]:
        @contextmanager
        def wire():  # type: ignore[no-untyped-def]
            on_wire.append(name)
            yield

        return wire

    client = client_of(hostile, rate_limit="1/min")

    def waiting(seconds: float) -> None:  # the throttle's wait for the second add's turn
        seen_while_waiting.append(list(on_wire))
        client.halt()

    client._http._sleep = waiting
    with client:
        assert client.add(1, LINK, marking("first")) == 1  # type: ignore[arg-type]
        with pytest.raises(Halted):
            client.add(1, LINK, marking("second"))  # type: ignore[arg-type]
    assert seen_while_waiting == [["first"]]
    assert on_wire == ["first"]
    assert hostile.actions() == ["add"]
