"""``smm apply``: plan (or a saved plan), confirm, execute, and show each outcome."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from runner.commands.options import (
    err,
    format_option,
    lock_timeout_option,
    out,
    pass_context,
    paths_argument,
    show,
)
from runner.printable import clean
from runner.workflows.context import Context

if TYPE_CHECKING:
    from runner.outcome import Outcome
    from runner.plan import Plan
    from runner.render.apply import Progress


class TerminalView:
    """Apply as a person sees it: the plan, the prompt, a live bar on a terminal (a line
    per outcome elsewhere), or one JSON event per line."""

    def __init__(self, output: str, auto_approve: bool) -> None:
        self.as_json = output == "json"
        self.auto_approve = auto_approve
        self.progress: Progress | None = None

    def emit(self, data: dict[str, object]) -> None:
        from runner.render.apply import event

        out(event(data))

    def show_plan(self, plan: Plan) -> None:
        from runner.render import plan as render

        if self.as_json:
            if plan.errors:
                self.emit({"event": "error", "errors": [c.to_json() for c in plan.errors]})
            elif not plan.has_changes:
                self.emit({"event": "summary", "changes": 0, "ok": True})
            return
        show(render.text(plan))
        if not plan.errors and not plan.has_changes:
            out("No changes. Nothing to apply.")

    def reconciled(self, lines: Sequence[str]) -> None:
        if self.as_json:
            self.emit({"event": "reconciled", "lines": list(lines)})
        else:
            for line in lines:
                out(f"  reconcile: {clean(line)}")

    def confirm(self, plan: Plan) -> None:
        from runner.errors import Declined
        from runner.render.apply import PROMPT

        if self.auto_approve:
            return
        if not sys.stdin.isatty():
            raise Declined("no terminal to confirm on: pass --auto-approve to apply without asking")
        answer = click.prompt(PROMPT, default="", show_default=False, prompt_suffix=" ")
        if answer.strip() != "yes":
            raise Declined("apply cancelled: nothing was ordered")

    def started(self, plan: Plan) -> None:
        from runner.console import console
        from runner.plan import Kind
        from runner.render.apply import Progress, start_event

        if self.as_json:
            self.emit(start_event(plan))
        elif sys.stderr.isatty():
            total = len(plan.of_kind(Kind.CREATE, Kind.REFILL, Kind.CANCEL))
            self.progress = Progress(total, console(stderr=True))
            self.progress.start()

    def outcome(self, outcome: Outcome) -> None:
        from runner.render.apply import outcome_line

        if self.as_json:
            self.emit(outcome.to_json())
        elif self.progress is not None:
            self.progress.advance(outcome)
        else:
            out(outcome_line(outcome))

    def notice(self, text: str) -> None:
        if not self.as_json:
            print(text, file=sys.stderr, flush=True)

    def stopped(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


@click.command()
@paths_argument
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--parallelism",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Orders placed at once (each panel's rate_limit still applies).",
)
@lock_timeout_option(what="another apply to finish")
@format_option(("text", "json"))
@pass_context
def apply(
    ctx: Context,
    paths: tuple[Path, ...],
    auto_approve: bool,
    parallelism: int,
    lock_timeout: float,
    output: str,
) -> int:
    """Place the planned orders, each at most once (PATHS, or a saved PLANFILE)."""
    from runner.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK
    from runner.outcome import Result
    from runner.plan import Kind
    from runner.render import apply as render
    from runner.render import plan as plan_render
    from runner.workflows.applying import apply as run

    view = TerminalView(output, auto_approve)
    applied = run(ctx, paths, view, parallelism=parallelism, lock_timeout=lock_timeout)
    report = applied.report
    doubts = applied.plan.count(Kind.IN_DOUBT)
    if doubts:
        for line in plan_render.in_doubt_lines(applied.plan):
            err(line)
    if report is None:
        return EXIT_ERROR if applied.plan.errors or doubts else EXIT_OK
    if view.as_json:
        view.emit(render.summary_event(report))
    else:
        out("")
        for line in render.summary(report):
            out(line)
    if report.interrupted:
        stopped = report.failed or report.count(Result.SKIPPED)
        return EXIT_INTERRUPTED if stopped else EXIT_ERROR
    return EXIT_OK if report.ok and not doubts else EXIT_ERROR
