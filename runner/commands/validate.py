"""``smm validate``: schema and semantic checks of campaign files, offline."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands.options import format_option, out, pass_context, paths_argument
from runner.workflows.context import Context


@click.command()
@paths_argument
@format_option(("text", "json"))
@pass_context
def validate(ctx: Context, paths: tuple[Path, ...], output: str) -> int:
    """Check campaign files (default: campaigns/) offline; errors as file:line:col.

    Panel names are checked against smm.yaml; nothing is asked of a panel."""
    from runner.errors import EXIT_ERROR, EXIT_OK
    from runner.render import validation as render
    from runner.workflows import campaigns

    loaded = campaigns.check(ctx, paths)
    if output == "json":
        out(render.problems_json(loaded))
    else:
        for line in render.problems_text(loaded):
            out(line)
    return EXIT_ERROR if loaded.problems else EXIT_OK
