"""Text from panels and files, made safe to show: no terminal control sequences, no line
breaks that fake another line, and Markdown that renders as the text it is.

Panel texts and file values are untrusted: a panel error could carry an escape sequence
that rewrites the terminal, a link could carry a ``|`` that adds a column to a pull
request's table.  Every renderer passes such values through ``clean`` (terminal, JSON
stays exact) or ``md`` (Markdown).
"""

from __future__ import annotations

import re

# C0 and C1 controls (tab and line breaks included: a value is one line), DEL, and the
# invisible or reordering marks that make text show other than it is.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)

# Characters Markdown (GitHub's included) gives a meaning to inside a table cell: code,
# emphasis, links and images, cells, strike-through, escapes; HTML is escaped apart.
_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def clean(text: object) -> str:
    """The text on one line, every control or invisible character shown as an escape."""
    return _UNSAFE.sub(_visible, str(text))


def md(text: object) -> str:
    """The text as Markdown that renders literally (inline, in a table cell too)."""
    escaped = _MARKDOWN.sub(r"\\\1", clean(text))
    return "".join(_HTML.get(c, c) for c in escaped)


def has_control(text: str) -> int | None:
    """The 1-based position of the first control or invisible character, if any."""
    found = _UNSAFE.search(text)
    return None if found is None else found.start() + 1
