"""What every command shares, defined once: the options (one spelling each, the old ones
kept as hidden aliases), the one output-format switch, the one confirmation, and output.

The vocabulary, Terraform's where it has one:

- ``--auto-approve`` skips a confirmation (``-y``/``--yes`` are hidden aliases);
- ``-o``/``--out FILE`` names a file to write (``--output`` is a hidden alias);
- ``--lock-timeout SECONDS`` waits for the state lock, 0 (fail at once) by default;
- ``--format text|json|markdown`` (``--json`` short for ``--format json``) wherever data
  is printed, the same three everywhere;
- ``-v``/``--verbose`` and ``--no-color`` anywhere on the line (``global_options``).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable
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


reconcile_option = click.option(
    "--no-reconcile",
    is_flag=True,
    help="Do not look for lost orders on the panel first (smm reconcile does).",
)


def examples(*lines: str) -> str:
    """The epilog every command's --help ends with: real command lines, as typed."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


# --- options accepted anywhere on the line ---------------------------------------------


def _verbose(ctx: click.Context, param: click.Parameter, value: int) -> None:
    if not value:
        return
    from runner.render.console import setup_logging

    context = ctx.find_object(Context)
    if context is not None:
        context.verbose += value
        setup_logging(context.verbose)


def _no_color(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        from runner.render.console import set_no_color

        set_no_color(True)


def _config(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    context = ctx.find_object(Context)
    if value is not None and context is not None:
        context.config = value


def _state(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    context = ctx.find_object(Context)
    if value is not None and context is not None:
        context.state = value


def global_options(command: click.Command) -> None:
    """Let the global options (``-v``, ``--no-color``, ``--config``, ``--state``) follow
    the command name too (``smm plan -v``), on every command and sub-command, as hidden
    options (``smm --help`` lists them once)."""
    names = {name for param in command.params for name in getattr(param, "opts", ())}
    if "--config" not in names:
        command.params.append(
            click.Option(
                ["--config", "config_anywhere"],
                type=click.Path(path_type=Path, dir_okay=False),
                hidden=True,
                expose_value=False,
                callback=_config,
            )
        )
    if "--state" not in names:
        command.params.append(
            click.Option(
                ["--state", "state_anywhere"], hidden=True, expose_value=False, callback=_state
            )
        )
    if "-v" not in names:
        command.params.append(
            click.Option(
                ["-v", "--verbose", "verbose_anywhere"],
                count=True,
                hidden=True,
                expose_value=False,
                callback=_verbose,
            )
        )
    if "--no-color" not in names:
        command.params.append(
            click.Option(
                ["--no-color", "no_color_anywhere"],
                is_flag=True,
                hidden=True,
                expose_value=False,
                callback=_no_color,
            )
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            global_options(sub)


# --- output ----------------------------------------------------------------------------


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


class Markup(str):
    """Text in rich markup (escaped by its renderer), printed with its styles."""


def emit(
    output: str,
    *,
    text: Callable[[], Any],
    json: Callable[[], str | Iterable[str]],
    markdown: Callable[[], str] | None = None,
) -> None:
    """The one output-format switch: print what ``output`` asks for.

    ``text`` gives plain lines (a ``str`` or a list of them), ``Markup`` or a rich
    renderable (a table); ``json`` a string or its chunks; ``markdown`` a string, else the text
    is made Markdown (a table as a Markdown table, lines as paragraphs)."""
    if output == "json":
        data = json()
        if isinstance(data, str):
            out(data)
        else:
            out_chunks(data)
    elif output == "markdown":
        if markdown is not None:
            out(markdown())
        else:
            from runner.render.table import as_markdown

            out(as_markdown(text()))
    else:
        shown = text()
        if isinstance(shown, list):
            for line in shown:
                out(line)
        elif isinstance(shown, str) and not isinstance(shown, Markup):
            out(shown)
        else:
            show(shown)


# --- confirmation ----------------------------------------------------------------------


def confirmer(
    auto_approve: bool, unattended: str = "", declined: str = "cancelled: nothing was changed"
) -> Callable[[str], None]:
    """The one confirmation: returns on yes; raises ``Declined`` on anything else, and
    when there is no terminal to ask on (``unattended`` says what to do instead).  Only
    ``yes`` is accepted, as Terraform asks."""

    def confirm(question: str) -> None:
        from runner.errors import Declined

        if auto_approve:
            return
        if not sys.stdin.isatty():
            raise Declined(f"no terminal to confirm on: pass --auto-approve{unattended}")
        question = question.rstrip()
        if "Only 'yes'" not in question:
            question += " Only 'yes' will be accepted:"
        answer = click.prompt(question, default="", show_default=False, prompt_suffix=" ")
        if answer.strip() != "yes":
            raise Declined(declined)

    return confirm
