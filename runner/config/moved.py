"""``moved:`` in a campaign file: orders renamed without ordering again.

Each entry names an order's old id (or the address of an order of another campaign) and
its id in the file now.  Several old names may lead to one new id (an order renamed
twice); a name that is still an order of the file cannot be an old one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from runner.config.schema import Problem, format_path
from runner.config.yamldoc import Document, JsonPath
from runner.errors import Location


@dataclass(frozen=True)
class Moved:
    """One entry: the record at ``source`` (and its instances ``source@...``, top-ups
    ``source+N``) takes the address ``target``."""

    source: str
    target: str
    location: Location


def parse(
    doc: Document, campaign: str, ids: Collection[str], problems: list[Problem]
) -> tuple[Moved, ...]:
    """The entries of ``moved:`` (the schema has checked their shape); what is wrong with
    them joins ``problems``: a new id that is not an order of the file (``ids``), an old
    one that still is, an order moved onto itself, an old name given twice."""
    data = doc.value
    listed = data.get("moved") if isinstance(data, dict) else None
    entries: list[Moved] = []
    first: dict[str, int] = {}

    def problem(path: JsonPath, message: str) -> None:
        problems.append(Problem(doc.location(path), format_path(path), message))

    for index, raw in enumerate(listed if isinstance(listed, list) else []):
        if not isinstance(raw, dict):
            continue
        old, new = raw.get("from"), raw.get("to")
        if not isinstance(old, str) or not isinstance(new, str):
            continue
        path: JsonPath = ("moved", index)
        source = old if "/" in old else f"{campaign}/{old}"
        target = f"{campaign}/{new}"
        if new not in ids:
            problem((*path, "to"), f"'{new}' is not an order of this file (to: names the new id)")
        elif source == target:
            problem((*path, "to"), f"moves {target} onto itself")
        elif source.startswith(f"{campaign}/") and source.split("/", 1)[1] in ids:
            problem(
                (*path, "from"),
                f"'{old}' is still an order of this file: an old id cannot be a current one",
            )
        elif source in first:
            line = doc.location(("moved", first[source], "from")).line
            problem((*path, "from"), f"{source} is moved twice (first at line {line})")
        else:
            first[source] = index
            entries.append(Moved(source, target, doc.location(path)))
    return tuple(entries)
