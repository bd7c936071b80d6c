"""The lists an order's ``for_each`` walks: a CSV file with a header, a text file with one
item a line, or an inline YAML list (of strings or of mappings).

Every item keeps where it was written (``posts.csv:17``), so that every error about it
points there.  A list file must be a regular file inside the project (symlinks are
followed, then checked), at most ``MAX_LIST_BYTES`` long and ``MAX_ITEMS`` items: a
bigger one is refused with one line, never read to the end.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.config.files import not_a_file
from runner.config.yamldoc import Document, JsonPath
from runner.errors import Location
from runner.money import NumberError, read_integer

MAX_ITEMS = 200_000
MAX_LIST_BYTES = 64 * 1024 * 1024
MAX_CELL_CHARS = 10_000


class ListError(Exception):
    """A list that cannot be read at all (one message, at the ``for_each`` line or at the
    place in the list file)."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.path: Path | None = None  # the file, when it was found


@dataclass(frozen=True, slots=True)
class Item:
    """One item of a list: its values by name, the text its key is made from, and where
    it was written."""

    values: Mapping[str, Any]
    key_source: str
    location: Location


@dataclass
class Items:
    """A list, read: its items, the names a template may use, and the file it came from
    (None for an inline list)."""

    items: list[Item] = field(default_factory=list)
    names: tuple[str, ...] = ()
    file: str | None = None  # as shown in messages
    path: Path | None = None  # the file read, resolved
    problems: list[tuple[Location, str]] = field(default_factory=list)


def parse_integer(text: str, low: int, high: int) -> int | None:
    """A whole number written in a list or a mass-order line (``1500``, ``+7``, ``-2``;
    no ``1e3``, no ``1_000``, no leading zeros) within ``low..high``; None when it is not
    one.  The one parser of numbers in files (``money.read_integer``, bounded before
    conversion), with the ``+`` a spreadsheet may write."""
    body = text.strip()
    if body[:2] != "+-" and body.startswith("+"):
        body = body[1:]
    try:
        return read_integer(body, low=low, high=high)
    except NumberError:
        return None


def read(doc: Document, path: JsonPath, spec: object, root: Path) -> Items | None:
    """The list ``spec`` names (the value of a ``for_each`` at ``path`` in ``doc``); None
    when it is neither a file name nor a list (the schema says so)."""
    if isinstance(spec, list):
        return _inline(doc, path, spec) if spec else None
    if not isinstance(spec, str) or not spec:
        return None
    target, shown = _locate(doc, path, spec, root)
    try:
        data = _read_bytes(target, shown, doc.location(path))
        text = _decode(data, shown)
        items = _csv(text, shown) if target.suffix.lower() == ".csv" else _lines(text, shown)
    except ListError as exc:
        exc.path = target  # read, if not usable: a cache keyed on files read needs it
        raise
    items.path = target
    return items


def _locate(doc: Document, path: JsonPath, name: str, root: Path) -> tuple[Path, str]:
    """The list file, resolved; refused when it leaves the project."""
    where = doc.location(path)
    if not name.strip():
        raise ListError("for_each: the file name is empty", where)
    if "\x00" in name:
        raise ListError("for_each: the file name has a NUL character", where)
    base = Path(doc.file).parent
    candidate = Path(name)
    if candidate.is_absolute():
        raise ListError(
            f"for_each: '{name}' is an absolute path; name a file inside the project", where
        )
    shown = os.path.normpath(base / candidate)
    top = root.resolve()
    outside = ListError(
        f"for_each: {name} leads outside the project ({top}); list files must be inside it",
        where,
    )
    if not _inside(Path(os.path.normpath(base.resolve() / candidate)), top):
        raise outside
    try:
        resolved = (base / candidate).resolve(strict=True)
    except FileNotFoundError:
        raise ListError(f"for_each: no such file {shown}", where) from None
    except (OSError, RuntimeError) as exc:
        raise ListError(f"for_each: cannot read {shown}: {exc}", where) from None
    if not _inside(resolved, top):
        raise outside  # a symlink out
    return resolved, shown


def _inside(path: Path, top: Path) -> bool:
    return path == top or top in path.parents


def _read_bytes(path: Path, shown: str, where: Location) -> bytes:
    try:
        problem = not_a_file(path)  # never opens a FIFO or a device
        if problem is not None and problem != "no such file":  # (that: stat says below)
            raise ListError(f"for_each: {shown} is {problem}", where)
        info = path.stat()
        if info.st_size > MAX_LIST_BYTES:
            raise ListError(
                f"for_each: {shown} is too large ({info.st_size // (1024 * 1024)} MiB; the "
                f"limit is {MAX_LIST_BYTES // (1024 * 1024)} MiB)",
                where,
            )
        with path.open("rb") as handle:
            data = handle.read(MAX_LIST_BYTES + 1)
    except OSError as exc:
        raise ListError(f"for_each: cannot read {shown}: {exc.strerror}", where) from None
    if len(data) > MAX_LIST_BYTES:
        raise ListError(f"for_each: {shown} grew while it was read", where)
    return data


