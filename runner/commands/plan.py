"""``smm plan``: what would be ordered, what it costs, and whether it is allowed."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands.options import (
    examples,
    format_option,
    out_file_option,
    pass_context,
    paths_argument,
)
from runner.commands.output import Markup, emit, err, out
from runner.commands.scope import reconcile_option, target_options
from runner.workflows.context import Context


@click.command(
    epilog=examples(
        "smm plan                          # every campaign under campaigns/",
        "smm plan campaigns/demo.yaml -o plan.json   # save it; then: smm apply plan.json",
    )
)
@paths_argument
@out_file_option("Save the plan (JSON) as FILE, for `smm show FILE` and `smm apply FILE`.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when the plan is valid and has changes or catalog drift.",
)
@click.option("--no-refresh", is_flag=True, help="Use recorded statuses; ask panels less.")
@click.option("--refresh-services", is_flag=True, help="Ignore the services cache.")
@click.option(
    "--expand",
    is_flag=True,
    help="Show every order as checked: defaults applied, for_each filled, where it was written.",
)
@reconcile_option
@target_options
@format_option
@pass_context
def plan(
    ctx: Context,
    paths: tuple[Path, ...],
    out_file: Path | None,
    detailed_exitcode: bool,
    no_refresh: bool,
    refresh_services: bool,
    expand: bool,
    no_reconcile: bool,
    targets: tuple[str, ...],
    allow_over_limits: bool,
    output: str,
) -> int:
    """Show what would be ordered, what it costs, and whether it is allowed. Read-only."""
    from runner.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK
    from runner.plans.plan import Kind
    from runner.render import plan as render
    from runner.workflows import planning

    note = planning.without_project(ctx, paths)
    if note is not None:
        err(note)
    result = planning.plan(
        ctx,
        paths,
        refresh=not no_refresh,
        refresh_services=refresh_services,
        to_save=out_file is not None,
        reconcile=not no_reconcile,
        targets=targets,
        allow_over_limits=allow_over_limits,
        expand=expand,
    )
    emit(
        output,
        text=lambda: Markup(render.text(result, expand=expand, verbose=ctx.verbose > 0)),
        json=lambda: render.json_chunks(result),
        markdown=lambda: render.markdown(result),
    )
    if result.errors:
        return EXIT_ERROR
    if result.count(Kind.IN_DOUBT):
        # A pipeline must not pass over an order that may or may not exist.
        for line in render.in_doubt_lines(result):
            err(line)
        return EXIT_ERROR
    if out_file is not None:
        planning.save(result, out_file)
        if output == "text":
            out(f"Saved the plan to {out_file}; apply exactly it with: smm apply {out_file}")
    if detailed_exitcode and (result.has_changes or result.drift):
        return EXIT_CHANGES
    return EXIT_OK
