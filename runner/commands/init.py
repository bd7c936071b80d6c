"""``smm init``: start a project on the simulated panel, with a first campaign."""

from __future__ import annotations

import os
from pathlib import Path

import click

from runner.commands.options import examples
from runner.commands.output import out


@click.command(
    epilog=examples(
        "smm init                 # here: smm.yaml and campaigns/first.yaml",
        "smm init my-campaigns && cd my-campaigns && smm plan",
    )
)
@click.argument(
    "folder", default=".", type=click.Path(path_type=Path, file_okay=False), metavar="[FOLDER]"
)
def init(folder: Path) -> None:
    """Make FOLDER (default: here) a project: smm.yaml with the simulated panel `demo`,
    and a first campaign in campaigns/.  Nothing that exists is overwritten."""
    from runner.workflows.init import init as start

    started = start(folder)
    for path in started.written:
        out(f"Wrote {os.path.relpath(path)}")
    go = "" if started.folder == Path.cwd().resolve() else f"cd {os.path.relpath(folder)}, "
    out("")
    out(f"Next: {go}smm plan (what it would order), then smm apply (place it: type yes).")
    out("The panel is simulated: no account, no money. Add a real one to smm.yaml when ready.")
