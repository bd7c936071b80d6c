"""Look-alikes (same service and charge on one panel) are never in flight together, yet a
campaign of several look-alike groups still runs in parallel; ``identical_in_flight``
lifts the rule.  Against the simulator over HTTP, watching the panel's side."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner, Sim, http_project, write_campaign


class Watch:
    """How many adds of each kind (service, quantity) the panel was answering at once."""

    def __init__(self, sim: Sim) -> None:
        self.now: Counter[tuple[str, str]] = Counter()
        self.most: Counter[tuple[str, str]] = Counter()
        self.adds_now = 0
        self.adds_most = 0
        self._lock = threading.Lock()
        respond: Callable[..., Any] = sim.endpoint.respond

        def watched(body: bytes, *args: Any, **kwargs: Any) -> Any:
            form = dict(p.split("=", 1) for p in body.decode().split("&") if "=" in p)
            kind = (form.get("service", ""), form.get("quantity", ""))
            add = form.get("action") == "add"
            if add:
                with self._lock:
                    self.now[kind] += 1
                    self.most[kind] = max(self.most[kind], self.now[kind])
                    self.adds_now += 1
                    self.adds_most = max(self.adds_most, self.adds_now)
            try:
                return respond(body, *args, **kwargs)
            finally:
                if add:
                    with self._lock:
                        self.now[kind] -= 1
                        self.adds_now -= 1

        sim.endpoint.respond = watched  # type: ignore[method-assign]


def groups(n: int, size: int) -> list[str]:
    """``n`` look-alike groups of ``size`` orders each, listed group after group."""
    return [
        f"{{id: g{g}o{i}, service: 1, link: https://instagram.com/g{g}/{i}, "
        f"quantity: {100 * (g + 1)}}}"
        for g in range(n)
        for i in range(size)
    ]


@pytest.fixture
def watched(sim: Sim, monkeypatch: pytest.MonkeyPatch, run: Runner) -> Watch:
    http_project(sim, monkeypatch)
    sim.faults.latency_ms = 40
    sim.faults.actions = frozenset({"add"})
    # An own order known first: creates may go out together (the bootstrap rule).
    write_campaign("seed", ["{id: s, service: 1, link: https://instagram.com/seed, quantity: 50}"])
    assert run("apply", "--auto-approve", "campaigns/seed.yaml").code == 0
    return Watch(sim)


def test_look_alikes_go_one_at_a_time_and_groups_in_parallel(
    run: Runner, sim: Sim, watched: Watch
) -> None:
    write_campaign("c", groups(3, 4))
    result = run("apply", "--auto-approve", "--parallelism", "8", "campaigns/c.yaml")
    assert result.code == 0, result.out + result.err
    assert set(watched.most.values()) == {1}  # never two of a kind at once
    assert watched.adds_most >= 3  # the three groups side by side
    links = [str(o["link"]) for o in sim.orders()]
    assert len(links) == len(set(links)) == 13


def test_identical_in_flight_lets_several_of_a_kind_out(
    run: Runner, sim: Sim, watched: Watch
) -> None:
    Path("smm.yaml").write_text(Path("smm.yaml").read_text() + "    identical_in_flight: 4\n")
    write_campaign("c", groups(1, 8))
    result = run("apply", "--auto-approve", "--parallelism", "8", "campaigns/c.yaml")
    assert result.code == 0, result.out + result.err
    assert max(watched.most.values()) > 1
    assert max(watched.most.values()) <= 4


def test_a_lost_look_alike_holds_the_next_until_it_surely_ended(
    run: Runner, sim: Sim, watched: Watch
) -> None:
    """The next look-alike waits for the lost request's settle time; the others go on."""
    Path("smm.yaml").write_text(
        Path("smm.yaml").read_text().replace("settle_seconds: 0.3", "settle_seconds: 1.5")
    )
    write_campaign("c", groups(2, 3))
    sim.faults.queue("drop_after", action="add")  # g0o0's answer is lost
    result = run("apply", "--auto-approve", "--parallelism", "8", "campaigns/c.yaml")
    assert result.code == 0, result.out + result.err
    assert "Holding orders like a lost one on demo (service 1, 100 units)" in result.err
    assert "c/g0o0: imported order" in result.out
    held = {str(o["link"]): int(str(o["order"])) for o in sim.orders()}
    group = [held[f"https://instagram.com/g0/{i}"] for i in range(3)]
    assert group == sorted(group)  # ids follow the send order


def test_identical_in_flight_must_be_a_positive_count(
    run: Runner, sim: Sim, watched: Watch
) -> None:
    Path("smm.yaml").write_text(Path("smm.yaml").read_text() + "    identical_in_flight: 0\n")
    result = run("plan")
    assert result.code == 1
    assert "smm.yaml:" in result.err and "identical_in_flight" in result.err
