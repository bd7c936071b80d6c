"""Batch calls' ids and answers: ids cut into chunks of one call, and each batch answer
read into one result, or one ``ItemError``, per id asked, whatever shape the panel sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from runner.api.fields import ParseError, error_text, parse_count, parse_id, text
from runner.api.models import ItemError, OrderInfo, RefillStatus, item_error
from runner.errors import UnexpectedResponse

BATCH_SIZE = 100


def id_chunks(ids: Iterable[int], size: int = BATCH_SIZE) -> Iterator[list[int]]:
    """``ids`` without repeats, ``size`` at a time, read lazily."""
    chunk: list[int] = []
    seen: set[int] = set()
    for ident in ids:  # lazily: the ids may still be coming
        if ident in seen:
            continue
        seen.add(ident)
        chunk.append(ident)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def statuses(panel: str, body: object, chunk: list[int]) -> dict[int, OrderInfo | ItemError]:
    """A ``status`` answer for many orders (an object keyed by id), one entry per id."""
    result: dict[int, OrderInfo | ItemError] = {}
    if not isinstance(body, Mapping):
        raise UnexpectedResponse(panel, "status: expected an object keyed by id")
    by_id = {str(k).strip(): v for k, v in body.items()}
    for ident in chunk:
        raw = by_id.get(str(ident))
        if raw is None:
            result[ident] = ItemError("missing from the panel's answer", said=False)
            continue
        error = item_error(raw)
        if error is not None:
            result[ident] = error
            continue
        try:
            result[ident] = OrderInfo.parse(raw)
        except ParseError as exc:
            result[ident] = ItemError(f"unreadable status ({exc})", said=False)
    return result


def items(
    panel: str,
    action: str,
    body: object,
    fields: tuple[str, str],
    chunk: list[int],
    convert: Callable[[object], Any],
) -> dict[int, Any]:
    """A batch answer listing ``{id_field: id, value_field: value}`` entries (or an object
    keyed by id), one converted value or ``ItemError`` per id of ``chunk``."""
    id_field, value_field = fields
    if isinstance(body, Mapping):  # some forks key the answer by id
        body = [{id_field: k, value_field: v} for k, v in body.items()]
    if not isinstance(body, list):
        raise UnexpectedResponse(panel, f"{action}: expected a list")
    seen: dict[int, Any] = {}
    for entry in body:
        if not isinstance(entry, Mapping) or id_field not in entry:
            continue
        try:
            ident = parse_id(entry[id_field], id_field)
        except ParseError:
            continue
        raw = entry.get(value_field)
        error = None
        if not isinstance(raw, str | int) or _is_error_text(raw):
            error = item_error(raw)
        if error is None and error_text(entry) is not None:
            error = ItemError(error_text(entry) or "")
        if error is not None:
            seen[ident] = error
            continue
        try:
            seen[ident] = convert(raw)
        except ParseError as exc:
            seen[ident] = ItemError(f"unreadable answer ({exc})", said=False)
    return {
        ident: seen.get(ident, ItemError("missing from the panel's answer", said=False))
        for ident in chunk
    }


_ERROR_WORDS = re.compile(r"\b(incorrect|invalid|not|error|unknown|denied|failed)\b", re.I)


def _is_error_text(value: object) -> bool:
    """A bare string where a value belongs is a per-item error ("Incorrect order ID")."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text.isdigit():
        return False
    return bool(_ERROR_WORDS.search(text))


def refill_value(raw: object) -> int:
    return parse_id(raw, "refill id")


def refill_status_value(raw: object) -> RefillStatus:
    if isinstance(raw, Mapping) and "status" in raw:
        raw = raw["status"]
    if not isinstance(raw, str):
        raise ParseError("refill status: expected a string")
    return RefillStatus(text(raw, 60))


def cancel_value(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    # 1 (or a cancel id) is done, 0 is not
    return parse_count(raw, "cancel", 0, 2**63 - 1) != 0 if raw is not None else False
