"""``smm validate``: schema and semantic checks of campaign files, offline."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands.options import examples, format_option, pass_context, paths_argument
from runner.commands.output import emit
from runner.workflows.context import Context


@click.command(epilog=examples("smm validate", "smm validate campaigns/demo.yaml --format json"))
@paths_argument
@format_option
@pass_context
def validate(ctx: Context, paths: tuple[Path, ...], output: str) -> int:
    """Check campaign files offline; every error as file:line:col.

    Panel names are checked against smm.yaml; nothing is asked of a panel."""
    from runner.errors import EXIT_ERROR, EXIT_OK
    from runner.render import validation as render
    from runner.workflows import campaigns

    loaded = campaigns.check(ctx, paths)
    emit(
        output, text=lambda: render.problems_text(loaded), json=lambda: render.problems_json(loaded)
    )
    return EXIT_ERROR if loaded.problems else EXIT_OK
