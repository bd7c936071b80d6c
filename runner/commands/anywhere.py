"""Options that may come anywhere on the line: ``-v``/``--verbose``, ``--no-color``,
``--config`` and ``--state`` after the command name too (``smm plan -v``)."""

from __future__ import annotations

from pathlib import Path

import click

from runner.workflows.context import Context


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
