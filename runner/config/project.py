"""The project file ``smm.yaml``: where the state lives and which panels exist.

Found in the working directory or a parent (like git); ``--config`` names it directly.
Without one, a built-in default offers the ``demo`` panel on ``sim://demo``.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from runner.clock import parse_duration
from runner.config import receivers
from runner.config.receivers import Receiver
from runner.config.safety import Safety
from runner.config.yamldoc import Document
from runner.config.yamldoc import load as load_yaml
from runner.errors import ConfigError, Location, SmmError

PROJECT_FILE = "smm.yaml"
DEFAULT_STATE = ".smm/state.db"
# The panel client's default (runner.panel.http.DEFAULT_MAX_ANSWER_BYTES; a test checks).
DEFAULT_MAX_ANSWER_MB = 32
# Without settle_seconds: how long after giving up on an answer a real panel is assumed
# to have surely finished the request (at least this, and at least 4 timeouts).  A panel
# that creates an order later than that could be ordered from twice; say so in smm.yaml.
DEFAULT_SETTLE = 120.0


@dataclass(frozen=True)
class PanelConfig:
    name: str
    url: str
    key_env: str | None = None
    rate_limit: str | None = None
    timeout: float = 30.0
    settle_seconds: float | None = None  # None: the timeout
    reconcile_calls: int = 50
    location: Location | None = None
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_MB * 2**20
    decimals: int | None = None  # how the panel rounds money (decimals:, or sim://?decimals=)
    # Look-alike orders (same service, units, charge) that may be in flight at once.
    identical_in_flight: int = 1
    # "request_id": the panel honours an idempotency key on add.
    idempotency: str | None = None

    @property
    def settle(self) -> float:
        """Seconds after giving up on an answer until the request is surely finished: the
        configured time, else a conservative default (the built-in simulator finishes a
        request before it answers: its timeout is enough)."""
        if self.settle_seconds is not None:
            return self.settle_seconds
        if self.is_sim:
            return self.timeout
        return max(DEFAULT_SETTLE, 4 * self.timeout)

    @property
    def is_sim(self) -> bool:
        return self.url.startswith("sim://")

    def key(self) -> str:
        """The API key from the environment; a one-line error naming the variable if unset."""
        if self.key_env is None:
            if self.is_sim:
                return "sim-demo-key"
            raise ConfigError(
                f"panel {self.name}: no key_env is set in {PROJECT_FILE}", self.location
            )
        value = os.environ.get(self.key_env, "")
        if not value:
            if self.is_sim:
                return "sim-demo-key"
            raise ConfigError(
                f"panel {self.name}: environment variable {self.key_env} is not set "
                "(it must hold the panel's API key)",
                self.location,
            )
        return value


@dataclass(frozen=True)
class Project:
    root: Path
    file: Path | None
    state: str = DEFAULT_STATE  # a path relative to root, or a postgresql:// URL
    panels: dict[str, PanelConfig] = field(default_factory=dict)
    notify: tuple[Receiver, ...] = ()
    stuck_after: _dt.timedelta = _dt.timedelta(hours=24)  # Pending longer: a person looks
    currency: str | None = None  # the project currency (selectors' max_rate is in it)
    exchange: dict[str, Decimal] = field(default_factory=dict)  # of it per unit of others
    safety: Safety | None = None

    @property
    def smm_dir(self) -> Path:
        return self.root / ".smm"

    @property
    def money_decimals(self) -> int | None:
        """The decimals text shows money with: the finest of the panels' (``decimals:``),
        so that no panel's charge is shown rounder than it is; None when none says."""
        known = [p.decimals for p in self.panels.values() if p.decimals is not None]
        return max(known) if known else None

    def panel(self, name: str, location: Location | None = None) -> PanelConfig:
        try:
            return self.panels[name]
        except KeyError:
            known = ", ".join(sorted(self.panels)) or "none"
            where = self.file.name if self.file else "the built-in default project"
            raise ConfigError(
                f"unknown panel '{name}' (panels in {where}: {known})", location
            ) from None


def default_project(root: Path) -> Project:
    return Project(
        root=root,
        file=None,
        panels={"demo": PanelConfig("demo", "sim://demo")},
    )


