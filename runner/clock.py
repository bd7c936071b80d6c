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
