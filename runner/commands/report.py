"""``smm report``: one self-contained HTML page of the campaigns: spend against budget,
delivery over time, counts, balances and what needs a person."""

from __future__ import annotations

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
@click.option(
    "-o",
    "--output",
    "target",
    type=click.Path(path_type=Path, dir_okay=False),
    default="report.html",
    show_default=True,
    help="Where to write the page.",
)
@click.option("--refresh", "do_refresh", is_flag=True, help="Ask the panels first.")
@lock_timeout_option(default=10.0, what="a running apply when refreshing")
@format_option()
@pass_context
def report(
    ctx: Context,
    paths: tuple[Path, ...],
    target: Path,
    do_refresh: bool,
    lock_timeout: float,
    output: str,
) -> int:
    """Write one self-contained HTML page (it opens offline): spend against budget,
    delivery over time, counts, balances and what needs a person.

    Prints where it was written; with --format markdown, the spend table and what needs
    a person (for a CI job summary); with --format json, the report's values."""
    from runner.errors import EXIT_OK
    from runner.render import report as render
    from runner.workflows.report import write

    written = write(ctx, paths, target, refresh=do_refresh, lock_timeout=lock_timeout)
    where = str(written.path)
    if output == "json":
        out(render.as_json(written.report, where, written.size))
    elif output == "markdown":
        out(render.markdown(written.report, where))
    else:
        url = written.path.resolve().as_uri()
        out(render.text(written.report, where, written.size, url))
    return EXIT_OK