def _decode(data: bytes, shown: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ListError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the list as UTF-8",
            Location(shown, line, 1),
        ) from None
    return text.removeprefix("\ufeff")


def _too_many(shown: str, line: int) -> ListError:
    return ListError(
        f"more than {MAX_ITEMS:,} items; split the list (one for_each order per file)",
        Location(shown, line, 1),
    )


def _lines(text: str, shown: str) -> Items:
    """One item a line; blank lines and ``#`` comments skipped, spaces around trimmed."""
    out = Items(names=("item", "key"), file=shown)
    # Lines end at \n alone (and \r\n): numbered as an editor numbers them, whatever
    # other separators (U+2028, form feed) a line holds; those are refused where used.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(" \t\r")
        if not line or line.startswith("#"):
            continue
        if len(out.items) >= MAX_ITEMS:
            raise _too_many(shown, number)
        if len(line) > MAX_CELL_CHARS:
            out.problems.append(
                (Location(shown, number, 1), f"the line is over {MAX_CELL_CHARS} characters")
            )
            continue
        out.items.append(Item({"item": line}, line, Location(shown, number, 1)))
    return out


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """CSV rows with the line each starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for row in reader:
            yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ListError(f"not valid CSV: {exc}", Location("", reader.line_num, 1)) from None


def _csv(text: str, shown: str) -> Items:
    out = Items(file=shown)
    rows = _rows(text)
    header: list[str] | None = None
    try:
        for line, row in rows:
            if not any(cell.strip() for cell in row):
                continue  # a blank line (or only commas)
            if header is None:
                header = [cell.strip() for cell in row]
                out.names = _header(header, shown, line)
                continue
            if len(out.items) >= MAX_ITEMS:
                raise _too_many(shown, line)
            where = Location(shown, line, 1)
            if len(row) != len(header):
                out.problems.append(
                    (
                        where,
                        f"{len(row)} cells, but the header has {len(header)} "
                        "(quote a cell that holds a comma)",
                    )
                )
                continue
            if any(len(cell) > MAX_CELL_CHARS for cell in row):
                out.problems.append((where, f"a cell is over {MAX_CELL_CHARS} characters"))
                continue
            values = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
            source = values["key"] if "key" in values else values[header[0]]
            out.items.append(Item(values, source, where))
    except ListError as exc:
        if exc.location is not None and not exc.location.file:
            raise ListError(exc.message, Location(shown, exc.location.line, 1)) from None
        raise
    if header is None:
        raise ListError("the CSV file is empty: it needs a header line", Location(shown, 1, 1))
    if "key" not in out.names:
        out.names = (*out.names, "key")
    return out


def _header(header: list[str], shown: str, line: int) -> tuple[str, ...]:
    seen: set[str] = set()
    for number, name in enumerate(header, start=1):
        if not name:
            raise ListError(f"column {number} of the header has no name", Location(shown, line, 1))
        if not all(c.isalnum() or c in "_-" for c in name) or not name.isascii():
            raise ListError(
                f"column name '{name}': use letters, digits, '_' and '-' only",
                Location(shown, line, 1),
            )
        if name in seen:
            raise ListError(
                f"column '{name}' appears twice in the header", Location(shown, line, 1)
            )
        seen.add(name)
    return tuple(header)


def _inline(doc: Document, path: JsonPath, spec: list[Any]) -> Items:
    """An inline list: all strings (``{item}``, ``{key}``) or all mappings (their keys,
    with ``{key}`` from a ``key`` entry or the first one)."""
    out = Items(names=("item", "key"))
    if len(spec) > MAX_ITEMS:
        raise ListError(f"for_each: more than {MAX_ITEMS:,} items", doc.location(path))
    if all(isinstance(v, str | int) and not isinstance(v, bool) for v in spec):
        out.names = ("item", "key")
        for index, value in enumerate(spec):
            text = str(value).strip()
            out.items.append(Item({"item": text}, text, doc.location((*path, index))))
        return out
    if not all(isinstance(v, dict) and v for v in spec):
        raise ListError(
            "for_each: a list of strings or a list of mappings, not a mix", doc.location(path)
        )
    names: dict[str, None] = {}
    for index, value in enumerate(spec):
        where = doc.location((*path, index))
        for name, cell in value.items():
            if isinstance(cell, dict | list):
                out.problems.append((where, f"{name}: a list item's values must be scalars"))
            names.setdefault(name, None)
        first = next(iter(value.values()))
        source = value.get("key", first)
        out.items.append(Item(dict(value), str(source), where))
    out.names = tuple(names) if "key" in names else (*names, "key")
    return out
