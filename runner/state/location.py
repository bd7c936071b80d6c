"""Where the state lives: a SQLite file (a path) or a PostgreSQL database (a URL).

``state:`` in smm.yaml, the ``SMM_STATE`` environment variable and ``--state`` each take
either form (``--state`` over ``SMM_STATE`` over the file).  A URL's password is never
shown: ``display`` hides it, and only ``url`` (given to the driver) carries it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, quote, quote_plus, unquote, urlencode, urlsplit

from runner.errors import ConfigError, register_secret

SCHEMES = ("postgresql", "postgres")
DEFAULT_SCHEMA = "smm"
# libpq's parameters that carry a credential or say where one is kept; any other whose
# name says secret (``is_credential``) is masked too.
CREDENTIALS = frozenset({"password", "sslpassword", "passfile", "sslkey", "sslcert"})
MIN_SECRET = 4  # shorter values are masked in the URL, not in every text ("x" is in "max")
_CONNINFO = re.compile(r"\s*[a-z_]+\s*=\s*\S", re.ASCII)


@dataclass(frozen=True)
class StateLocation:
    """A SQLite file (``path``) or a PostgreSQL database (``url``, tables in ``schema``)."""

    path: Path | None = None
    url: str | None = None
    schema: str = DEFAULT_SCHEMA

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    @property
    def display(self) -> str:
        """Fit to print: the path, or the URL with every credential it carries replaced by
        ``***`` (the password in ``user:password@``, and ``password``, ``sslpassword``,
        ``passfile``, ``sslkey`` or any parameter named like a secret in its query), and
        its schema, when not the default."""
        if self.path is not None:
            return str(self.path)
        assert self.url is not None
        parts = urlsplit(self.url)
        netloc = parts.netloc
        if parts.password is not None:
            user, _, host = netloc.rpartition("@")
            netloc = f"{user.partition(':')[0]}:***@{host}"
        query = [
            (name, "***" if is_credential(name) else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        if self.schema != DEFAULT_SCHEMA:
            query.append(("schema", self.schema))
        return _unsplit(parts.scheme, netloc, parts.path, urlencode(query, safe="*/"))

    @property
    def credentials(self) -> list[str]:
        """Every secret the URL carries, as written and decoded: what no message may show."""
        if self.url is None:
            return []
        parts = urlsplit(self.url)
        found = []
        if parts.password:
            found += [parts.password, unquote(parts.password)]
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if is_credential(name) and value:
                found += [value, quote(value, safe=""), quote_plus(value, safe="")]
        return sorted(set(found), key=len, reverse=True)

    def __str__(self) -> str:
        return self.display

    @property
    def sqlite_path(self) -> Path:
        """The file of a SQLite state (an error for any other kind)."""
        if self.path is None:
            raise ConfigError(f"{self.display} is not a SQLite state file")
        return self.path


def parse(text: str, root: Path) -> StateLocation:
    """A path (relative to ``root``) or a ``postgresql://`` URL; ``?schema=NAME`` in the
    URL chooses the schema (default ``smm``)."""
    text = text.strip()
    scheme = text.split(":", 1)[0].lower() if "://" in text else ""
    if not scheme:
        if not text:
            raise ConfigError("the state location is empty")
        if _CONNINFO.match(text):
            # Never echoed: "host=... password=..." would be shown as a file name.
            raise ConfigError(
                "the state location looks like a libpq key=value string: write it as a "
                "postgresql:// URL"
            )
        return StateLocation(path=(root / text).resolve())
    if scheme not in SCHEMES:
        raise ConfigError(
            f"state location {text.split('://')[0]}://...: expected a file path or a "
            "postgresql:// URL"
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"state URL is malformed ({exc})") from None
    query = parse_qs(parts.query)
    schema = query.pop("schema", [DEFAULT_SCHEMA])[-1]
    if not schema.isidentifier() or not schema.isascii():
        raise ConfigError(f"state URL: schema {schema!r} is not a plain SQL identifier")
    url = _unsplit(parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True))
    location = StateLocation(url=url, schema=schema.lower())
    for secret in location.credentials:
        if len(secret) >= MIN_SECRET:
            register_secret(secret)  # masked in every message, log and crash log too
    return location


def is_credential(name: str) -> bool:
    """Whether a libpq URL parameter carries a credential (or where one is kept)."""
    name = name.lower()
    return name in CREDENTIALS or any(word in name for word in ("pass", "secret", "token", "key"))


def _unsplit(scheme: str, netloc: str, path: str, query: str) -> str:
    """A URL from its parts, keeping the ``//`` of an empty host (``postgresql:///db``:
    the local socket), which ``urlunsplit`` drops."""
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
