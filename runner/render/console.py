"""Where output goes: a rich console on stdout, colour only on a terminal and never with
``--no-color`` or ``NO_COLOR``; logging for ``-v`` with secrets redacted."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from runner.errors import redact

if TYPE_CHECKING:
    from rich.console import Console

_no_color = False


def set_no_color(value: bool) -> None:
    global _no_color
    _no_color = value


def color_enabled() -> bool:
    return not _no_color and not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def console(stderr: bool = False) -> Console:
    """A console on stdout (or stderr): styled only when colour is enabled; otherwise no
    SGR code at all (rich's ``no_color`` alone keeps bold, italic and dim)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    styled = color_enabled()
    return Console(
        file=stream,
        color_system="auto" if styled else None,
        no_color=not styled,
        highlight=False,
        soft_wrap=True,
        emoji=False,
        width=None if stream.isatty() else 200,
    )


class _Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


_handler: logging.Handler | None = None


def setup_logging(verbosity: int) -> None:
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler = None
    if verbosity <= 0:
        return
    _handler = logging.StreamHandler(sys.stderr)
    _handler.addFilter(_Redact())
    _handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(_handler)
    logging.getLogger("runner").setLevel(logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.INFO if verbosity == 1 else logging.DEBUG)
    if verbosity > 1:
        logging.getLogger("httpcore").setLevel(logging.DEBUG)


def out(text: str = "") -> None:
    """Plain text to stdout (machine formats, lines without markup)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def out_chunks(chunks: Iterable[str]) -> None:
    """``out`` of the text the chunks make, written as they come."""
    write = sys.stdout.write
    for chunk in chunks:
        write(chunk)
    write("\n")
    sys.stdout.flush()
