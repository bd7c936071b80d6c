"""What several commands share: options, the context, output, and the confirmation
prompt."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from runner.workflows.context import Context

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("text", "json", "markdown")


# The ``smm`` group puts the run's Context in click's ``ctx.obj``; commands take it first.
pass_context = click.make_pass_decorator(Context)


def format_option(formats: Sequence[str] = FORMATS) -> Callable[[F], F]:
    """``--format`` and its short form ``--json``; the command gets ``output``."""

    def decorate(func: F) -> F:
        def wrapper(*args: Any, fmt: str, as_json: bool, **kwargs: Any) -> Any:
            return func(*args, output="json" if as_json else fmt, **kwargs)

        wrapped: Any = functools.update_wrapper(wrapper, func)
        wrapped = click.option("--json", "as_json", is_flag=True, help="Short for --format json.")(
            wrapped
        )
        return click.option(  # type: ignore[no-any-return]
            "--format",
            "fmt",
            type=click.Choice(list(formats)),
            default="text",
            show_default=True,
            help="Output format.",
        )(wrapped)

    return decorate


paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))


def lock_timeout_option(default: float = 0.0, what: str = "a running apply") -> Callable[[F], F]:
    return click.option(
        "--lock-timeout",
        default=default,
        show_default=bool(default),
        type=click.FloatRange(0),
        help=f"Seconds to wait for {what} (default: fail at once)."
        if not default
        else f"Seconds to wait for {what}.",
    )


reconcile_option = click.option(
    "--no-reconcile",
    is_flag=True,
    help="Do not look for lost orders on the panel first (smm reconcile does).",
)


def target_options(function: Any) -> Any:
    """``--target`` (repeatable) and ``--allow-over-limits``, shared by plan and apply."""
    function = click.option(
        "--allow-over-limits",
        is_flag=True,
        help="Go ahead beyond the safety limits (safety: max_creates, max_spend).",
    )(function)
    return click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="ADDRESS|CAMPAIGN",
        help="Only this order address or campaign (repeatable); a saved plan keeps it.",
    )(function)


yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")


def out(text: str = "") -> None:
    """Plain text to stdout."""
    from runner.render.console import out as write

    write(text)


def out_chunks(chunks: Iterable[str]) -> None:
    """Plain text to stdout, written a piece at a time (long JSON)."""
    from runner.render.console import out_chunks as write

    write(chunks)


def err(text: str) -> None:
    """A line for the person, on stderr (stdout stays the data: JSON, Markdown)."""
    print(text, file=sys.stderr, flush=True)


def show(renderable: Any) -> None:
    """Rich markup or a rich renderable to stdout."""
    from runner.render.console import console

    console().print(renderable)


def confirmer(yes: bool) -> Callable[[str], None]:
    """A confirmation prompt: returns on yes; raises ``Declined`` on no, and when there is
    no terminal to ask on (pass --yes)."""

    def confirm(question: str) -> None:
        from runner.errors import Declined

        if yes:
            return
        if not sys.stdin.isatty():
            raise Declined("no terminal to confirm on: pass --yes")
        if not click.confirm(question, default=False):
            raise Declined("cancelled: the state is unchanged")

    return confirm
