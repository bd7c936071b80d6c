"""Where campaign files are, and their names read cheaply (refresh and reconcile need the
names of the campaigns, not their orders)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from runner.config.yamldoc import MAX_FILE_BYTES
from runner.errors import NoFiles

DEFAULT_PATH = Path("campaigns")
SUFFIXES = (".yaml", ".yml")


def display_path(path: Path, cwd: Path | None = None) -> str:
    cwd = cwd or Path.cwd()
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") and path.is_absolute() else rel


def discover(paths: Sequence[Path]) -> list[Path]:
    """Campaign files under ``paths`` (files as given, folders searched), sorted."""
    found: list[Path] = []
    for path in paths or [DEFAULT_PATH]:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise NoFiles(f"{path}: no such file or folder")
    if not found:
        raise NoFiles(
            f"no campaign files (*.yaml) in {', '.join(map(str, paths or [DEFAULT_PATH]))}"
        )
    return list(dict.fromkeys(found))


# A file's name as nearly every file writes it: a top-level ``campaign:`` line with a plain
# slug, maybe a comment, and before it only blank lines, comments and a document start.
_NAME_LINE = re.compile(
    rb"\A(?:[ \t]*(?:#[^\n]*)?\r?\n|---[ \t]*\r?\n)*"
    rb"campaign:[ \t]+([a-z0-9][a-z0-9_-]{0,62})[ \t]*(?:[ \t]#[^\n]*)?\r?(?:\n|\Z)"
)
# What could make it mean something else: the key again, and YAML's other line breaks.
_DOUBT = re.compile(rb"^[ \t]*(?:campaign\b|[\"']campaign|\?)|\xc2\x85|\xe2\x80[\xa8\xa9]", re.M)
# Plain scalars YAML reads as something other than a string.
_NOT_TEXT = re.compile(
    rb"(?:[0-9_]+|0b[01_]+|0x[0-9a-f_]+|0o?[0-7_]+|null|true|false|yes|no|on|off|y|n)"
)


def names(paths: Sequence[Path]) -> tuple[set[str], list[Path]]:
    """The campaign names under ``paths`` (for refresh, reconcile), read from each file's
    ``campaign:`` line alone; and the files not written so plainly, for a full load."""
    found: set[str] = set()
    unclear: list[Path] = []
    for path in discover(paths):
        match = _NAME_LINE.match(data := _head(path))
        if match is None or _NOT_TEXT.fullmatch(match[1]) or _DOUBT.search(data, match.end()):
            unclear.append(path)
        else:
            found.add(match[1].decode())
    return found, unclear


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return b""  # unclear: the full load says what is wrong
