"""Within one apply: creates a panel definitely refused, placed with the next candidate.

``runner.execution.failover`` decides each move; this records why each order moved (an
event in the state, the move in its recorded spec) and runs the moved creates, round
after round, until none is left to move.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from runner.execution.failover import Failover
from runner.execution.results import ApplyResult, Outcome
from runner.plans.plan import Plan
from runner.state import StateStore

Runner = Callable[[Plan, Mapping[str, str]], ApplyResult]


def fail_over(plan: Plan, report: ApplyResult, store: StateStore, run: Runner) -> ApplyResult:
    """``report`` with each refused create that moved replaced by its new outcome."""
    failover = Failover(plan)
    latest = report.outcomes
    while not report.interrupted:
        moves = failover.moves(latest)
        if not moves:
            break
        with store.transaction() as tx:
            for move in moves:
                tx.event(move.action.address, "failover", move.event())
        notes = {m.action.address: m.note() for m in moves}
        more = run(dataclasses.replace(plan, actions=tuple(m.action for m in moves)), notes)
        latest = more.outcomes
        moved = {o.address for o in latest}
        report.outcomes = [o for o in report.outcomes if o.address not in moved]
        report.outcomes += [noted(o, notes) for o in latest]
        report.interrupted = more.interrupted
    return report


def noted(outcome: Outcome, notes: Mapping[str, str]) -> Outcome:
    """An outcome with why its order moved, if it did."""
    note = notes.get(outcome.address)
    if not note:
        return outcome
    message = f"{outcome.message}; {note}" if outcome.message else note
    return dataclasses.replace(outcome, message=message)
