"""Two runners on one PostgreSQL state (and on one SQLite file) send each event once, even
when they find the same events at the same moment; a claim left by a runner that died
mid-send is taken over later, never while it is fresh."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from runner.config.receivers import Receiver as Target
from runner.notify.events import Event
from runner.notify.send import apprise_send, deliver, holder
from runner.state import locked, now_iso, open_store
from runner.state.location import parse
from tests.conftest import REPO, SECRET_KEY, Runner, Sim, write_campaign
from tests.notify.receiver import receiver

EVENTS = [
    Event("partial", f"partial:c/o{i}:{100 + i}", f"o{i} ended Partial", "") for i in range(12)
]


def race(url: str, target: Target, campaigns: tuple[str, str]) -> list[list[str]]:
    """Two runners, each with its own connection and its own campaign lock, deliver the
    same events at once."""
    start = threading.Barrier(2)
    sent: list[list[str]] = [[], []]
    errors: list[BaseException] = []

    location = parse(url, Path.cwd())

    def runner(index: int) -> None:
        try:
            if location.is_postgres:
                with locked(location, {campaigns[index]}, 10) as store:
                    start.wait(10)
                    sent[index] = deliver([target], EVENTS, store).sent
            else:  # one lock for the whole file: two stores on it, unlocked, at once
                store = open_store(location)
                try:
                    start.wait(10)
                    sent[index] = deliver([target], EVENTS, store).sent
                finally:
                    store.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return sent


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_two_runners_at_once_send_each_event_once(backend: str, pg_url: str) -> None:
    url = pg_url if backend == "postgres" else str(Path("state.db").resolve())
    with receiver() as hook:
        target = Target(f"json://127.0.0.1:{hook.port}/x", frozenset({"partial"}), timeout=5)
        first, second = race(url, target, ("alpha", "beta"))
        assert sorted(first + second) == sorted(e.key for e in EVENTS)
        assert not set(first) & set(second)
        assert sorted(hook.titles) == sorted(e.title for e in EVENTS)
        # A later run sends nothing more.
        first, second = race(url, target, ("alpha", "beta"))
        assert first == second == []
        assert len(hook.posts) == len(EVENTS)


def test_a_dead_runners_claim_is_taken_over_only_when_stale(pg_url: str) -> None:
    location = parse(pg_url, Path.cwd())
    with locked(location, {"c"}) as store:
        with store.transaction() as tx:  # a runner claimed it, then died
            assert tx.claim_notice("r:partial:c/o0:100", "partial", "dead:1", now_iso(-600))
        with receiver() as hook:
            target = Target(f"json://127.0.0.1:{hook.port}/x", frozenset({"partial"}), timeout=5)
            plain = Target(target.url, target.events, timeout=5)
            assert plain.ident == target.ident
            key = f"{target.ident}:{EVENTS[0].key}"
            with store.transaction() as tx:
                tx.claim_notice(key, "partial", "dead:1", now_iso(-600))
            assert deliver([target], EVENTS[:1], store).sent == []  # fresh: left alone
            with store.transaction() as tx:  # ten minutes later
                assert tx.claim_notice(key, "partial", holder(), now_iso(+1))
                tx.notice_done(key, "died")
            assert deliver([target], EVENTS[:1], store).sent == [EVENTS[0].key]
            assert hook.titles == [EVENTS[0].title]


def test_apprise_send_reports_a_refusal_without_the_url() -> None:
    with receiver() as hook:
        hook.mode = "fail"
        error = apprise_send(f"json://127.0.0.1:{hook.port}/tok_{'x' * 20}", "t", "b", 5)
        assert error is not None and "tok_" not in error


def test_two_refreshes_on_one_postgres_state_tell_once(
    run: Runner, clocked: tuple[Sim, list[float]], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes refreshing one shared state at once, each waiting for the other's
    lock as a CI runner would: the receiver hears of the Partial order once."""
    sim, clock = clocked
    monkeypatch.setenv("SMM_STATE", pg_url)
    sim.panel.partial_rate = 1.0
    write_campaign("c", ["{id: f, service: 1, link: https://instagram.com/a, quantity: 1000}"])
    assert run("apply", "--auto-approve").code == 0
    clock[0] += 3600
    with receiver() as hook:
        with Path("smm.yaml").open("a") as f:
            f.write(f"notify:\n  - url: json://127.0.0.1:{hook.port}/x\n    events: [partial]\n")
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "SIM_KEY": SECRET_KEY,
            "SMM_STATE": pg_url,
        }
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "runner", "refresh", "--lock-timeout", "60"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        assert hook.titles == ["smm: c/f ended Partial"]


def test_sent_notifications_move_with_the_state(pg_url: str) -> None:
    """`smm state migrate` carries what was sent: the new store does not send it again."""
    source = open_store(parse(str(Path("state.db").resolve()), Path.cwd()))
    with receiver() as hook:
        target = Target(f"json://127.0.0.1:{hook.port}/x", frozenset({"partial"}), timeout=5)
        assert deliver([target], EVENTS[:2], source).sent == [e.key for e in EVENTS[:2]]
        dump = source.dump()
        source.close()
        assert len(dump.notices) == 2
        moved = open_store(parse(pg_url, Path.cwd()))
        try:
            moved.restore(dump)
            assert deliver([target], EVENTS[:3], moved).sent == [EVENTS[2].key]
        finally:
            moved.close()
        assert len(hook.posts) == 3


def test_a_first_run_on_a_large_state_never_floods() -> None:
    many = [
        Event("partial", f"partial:c/o{i}:{i}", f"smm: c/o{i} ended Partial", "b")
        for i in range(75)
    ]
    store = open_store(parse(str(Path("state.db").resolve()), Path.cwd()))
    try:
        with receiver() as hook:
            target = Target(f"json://127.0.0.1:{hook.port}/x", frozenset({"partial"}), timeout=5)
            sent = deliver([target], many, store).sent
            assert sorted(sent) == sorted(e.key for e in many)
            assert len(hook.posts) == 20
            digest = hook.posts[-1]
            assert digest["title"] == "smm: 56 more events"
            assert "c/o19 ended Partial" in digest["message"]
            assert "... and 6 more (smm status, smm report)" in digest["message"]
            assert deliver([target], many, store).sent == []
            assert len(hook.posts) == 20
    finally:
        store.close()


def test_a_dead_receiver_costs_one_attempt_a_run() -> None:
    few = EVENTS[:5]
    store = open_store(parse(str(Path("state.db").resolve()), Path.cwd()))
    try:
        with receiver() as hook:
            hook.mode = "fail"
            target = Target(f"json://127.0.0.1:{hook.port}/x", frozenset({"partial"}), timeout=5)
            result = deliver([target], few, store)
            assert result.sent == [] and len(result.warnings) == 1
            assert hook.hits == 1
            hook.mode = "ok"
            assert sorted(deliver([target], few, store).sent) == sorted(e.key for e in few)
    finally:
        store.close()
