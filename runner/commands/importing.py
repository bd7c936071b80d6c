"""``smm import``: campaign files from what people already have."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands.options import examples, out_file_option, pass_context
from runner.commands.output import err, out
from runner.workflows.context import Context


@click.group(
    name="import",
    epilog=examples("smm import mass-order mass.txt --campaign spring --panel demo -o c.yaml"),
)
def import_() -> None:
    """Make campaign files from other formats."""


@import_.command(
    name="mass-order",
    epilog=examples(
        "smm import mass-order mass.txt --campaign spring --panel demo",
        "smm import mass-order mass.txt --campaign spring --panel demo -o campaigns/spring.yaml",
    ),
)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--campaign", "name", required=True, help="The campaign's name (a slug).")
@click.option("--panel", required=True, help="The panel to order from (a name in smm.yaml).")
@out_file_option("Write the campaign file here (never over an existing file); default: print it.")
@pass_context
def mass_order(ctx: Context, file: Path, name: str, panel: str, out_file: Path | None) -> int:
    """A campaign file from a panel's mass-order text: service|link|quantity a line."""
    from runner.errors import EXIT_OK
    from runner.render.words import plural
    from runner.workflows import importing

    made = importing.mass_order(ctx, file, name, panel, out_file)
    if made.written is None:
        out(made.text.rstrip("\n"))
    else:
        where = made.written
        err(f"Wrote {plural(made.orders, 'order')} to {where}; check it with: smm plan {where}")
    return EXIT_OK
