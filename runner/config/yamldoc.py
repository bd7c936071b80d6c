"""Safe, bounded YAML loading that remembers where every value came from.

PyYAML's loaders silently keep the last of two duplicate keys, expand aliases without
limit and forget positions.  This module composes the node graph with the libyaml C
parser when present, then builds plain Python values itself: duplicate keys are errors,
alias expansion and file size are bounded, floats become ``Decimal`` (money is never a
binary float), timestamps stay strings, and every value and key keeps its line/column.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runner.config.files import not_a_file
from runner.errors import Location, YamlError
from runner.money import NumberError, read_number

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml is present on supported installs
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_ALIAS_EXPANSION = 100_000
MAX_DEPTH = 64
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"})
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_STR = "tag:yaml.org,2002:str"
# Plain (unquoted) text YAML 1.1 leaves a string that is still a number to a reader:
# 09, 0X1F, 0o17, 1e3 (an exponent without a sign), .5e3, 1,000.
_NUMBERISH = re.compile(
    r"[-+]?(?:0[0-9_]+(?:\.[0-9_]*)?"  # leading zeros: 09, 00.5
    r"|0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+"  # other bases
    r"|[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+|\.[0-9_]+[eE][-+]?[0-9]+"  # exponents
    r"|[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?)",  # thousands separators
    re.ASCII,
)

JsonPath = tuple[str | int, ...]


@dataclass
class Document:
    """A loaded file: its value and the position of every value and mapping key in it."""

    file: str
    value: Any
    positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)

    def location(self, path: JsonPath, key: bool = False) -> Location:
        """The position of the value at ``path`` (or of its key), else of its nearest parent."""
        table = self.key_positions if key else self.positions
        probe = tuple(path)
        while True:
            if probe in table:
                line, col = table[probe]
                return Location(self.file, line, col)
            if key and probe in self.positions:
                line, col = self.positions[probe]
                return Location(self.file, line, col)
            if not probe:
                return Location(self.file, 1, 1)
            probe = probe[:-1]


def _location(file: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(file, 1, 1)
    return Location(file, mark.line + 1, mark.column + 1)


def _friendly(problem: str, text: str, mark: yaml.Mark | None) -> str:
    if mark is not None:
        lines = text.splitlines()
        if mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t":
            return "tab character: YAML indentation must use spaces"
    return problem


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.scalars = yaml.constructor.SafeConstructor()
        self.seen: set[int] = set()
        self.visits = 0
        self.active: set[int] = set()

    def fail(self, message: str, node: yaml.Node) -> YamlError:
        return YamlError(message, _location(self.doc.file, node.start_mark))

    def build(self, node: yaml.Node, path: JsonPath, depth: int = 0) -> Any:
        self.visits += 1
        self.seen.add(id(node))
        if self.visits - len(self.seen) > MAX_ALIAS_EXPANSION:
            raise self.fail("too many alias expansions (is this a 'billion laughs' file?)", node)
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH} levels", node)
        if id(node) in self.active:
            raise self.fail("recursive alias", node)
        self.doc.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [
                    self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)
                ]
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path, depth)
        finally:
            self.active.discard(id(node))
        raise self.fail("unsupported YAML node", node)  # pragma: no cover

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag in _NUMBER_TAGS or (
            tag == _STR and not node.style and _NUMBERISH.fullmatch(node.value)
        ):
            return self.number(node)
        if tag in ("tag:yaml.org,2002:timestamp", _STR):
            return node.value
        if tag not in _PLAIN_TAGS:
            raise self.fail(f"tag {tag.replace('tag:yaml.org,2002:', '!!')} is not allowed", node)
        try:
            return self.scalars.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self.fail(f"cannot read this value ({exc})", node) from None

    def number(self, node: yaml.ScalarNode) -> Any:
        """A number as a person writes one (``money.read_number``): YAML 1.1's other forms
        (0100 is 64, 1:30 is 90, 0x10, 1_000, +12, .5, 1e3...) are errors naming the
        plain number probably meant, and the digits are bounded before conversion."""
        if node.value.lower().lstrip("+-") in (".inf", ".nan"):
            return node.value  # meaningless for smm: the text makes the schema report it
        try:
            return read_number(node.value)
        except NumberError as exc:
            raise self.fail(str(exc), node) from None

    def mapping(self, node: yaml.MappingNode, path: JsonPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                for source in self._merge_sources(value_node):
                    value = self.build(source, path, depth + 1)
                    for k, v in value.items():
                        merged.setdefault(k, v)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail("mapping keys must be plain strings", key_node)
            # A key is a name: "010:" is the text 010, never the number 8.
            key = key_node.value if key_node.tag in _NUMBER_TAGS else self.scalar(key_node)
            # Keys repeat in every order of a file: one string each, not one per order.
            key = sys.intern(key if isinstance(key, str) else str(key_node.value))
            if key in result:
                raise self.fail(f"duplicate key '{key}'", key_node)
            self.doc.key_positions[(*path, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = self.build(value_node, (*path, key), depth + 1)
        for k, v in merged.items():
            result.setdefault(k, v)
        return result

    def _merge_sources(self, node: yaml.Node) -> Iterator[yaml.Node]:
        if isinstance(node, yaml.MappingNode):
            yield node
        elif isinstance(node, yaml.SequenceNode) and all(
            isinstance(n, yaml.MappingNode) for n in node.value
        ):
            yield from node.value
        else:
            raise self.fail("a merge key (<<) needs a mapping or a list of mappings", node)


def _decode(file: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", Location(file, line, col)
        ) from None
    return text.removeprefix("\ufeff")


def loads(text: str, file: str = "<string>") -> Document:
    """Load one YAML document from text."""
    doc = Document(file=file, value=None)
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(_friendly(problem, text, mark), _location(file, mark)) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", Location(file, 1, 1)) from None
    except RecursionError:
        raise YamlError("nesting too deep", Location(file, 1, 1)) from None
    if len(nodes) > 1:
        raise YamlError(
            "more than one YAML document (---) in one file", _location(file, nodes[1].start_mark)
        )
    if not nodes:
        doc.value = None
        return doc
    doc.value = _Builder(doc).build(nodes[0], ())
    return doc


def load(path: Path, display: str | None = None, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """Load one YAML file, refusing files over ``max_bytes`` before reading them, and
    anything that is not a regular file before opening it."""
    file = display if display is not None else str(path)
    problem = not_a_file(path)
    if problem is not None:
        raise YamlError(problem, Location(file, 1, 1))
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise YamlError(
                f"file is too large ({size // (1024 * 1024)} MiB; the limit is "
                f"{max_bytes // (1024 * 1024)} MiB)",
                Location(file, 1, 1),
            )
        data = path.read_bytes()
    except OSError as exc:
        raise YamlError(f"cannot read file: {exc.strerror}", Location(file, 1, 1)) from None
    return load_bytes(data, file)


def load_bytes(data: bytes, file: str) -> Document:
    """Load one YAML document from a file's bytes (already read, within the limit)."""
    return loads(_decode(file, data), file)
