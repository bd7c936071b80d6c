"""The executor: the only code that changes the world.  It carries out a Plan.

For every create: (1) record ``submitting`` and commit, (2) send ``add``, (3) record the
outcome and commit.  The panel's answer decides the outcome:

- an order id                      -> placed
- ``{"error": ...}``               -> rejected (the next plan creates it again)
- surely never reached the panel   -> rejected as not sent (after the client's retries)
- anything else                    -> in doubt: never re-sent without a person deciding

Creates run as a pipeline (``runner.execution.pipeline``): one thread records
``submitting`` a few orders ahead, the ``parallelism`` senders send, and one writer thread
commits the outcomes in groups (``runner.state.groupcommit``), so neither disk nor lock
stands between two requests.

Refills and cancels go through the batched calls, 100 ids a request.
"""

from __future__ import annotations

import datetime as _dt
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from runner.api import ordertypes
from runner.errors import Halted, NotSent, OutcomeUnknown, PanelRejected
from runner.execution import batches, surveys
from runner.execution.claims import Claims
from runner.execution.pacer import Kind as AlikeKind
from runner.execution.pacer import Pacer, action_kind
from runner.execution.pipeline import Pipeline, Sent
from runner.execution.results import NOT_STARTED, ApplyResult, Outcome, Result
from runner.panel.client import PanelClient, ParamValue
from runner.panel.identity import request_id
from runner.plans.plan import Action, Kind, Plan
from runner.state import (
    Evidence,
    StateError,
    StateStore,
    Transaction,
    now_iso,
)
from runner.state.groupcommit import GroupWriter, Receipt


def wire_params(action: Action) -> dict[str, ParamValue]:
    """The ``add`` parameters of a create."""
    return ordertypes.wire_params(action.fields, action.service_type)


