"""``for_each``: one order template, one order per item of a list.

A template's fields may hold placeholders, ``{column}`` (a CSV column or a key of an
inline mapping), ``{item}`` (a text line or an inline string) and ``{key}`` (the item
made into an id, see ``make_key``).  A field that is exactly one placeholder takes the
type the schema gives that field (a CSV's ``quantity`` cell fills an integer); any
other text is filled in as text.  ``{{`` and ``}}`` stand for a brace.

Errors in the template (an unknown placeholder, an id without one) point at its line in
the campaign file; errors in an item (a cell that is not an integer, two items giving one
id) point at the item, and every item is checked: ``validate`` reports them all at once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from runner.config import lists
from runner.config.lists import Item, Items, ListError
from runner.config.schema import Problem, format_path, schema, validate
from runner.config.yamldoc import Document, JsonPath
from runner.errors import Location
from runner.money import NumberError, read_number
from runner.printable import has_control

ID_LIMIT = 63
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_WHOLE = re.compile(r"\{[A-Za-z0-9_-]+\}")
_NOT_ID = re.compile(r"[^a-z0-9_-]+")
# Keys of an order that are not fields filled per item.
NOT_TEMPLATED = frozenset({"for_each", "repeat"})

Report = Callable[[Location, str, str], None]


class TemplateError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Expanded:
    """One order of a ``for_each``: its fields as if written out, the item, and the fields
    the item filled (their errors point at the item)."""

    raw: dict[str, Any]
    item: Item
    filled: frozenset[str]


def has_placeholder(value: object) -> bool:
    if isinstance(value, str):
        if "{" not in value:
            return False
        return any(m.group(1) is not None for m in _PLACEHOLDER.finditer(value))
    if isinstance(value, list):
        return any(has_placeholder(v) for v in value)
    if isinstance(value, dict):
        return any(has_placeholder(v) for v in value.values())
    return False


def stray(fields: Mapping[str, Any], where: str) -> Iterator[tuple[str, str]]:
    """Fields whose whole value is a placeholder where nothing fills it (in defaults, or
    in an order without for_each): sent as written, ``{link}`` would be ordered."""
    for key, value in fields.items():
        if isinstance(value, str) and value[:1] == "{" and _WHOLE.fullmatch(value):
            yield (
                key,
                (
                    f"{value} is a placeholder, but {where} has no list to fill it: placeholders "
                    "are filled in the fields of an order with for_each"
                ),
            )


def shadow(value: Any) -> Any:
    """The campaign file as the whole-file schema check sees it: in a ``for_each`` order
    the fields with placeholders are left out (each item's order is checked once filled)
    and a templated id stands for the ids it makes."""
    if not isinstance(value, dict) or not isinstance(value.get("orders"), list):
        return value
    if not any(isinstance(raw, dict) and "for_each" in raw for raw in value["orders"]):
        return value
    orders = []
    for raw in value["orders"]:
        if isinstance(raw, dict) and "for_each" in raw:
            raw = {k: v for k, v in raw.items() if k == "id" or not has_placeholder(v)}
            if has_placeholder(raw.get("id")):
                raw["id"] = "for-each"
        orders.append(raw)
    return {**value, "orders": orders}


def make_key(source: str, room: int = ID_LIMIT) -> str:
    """An item made into an id: lower case, every run of other characters than
    ``a-z0-9_-`` one ``-``; longer than ``room``, cut, with a short hash of the whole item
    (so two long items sharing a beginning stay apart)."""
    key = _NOT_ID.sub("-", source.lower()).strip("-_")
    if key and len(key) <= room:
        return key
    digest = hashlib.sha256(source.encode()).hexdigest()[:8]
    head = key[: max(0, room - len(digest) - 1)].rstrip("-_")
    return f"{head}-{digest}" if head else digest


def _parts(text: str) -> list[tuple[bool, str]]:
    """A template as (is_placeholder, text) pieces; a lone brace is an error."""
    out: list[tuple[bool, str]] = []
    last = 0
    for match in _PLACEHOLDER.finditer(text):
        if match.start() > last:
            out.append((False, text[last : match.start()]))
        token = match.group(0)
        if token in ("{{", "}}"):
            out.append((False, token[0]))
        elif match.group(1) is None:
            raise TemplateError(f"a lone '{token}': write '{token * 2}' for a brace")
        else:
            name = match.group(1).strip()
            if not name:
                raise TemplateError("an empty placeholder '{}'")
            out.append((True, name))
        last = match.end()
    if last < len(text):
        out.append((False, text[last:]))
    return out


@cache
def _field_schemas() -> dict[str, Any]:
    fields: dict[str, Any] = schema("campaign")["$defs"]["fields"]["properties"]
    return fields


def _kind(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if kind in ("integer", "number", "boolean"):
        return str(kind)
    enum = node.get("enum")
    if enum and all(isinstance(v, int) and not isinstance(v, bool) for v in enum):
        return "integer"
    return "string"


class Template:
    """An order template, compiled once: where each placeholder is and what type fills it."""

    def __init__(
        self, doc: Document, path: JsonPath, raw: Mapping[str, Any], names: tuple[str, ...]
    ):
        self.doc = doc
        self.path = path
        self.raw = raw
        self.names = names
        self.problems: list[Problem] = []
        self.positions: dict[JsonPath, tuple[int, int]] | None = None  # once needed
        self.used: set[str] = set()
        self.leaves: set[str] = set()  # the paths (in the order) of the filled values
        self.compiled = {
            key: self._compile(value, (*path, key), _field_schemas().get(key, {}))
            for key, value in raw.items()
            if key not in NOT_TEMPLATED
        }
        self.filled = frozenset(k for k, v in raw.items() if has_placeholder(v))
        ident = raw.get("id")
        if isinstance(ident, str) and not has_placeholder(ident):
            self.problem(
                (*path, "id"),
                "an order with for_each makes one order per item: "
                "put a placeholder in its id, like likes-{key}",
            )

    def problem(self, path: JsonPath, message: str) -> None:
        self.problems.append(Problem(self.doc.location(path), format_path(path), message))

    def _compile(self, value: Any, path: JsonPath, node: Mapping[str, Any]) -> Any:
        if isinstance(value, dict):
            props = node.get("properties", {})
            return {k: self._compile(v, (*path, k), props.get(k, {})) for k, v in value.items()}
        if isinstance(value, list):
            inner = node.get("items", {})
            return [self._compile(v, (*path, i), inner) for i, v in enumerate(value)]
        if not isinstance(value, str) or ("{" not in value and "}" not in value):
            return value
        try:
            parts = _parts(value)
        except TemplateError as exc:
            self.problem(path, str(exc))
            return value
        for is_name, name in parts:
            if is_name and name not in self.names:
                self.problem(path, f"placeholder {{{name}}}: {self._no_such(name)}")
            elif is_name:
                self.used.add(name)
        if not any(is_name for is_name, _ in parts):
            return "".join(text for _, text in parts)
        single = len(parts) == 1
        kind = _kind(node) if single else "string"
        leaf = format_path(path[len(self.path) :])
        self.leaves.add(leaf)
        return _Fill(tuple(parts), kind, leaf)

    def check(self, made: Expanded) -> list[Problem]:
        """The schema's verdict on one item's order, as if written out: a value the item
        filled is located at the item, anything else at the template (one message however
        many items share it)."""
        if self.positions is None:
            size = len(self.path)
            self.positions = {
                k[size:]: v for k, v in self.doc.positions.items() if k[:size] == self.path
            }
        doc = Document(self.doc.file, made.raw, self.positions)
        found = []
        for problem in validate(doc, "campaign", "order"):
            if problem.path in self.leaves:
                problem = Problem(made.item.location, problem.path, problem.message)
            else:
                path = format_path(self.path) + ("." + problem.path if problem.path else "")
                problem = Problem(problem.location, path, problem.message)
            found.append(problem)
        return found

    def _no_such(self, name: str) -> str:
        listed = ", ".join(self.names)
        return f"the list has no '{name}' (it has: {listed})"

    def expand(self, items: Items, report: Report) -> Iterator[Expanded]:
        """Each item's order, as if written out; an item with a bad value is reported (at
        the item) and left out."""
        for item in items.items:
            key = make_key(item.key_source)
            filled = self._fill(self.compiled, item, key, report)
            if filled is _BAD:
                continue
            ident = filled.get("id")
            if isinstance(ident, str) and len(ident) > ID_LIMIT and "key" in self.used:
                room = max(8, len(key) - (len(ident) - ID_LIMIT))
                key = make_key(item.key_source, room)
                filled = self._fill(self.compiled, item, key, report)
                if filled is _BAD:
                    continue
            if "repeat" in self.raw:
                filled["repeat"] = self.raw["repeat"]
            yield Expanded(filled, item, self.filled)

    def _fill(self, value: Any, item: Item, key: str, report: Report) -> Any:
        if isinstance(value, _Fill):
            return value.fill(item, key, report)
        if isinstance(value, dict):
            # Every field, even after a bad one: each mistake of the item is reported.
            out = {k: self._fill(v, item, key, report) for k, v in value.items()}
            return _BAD if any(v is _BAD for v in out.values()) else out
        if isinstance(value, list):
            items = [self._fill(v, item, key, report) for v in value]
            return _BAD if any(v is _BAD for v in items) else items
        return value


_BAD: Any = object()


@dataclass(frozen=True, slots=True)
class _Fill:
    parts: tuple[tuple[bool, str], ...]
    kind: str
    field: str  # its path in the order: quantity, drip_feed.runs, comments[0]

    def fill(self, item: Item, key: str, report: Report) -> Any:
        pieces = []
        for is_name, name in self.parts:
            if not is_name:
                pieces.append(name)
                continue
            value = key if name == "key" else item.values.get(name)
            if value is None:
                report(item.location, self.field, f"no value for {{{name}}}")
                return _BAD
            if len(self.parts) == 1 and self.kind != "string" and not isinstance(value, str):
                return value  # an inline mapping's typed value: the schema check judges it
            pieces.append(str(value))
        text = "".join(pieces)
        where = has_control(text)
        if where is not None:
            report(
                item.location,
                self.field,
                f"control or invisible character U+{ord(text[where - 1]):04X} at position "
                f"{where}; write it without one",
            )
            return _BAD
        if self.kind == "string":
            return text
        return self._typed(text, item, report)

    def _typed(self, text: str, item: Item, report: Report) -> Any:
        if self.kind == "integer":
            value = lists.parse_integer(text, -(10**18), 10**18)
            if value is None:
                shown = text if len(text) <= 40 else text[:37] + "..."
                what = "is empty" if not text else f"'{shown}' is not an integer"
                report(item.location, "", f"{self.field} {what}")
                return _BAD
            return value
        if self.kind == "boolean":
            lowered = text.lower()
            if lowered in ("true", "yes", "1"):
                return True
            if lowered in ("false", "no", "0"):
                return False
            report(item.location, "", f"{self.field} '{text[:40]}' is not true or false")
            return _BAD
        try:
            return read_number(text.strip())  # the one parser of numbers in files
        except NumberError as exc:
            report(item.location, "", f"{self.field} '{text[:40]}' is not a number ({exc})")
            return _BAD


def read_list(
    doc: Document, path: JsonPath, spec: object, root: Path
) -> tuple[Items | None, list[Problem], Path | None]:
    """The list of a ``for_each`` at ``path`` (or the one reason it cannot be read), and
    the file read, if any."""
    try:
        items = lists.read(doc, (*path, "for_each"), spec, root)
    except ListError as exc:
        where = exc.location or doc.location((*path, "for_each"))
        return None, [Problem(where, "", exc.message)], exc.path
    if items is None:
        return None, [], None
    problems = [Problem(where, "", message) for where, message in items.problems]
    return items, problems, items.path
