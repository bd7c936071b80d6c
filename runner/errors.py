"""Every error smm raises on purpose, and the one mapping from an error to an exit code.

An error a user, a file, a disk or a panel can cause is an ``SmmError``: it reaches the
CLI's handler (``runner.cli.main``, which calls ``exit_code``), is printed as one line
(with ``file:line:col`` when it has a location) and exits 1.  Anything else is a bug:
a short message, the traceback (secrets redacted) in ``.smm/crash.log``, exit 3::

    SmmError                      one line, exit 1
    ├── ConfigError               smm.yaml or the environment (unknown panel, key variable)
    ├── CampaignError             campaign files
    │   ├── YamlError             not acceptable YAML (syntax, duplicate keys, size, tags)
    │   ├── NoFiles               no campaign files where the user pointed
    │   └── InvalidCampaigns      files with problems (``details`` lists them)
    ├── StateError                the state store cannot be used (damaged, locked, full)
    │   └── LockHeld              another process holds the lock; names the holder
    ├── PlanFileError             a saved plan that cannot be applied
    │   └── StalePlan             the state or the rates moved on since it was made
    ├── Declined                  the user said no at a prompt (nothing was changed)
    ├── ReportError               the report cannot be made (charting library, its file)
    └── PanelError                a panel call failed
        ├── PanelRejected         the panel answered and said no: {"error": "..."}
        ├── NotSent               surely never reached the panel (no connection, HTTP 429)
        └── OutcomeUnknown        may have been processed: timeout, reset, 5xx, HTML,
            │                     an unreadable or oversized body, no answer in time
            └── UnexpectedResponse  valid JSON of the wrong shape, or out-of-bounds numbers

Messages never contain an API key: keys travel only in POST bodies, bodies are never
quoted, and every panel text is redacted (``redact``) before it is shown or stored.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A place in a source file; lines and columns start at 1."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class SmmError(Exception):
    """An expected error: printed as one line (after its ``details``, if any), exit 1."""

    def __init__(
        self, message: str, location: Location | None = None, details: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.details = details

    def __str__(self) -> str:
        if self.location is not None:
            return f"{self.location}: {self.message}"
        return self.message


class ConfigError(SmmError):
    """The project file or the environment is wrong (unknown panel, missing key variable...)."""


class CampaignError(SmmError):
    """Campaign files cannot be used."""


class YamlError(CampaignError):
    """A file is not acceptable YAML for smm."""


class NoFiles(CampaignError):
    """No campaign files where the user pointed."""


class InvalidCampaigns(CampaignError):
    """Campaign files have problems; ``details`` holds one line per problem."""


class StateError(SmmError):
    """The state store cannot be used."""


class LockHeld(StateError):
    """Another process holds the state lock."""


class PlanFileError(SmmError):
    """A saved plan cannot be applied."""


class StalePlan(PlanFileError):
    """The state (or a rate) moved on since the saved plan was made."""


class Declined(SmmError):
    """The user answered no at a confirmation prompt."""


class ReportError(SmmError):
    """``smm report`` cannot draw or write its page."""


class PanelError(SmmError):
    """A panel call failed."""

    def __init__(self, panel: str, message: str) -> None:
        message = redact(message)
        super().__init__(f"panel {panel}: {message}")
        self.panel = panel
        self.detail = message


class PanelRejected(PanelError):
    """The panel answered with ``{"error": ...}``: the request was processed and refused."""

    def __init__(self, panel: str, reason: str, http_status: int = 200) -> None:
        super().__init__(panel, reason)
        self.reason = self.detail
        self.http_status = http_status


class NotSent(PanelError):
    """The request surely never reached the panel (no connection, or HTTP 429)."""

    def __init__(self, panel: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(panel, message)
        self.retry_after = retry_after


class Halted(NotSent):
    """Stopped (Ctrl-C) while the request waited for its turn: it was never sent."""


class OutcomeUnknown(PanelError):
    """The request may or may not have been processed by the panel."""

    def __init__(self, panel: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(panel, message)
        self.retry_after = retry_after


class UnexpectedResponse(OutcomeUnknown):
    """The panel answered JSON that does not have the documented shape."""


# --- the mapping to exit codes ---------------------------------------------------------


def exit_code(exc: BaseException) -> int:
    """Report ``exc`` on stderr the way its kind asks, and return the exit code."""
    if isinstance(exc, SmmError):
        from runner.printable import clean

        for line in exc.details:
            print(clean(line))
        print(f"Error: {clean(exc)}", file=sys.stderr)
        return EXIT_ERROR
    if isinstance(exc, KeyboardInterrupt):
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError):
        return EXIT_ERROR
    report_bug(exc)
    return EXIT_BUG


def crash_log_path() -> Path:
    return Path(os.environ.get("SMM_CRASH_LOG", ".smm/crash.log"))


def report_bug(exc: BaseException) -> None:
    """Write the traceback (secrets redacted) to the crash log and print a short message."""
    text = redact("".join(traceback.format_exception(exc)))
    path = crash_log_path()
    where = str(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            command = redact(" ".join(sys.argv[1:]))
            fh.write(f"--- {_dt.datetime.now(_dt.UTC).isoformat()} smm {command}\n")
            fh.write(text)
    except OSError:
        where = "(could not write the crash log)"
    print(
        f"smm: internal error ({type(exc).__name__}); this is a bug. Details in {where}",
        file=sys.stderr,
    )


# --- secrets ---------------------------------------------------------------------------

_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    """Remember a secret so that no message, log line or stored text shows it."""
    if value:
        _SECRETS.add(value)


# Maskers of what is recognisably a secret though not its exact text (a key echoed in
# another case, base64, cut short, split): one per secret, registered by its owner.
_MASKERS: dict[str, Callable[[str], str]] = {}


def register_masker(name: str, masker: Callable[[str], str]) -> None:
    """Apply ``masker`` to every text ``redact`` cleans (``name``: one per secret)."""
    _MASKERS[name] = masker


# A URL's credentials, whoever's they are and however short: the password of
# ``scheme://user:password@``, and query parameters named like a secret (``password=``,
# ``sslpassword=``, ``passfile=``, ``sslkey=``, ``api_key=``, ``token=``...).
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]*@")
_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:[a-z0-9_-]*(?:pass|secret|token|key)[a-z0-9_-]*|sslcert)=)[^&\s#;]*"
)


def redact(text: str) -> str:
    if "://" in text:
        text = _URL_PASSWORD.sub(r"\1***@", text)
        text = _QUERY_SECRET.sub(r"\1***", text)
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "***")
    for masker in list(_MASKERS.values()):
        text = masker(text)
    return text
