"""JSON written a piece at a time, exactly as ``json.dumps(value, indent=2)`` writes it
whole: a long list (a plan's actions, the rows of ``status``) is never one string, nor a
tree of dicts, in memory."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

INDENT = "  "


@dataclass(frozen=True)
class Items:
    """A list whose items are made as they are written."""

    each: Iterable[Any]


def chunks(fields: Iterable[tuple[str, Any]]) -> Iterator[str]:
    """``json.dumps(dict(fields), indent=2)``, piece by piece; a value that is ``Items``
    is written item by item, and the fields are read only as far as they are written."""
    opened = False
    for key, value in fields:
        yield ("," if opened else "{") + "\n" + INDENT + json.dumps(key) + ": "
        opened = True
        if isinstance(value, Items):
            yield from _items(value.each)
        else:
            yield _nested(json.dumps(value, indent=len(INDENT)), INDENT)
    yield "\n}" if opened else "{}"


def _items(each: Iterable[Any]) -> Iterator[str]:
    inner = INDENT * 2
    opened = False
    for item in each:
        yield ("," if opened else "[") + "\n" + inner
        yield _nested(json.dumps(item, indent=len(INDENT)), inner)
        opened = True
    yield "\n" + INDENT + "]" if opened else "[]"


def _nested(text: str, prefix: str) -> str:
    """A value's JSON moved in by ``prefix`` (JSON text has no newline inside a string)."""
    return text.replace("\n", "\n" + prefix)
