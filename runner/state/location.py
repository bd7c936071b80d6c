"""Where the state lives: a SQLite file (a path) or a PostgreSQL database (a URL).

``state:`` in smm.yaml, the ``SMM_STATE`` environment variable and ``--state`` each take
either form (``--state`` over ``SMM_STATE`` over the file).  A URL's password is never
shown: ``display`` hides it, and only ``url`` (given to the driver) carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from runner.errors import ConfigError

SCHEMES = ("postgresql", "postgres")
DEFAULT_SCHEMA = "smm"


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
        """Fit to print: the path, or the URL with any password replaced by ``***`` (and
        its schema, when not the default)."""
        if self.path is not None:
            return str(self.path)
        assert self.url is not None
        parts = urlsplit(self.url)
        if parts.password is not None:
            user = parts.username or ""
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
            parts = parts._replace(netloc=f"{user}:***@{host}{port}")
        if self.schema != DEFAULT_SCHEMA:
            query = "&".join(q for q in (parts.query, f"schema={self.schema}") if q)
            parts = parts._replace(query=query)
        return urlunsplit(parts)

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
    url = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    return StateLocation(url=url, schema=schema.lower())