def find(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def load(config: Path | None = None, cwd: Path | None = None) -> Project:
    """Load the project file (``config``, or the nearest smm.yaml) or the default."""
    cwd = (cwd or Path.cwd()).resolve()
    path = config if config is not None else find(cwd)
    if path is None:
        return default_project(cwd)
    if not path.is_file():
        raise ConfigError(f"project file {path} not found")
    display = os.path.relpath(path, cwd) if path.is_absolute() else str(path)
    doc = load_yaml(path, display)
    return parse(doc, path.resolve().parent, path.resolve())


def parse(doc: Document, root: Path, file: Path) -> Project:
    from runner.config.schema import validate

    if doc.value is None:
        raise SmmError("the project file is empty", Location(doc.file, 1, 1))
    problems = validate(doc, "project")
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(
            f"{first.path + ': ' if first.path else ''}{first.message}{more}", first.location
        )
    data = doc.value
    panels = {}
    for name, raw in data["panels"].items():
        timeout = raw.get("timeout", 30)
        answer_mb = Decimal(str(raw.get("max_answer_mb", DEFAULT_MAX_ANSWER_MB)))
        panels[name] = PanelConfig(
            name=name,
            url=raw["url"],
            key_env=raw.get("key_env"),
            rate_limit=raw.get("rate_limit"),
            timeout=float(Decimal(str(timeout))),
            settle_seconds=(
                float(Decimal(str(raw["settle_seconds"]))) if "settle_seconds" in raw else None
            ),
            reconcile_calls=int(raw.get("reconcile_calls", 50)),
            location=doc.location(("panels", name), key=True),
            max_answer_bytes=max(1, int(answer_mb * 2**20)),
            decimals=raw.get("decimals", _sim_decimals(raw["url"])),
            identical_in_flight=int(raw.get("identical_in_flight", 1)),
            idempotency=raw.get("idempotency"),
        )
        if not panels[name].is_sim:
            problem = url_problem(raw["url"])
            if problem is not None:
                raise ConfigError(
                    f"panel {name}: url {raw['url']!r:.100} {problem}",
                    doc.location(("panels", name, "url")),
                )
        if not panels[name].is_sim and panels[name].key_env is None:
            raise ConfigError(
                f"panel {name}: key_env is required for a real panel (the name of the "
                "environment variable holding its API key)",
                doc.location(("panels", name), key=True),
            )
    notify = tuple(
        receivers.parse(raw, i, doc.location(("notify", i, "url")))
        for i, raw in enumerate(data.get("notify") or ())
    )
    if data.get("exchange") and not data.get("currency"):
        raise ConfigError(
            "exchange: needs currency: (the project currency its rates convert into)",
            doc.location(("exchange",), key=True),
        )
    return Project(
        root=root,
        file=file,
        state=str(data.get("state", DEFAULT_STATE)),
        panels=panels,
        notify=notify,
        stuck_after=parse_duration(str(data.get("stuck_after", "24h"))) or Project.stuck_after,
        currency=data.get("currency"),
        exchange={str(k): Decimal(str(v)) for k, v in (data.get("exchange") or {}).items()},
        safety=Safety.read(data.get("safety"), doc.location(("safety",), key=True)),
    )


def _sim_decimals(url: str) -> int | None:
    """A simulated panel's ``decimals`` query parameter, when its URL sets one."""
    if not url.startswith("sim://"):
        return None
    values = parse_qs(urlsplit(url).query).get("decimals", [])
    return int(values[-1]) if values and values[-1].isdigit() else None


_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?", re.ASCII)


def url_problem(url: str) -> str | None:
    """What makes ``url`` unusable as a panel's address, if anything (said after the URL)."""
    if any(ord(c) < 33 or 127 <= ord(c) < 160 for c in url):
        return "contains a space or a control character"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # "[::1", ports out of range or not numbers
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "is not an http(s) URL"
    host = parts.hostname
    if not host:
        return "has no host"
    if "@" in parts.netloc:
        return "must not hold a user name or password (the key comes from key_env)"
    if port == 0:
        return "has port 0"
    if host.isascii() and "xn--" not in host:
        try:
            ip_address(host)
            return None
        except ValueError:
            pass
        labels = host.removesuffix(".").split(".")
        if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
            return f"has an invalid host name {host!r:.80}"
        return None
    # An international name: ask the HTTP library (only then: it is slow to import).
    import httpx

    try:
        if not httpx.URL(url).host:  # the host decodes (IDNA) only when read
            return "has no host"
    except (httpx.InvalidURL, ValueError) as exc:  # IDNA errors are ValueErrors
        return f"has an invalid host name ({exc})"
    return None
