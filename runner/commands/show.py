"""``smm show PLANFILE``: what a saved plan will do, read offline."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands.options import examples, format_option
from runner.commands.output import Markup, emit


@click.command(
    epilog=examples(
        "smm plan -o plan.json && smm show plan.json",
        "smm show plan.json --format json",
    )
)
@click.argument("planfile", type=click.Path(path_type=Path, dir_okay=False), metavar="PLANFILE")
@format_option
def show(planfile: Path, output: str) -> None:
    """Show what the saved PLANFILE will do when applied, without a panel or the state.

    The file's checksum is verified: an edited plan is refused, as apply refuses it."""
    from runner.render import plan as render
    from runner.workflows.planning import load_saved

    saved = load_saved(planfile)
    emit(
        output,
        text=lambda: Markup(
            render.saved_header(saved, str(planfile)) + "\n\n" + render.text(saved)
        ),
        json=lambda: render.json_chunks(saved),
        markdown=lambda: render.markdown(saved),
    )
