"""Deterministic fault points for the crash harness: run smm with a kill (SIGKILL) or a
failure (an exception, as a bug would raise) at the Nth time an apply reaches one step of
placing an order, so that every step is hit on every run, not only when a random kill
happens to land there.

    python -m bench.faultpoints POINT kill|fail N MARKER -- apply --auto-approve ...

The steps, in the order an order goes through them:

- ``submitting``: its ``submitting`` record is committed; nothing sent yet
- ``on-wire``: its turn has come and it counts as sent; the request is not out yet
- ``answered``: the panel answered ``add`` (it holds the order); nothing recorded yet
- ``outcome-queued``: the outcome is queued for the next group commit, not yet committed
- ``outcome-committed``: a group commit holding an outcome has been committed (killed);
  the outcome's write fails inside its commit (failed)

``MARKER`` is written when the point is reached (the harness checks it was).  The hooks
wrap the executor's own methods in this process only; smm's code is not changed.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

POINTS = ("submitting", "on-wire", "answered", "outcome-queued", "outcome-committed")
ACTIONS = ("kill", "fail")


class FaultPoint(RuntimeError):
    """The failure raised at a fault point (``fail``)."""


def install(point: str, action: str, nth: int, marker: Path) -> None:
    """Wrap the steps of placing an order so that the ``nth`` time ``point`` is reached,
    ``action`` happens."""
    from runner.execution.executor import Executor
    from runner.panel.http import PanelConnection
    from runner.state.groupcommit import GroupWriter

    if point not in POINTS or action not in ACTIONS:
        raise SystemExit(f"unknown fault point {point!r} or action {action!r}")
    lock = threading.Lock()
    reached = [0]
    outcome_in_commit = threading.local()

    def strike(name: str) -> None:
        if name != point:
            return
        with lock:
            reached[0] += 1
            if reached[0] != nth:
                return
        marker.write_text(f"{point} {action} {nth}\n")
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        raise FaultPoint(f"fault point {point} (#{nth})")

    begin = Executor._begin

    def _begin(self: Executor, action: Any, marks: Any) -> bool:
        begun = begin(self, action, marks)
        if begun:
            strike("submitting")
        return begun

    on_wire = Executor._on_wire

    def _on_wire(self: Executor, action: Any) -> Callable[[], AbstractContextManager[object]]:
        inner = on_wire(self, action)

        @contextmanager
        def wire() -> Iterator[None]:
            with inner():
                strike("on-wire")
                yield

        return wire

    exchange = PanelConnection._exchange

    def _exchange(self: PanelConnection, form: Any, seconds: float) -> Any:
        answer = exchange(self, form, seconds)
        if form.get("action") == "add":
            strike("answered")
        return answer

    record_later = Executor._record_later

    def _record_later(self: Executor, write: Callable[[Any], None]) -> Any:
        def marked(tx: Any) -> None:
            if action == "fail" and point == "outcome-committed":
                strike("outcome-committed")  # the outcome's write fails, in its commit
            write(tx)
            outcome_in_commit.seen = True

        receipt = record_later(self, marked)
        strike("outcome-queued")
        return receipt

    commit = GroupWriter._commit

    def _commit(self: GroupWriter, batch: Any) -> None:
        outcome_in_commit.seen = False
        commit(self, batch)
        if outcome_in_commit.seen and action == "kill":
            strike("outcome-committed")

    Executor._begin = _begin  # type: ignore[method-assign]
    Executor._on_wire = _on_wire  # type: ignore[method-assign]
    PanelConnection._exchange = _exchange  # type: ignore[method-assign]
    Executor._record_later = _record_later  # type: ignore[method-assign]
    GroupWriter._commit = _commit  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    point, action, nth, marker, separator, *args = argv
    if separator != "--":
        raise SystemExit("usage: python -m bench.faultpoints POINT kill|fail N MARKER -- ARGS")
    install(point, action, int(nth), Path(marker))
    from runner.cli import main as smm

    return smm(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
