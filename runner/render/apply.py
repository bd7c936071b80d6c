"""What apply prints: JSON events, one line per outcome, the progress bar, the summary."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from runner.execution.results import ApplyResult, Outcome, Result
from runner.plans.plan import Kind, Plan
from runner.printable import clean
from runner.render.words import money, plural

PROMPT = "Place these orders? Only 'yes' will be accepted:"


def prompt(plan: Plan) -> str:
    """The question before applying: what will be sent, in the plan's words."""
    if plan.count(Kind.CREATE):
        return PROMPT
    return "Send these requests? Only 'yes' will be accepted:"


def event(data: dict[str, Any]) -> str:
    """One JSON event line."""
    return json.dumps(data, default=str)


def start_event(plan: Plan) -> dict[str, Any]:
    return {
        "event": "start",
        "actions": len(plan.of_kind(Kind.CREATE, Kind.REFILL, Kind.CANCEL)),
        "creates": plan.count(Kind.CREATE),
        "refills": plan.count(Kind.REFILL),
        "cancels": plan.count(Kind.CANCEL),
        "cost": str(plan.total_cost),
        "state": {"lineage": plan.lineage, "serial": plan.serial},
    }


def outcome_line(outcome: Outcome) -> str:
    """One line per outcome: the address, what happened, the panel's order id and the
    cost; a failure says why."""
    parts = [outcome.result.words]
    if outcome.order_id:
        parts.append(f"order {outcome.order_id}")
    if outcome.result is Result.PLACED and outcome.cost is not None:
        parts.append(money(outcome.cost, outcome.currency))
    text = f"  {outcome.address}: {', '.join(parts)}"
    if outcome.message:
        text += f": {outcome.message}" if outcome.result.failed else f" ({outcome.message})"
    return clean(text)


def summary_event(report: ApplyResult) -> dict[str, Any]:
    return {
        "event": "summary",
        "ok": report.ok,
        "interrupted": report.interrupted,
        "counts": report.counts(),
        "spent": str(report.spent),
        "spent_by_currency": {k: str(v) for k, v in report.spent_by_currency().items()},
        "timing": {
            "execute_seconds": round(report.execute_seconds, 4),
            "store_seconds": round(report.store_seconds, 4),
        },
        "failed": [o.to_json() for o in report.failed],
    }


_COUNTED = (
    (Result.PLACED, "order", " placed"),
    (Result.REJECTED, "", " rejected"),
    (Result.NOT_SENT, "", " not sent"),
    (Result.IN_DOUBT, "", " in doubt"),
    (Result.REFILL_REQUESTED, "refill", " requested"),
    (Result.REFILL_FAILED, "refill", " refused"),
    (Result.CANCEL_REQUESTED, "cancel", " requested"),
    (Result.CANCEL_FAILED, "cancel", " refused"),
    (Result.SKIPPED, "", " not started"),
)


def summary(report: ApplyResult, currency: str | None = None, moved: int = 0) -> list[str]:
    """The summary line (what happened, counted; what was spent), then one line per
    failed action with what settles it.  ``currency`` is the plan's, when no outcome
    carries one; ``moved``: records the plan renamed (recorded before anything else)."""
    counts = [plural(moved, "record") + " moved"] if moved else []
    counts += [
        (plural(n, noun) if noun else str(n)) + words
        for result, noun, words in _COUNTED
        if (n := report.count(result))
    ]
    spent = money(report.spent, report.currency or currency)
    several = report.spent_by_currency()
    if len(several) > 1:  # panels in several currencies: never one sum of unlike amounts
        spent = " and ".join(money(amount, unit or None) for unit, amount in several.items())
    lines = [
        f"Apply {'interrupted' if report.interrupted else 'complete'}: "
        f"{', '.join(counts) or 'nothing was done'}. Spent {spent}."
    ]
    for outcome in report.failed:
        hint = ""
        if outcome.result is Result.IN_DOUBT:
            hint = (
                f" (resolve: smm state import {outcome.address} ORDER_ID, or "
                f"smm state retry {outcome.address})"
            )
        elif outcome.result in (Result.REJECTED, Result.NOT_SENT):
            hint = " (the next apply tries again)"
        lines.append(clean(f"  {outcome.address}: {outcome.result.words}: {outcome.message}{hint}"))
    return lines


class Progress:
    """A live bar on a terminal: orders done of all, and the money spent; the lines
    printed through it stay above the bar, which goes when it stops."""

    def __init__(self, total: int, console: Any, currency: str | None = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
        from rich.progress import Progress as Bar

        self.spent = Decimal(0)
        self.currency = currency
        self._bar = Bar(
            TextColumn("[bold]Applying"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("spent {task.fields[spent]}"),
            console=console,
            transient=True,
            # Output meant for a pipe or a file must not be drawn on the terminal.
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._bar.add_task("apply", total=total, spent=money(self.spent, currency))

    def start(self) -> None:
        self._bar.start()

    def print(self, line: str) -> None:
        """A line above the bar, kept when the bar goes."""
        self._bar.console.print(line, markup=False, highlight=False, emoji=False)

    def advance(self, outcome: Outcome) -> None:
        if outcome.cost is not None and outcome.result is Result.PLACED:
            self.spent += outcome.cost
            self.currency = self.currency or outcome.currency
        self._bar.update(self._task, advance=1, spent=money(self.spent, self.currency))

    def stop(self) -> None:
        self._bar.stop()
