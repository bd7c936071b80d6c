"""Group commit: writes from many threads share transactions (and fsyncs).

Apply's workers each record ``submitting`` before sending an order and the outcome after.
Committed one by one, ten workers queue behind one store and each pays a commit.  Here a
single writer thread takes everything queued while the previous commit ran and commits it
in one transaction, each write in its own savepoint so one refused write (say, an address
already placed) fails alone.

A write whose loss would be unsafe (``submitting``) is made with ``wait=True``: the caller
goes on only once it is committed, durably.  A write whose loss is safe (an outcome: lost,
the order reads as in doubt, never as not placed) may be queued with ``wait=False``; a
failure of such a write is raised by the next write or by ``close``.  Either way
``write`` returns a ``Receipt``, so whoever reports the write to the user can wait for it
to be committed first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from runner.errors import StateError
from runner.state.interface import StateStore, Transaction

Write = Callable[[Transaction], None]


@dataclass
class Receipt:
    """One queued write: ``done`` is set once its transaction ended; ``error`` says why it
    was not recorded, if it was not."""

    write: Write
    durable: bool
    waited: bool  # the writing thread waits for it, so its failure is raised there
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def committed(self) -> bool:
        """Wait for the write's transaction; whether the write is recorded."""
        self.done.wait()
        return self.error is None


class GroupWriter:
    """Commits the writes of many threads together; FIFO, so one address's writes keep
    their order.  ``busy_seconds`` is the time spent inside transactions."""

    def __init__(self, store: StateStore) -> None:
        self._store = store
        self._cond = threading.Condition()
        self._queue: list[Receipt] = []
        self._closed = False
        self._failure: BaseException | None = None
        self.busy_seconds = 0.0
        self.commits = 0
        self._thread = threading.Thread(target=self._run, name="smm-state-writer", daemon=True)
        self._thread.start()

    def write(self, write: Write, *, durable: bool = True, wait: bool = True) -> Receipt:
        pending = Receipt(write, durable, wait)
        with self._cond:
            self._raise_failure()
            if self._closed:
                raise StateError("the state writer is closed")
            self._queue.append(pending)
            self._cond.notify()
        if wait:
            pending.done.wait()
            if pending.error is not None:
                raise pending.error
        return pending

    def close(self) -> None:
        """Commit what is queued, stop the thread; raise a queued write's failure."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()
        with self._cond:
            self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                batch, self._queue = self._queue, []
            self._commit(batch)

    def _commit(self, batch: list[Receipt]) -> None:
        started = time.perf_counter()
        try:
            with self._store.transaction(durable=any(p.durable for p in batch)) as tx:
                for pending in batch:
                    try:
                        with tx.savepoint():  # a refused write fails alone
                            pending.write(tx)
                    except Exception as exc:
                        pending.error = exc
        except BaseException as exc:
            # The commit itself failed: nothing of the batch is recorded (a write's own
            # failure, when it had one, says more).
            for pending in batch:
                pending.error = pending.error or exc
        self.busy_seconds += time.perf_counter() - started
        self.commits += 1
        for pending in batch:
            if not pending.waited and pending.error is not None:
                with self._cond:
                    self._failure = self._failure or pending.error
            pending.done.set()
