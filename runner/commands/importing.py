"""``smm import``: campaign files from what people already have."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands.options import err, out, pass_context
from runner.workflows.context import Context


@click.group(name="import")
def import_() -> None:
    """Make campaign files from other formats."""


@import_.command(name="mass-order")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--campaign", "name", required=True, help="The campaign's name (a slug).")
@click.option("--panel", required=True, help="The panel to order from (a name in smm.yaml).")
@click.option(
    "-o",
    "--out",
    "target",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the campaign file here (never over an existing file); default: print it.",
)
@pass_context
def mass_order(ctx: Context, file: Path, name: str, panel: str, target: Path | None) -> int:
    """A campaign file from a panel's mass-order text: service|link|quantity a line."""
    from runner.errors import EXIT_OK
    from runner.render.words import plural
    from runner.workflows import importing

    made = importing.mass_order(ctx, file, name, panel, target)
    if made.written is None:
        out(made.text.rstrip("\n"))
    else:
        where = made.written
        err(f"Wrote {plural(made.orders, 'order')} to {where}; check it with: smm plan {where}")
    return EXIT_OK
