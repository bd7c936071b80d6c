"""One apply at a time per state store: an advisory lock that names its holder.

The lock is ``flock`` on ``<state>.lock``: the kernel releases it when the holder dies,
even by ``kill -9``, so a lock left by a dead process is never a reason to block.  The
file also says who holds it (host, pid, command, start time) for the error message.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from runner.errors import LockHeld, StateError, redact
from runner.money import json_int

# How long a process that found the lock taken waits for the holder to write its name.
_NAME_GRACE = 1.0


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    command: str
    started: str

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host} ({self.command}), since {self.started}"


def lock_path(state_path: Path) -> Path:
    return state_path.with_name(state_path.name + ".lock")


def read_holder(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(), parse_int=json_int)
        return Holder(
            str(data["host"]), int(data["pid"]), str(data["command"]), str(data["started"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


class StateLock:
    def __init__(self, state_path: Path) -> None:
        self.path = lock_path(state_path)
        self._fh: IO[str] | None = None

    def acquire(self, timeout: float = 0.0) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        except OSError as exc:
            # A read-only state folder: readers still work (open_readonly); a writer
            # stops here, before anything, in one line.
            raise StateError(
                f"cannot write the state {self.path.with_suffix('')}: "
                f"{exc.strerror or exc} (its folder is not writable: smm plan, status "
                "and report can still read it)"
            ) from None
        start = time.monotonic()
        deadline = start + timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                if now >= deadline:
                    holder = read_holder(self.path)
                    # The holder writes its name just after taking the lock: a
                    # process that lost the race by microseconds finds the file
                    # still empty.  Look again for a moment before giving up on
                    # the name (or taking the lock, if it was released meanwhile).
                    if holder is None and now - start < _NAME_GRACE:
                        time.sleep(0.01)
                        continue
                    fh.close()
                    who = str(holder) if holder else "another process"
                    hint = "" if timeout else " (wait for it with --lock-timeout)"
                    raise LockHeld(f"the state is locked by {who}{hint}") from None
                time.sleep(min(0.2, max(0.0, deadline - now)))
        holder = Holder(
            socket.gethostname(),
            os.getpid(),
            redact(" ".join(["smm", *sys.argv[1:]]))[:200],
            _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        )
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps(holder.__dict__))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            try:
                self._fh.seek(0)
                self._fh.truncate()
                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            finally:
                self._fh.close()
                self._fh = None

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def held_by_someone(state_path: Path) -> bool:
    """Whether a live process holds the lock right now (without taking it)."""
    path = lock_path(state_path)
    if not path.exists():
        return False
    with open(path, encoding="utf-8") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return False
