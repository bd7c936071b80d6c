"""The terminal face of ``smm apply``: the plan, the prompt, a live bar on a terminal (a
line per outcome elsewhere), or one JSON event per line."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from runner.commands.output import confirmer, out, show
from runner.printable import clean, md

if TYPE_CHECKING:
    from runner.execution.results import Outcome
    from runner.plans.plan import Plan
    from runner.render.apply import Progress


class TerminalView:
    """Apply as a person sees it: the plan, the prompt, a live bar on a terminal (a line
    per outcome elsewhere), or one JSON event per line."""

    def __init__(self, output: str, auto_approve: bool) -> None:
        self.as_json = output == "json"
        self.markdown = output == "markdown"  # the plan and outcomes for a CI job summary
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
        if self.markdown:
            out(render.markdown(plan))
            return
        show(render.text(plan))
        if not plan.errors and not plan.has_changes:
            out("No changes. Nothing to apply.")

    def reconciled(self, lines: Sequence[str]) -> None:
        if self.as_json:
            self.emit({"event": "reconciled", "lines": list(lines)})
        elif self.markdown:
            for line in lines:
                out(f"- reconcile: {md(line)}")
        else:
            for line in lines:
                out(f"  reconcile: {clean(line)}")

    def confirm(self, plan: Plan) -> None:
        from runner.render.apply import prompt

        ask = confirmer(
            self.auto_approve,
            " to apply this plan without asking, or save it (smm plan -o plan.json) and "
            "apply exactly it (smm apply plan.json)",
            declined="apply cancelled: nothing was ordered",
        )
        if not self.auto_approve and sys.stdin.isatty():
            out("")
        ask(prompt(plan))

    def started(self, plan: Plan) -> None:
        from runner.plans.plan import Kind
        from runner.render.apply import Progress, start_event
        from runner.render.console import console
        from runner.render.plan import currency

        if self.as_json:
            self.emit(start_event(plan))
            return
        if self.markdown:
            out("")
            return
        out("")
        if sys.stderr.isatty():
            total = len(plan.of_kind(Kind.CREATE, Kind.REFILL, Kind.CANCEL))
            self.progress = Progress(total, console(stderr=True), currency(plan))
            self.progress.start()

    def outcome(self, outcome: Outcome) -> None:
        """Each outcome on a line of its own (above the bar on a terminal), once recorded."""
        from runner.render.apply import outcome_line

        if self.as_json:
            self.emit(outcome.to_json())
            return
        line = outcome_line(outcome)
        if self.markdown:
            out(f"- {md(line.strip())}")
            return
        if self.progress is None:
            out(line)
            return
        self.progress.advance(outcome)
        if sys.stdout.isatty():  # the same screen: above the bar
            self.progress.print(line)
        else:
            out(line)

    def notice(self, text: str) -> None:
        if self.as_json:
            return
        if self.progress is not None:
            self.progress.print(text)
        else:
            print(text, file=sys.stderr, flush=True)

    def stopped(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
