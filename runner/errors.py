"""The expected-error base class and the one top-level handler that maps errors to exit codes.

Every error a user can cause (bad file, missing key variable, panel refusal, ...) is an
``SmmError``: it is printed as one line and exits 1.  Anything else is a bug: a short
message, the traceback written to ``.smm/crash.log``, exit 3.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file; lines and columns start at 1."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class SmmError(Exception):
    """An expected error: printed as one line, exit code 1."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is not None:
            return f"{self.location}: {self.message}"
        return self.message


class ConfigError(SmmError):
    """The project file or the environment is wrong (unknown panel, missing key variable...)."""


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
            fh.write(f"--- {_dt.datetime.now(_dt.UTC).isoformat()} smm {' '.join(sys.argv[1:])}\n")
            fh.write(text)
    except OSError:
        where = "(could not write the crash log)"
    print(
        f"smm: internal error ({type(exc).__name__}); this is a bug. Details in {where}",
        file=sys.stderr,
    )


_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    """Remember a secret so that crash logs and log output never show it."""
    if value:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, "***")
    return text
