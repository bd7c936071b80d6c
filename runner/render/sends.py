"""What a create sends besides its link and quantity, in words: briefly for a terminal,
whole for Markdown (JSON carries the exact parameters, ``Action.to_json()["sends"]``).

Values come from campaign files: the caller escapes what this returns (``clean`` for a
terminal, ``md`` for Markdown) — every value here is plain text.
"""

from __future__ import annotations

import json
from typing import Any

from runner.plans.plan import Action

# Shown elsewhere (the link line, the units line), or not sent at all.
_SHOWN_APART = frozenset({"link", "quantity", "drip_feed"})
_SUBSCRIPTION = ("username", "min", "max", "posts", "old_posts", "delay", "expiry")
_LABELS = {
    "answer_number": "poll answer",
    "username": "username",
    "usernames": "usernames",
    "hashtags": "hashtags",
    "hashtag": "hashtag",
    "keywords": "keywords",
    "groups": "groups",
    "comments": "comments",
    "media": "media",
    "country": "country",
    "device": "device",
    "type_of_traffic": "traffic from",
    "google_keyword": "keyword",
    "referring_url": "referrer",
}
_TRAFFIC = {1: "a Google keyword", 2: "a referring page", 3: "nowhere (direct)"}
# Items a brief line shows of a list before "and N more".
BRIEF_ITEMS = 3


def _quoted(value: Any) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def _items(values: list[Any], brief: bool) -> str:
    shown = values[:BRIEF_ITEMS] if brief else values
    text = ", ".join(_quoted(v) for v in shown)
    if len(values) > len(shown):
        text += f", and {len(values) - len(shown)} more"
    return f"{len(values)}: {text}"


def _scalar(name: str, value: Any) -> str:
    if name == "type_of_traffic" and value in _TRAFFIC:
        return f"{_TRAFFIC[value]} ({value})"
    return str(value)


def subscription(fields: dict[str, Any]) -> list[tuple[str, str]]:
    """A subscription's settings, and why its units are what they are."""
    if not {"min", "max"} <= set(fields):
        return []
    posts, old = fields.get("posts"), fields.get("old_posts") or 0
    parts = [f"{fields['min']} to {fields['max']} per post"]
    parts.append("every new post (no limit)" if posts is None else f"{posts} new posts")
    if old:
        parts.append(f"{old} old posts")
    if fields.get("delay"):
        parts.append(f"{fields['delay']} min after each post")
    if fields.get("expiry"):
        parts.append(f"until {fields['expiry']}")
    return [("username", str(fields.get("username", ""))), ("subscription", ", ".join(parts))]


def worst_case(action: Action) -> str | None:
    """Why a subscription's units are what they are: the most it may deliver."""
    fields = action.fields
    if action.service_type != "Subscriptions" or "max" not in fields:
        return None
    if fields.get("posts") is None:
        return "no bound: without 'posts' it covers every new post"
    old = fields.get("old_posts") or 0
    return f"max {fields['max']} x ({fields['posts']} posts + {old} old posts)"


def details(action: Action, brief: bool = True) -> list[tuple[str, str]]:
    """(label, text) per thing the create sends besides link and quantity, in file order
    of importance: the poll answer, names, tags, keywords, groups, comments."""
    fields = action.fields
    if action.service_type == "Subscriptions":
        return subscription(fields)
    order = list(_LABELS)
    rows = []
    names = sorted(
        set(fields) - _SHOWN_APART, key=lambda n: (n not in order, n in order and order.index(n), n)
    )
    for name in names:
        value = fields[name]
        label = _LABELS.get(name, name.replace("_", " "))
        text = _items(value, brief) if isinstance(value, list) else _scalar(name, value)
        rows.append((label, text))
    return rows
