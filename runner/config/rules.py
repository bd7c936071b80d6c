"""The rules of campaign files that the schema cannot express, value by value.

A rule looks only at values of the shape the schema asks for: on a file the schema found
wrong, the rules still check every value that can be checked, and say nothing about a
value the schema already refused (one message per mistake).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from runner.api.ordertypes import LIST_FIELDS, OrderType
from runner.clock import parse_duration
from runner.config.schema import Problem, format_path
from runner.config.yamldoc import Document, JsonPath
from runner.printable import has_control

_DAY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


@dataclass(frozen=True)
class KnownPanels:
    """The panel names a campaign may use (those of smm.yaml), and where they come from."""

    names: frozenset[str]
    source: str = "smm.yaml"

    def unknown(self, name: object) -> str | None:
        """Why ``name`` cannot be used, or None (a value of the wrong type is the schema's)."""
        if not isinstance(name, str) or name in self.names:
            return None
        known = ", ".join(sorted(self.names)) or "none"
        return f"unknown panel '{name}' (panels in {self.source}: {known})"


def control_characters(doc: Document) -> list[Problem]:
    """Every string in the file is one visible line: a control character (a newline ending
    an id, a tab, an escape sequence) or an invisible mark could make two values look
    alike, split a comment in two on the wire, or rewrite a terminal."""
    problems: list[Problem] = []

    def walk(value: Any, path: JsonPath) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                check(key, (*path, key), key=True)
                walk(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index))
        elif isinstance(value, str):
            check(value, path)

    def check(text: str, path: JsonPath, key: bool = False) -> None:
        position = has_control(text)
        if position is not None:
            code = ord(text[position - 1])
            problems.append(
                Problem(
                    doc.location(path, key=key),
                    format_path(path),
                    f"control or invisible character U+{code:04X} at position {position} "
                    f"of {'the key' if key else 'the value'}; write it without one",
                )
            )

    walk(doc.value, ())
    return problems


def _int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _texts(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def consistency(
    merged: Mapping[str, Any], matches: Iterable[OrderType], today: _dt.date
) -> list[tuple[str, str]]:
    """What does not hold together in one order's fields: (field, message) pairs."""
    found: list[tuple[str, str]] = []
    quantity = merged.get("quantity")
    if _int(quantity):
        for name in ("comments", "usernames"):
            items = merged.get(name)
            counted = all(t.units == name for t in matches)
            if _texts(items) and counted and quantity != len(items):
                found.append(
                    (
                        "quantity",
                        f"quantity {quantity} does not match the {len(items)} {name} given "
                        "(the panel charges one per item)",
                    )
                )
    low, high = merged.get("min"), merged.get("max")
    if _int(low) and _int(high) and low > high:
        found.append(("min", f"min {low} is greater than max {high}"))
    expiry = merged.get("expiry")
    problem = expiry_problem(expiry, today) if isinstance(expiry, str) else None
    if problem is not None:
        found.append(("expiry", problem))
    traffic = merged.get("type_of_traffic")
    if "google_keyword" in merged and traffic != 1 and (traffic is None or _int(traffic)):
        found.append(("google_keyword", "google_keyword needs type_of_traffic: 1"))
    if "referring_url" in merged and traffic != 2 and (traffic is None or _int(traffic)):
        found.append(("referring_url", "referring_url needs type_of_traffic: 2"))
    if traffic == 1 and "google_keyword" not in merged:
        found.append(("type_of_traffic", "type_of_traffic 1 needs a google_keyword"))
    if traffic == 2 and "referring_url" not in merged:
        found.append(("type_of_traffic", "type_of_traffic 2 needs a referring_url"))
    for name in sorted(LIST_FIELDS & set(merged)):
        items = merged[name]
        if _texts(items) and len(set(items)) != len(items) and name != "comments":
            found.append((name, f"{name} repeats an item"))
    refills = merged.get("refills")
    if merged.get("cancel") is True and _int(refills) and refills > 0:
        found.append(("cancel", "an order cannot ask for both cancel and refills"))
    found += outcome_problems(merged)
    return found


def outcome_problems(merged: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``on_partial``, ``max_topups`` and ``auto_refill`` (runner.plans.topups, refills)."""
    found: list[tuple[str, str]] = []
    if merged.get("on_partial") == "reorder" and "quantity" not in merged:
        found.append(("on_partial", "on_partial: reorder needs an order with a quantity"))
    if "max_topups" in merged and merged.get("on_partial") != "reorder":
        found.append(("max_topups", "max_topups needs on_partial: reorder"))
    if merged.get("on_partial") == "reorder" and merged.get("cancel") is True:
        found.append(("on_partial", "an order cannot ask for both cancel and on_partial: reorder"))
    schedule = merged.get("auto_refill")
    if isinstance(schedule, Mapping):
        every, window = schedule.get("every"), schedule.get("for")
        if isinstance(every, str) and isinstance(window, str):
            step, span = parse_duration(every), parse_duration(window)
            if step is not None and span is not None and step > span:
                found.append(
                    ("auto_refill", f"auto_refill every {every} is longer than for {window}")
                )
        if merged.get("cancel") is True:
            found.append(("auto_refill", "an order cannot ask for both cancel and auto_refill"))
    return found


def expiry_problem(text: str, today: _dt.date) -> str | None:
    """A subscription's last day (d/m/Y) must be a real date, today or later (UTC): panels
    refuse a past one."""
    match = _DAY.fullmatch(text)
    if match is None:
        return None  # the schema says what the form must be
    day, month, year = (int(x) for x in match.groups())
    try:
        last = _dt.date(year, month, day)
    except ValueError:
        return f"{text} is not a real date"
    if last < today:
        return f"{text} is in the past (today is {today:%d/%m/%Y} UTC); panels refuse it"
    return None
