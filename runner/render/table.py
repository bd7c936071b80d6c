"""Tables that read at 80 columns: a number, an id or an address is never cut.

Numbers and ids do not wrap: the text columns (addresses among them) narrow first, and
wrap or fold rather than end in an ellipsis; a column empty in every row is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.table import Table

# What a cell shows when it has nothing to say.
EMPTY = ("", "-")

Kind = Literal["text", "number", "address"]


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"
    justify: Literal["left", "right", "center"] = "left"


def table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    caption: str | None = None,
) -> Table:
    """A table of ``rows`` (cells in rich markup, already escaped), without the columns
    that are empty in every row."""
    from rich import box
    from rich.table import Table

    keep = [i for i in range(len(columns)) if any(row[i] not in EMPTY for row in rows)]
    result = Table(
        title=title,
        caption=caption,
        title_justify="left",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for i in keep:
        column = columns[i]
        # No min_width: rich would keep it even past the screen's edge, where the line
        # is cut.  A column that does not wrap is narrowed only when nothing else can be,
        # and then folds: every character stays.
        if column.kind == "number":
            result.add_column(column.header, justify="right", no_wrap=True, overflow="fold")
        else:
            result.add_column(column.header, justify=column.justify, overflow="fold")
    for row in rows:
        result.add_row(*(row[i] for i in keep))
    return result


def as_markdown(shown: object) -> str:
    """What a command shows as text, as Markdown: a table (rich's, as ``table`` makes
    them) as a Markdown table under its title, rich markup or lines as paragraphs.  Every
    cell and line is escaped (``printable.md``)."""
    from rich.table import Table
    from rich.text import Text

    from runner.printable import md

    def plain(value: object) -> str:
        if isinstance(value, Text):
            return value.plain
        return Text.from_markup(str(value)).plain

    if isinstance(shown, Table):
        lines = []
        if shown.title:
            lines += [f"**{md(plain(shown.title))}**", ""]
        columns = shown.columns
        lines.append("| " + " | ".join(md(plain(c.header)) for c in columns) + " |")
        lines.append(
            "|" + "|".join("---:" if c.justify == "right" else "---" for c in columns) + "|"
        )
        for row in zip(*(list(c.cells) for c in columns), strict=True):
            lines.append("| " + " | ".join(md(plain(cell)) for cell in row) + " |")
        if shown.caption:
            lines += ["", md(plain(shown.caption))]
        return "\n".join(lines)
    if isinstance(shown, list):
        return "\n\n".join(md(line) for line in shown)
    text = plain(shown) if type(shown) is not str else shown
    return "\n\n".join(md(line) for line in text.split("\n") if line.strip())
