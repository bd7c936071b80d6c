"""The locks of a PostgreSQL state: one per campaign, the whole state for work on every
campaign, a holder named when it blocks, and released by the server when the holder dies."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from runner.errors import LockHeld
from runner.state import apply_running, locked
from runner.state.location import StateLocation, parse
from tests.conftest import REPO


def at(url: str) -> StateLocation:
    return parse(url, Path.cwd())


def test_disjoint_campaigns_are_held_at_once(pg_url: str) -> None:
    location = at(pg_url)
    with locked(location, {"a", "b"}) as first, locked(location, {"c"}) as second:
        with first.transaction() as tx:
            tx.begin_submit("a/x", "a", "demo", "fp", {}, None, "run")
        with second.transaction() as tx:
            tx.begin_submit("c/x", "c", "demo", "fp", {}, None, "run")
        assert sorted(second.records()) == ["a/x", "c/x"]


def test_an_overlapping_set_fails_naming_the_holder(pg_url: str) -> None:
    location = at(pg_url)
    refused = pytest.raises(LockHeld)
    with locked(location, {"a", "b"}), refused as caught, locked(location, {"b", "z"}):
        pass
    message = str(caught.value)
    holder = f"pid {os.getpid()} on {socket.gethostname()} (smm"
    assert message.startswith(f"the state is locked by {holder}")
    assert "; user " in message and ", since " in message
    assert "for campaign a, campaign b" in message
    assert message.endswith("(wait for it with --lock-timeout)")
    with locked(location, {"b", "z"}):  # released with the first
        pass


@pytest.mark.parametrize(
    ("first", "second"), [(None, {"a"}), ({"a"}, None), (None, None), (set(), None)]
)
def test_every_campaign_conflicts_with_any(
    pg_url: str, first: set[str] | None, second: set[str] | None
) -> None:
    location = at(pg_url)
    refused = pytest.raises(LockHeld, match="the state is locked by pid")
    with locked(location, first), refused, locked(location, second):
        pass


def test_a_waiter_gets_the_lock_once_it_is_released(pg_url: str) -> None:
    location = at(pg_url)
    holding = locked(location, {"a"})
    holding.__enter__()
    timer = threading.Timer(0.3, holding.__exit__, (None, None, None))
    timer.start()
    try:
        with locked(location, {"a"}, timeout=30) as store:
            assert store.info().serial == 0
    finally:
        timer.join()


def test_held_by_someone_looks_without_taking(pg_url: str) -> None:
    location = at(pg_url)
    assert not apply_running(location, {"a"}) and not apply_running(location)
    with locked(location, {"a"}):
        assert apply_running(location, {"a", "q"})
        assert apply_running(location)  # some campaign is being worked on
        assert not apply_running(location, {"b"})
        with locked(location, {"b"}):  # looking took nothing
            pass
    with locked(location, None):
        assert apply_running(location, {"b"})
    assert not apply_running(location, {"a"})


_HOLDER = """
import sys, time
from pathlib import Path
from runner.state import locked
from runner.state.location import parse
with locked(parse(sys.argv[1], Path.cwd()), {"a"}):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_killed_holder_releases_its_locks(pg_url: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, pg_url], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        location = at(pg_url)
        refused = pytest.raises(LockHeld, match=f"locked by pid {proc.pid} on ")
        with refused, locked(location, {"a"}):
            pass
        assert apply_running(location, {"a"})
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    # the server ends the dead process's session, and its locks with it
    with locked(location, {"a"}, timeout=30):
        pass
