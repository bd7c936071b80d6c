"""What apply prints: JSON events, one line per outcome, the progress bar, the summary."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from runner.money import format_amount
from runner.outcome import Outcome, Report, Result
from runner.plan import Kind, Plan
from runner.printable import clean

PROMPT = "Place these orders? Only 'yes' will be accepted:"


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
    detail = f" order {outcome.order_id}" if outcome.order_id else ""
    message = f": {outcome.message}" if outcome.message else ""
    return clean(f"  {outcome.address}: {outcome.result.words}{detail}{message}")


def summary_event(report: Report) -> dict[str, Any]:
    return {
        "event": "summary",
        "ok": report.ok,
        "interrupted": report.interrupted,
        "counts": report.counts(),
        "spent": str(report.spent),
        "timing": {
            "execute_seconds": round(report.execute_seconds, 4),
            "store_seconds": round(report.store_seconds, 4),
        },
        "failed": [o.to_json() for o in report.failed],
    }


def summary(report: Report) -> list[str]:
    """The summary line, then one line per failed action with what settles it."""
    count = report.count
    currency = f" {clean(report.currency)}" if report.currency else ""
    skipped = count(Result.SKIPPED)
    lines = [
        f"Apply {'interrupted' if report.interrupted else 'complete'}: "
        f"{count(Result.PLACED)} placed, "
        f"{count(Result.REJECTED) + count(Result.NOT_SENT)} rejected, "
        f"{count(Result.IN_DOUBT)} in doubt, {count(Result.REFILL_REQUESTED)} refills, "
        f"{count(Result.CANCEL_REQUESTED)} cancels"
        + (f", {skipped} not started" if skipped else "")
        + f". Spent {format_amount(report.spent)}{currency}."
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
    """A live bar on a terminal's stderr: orders done of all, and the money spent."""

    def __init__(self, total: int, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
        from rich.progress import Progress as Bar

        self.spent = Decimal(0)
        self._bar = Bar(
            TextColumn("[bold]Applying"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("spent {task.fields[spent]}"),
            console=console,
            transient=True,
        )
        self._task = self._bar.add_task("apply", total=total, spent="0.00")

    def start(self) -> None:
        self._bar.start()

    def advance(self, outcome: Outcome) -> None:
        if outcome.cost is not None and outcome.result is Result.PLACED:
            self.spent += outcome.cost
        self._bar.update(self._task, advance=1, spent=format_amount(self.spent))

    def stop(self) -> None:
        self._bar.stop()
