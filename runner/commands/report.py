"""``smm report``: one self-contained HTML page of the campaigns: spend against budget,
delivery over time, counts, balances and what needs a person."""

from __future__ import annotations

from pathlib import Path

import click

from runner.commands.options import (
    examples,
    format_option,
    lock_timeout_option,
    out_file_option,
    pass_context,
    paths_argument,
)
from runner.commands.output import emit, err
from runner.workflows.context import Context


@click.command(
    epilog=examples(
        "smm report                       # report.html, from the state as it is",
        "smm report --refresh -o spend.html --format markdown   # for a CI job summary",
    )
)
@paths_argument
@out_file_option("Where to write the page.", default="report.html")
@click.option("--refresh", "do_refresh", is_flag=True, help="Ask the panels first.")
@lock_timeout_option
@format_option
@pass_context
def report(
    ctx: Context,
    paths: tuple[Path, ...],
    out_file: Path,
    do_refresh: bool,
    lock_timeout: float,
    output: str,
) -> int:
    """Write one self-contained HTML page (it opens offline): spend against budget,
    delivery over time, counts, balances and what needs a person.

    Prints where it was written; with --format markdown, the spend table and what needs
    a person (for a CI job summary); with --format json, the report's values.  With
    --refresh, exits 1 when a panel could not be asked (the page is written all the same,
    and says so)."""
    from runner.errors import EXIT_ERROR, EXIT_OK
    from runner.render import report as render
    from runner.render.state import not_refreshed_lines
    from runner.workflows.report import write

    written = write(ctx, paths, out_file, refresh=do_refresh, lock_timeout=lock_timeout)
    where = str(written.path)
    emit(
        output,
        text=lambda: render.text(
            written.report, where, written.size, written.path.resolve().as_uri()
        ),
        json=lambda: render.as_json(written.report, where, written.size),
        markdown=lambda: render.markdown(written.report, where),
    )
    for line in not_refreshed_lines(written.not_refreshed):
        err(line)
    return EXIT_ERROR if written.not_refreshed else EXIT_OK
