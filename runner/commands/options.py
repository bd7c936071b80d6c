"""The options commands share, each defined once, Terraform's spelling where it has one
(old spellings are hidden aliases): ``--auto-approve`` (``-y``, ``--yes``), ``-o``/``--out``
(``--output``), ``--lock-timeout`` (0 everywhere), ``--format text|json|markdown``.
Printing and asking: ``output``; options allowed anywhere on the line: ``anywhere``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from runner.workflows.context import Context

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("text", "json", "markdown")
DEFAULT_PATHS = "campaigns/"


# The ``smm`` group puts the run's Context in click's ``ctx.obj``; commands take it first.
pass_context = click.make_pass_decorator(Context)


def _with_alias(name: str, option: Callable[[F], F], alias: Callable[[F], F]) -> Callable[[F], F]:
    """``option`` (whose value is ``name``) and a hidden ``alias`` of it (a flag whose
    value is ``<name>_alias``): the command gets ``name``, true when either was given."""

    def decorate(func: F) -> F:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = kwargs.pop(f"{name}_alias")
            if given not in (None, False):  # typed: it wins over the option's default
                kwargs[name] = given
            return func(*args, **kwargs)

        wrapped: Any = functools.update_wrapper(wrapper, func)
        return option(alias(wrapped))

    return decorate


def _format_option(default: str) -> Callable[[F], F]:
    """``--format text|json|markdown`` and its short form ``--json``; the command gets
    ``output``, and prints through ``emit``."""

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
            type=click.Choice(list(FORMATS)),
            default=default,
            show_default=True,
            help="Output format.",
        )(wrapped)

    return decorate


format_option = _format_option("text")
# For a command whose output is data to keep (``state export``): JSON unless asked.
data_format_option = _format_option("json")


def paths_argument(func: F) -> F:
    """``[PATHS]...``: campaign files or folders, ``campaigns/`` when none is named."""
    return click.argument(
        "paths",
        nargs=-1,
        type=click.Path(path_type=Path),
        metavar=f"[PATHS (default: {DEFAULT_PATHS})]...",
    )(func)


def plan_or_paths_argument(func: F) -> F:
    """``apply``'s argument: a saved PLANFILE, or campaign PATHS."""
    return click.argument(
        "paths",
        nargs=-1,
        type=click.Path(path_type=Path),
        metavar=f"[PLANFILE | PATHS (default: {DEFAULT_PATHS})...]",
    )(func)


def lock_timeout_option(func: F) -> F:
    """``--lock-timeout``: the same default (0: fail at once) on every command."""
    return click.option(
        "--lock-timeout",
        default=0.0,
        type=click.FloatRange(0),
        metavar="SECONDS",
        help="Seconds to wait for the state lock another smm holds (default 0: fail at once "
        "and name the holder).",
    )(func)


def auto_approve_option(func: F) -> F:
    """``--auto-approve`` (hidden aliases ``-y``, ``--yes``): do not ask."""
    return _with_alias(
        "auto_approve",
        click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation."),
        click.option("-y", "--yes", "auto_approve_alias", is_flag=True, hidden=True),
    )(func)


def out_file_option(what: str, default: str | None = None) -> Callable[[F], F]:
    """``-o``/``--out FILE`` (hidden alias ``--output``); the command gets ``out_file``."""
    return _with_alias(
        "out_file",
        click.option(
            "-o",
            "--out",
            "out_file",
            type=click.Path(path_type=Path, dir_okay=False),
            default=default,
            show_default=default is not None,
            metavar="FILE",
            help=what,
        ),
        click.option(
            "--output",
            "out_file_alias",
            type=click.Path(path_type=Path, dir_okay=False),
            hidden=True,
        ),
    )


def examples(*lines: str) -> str:
    """The epilog every command's --help ends with: real command lines, as typed."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
