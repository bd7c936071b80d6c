"""The creates pipeline: its threads and queues.  One thread records ``submitting`` a few
orders ahead of the senders (taking the survey the pacer asks for first), ``senders``
threads send, and the caller's thread reports each outcome once recorded.  What
recording, surveying and sending mean is the executor's.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping
from typing import Any

from runner.execution.pacer import Pacer
from runner.execution.results import NOT_STARTED, Outcome, Result
from runner.plans.plan import Action
from runner.state.groupcommit import Receipt

# An order's outcome and the receipt of its queued record (None when nothing was queued).
Sent = tuple[Outcome, Receipt | None]

# Orders recorded ``submitting`` ahead of the senders.  Enough to keep the senders fed;
# small, because a crash leaves these (never sent) in doubt with those in flight.
LOOKAHEAD = 2


class Pipeline:
    """One run of creates through ``begin`` (record ``submitting`` with the marks given;
    False once stopping) and ``send`` (place the order, queue its outcome's record), in
    the pacer's turns; ``survey`` (what to mark the record with) before a create the
    pacer wants a survey for."""

    def __init__(
        self,
        pacer: Pacer,
        senders: int,
        stop: threading.Event,
        begin: Callable[[Action, Mapping[str, Any]], bool],
        send: Callable[[Action], Sent],
        survey: Callable[[Action], Mapping[str, Any]] = lambda action: {},
    ) -> None:
        self.pacer = pacer
        self.senders = senders
        self.stop = stop
        self.begin = begin
        self.send = send
        self.survey = survey
        self.ready: queue.Queue[Action | None] = queue.Queue(maxsize=LOOKAHEAD)
        self.results: queue.Queue[Sent | BaseException] = queue.Queue()
        self.held_seconds = 0.0

    def run(self, count: int, done: Callable[[Outcome], None]) -> None:
        """Every one of the ``count`` creates ends in exactly one outcome or error; the
        first error is raised once every thread has ended."""
        threads = [threading.Thread(target=self._prepare, name="smm-prepare", daemon=True)]
        threads += [
            threading.Thread(target=self._sender, name=f"smm-send-{i}", daemon=True)
            for i in range(self.senders)
        ]
        for thread in threads:
            thread.start()
        error: BaseException | None = None
        try:
            for _ in range(count):
                result = self.results.get()
                if isinstance(result, BaseException):
                    error = error or result
                    continue
                outcome, receipt = result
                # Reported once recorded, so what the user sees is never ahead of the
                # state.  Only this thread waits: the senders go on.
                if receipt is None or receipt.committed():
                    done(outcome)
                else:  # the failure is raised by the next write or at close
                    self.stop.set()
        except BaseException:
            self.stop.set()
            raise
        finally:
            for thread in threads:
                thread.join()
        if error is not None:
            raise error

    def _skipped(self, action: Action) -> None:
        self.results.put((Outcome(action.address, Result.SKIPPED, NOT_STARTED), None))

    def _prepare(self) -> None:
        pacer = self.pacer
        try:
            for action in pacer.turns():
                if self.stop.is_set():
                    self._skipped(action)
                    continue
                try:
                    marks: dict[str, Any] = dict(pacer.marks(action))
                    if pacer.survey_due(action):
                        marks.update(self.survey(action))
                    begun = self.begin(action, marks)
                except BaseException as exc:
                    self.stop.set()
                    pacer.ended(action, lost=False)
                    self.results.put(exc)
                    continue
                if not begun:  # stopped meanwhile: nothing recorded
                    pacer.ended(action, lost=False)
                    self._skipped(action)
                    continue
                self.ready.put(action)
        finally:
            for _ in range(self.senders):
                self.ready.put(None)
            self.held_seconds = pacer.held_seconds

    def _sender(self) -> None:
        while (action := self.ready.get()) is not None:
            lost = True
            try:
                sent = self.send(action)
                lost = sent[0].result is Result.IN_DOUBT
                self.results.put(sent)
            except BaseException as exc:
                self.stop.set()
                self.results.put(exc)
            finally:
                self.pacer.ended(action, lost)
