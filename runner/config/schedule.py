"""``repeat:`` on an order, read: a fixed period (``every: 7d``) or a cron expression
(``cron: "0 9 * * 1"``, UTC), with an optional start, end and ``catch_up``.

Only the reading lives here; which instance is due when is ``runner.plans.repeats``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from croniter import CroniterError, croniter

_EVERY = re.compile(r"([1-9][0-9]{0,5})([mhdw])")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


@dataclass(frozen=True, slots=True)
class Repeat:
    """When an order is made again: every ``every`` from ``start``, or at each match of
    ``cron``; no period starts at or after ``until``."""

    every: _dt.timedelta | None
    cron: str | None
    start: _dt.datetime
    until: _dt.datetime | None
    catch_up: bool
    text: str  # as written, for messages: "every 7d" or "cron 0 9 * * 1"


def moment(text: str) -> _dt.datetime | None:
    """A date (its midnight, UTC) or a date-time with a time zone; None otherwise."""
    try:
        value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=_dt.UTC) if len(text) == 10 else None
    return value.astimezone(_dt.UTC)


def parse(
    raw: Mapping[str, Any], default_start: _dt.datetime | None
) -> tuple[Repeat | None, list[tuple[str, str]]]:
    """The schedule, or (field, message) pairs saying what is wrong (the schema has
    already said what is of the wrong shape)."""
    problems: list[tuple[str, str]] = []
    every_text, cron_text = raw.get("every"), raw.get("cron")
    if (every_text is None) == (cron_text is None):
        return None, [
            ("", 'repeat needs either every (like 7d) or cron (like "0 9 * * 1"), not both')
        ]
    every = None
    if isinstance(every_text, str):
        match = _EVERY.fullmatch(every_text)
        if match is None:
            return None, []  # the schema's to say
        every = _dt.timedelta(seconds=int(match[1]) * _UNITS[match[2]])
    cron = None
    if isinstance(cron_text, str):
        cron = _cron(cron_text)
        if cron is None:
            problems.append(
                ("cron", f"'{cron_text}' is not a cron expression (minute hour day month weekday)")
            )
    bounds: dict[str, _dt.datetime | None] = {}
    for name in ("start", "until"):
        text = raw.get(name)
        bounds[name] = moment(text) if isinstance(text, str) else None
        if isinstance(text, str) and bounds[name] is None:
            problems.append((name, "must be a date or a date-time with a time zone"))
    start = bounds["start"] or default_start or EPOCH
    if cron is not None and first_match(cron, start) is None:
        problems.append(("cron", f"'{cron_text}' never matches (is the day in the month?)"))
    until = bounds["until"]
    if until is not None and until <= start:
        problems.append(
            ("until", f"{raw.get('until')} is not after the start ({start:%Y-%m-%dT%H:%M}Z)")
        )
    if problems or (every is None and cron is None):
        return None, problems
    text = f"every {every_text}" if every is not None else f"cron {cron_text}"
    return Repeat(every, cron, start, until, bool(raw.get("catch_up", False)), text), []


def _cron(text: str) -> str | None:
    """Five fields (minute hour day month weekday) or an alias like @weekly; else None."""
    fields = text.split()
    alias = len(fields) == 1 and text.startswith("@")
    if not (len(fields) == 5 or alias) or not croniter.is_valid(text):
        return None
    return " ".join(fields)


def first_match(cron: str, after: _dt.datetime) -> _dt.datetime | None:
    """The first moment after ``after`` that ``cron`` matches; None if it never does."""
    try:
        moment: _dt.datetime = croniter(cron, after).get_next(_dt.datetime)
    except (CroniterError, OverflowError):
        return None
    return moment.astimezone(_dt.UTC)
