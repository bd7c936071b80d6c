"""``smm apply``: plan (or a saved plan), confirm, execute, and show each outcome."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands.options import (
    auto_approve_option,
    examples,
    format_option,
    lock_timeout_option,
    pass_context,
    plan_or_paths_argument,
)
from runner.commands.output import err, out
from runner.commands.scope import reconcile_option, target_options
from runner.workflows.context import Context

# Each panel's connection pool (runner.panel.http.MAX_CONNECTIONS; a test checks): above
# it, orders would wait for a connection while counted as sent.
MAX_PARALLELISM = 64


@click.command(
    epilog=examples(
        "smm apply                       # plan campaigns/, ask 'yes', place the orders",
        "smm plan -o plan.json && smm apply plan.json   # exactly the plan you reviewed",
    )
)
@plan_or_paths_argument
@auto_approve_option
@click.option(
    "--parallelism",
    default=8,
    show_default=True,
    type=click.IntRange(1, MAX_PARALLELISM),
    help=f"Orders placed at once, at most {MAX_PARALLELISM} (each panel's rate_limit applies).",
)
@lock_timeout_option
@reconcile_option
@target_options
@format_option
@pass_context
def apply(
    ctx: Context,
    paths: tuple[Path, ...],
    auto_approve: bool,
    parallelism: int,
    lock_timeout: float,
    no_reconcile: bool,
    targets: tuple[str, ...],
    allow_over_limits: bool,
    output: str,
) -> int:
    """Place the planned orders, each at most once (PATHS, or a saved PLANFILE)."""
    from runner.commands.applyview import TerminalView
    from runner.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK
    from runner.execution.results import Result
    from runner.plans.plan import Kind
    from runner.printable import clean, md
    from runner.render import apply as render
    from runner.render import plan as plan_render
    from runner.workflows.applying import apply as run
    from runner.workflows.planning import without_project

    note = without_project(ctx, paths)
    if note is not None:
        err(note)
    view = TerminalView(output, auto_approve)
    applied = run(
        ctx,
        paths,
        view,
        parallelism=parallelism,
        lock_timeout=lock_timeout,
        reconcile=not no_reconcile,
        targets=targets,
        allow_over_limits=allow_over_limits,
    )
    report = applied.report
    for warning in applied.warnings:
        err(f"warning: {clean(warning)}")
    doubts = applied.plan.count(Kind.IN_DOUBT)
    if doubts:
        for line in plan_render.in_doubt_lines(applied.plan):
            err(line)
    if report is None:
        return EXIT_ERROR if applied.plan.errors or doubts else EXIT_OK
    if view.as_json:
        moved = [m.to_json() for m in applied.plan.moves]
        view.emit(render.summary_event(report) | {"moved": moved})
    else:
        out("")
        summary = render.summary(
            report, plan_render.currency(applied.plan), len(applied.plan.moves)
        )
        for line in summary:
            out(f"**{md(line)}**" if view.markdown else line)
    if report.interrupted:
        stopped = report.failed or report.count(Result.SKIPPED)
        return EXIT_INTERRUPTED if stopped else EXIT_ERROR
    return EXIT_OK if report.ok and not doubts else EXIT_ERROR
