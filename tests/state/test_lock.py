"""The state lock: the loser of a race names the winner, even by a hair."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from pathlib import Path

import pytest

from runner.errors import LockHeld
from runner.state.lock import StateLock, lock_path


def test_loser_waits_for_the_winner_to_write_its_name(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    path = lock_path(state)
    # The winner has taken the flock but not yet written who it is.
    with open(path, "a+", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

        def name_it() -> None:
            fh.write(json.dumps({"host": "h", "pid": 4242, "command": "smm apply", "started": "t"}))
            fh.flush()

        timer = threading.Timer(0.2, name_it)
        timer.start()
        try:
            with pytest.raises(LockHeld, match=r"locked by pid 4242 on h \(smm apply\)"):
                StateLock(state).acquire()
        finally:
            timer.join()


def test_a_holder_that_never_names_itself_is_still_reported(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with open(lock_path(state), "a+", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LockHeld, match="locked by another process"):
            StateLock(state).acquire()


def test_lock_released_while_the_loser_looks_is_taken(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    fh = open(lock_path(state), "a+", encoding="utf-8")  # noqa: SIM115
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    timer = threading.Timer(0.2, fh.close)
    timer.start()
    lock = StateLock(state)
    lock.acquire()
    timer.join()
    try:
        holder = json.loads(lock_path(state).read_text())
        assert holder["pid"] == os.getpid()
    finally:
        lock.release()
