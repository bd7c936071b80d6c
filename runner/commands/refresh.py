"""``smm refresh``: record every unfinished order's and open refill's current status."""

from __future__ import annotations

import json
from pathlib import Path

import click

from runner.commands.options import (
    format_option,
    lock_timeout_option,
    out,
    pass_context,
    paths_argument,
)
from runner.workflows.context import Context


@click.command()
@paths_argument
@format_option(("text", "json"))
@lock_timeout_option()
@pass_context
def refresh(ctx: Context, paths: tuple[Path, ...], output: str, lock_timeout: float) -> int:
    """Record the current status of every unfinished order and open refill."""
    from runner.errors import EXIT_ERROR, EXIT_OK
    from runner.render.state import refreshed_text
    from runner.workflows.refreshing import refresh as run

    result = run(ctx, paths, lock_timeout)
    if output == "json":
        out(json.dumps(result.to_json()))
    else:
        for line in refreshed_text(result):
            out(line)
    return EXIT_OK if not result.panel_errors else EXIT_ERROR
