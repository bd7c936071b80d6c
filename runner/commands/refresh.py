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
@pass_context
def refresh(ctx: Context, paths: tuple[Path, ...], output: str, lock_timeout: float) -> int:
    """Record the current status of every unfinished order and open refill.

    Exits 1 when a panel could not be asked (what it could not learn is on stderr)."""
    from runner.errors import EXIT_ERROR, EXIT_OK
    from runner.render.state import error_lines, refreshed_text
    from runner.workflows.refreshing import refresh as run

    result = run(ctx, paths, lock_timeout)
    for line in error_lines(result.panel_errors):
        err(line)
    emit(output, text=lambda: refreshed_text(result), json=lambda: json.dumps(result.to_json()))
    return EXIT_OK if not result.panel_errors else EXIT_ERROR
