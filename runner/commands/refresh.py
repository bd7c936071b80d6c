"""``smm refresh``: record every unfinished order's and open refill's current status."""

from __future__ import annotations

import json
from pathlib import Path

import click

from runner.commands.options import (
    examples,
    format_option,
    lock_timeout_option,
    pass_context,
    paths_argument,
)
from runner.commands.output import emit, err
from runner.workflows.context import Context


@click.command(
    epilog=examples(
        "smm refresh",
        "smm refresh campaigns/demo.yaml --json",
    )
)
@paths_argument
@format_option
@lock_timeout_option
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when something needs a person: an order in doubt, Partial or Canceled "
    "with no top-up to come, a refill rejected, Pending past stuck_after.",
)
@pass_context
def refresh(
    ctx: Context,
    paths: tuple[Path, ...],
    output: str,
    lock_timeout: float,
    detailed_exitcode: bool,
) -> int:
    """Record the current status of every unfinished order and open refill, and notify
    the receivers of notify: in smm.yaml.

    Exits 1 when a panel could not be asked (what it could not learn is on stderr)."""
    from runner.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK
    from runner.printable import clean
    from runner.render.state import error_lines, refreshed_text
    from runner.workflows.refreshing import refresh as run

    result = run(ctx, paths, lock_timeout, attention=detailed_exitcode)
    for line in error_lines(result.panel_errors):
        err(line)
    emit(output, text=lambda: refreshed_text(result), json=lambda: json.dumps(result.to_json()))
    for warning in result.warnings:
        err(f"warning: {clean(warning)}")
    if result.panel_errors:
        return EXIT_ERROR
    return EXIT_CHANGES if result.attention else EXIT_OK
