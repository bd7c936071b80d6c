"""Moments as smm records them: UTC ISO 8601 text, read back one way everywhere."""

from __future__ import annotations

import datetime as _dt


def parse_moment(text: str | None) -> _dt.datetime | None:
    """A recorded moment (``2026-12-04T16:19:02Z`` or with an offset) as an aware
    datetime; ``None`` for no text or text that is not a moment (a damaged field must
    not stop a command that only wants to show an age)."""
    if not text:
        return None
    try:
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.UTC)


_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> _dt.timedelta | None:
    """A duration as campaign files write it (``30m``, ``12h``, ``7d``, ``2w``); ``None``
    for anything else (the schema says what the form must be)."""
    if len(text) < 2 or text[-1] not in _UNITS or not text[:-1].isdigit():
        return None
    return _dt.timedelta(seconds=int(text[:-1]) * _UNITS[text[-1]])
