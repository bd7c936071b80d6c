"""How commands print and ask: plain lines, rich renderables, the one output-format
switch (``emit``) and the one confirmation (``confirmer``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

import click


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