class Executor:
    def __init__(
        self,
        store: StateStore,
        clients: Mapping[str, PanelClient],
        *,
        parallelism: int = 8,
        on_outcome: Callable[[Outcome], None] = lambda o: None,
        on_notice: Callable[[str], None] = lambda text: None,
        stop: threading.Event | None = None,
        settle: Mapping[str, float] | None = None,
        bound_after: Mapping[str, _dt.datetime] | None = None,
        identical_in_flight: Mapping[str, int] | None = None,
        lost_alikes: Mapping[AlikeKind, Iterable[_dt.datetime]] | None = None,
        lost_below: Mapping[AlikeKind, int] | None = None,
        claims: Claims | None = None,
    ) -> None:
        self.store = store
        self.clients = clients
        self.parallelism = max(1, parallelism)
        self.on_outcome = on_outcome
        self.on_notice = on_notice
        self.stop = stop or threading.Event()
        self.apply_id = uuid.uuid4().hex
        # Recorded ``submitting`` and not yet handed to a sender: surely never sent.
        self.queued: set[str] = set()
        # Handed to a sender: the request may be on its way.
        self.in_flight: set[str] = set()
        self._lock = threading.Lock()
        self._writer: GroupWriter | None = None
        self.store_seconds = 0.0
        # Per panel, the highest own order id known so far: the lower bound of the id of
        # any order a request sent from now on creates (evidence for reconciliation).
        self.known_ids = dict(store.highest_order_ids())
        # Pacing for evidence (runner.execution.pacer): each panel's settle time, and the moment
        # after which a send bounds the panel's earlier lost answers.
        # A lost answer is bounded by sends after it settled, on clocks that may disagree
        # by the store's margin: the pacer waits for both.
        self.settle = {p: s + store.clock_margin for p, s in (settle or {}).items()}
        self.bound_after = dict(bound_after or {})
        self.held_seconds = 0.0
        # Look-alikes (runner.execution.pacer): how many of a kind may be out at once per
        # panel, and the lost answers of earlier applies they must not overlap.
        self.identical_in_flight = dict(identical_in_flight or {})
        self.lost_alikes = dict(lost_alikes or {})
        # Per kind, the lowest lower bound of its lost look-alikes not yet surveyed (where
        # the survey before the next look-alike starts), and each send's lower bound.
        self.lost_below = dict(lost_below or {})
        self._below: dict[str, int | None] = {}
        # The addresses that own each order id: an id answered twice is a contradiction.
        self.claims = claims or Claims()

    def _record(self, write: Callable[[Transaction], None]) -> None:
        """Committed, durably, before this returns."""
        self._running().write(write)

    def _record_later(self, write: Callable[[Transaction], None]) -> Receipt:
        """Queued for the next group commit, without an fsync: only for writes whose loss
        is safe, like an outcome after ``submitting`` (lost, it reads as in doubt)."""
        return self._running().write(write, durable=False, wait=False)

    def _stamp(self) -> str:
        """Now, on the store's clock (one clock for every runner of a shared state)."""
        return now_iso(self.store.clock_offset)

    def _running(self) -> GroupWriter:
        if self._writer is None:
            raise StateError("the executor is not running")
        return self._writer

    def abandon_in_flight(self, reason: str) -> tuple[int, int]:
        """Stopping now.  What a sender took may have reached the panel: in doubt.  What
        no sender took yet was surely never sent: withdrawn, as the first Ctrl-C does (a
        sender finding its order withdrawn sends nothing).  The outcomes already queued
        stay as they are.  Returns (withdrawn, in doubt)."""
        with self._lock:
            unsent = sorted(self.queued)
            self.queued.clear()
            sending = sorted(self.in_flight)

        def write(tx: Transaction) -> None:
            for address in unsent:
                tx.withdraw(address, NOT_STARTED)
            for address in sending:
                tx.abandon_submitting(reason, address)

        try:
            self._record(write)
        except StateError:  # the writer is closed or failed: write directly
            with self.store.transaction() as tx:
                write(tx)
        return len(unsent), len(sending)

    def run(self, plan: Plan) -> ApplyResult:
        self._writer = writer = GroupWriter(self.store)
        try:
            return self._run(plan)
        finally:
            writer.close()
            self.store_seconds = writer.busy_seconds

    def _run(self, plan: Plan) -> ApplyResult:
        report = ApplyResult()

        def done(outcome: Outcome) -> None:
            report.outcomes.append(outcome)
            self.on_outcome(outcome)

        creates = plan.of_kind(Kind.CREATE)
        if creates:
            self._creates(creates, done)
        for kind, batch in ((Kind.REFILL, self.refills), (Kind.CANCEL, self.cancels)):
            actions = plan.of_kind(kind)
            if not actions:
                continue
            if self.stop.is_set():
                for action in actions:
                    done(Outcome(action.address, Result.SKIPPED, NOT_STARTED))
                continue
            for outcome in batch(actions):
                done(outcome)
        report.interrupted = self.stop.is_set()
        return report

    # --- creates ------------------------------------------------------------------

    def _creates(self, creates: list[Action], done: Callable[[Outcome], None]) -> None:
        """A pipeline: one thread records ``submitting`` (durably) a few orders ahead of
        the senders, so no sender waits for the disk between two requests; ``parallelism``
        senders place the orders.  Every action ends in exactly one outcome or error."""
        pacer = Pacer(
            creates,
            lambda panel: panel in self.known_ids,
            self.settle,
            self.bound_after,
            self.stop,
            self.on_notice,
            identical_in_flight=self.identical_in_flight,
            lost_alikes=self.lost_alikes,
        )
        senders = min(self.parallelism, len(creates))
        pipeline = Pipeline(pacer, senders, self.stop, self._begin, self._send, self._survey)
        try:
            pipeline.run(len(creates), done)
        finally:
            self.held_seconds = pipeline.held_seconds

    def _survey(self, action: Action) -> dict[str, Any]:
        """The survey before ``action``, a look-alike of lost ones (``surveys``): as a
        mark for its record; empty when there is no lower bound to start from."""
        kind = action_kind(action)
        with self._lock:
            after = self.lost_below.get(kind)
            known = self.known_ids.get(action.panel)
        if after is None:
            return {}
        taken = surveys.take(self.clients[action.panel], after, known, self._stamp)
        if taken:
            with self._lock:
                if self.lost_below.get(kind) == after:
                    del self.lost_below[kind]
        return taken

    def _lost(self, action: Action) -> None:
        """``action``'s answer was lost: the next look-alike's survey starts below it."""
        with self._lock:
            below = self._below.get(action.address)
            if below is not None:
                kind = action_kind(action)
                self.lost_below[kind] = min(below, self.lost_below.get(kind, below))

    def _begin(self, action: Action, marks: Mapping[str, Any]) -> bool:
        """Record ``submitting`` and commit: from here on the order may be placed.  The
        order joins ``queued`` as its record is queued, under the lock, so a second Ctrl-C
        at any moment withdraws it (its withdrawal is written after it); False, with
        nothing recorded, once stopping.  ``marks``: what the pacer keeps of the send
        order (the look-alike this one was sent after)."""
        fingerprint = action.fingerprint
        assert action.service is not None and fingerprint is not None
        with self._lock:
            known_below = self.known_ids.get(action.panel)
            self._below[action.address] = known_below

        def write(tx: Transaction) -> None:
            tx.begin_submit(
                action.address,
                action.campaign,
                action.panel,
                fingerprint,
                {
                    **(action.spec or {}),
                    "units": action.units,
                    "service_type": action.service_type,
                    **self.clients[action.panel].marks(action.address, fingerprint),
                    **marks,
                },
                action.cost,
                self.apply_id,
                known_below,
            )

        with self._lock:
            if self.stop.is_set():
                return False
            receipt = self._running().write(write, wait=False)
            self.queued.add(action.address)
        if not receipt.committed():
            with self._lock:
                self.queued.discard(action.address)
            assert receipt.error is not None
            raise receipt.error
        return True

    def _send(self, action: Action) -> Sent:
        """Send ``add`` for an action whose ``submitting`` is committed; record the
        outcome.  Interrupted before sending, the record is withdrawn (here, or by
        ``abandon_in_flight`` if it got there first)."""
        skipped = Outcome(action.address, Result.SKIPPED, NOT_STARTED), None
        with self._lock:
            mine = action.address in self.queued
            stopping = self.stop.is_set()
            if mine and stopping:
                self.queued.discard(action.address)
        if not mine:
            return skipped
        if stopping:
            self._record(lambda tx: tx.withdraw(action.address, NOT_STARTED))
            return skipped
        try:
            return self._add(action)
        finally:
            with self._lock:
                self.queued.discard(action.address)
                self.in_flight.discard(action.address)

    def _on_wire(self, action: Action) -> Callable[[], AbstractContextManager[object]]:
        """Around each attempt of an ``add``, once its turn has come: from here the request
        may reach the panel (in flight); an attempt that surely did not (``NotSent``) puts
        the order back among those not sent.  Stopping, nothing more goes out."""
        address = action.address

        @contextmanager
        def on_wire() -> Iterator[None]:
            with self._lock:
                if self.stop.is_set() or address not in self.queued:
                    raise Halted(action.panel, "stopped before it was sent")
                self.queued.discard(address)
                self.in_flight.add(address)
            try:
                yield
            except NotSent:
                with self._lock:
                    self.in_flight.discard(address)
                    self.queued.add(address)
                raise

        return on_wire

    def halt(self) -> None:
        """Stop every wait for a panel's turn now (Ctrl-C): those orders were never sent."""
        for client in self.clients.values():
            client.halt()

    def _add(self, action: Action) -> Sent:
        assert action.service is not None
        sent_at = self._stamp()
        try:
            assert action.fingerprint is not None
            order_id = self.clients[action.panel].add(
                action.service,
                wire_params(action),
                self._on_wire(action),
                request_id=request_id(action.address, action.fingerprint),
            )
        except Halted:
            # Never on the wire (or only refused before it, 429): surely not placed.
            with self._lock:
                ours = action.address in self.queued
                self.queued.discard(action.address)
            if ours:  # (else a second Ctrl-C withdrew it already)
                self._record(lambda tx: tx.withdraw(action.address, NOT_STARTED))
            return Outcome(action.address, Result.SKIPPED, NOT_STARTED), None
        except PanelRejected as exc:
            reason = exc.reason
            seen = Evidence(sent_at, self._stamp())
            receipt = self._record_later(
                lambda tx: tx.rejected(action.address, reason, False, seen)
            )
            return Outcome(action.address, Result.REJECTED, reason), receipt
        except NotSent as exc:
            reason = exc.detail
            seen = Evidence(sent_at, self._stamp())
            receipt = self._record_later(lambda tx: tx.rejected(action.address, reason, True, seen))
            return Outcome(action.address, Result.NOT_SENT, reason), receipt
        except OutcomeUnknown as exc:
            reason = exc.detail
            seen = Evidence(sent_at, self._stamp())
            self._lost(action)
            receipt = self._record_later(lambda tx: tx.in_doubt(action.address, reason, seen))
            return Outcome(action.address, Result.IN_DOUBT, reason), receipt
        except BaseException as exc:
            # A bug or an interrupt while the request may be out: never guess.
            reason = f"apply stopped while the order was being sent ({type(exc).__name__})"
            seen = Evidence(sent_at, self._stamp())
            self._lost(action)
            self._record(lambda tx: tx.in_doubt(action.address, reason, seen))
            raise
        seen = Evidence(sent_at, self._stamp())
        owner = self.claims.claim(action.panel, order_id, action.address)
        if owner is not None:
            reason = (
                f"the panel answered order {order_id}, which is {owner}'s: the answer "
                "cannot be trusted, the order may or may not exist"
            )
            self._lost(action)
            receipt = self._record_later(lambda tx: tx.in_doubt(action.address, reason, seen))
            return Outcome(action.address, Result.IN_DOUBT, reason), receipt
        with self._lock:
            self.known_ids[action.panel] = max(order_id, self.known_ids.get(action.panel, 0))
        # Lost to a crash or a power cut, this write would leave `submitting`, read as in
        # doubt: safe to queue.  The `submitting` record above is always durable.
        receipt = self._record_later(lambda tx: tx.placed(action.address, order_id, "add", seen))
        placed = Outcome(action.address, Result.PLACED, "", order_id, action.cost, action.currency)
        return placed, receipt

    # --- refills and cancels (runner.execution.batches) ---------------------------------

    def refills(self, actions: list[Action]) -> list[Outcome]:
        return batches.refills(actions, self.clients, self._stamp, self._record)

    def cancels(self, actions: list[Action]) -> list[Outcome]:
        return batches.cancels(actions, self.clients, self._stamp, self._record)
