"""``smm status``: per order, where delivery stands; per campaign, spend against budget."""

from __future__ import annotations

import time
from pathlib import Path

import click

from runner.commands.options import (
    format_option,
    lock_timeout_option,
    out,
    pass_context,
    paths_argument,
    show,
)
from runner.workflows.context import Context


@click.command()
@paths_argument
@click.option("--refresh", "do_refresh", is_flag=True, help="Ask the panels first.")
@click.option(
    "--watch", is_flag=True, help="Refresh and redraw until every order is finished (Ctrl-C stops)."
)
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds between refreshes with --watch.",
)
@lock_timeout_option(default=10.0, what="a running apply when refreshing")
@format_option()
@pass_context
def status(
    ctx: Context,
    paths: tuple[Path, ...],
    do_refresh: bool,
    watch: bool,
    interval: float,
    lock_timeout: float,
    output: str,
) -> int:
    """Per order: status, delivered/ordered, charge, refills; per campaign: spend vs budget."""
    from runner.errors import EXIT_OK
    from runner.render import status as render
    from runner.workflows.status import overview

    view = overview(ctx, paths, refresh=do_refresh or watch, lock_timeout=lock_timeout)
    if watch and output == "text":
        from rich.live import Live

        from runner.console import console

        with Live(render.tables(view), console=console(), auto_refresh=False) as live:
            while not view.finished:
                time.sleep(interval)
                view = overview(ctx, paths, refresh=True, lock_timeout=lock_timeout)
                live.update(render.tables(view), refresh=True)
        return EXIT_OK
    if output == "json":
        out(render.as_json(view))
    elif output == "markdown":
        out(render.markdown(view))
    else:
        show(render.tables(view))
    return EXIT_OK
