"""``smm status``: per order, where delivery stands; per campaign, spend against budget."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from runner.commands.options import (
    examples,
    format_option,
    lock_timeout_option,
    pass_context,
    paths_argument,
)
from runner.commands.output import emit, err, out, show
from runner.workflows.context import Context

if TYPE_CHECKING:
    from runner.delivery.rows import Overview


@click.command(
    epilog=examples(
        "smm status --refresh                 # ask the panels first",
        "smm status --watch campaigns/demo.yaml   # until every order is finished",
    )
)
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
@lock_timeout_option
@format_option
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
    """Per order: status, delivered/ordered, charge, refills; per campaign: spend vs budget.

    With --refresh or --watch, exits 1 when a panel could not be asked (its orders are
    shown as last recorded, and the error says why)."""
    from runner.render import status as render
    from runner.workflows.status import overview

    view = overview(ctx, paths, refresh=do_refresh or watch, lock_timeout=lock_timeout)
    if watch and output == "text" and not view.not_refreshed:
        return follow(ctx, paths, view, interval, lock_timeout)
    emit(
        output,
        text=lambda: render.tables(view),
        json=lambda: render.json_chunks(view),
        markdown=lambda: render.markdown(view),
    )
    return _outcome(view)


def _outcome(view: Overview) -> int:
    """Exit 1, and say why, when a refresh could not ask a panel."""
    from runner.errors import EXIT_ERROR, EXIT_OK
    from runner.render.state import not_refreshed_lines

    for line in not_refreshed_lines(view.not_refreshed):
        err(line)
    return EXIT_ERROR if view.not_refreshed else EXIT_OK


def _stop_watching(signum: int, frame: FrameType | None) -> None:
    """The first Ctrl-C stops watching; the way out then runs whole, whatever is typed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def follow(
    ctx: Context, paths: tuple[Path, ...], view: Overview, interval: float, lock_timeout: float
) -> int:
    """Redraw the tables after each refresh until nothing will change by waiting; say how
    it ended.  Ctrl-C stops watching, and is no error: nothing was being changed."""
    from rich.live import Live

    from runner.errors import EXIT_OK
    from runner.render import status as render
    from runner.render.console import console
    from runner.workflows.status import watch

    screen = console()
    latest = view
    live = Live(render.tables(view), console=screen, auto_refresh=False, redirect_stdout=False)
    main = threading.current_thread() is threading.main_thread()  # where signals go
    previous = signal.signal(signal.SIGINT, _stop_watching) if main else None
    try:
        if screen.is_terminal:
            live.start(refresh=True)
        for latest in watch(ctx, paths, view, interval=interval, lock_timeout=lock_timeout):
            live.update(render.tables(latest), refresh=screen.is_terminal)
    except KeyboardInterrupt:
        pass
    finally:
        live.stop()  # ends the display's last line, even when Ctrl-C came as it started
        if main:
            signal.signal(signal.SIGINT, previous)
    if not screen.is_terminal:  # a file or a pipe: the last tables only
        show(render.tables(latest))
    if latest.not_refreshed:
        return _outcome(latest)
    out("")
    out(render.final_line(latest))
    return EXIT_OK
