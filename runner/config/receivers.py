"""``notify:`` in smm.yaml: who hears about which events, and the rule on secrets.

A receiver's URL is an Apprise URL in which every secret is written as ``${ENV_VAR}``:
the file stays safe to commit and to print, and the value is read from the environment
only when a notification is sent.  A URL that seems to hold a secret written out (a
password, or a long token) is refused with the line to fix.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from decimal import Decimal

from runner.errors import ConfigError, Location

EVENTS = (
    "in_doubt",
    "partial",
    "canceled",
    "refill_rejected",
    "budget",
    "apply_summary",
    "balance_below",
)
DEFAULT_TIMEOUT = 10.0

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# What a written-out token looks like: a long run of letters and digits with both in it.
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{16,}")


@dataclass(frozen=True)
class Receiver:
    url: str  # as written, with its ${ENV} references: safe to print
    events: frozenset[str]
    balance_below: Decimal | None = None
    timeout: float = DEFAULT_TIMEOUT
    location: Location | None = None

    @property
    def ident(self) -> str:
        """A stable name for what was sent to this receiver (not its secrets)."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:12]

    @property
    def shown(self) -> str:
        """The URL fit to print: its scheme and host-ish start, never a secret."""
        scheme, _, _ = self.url.partition("://")
        return f"{scheme}://…"

    def wants(self, event: str, threshold: Decimal | None = None) -> bool:
        """Whether to send it this event (a low balance: under its own threshold only;
        setting ``balance_below`` asks for that event)."""
        if event == "balance_below":
            return self.balance_below is not None and threshold == self.balance_below
        return event in self.events

    def expand(self) -> tuple[str, list[str]]:
        """The URL with its references filled from the environment, and the values filled
        in (secrets to keep out of every message); ConfigError naming an unset one."""
        values: list[str] = []

        def fill(match: re.Match[str]) -> str:
            value = os.environ.get(match[1], "")
            if not value:
                raise ConfigError(
                    f"notify: environment variable {match[1]} is not set (a receiver's URL "
                    "uses it)",
                    self.location,
                )
            values.append(value)
            return value

        return _REFERENCE.sub(fill, self.url), values


def secret_problem(url: str) -> str | None:
    """Why ``url`` seems to hold a secret written out, or None."""
    bare = _REFERENCE.sub("", url)
    if "${" in bare:
        return "has a ${ that is not a reference like ${NAME}"
    _, _, rest = bare.partition("://")
    userinfo, at, _ = rest.partition("/")[0].rpartition("@")
    if at and ":" in userinfo and userinfo.partition(":")[2]:
        return "holds a password; write it as ${ENV_VAR}"
    host, slash, path = rest.partition("/")
    host = host.rpartition("@")[2]
    if "." in host.partition(":")[0]:  # a host name (labels may be long): only the rest
        rest = path if slash else ""
    for found in _TOKEN.finditer(rest):
        text = found[0]
        if any(c.isdigit() for c in text) and any(c.isalpha() for c in text):
            return "seems to hold a token written out; write it as ${ENV_VAR}"
    return None


def parse(raw: object, index: int, location: Location | None) -> Receiver:
    """One item of ``notify:`` (already checked by the schema)."""
    assert isinstance(raw, dict)
    url = str(raw["url"])
    problem = secret_problem(url)
    if problem is not None:
        raise ConfigError(f"notify[{index}].url {problem}", location)
    events = raw.get("events")
    below = raw.get("balance_below")
    if isinstance(events, list) and "balance_below" in events and below is None:
        raise ConfigError(
            f"notify[{index}]: the balance_below event needs a balance_below amount", location
        )
    chosen = frozenset(events) if isinstance(events, list) else frozenset(EVENTS)
    return Receiver(
        url=url,
        events=chosen,
        balance_below=None if below is None else Decimal(str(below)),
        timeout=float(raw.get("timeout", DEFAULT_TIMEOUT)),
        location=location,
    )
