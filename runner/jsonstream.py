"""JSON written a piece at a time, exactly as ``json.dumps(value, indent=2)`` writes it
whole: a long list (a plan's actions, the rows of ``status``) is never one string, nor a
tree of dicts, in memory."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _text
from typing import Any

INDENT = "  "
_CONSTANTS = {True: "true", False: "false", None: "null"}


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
            yield dumps(value, INDENT)
    yield "\n}" if opened else "{}"


def _items(each: Iterable[Any]) -> Iterator[str]:
    inner = INDENT * 2
    opened = False
    for item in each:
        yield ("," if opened else "[") + "\n" + inner
        yield dumps(item, inner)
        opened = True
    yield "\n" + INDENT + "]" if opened else "[]"


def _nested(text: str, prefix: str) -> str:
    """A value's JSON moved in by ``prefix`` (JSON text has no newline inside a string)."""
    return text.replace("\n", "\n" + prefix)


def dumps(value: Any, prefix: str = "") -> str:
    """``json.dumps(value, indent=2)`` moved in by ``prefix``, made without the JSON
    module's generators for the dicts, lists, strings and numbers a report or plan is
    made of (anything else is the JSON module's to write, or to refuse)."""
    kind = type(value)
    if kind is str:
        return _text(value)
    if kind is dict:
        if not value:
            return "{}"
        inner = prefix + INDENT
        parts = []
        for key, item in value.items():
            if type(key) is not str:
                return _nested(json.dumps(value, indent=len(INDENT)), prefix)
            # Most values are text, numbers or null: written here, not by a call each.
            of = type(item)
            if of is str:
                text = _text(item)
            elif of is int:
                text = int.__repr__(item)
            elif item is None:
                text = "null"
            else:
                text = dumps(item, inner)
            parts.append(f"{inner}{_text(key)}: {text}")
        return "{\n" + ",\n".join(parts) + "\n" + prefix + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = prefix + INDENT
        return (
            "[\n" + ",\n".join(inner + dumps(item, inner) for item in value) + "\n" + prefix + "]"
        )
    if kind is int:
        return int.__repr__(value)
    if value is None or kind is bool:
        return _CONSTANTS[value]
    return _nested(json.dumps(value, indent=len(INDENT)), prefix)
