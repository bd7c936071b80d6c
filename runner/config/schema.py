"""JSON Schema validation of loaded YAML documents, with errors in plain sentences.

The schemas in ``schemas/`` are the single source of truth for the files' shape; this
module loads them (from the installed package or the source tree), validates a
``Document`` and turns every error into ``file:line:col: path: sentence``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from runner.config.yamldoc import Document, JsonPath
from runner.errors import Location

SECRET_NAMES = frozenset({"key", "api_key", "apikey", "api-key", "token", "secret", "password"})


@dataclass(frozen=True, order=True)
class Problem:
    """One error found in a file."""

    location: Location
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.location}: {where}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "path": self.path,
            "message": self.message,
        }


def schema_text(name: str) -> str:
    """The text of ``schemas/<name>.schema.json``, installed or from the source tree."""
    filename = f"{name}.schema.json"
    try:
        return resources.files("runner.schemas").joinpath(filename).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        source = Path(__file__).resolve().parents[2] / "schemas" / filename
        return source.read_text("utf-8")


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text(name))
    return loaded


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with local ``$ref``s replaced by their targets (the schemas have no
    cycles): validation then skips reference lookups, several times faster."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        out = {k: _inline(v, defs) for k, v in node.items() if k not in ("$ref", "$defs")}
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = _inline(defs[ref.removeprefix("#/$defs/")], defs)
            merged = dict(target)
            for key, value in out.items():
                if key == "required":
                    merged[key] = sorted({*merged.get(key, []), *value})
                else:
                    merged[key] = value
            return merged
        return out
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


Check = Callable[[Any], bool]


def _part(name: str, definition: str) -> Any:
    """The schema, or one of its ``$defs``, with its references inlined."""
    raw = schema(name)
    defs = raw.get("$defs", {})
    return _inline(defs[definition] if definition else raw, defs)


@cache
def _fast_check(name: str, definition: str = "") -> Check:
    """A yes/no check of the schema, compiled to Python by fastjsonschema.

    fastjsonschema speaks draft-07, whose meaning of every keyword our schemas use
    (type, enum, pattern, bounds, lengths, items, properties, required, not,
    propertyNames) is that of 2020-12; a test holds its verdict equal to jsonschema's on
    every file of the corpus, the examples and edge probes."""
    import fastjsonschema

    inlined = dict(_part(name, definition))
    inlined["$schema"] = "http://json-schema.org/draft-07/schema#"
    compiled = fastjsonschema.compile(inlined)

    def check(value: Any) -> bool:
        try:
            compiled(value)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    return check


@cache
def _validator(name: str, definition: str = "") -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(_part(name, definition))


def format_path(path: JsonPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _article(kind: str) -> str:
    names = {
        "integer": "an integer",
        "number": "a number",
        "string": "a string",
        "boolean": "true or false",
        "object": "a mapping",
        "array": "a list",
        "null": "empty",
    }
    return names.get(kind, kind)


def _describe_type(expected: Any) -> str:
    kinds = expected if isinstance(expected, list) else [expected]
    return " or ".join(_article(k) for k in kinds)


def _found(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a number"


def _translate(doc: Document, error: Any) -> list[Problem]:
    path: JsonPath = tuple(error.absolute_path)
    kind = error.validator
    sub = error.schema if isinstance(error.schema, dict) else {}
    loc = doc.location(path)
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        known = list(sub.get("properties", {}))
        extras = [k for k in error.instance if k not in sub.get("properties", {})]
        problems = []
        for extra in extras:
            if extra.lower() in SECRET_NAMES:
                message = (
                    f"'{extra}': API keys are not allowed in files; put the key in an "
                    "environment variable and name it with key_env in smm.yaml"
                )
            else:
                message = f"unknown field '{extra}'"
                close = difflib.get_close_matches(extra, known, n=1)
                if close:
                    message += f" (did you mean '{close[0]}'?)"
            problems.append(
                Problem(doc.location((*path, extra), key=True), format_path(path), message)
            )
        return problems
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return [Problem(loc, format_path(path), f"missing required field '{missing}'")]
    custom = sub.get("x-error")
    if custom and kind in ("pattern", "format", "enum", "anyOf", "oneOf", "not", "const"):
        return [Problem(loc, format_path(path), str(custom))]
    if kind == "type":
        message = f"must be {_describe_type(error.validator_value)}, not {_found(error.instance)}"
    elif kind == "minimum":
        message = f"must be at least {error.validator_value}"
    elif kind == "exclusiveMinimum":
        message = f"must be greater than {error.validator_value}"
    elif kind == "maximum":
        message = f"must be at most {error.validator_value}"
    elif kind == "exclusiveMaximum":
        message = f"must be less than {error.validator_value}"
    elif kind == "minLength":
        message = (
            "must not be empty"
            if error.validator_value == 1
            else (f"must be at least {error.validator_value} characters long")
        )
    elif kind == "maxLength":
        message = f"must be at most {error.validator_value} characters long"
    elif kind == "minItems":
        message = (
            "must not be an empty list"
            if error.validator_value == 1
            else (f"must have at least {error.validator_value} items")
        )
    elif kind == "maxItems":
        message = f"must have at most {error.validator_value} items"
    elif kind == "minProperties":
        message = "must not be empty"
    elif kind == "uniqueItems":
        message = "must not repeat items"
    elif kind == "enum":
        message = "must be one of " + ", ".join(json.dumps(v) for v in error.validator_value)
    elif kind == "pattern":
        message = f"{_short(error.instance)} does not match the expected form"
    elif kind == "propertyNames":
        message = "invalid name"
    else:
        message = error.message
    return [Problem(loc, format_path(path), message)]


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + '..."'


def validate(doc: Document, name: str, definition: str = "") -> list[Problem]:
    """Every schema error of ``doc`` against ``schemas/<name>.schema.json`` (or against
    one of its ``$defs``), in file order.

    A valid document (the common case) is recognised by a compiled check of the same
    schema (fastjsonschema); only an invalid one goes through jsonschema, which explains
    every error."""
    if _fast_check(name, definition)(doc.value):
        return []
    problems: list[Problem] = []
    for error in _validator(name, definition).iter_errors(doc.value):
        if error.validator == "propertyNames":
            problems.extend(_bad_names(doc, error))
        elif error.validator in ("anyOf", "oneOf") and not error.schema.get("x-error"):
            problems.extend(_translate(doc, _best(error)))
        else:
            problems.extend(_translate(doc, error))
    return sorted(set(problems))


def _bad_names(doc: Document, error: Any) -> list[Problem]:
    parent: JsonPath = tuple(error.absolute_path)
    out = []
    for cause in error.context or []:
        key = cause.instance
        custom = cause.schema.get("x-error") if isinstance(cause.schema, dict) else None
        out.append(
            Problem(
                doc.location((*parent, key), key=True),
                format_path(parent),
                custom or f"'{key}' is not a valid name",
            )
        )
    return out


def _best(error: Any) -> Any:
    import jsonschema.exceptions

    return jsonschema.exceptions.best_match(error.context or [error])
