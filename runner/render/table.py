"""Tables that read at 80 columns: a number, an id or an address is never cut.

Numbers and ids do not wrap: the text columns (addresses among them) narrow first, and
wrap or fold rather than end in an ellipsis; a column empty in every row is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
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
    keep = _kept(columns, rows)
    result = _frame(columns, keep, title, caption)
    for row in rows:
        result.add_row(*(row[i] for i in keep))
    return result


def _kept(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[int]:
    return [i for i in range(len(columns)) if any(row[i] not in EMPTY for row in rows)]


def _frame(
    columns: Sequence[Column], keep: Sequence[int], title: str | None, caption: str | None
) -> Table:
    from rich import box
    from rich.table import Table

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
    return result


class PlainTable:
    """``table`` of plain text cells (not markup), with a style per cell of the columns
    in ``styles`` (column index -> cell text -> style).

    Where no style can show (output to a file or a pipe), on a console that soft-wraps
    (as smm's does) and when every row fits the width,
    its lines are written as rich would write that table, without rich's work per cell:
    ``smm status`` of 100,000 orders as text takes about as long as its JSON.  Anywhere
    else (a terminal, a row that must wrap) it is rich's table."""

    def __init__(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[str]],
        *,
        title: str | None = None,
        caption: str | None = None,
        styles: Mapping[int, Callable[[str], str]] | None = None,
    ) -> None:
        self.columns = columns
        self.rows = rows
        self.title = title
        self.caption = caption
        self.styles = styles or {}

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        lines = None
        if console.color_system is None and options.no_wrap:  # smm's console: soft wrap
            lines = self.lines(options.max_width)
        if lines is None:
            yield self.rich()
            return
        for line in lines:
            yield Segment(line)
            yield Segment.line()

    def rich(self) -> Table:
        """The same table, drawn by rich."""
        from rich.markup import escape
        from rich.text import Text

        keep = _kept(self.columns, self.rows)
        title = None if self.title is None else escape(self.title)
        caption = None if self.caption is None else escape(self.caption)
        result = _frame(self.columns, keep, title, caption)
        for row in self.rows:
            cells = []
            for i in keep:
                style = self.styles.get(i)
                cells.append(Text(row[i], style=style(row[i]) if style else ""))
            result.add_row(*cells)
        return result

    def lines(self, max_width: int) -> list[str] | None:
        """The table's lines as rich draws it on a console that soft-wraps, when no row
        needs to wrap; None when one does."""
        from rich.cells import cell_len

        keep = _kept(self.columns, self.rows)
        if not keep:
            return None
        heads = [self.columns[i].header for i in keep]
        widths = [cell_len(h) for h in heads]
        for row in self.rows:
            for n, i in enumerate(keep):
                size = cell_len(row[i])
                if size > widths[n]:
                    widths[n] = size
        total = sum(widths) + 2 * len(keep)  # an edge each side, two spaces between
        if total > max_width:
            return None
        right = [
            self.columns[i].kind == "number" or self.columns[i].justify == "right" for i in keep
        ]

        def line(cells: Sequence[str]) -> str:
            parts = []
            for n, text in enumerate(cells):
                pad = " " * (widths[n] - cell_len(text))
                parts.append(pad + text if right[n] else text + pad)
            return " " + "  ".join(parts) + " "

        out = [] if self.title is None else [self.title]
        out += [" " * total, line(heads), " " + "─" * (total - 2) + " "]
        out += [line([row[i] for i in keep]) for row in self.rows]
        out.append(" " * total)
        if self.caption is not None:
            out.append(self.caption)
        return out


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

    if isinstance(shown, PlainTable):
        shown = shown.rich()
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
