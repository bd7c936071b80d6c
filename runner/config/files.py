"""Which files are campaign files: every ``*.yaml``/``*.yml`` under the paths given (the
folder ``campaigns/`` by default), each one a readable regular file.

Anything named like a campaign file that is not one (a symbolic link to nothing, a FIFO,
a socket, a device such as ``/dev/zero`` linked in) is an error with its path: it is
never skipped without a word, and never opened (reading a FIFO blocks; a device never
ends).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from runner.errors import NoFiles

DEFAULT_PATH = Path("campaigns")
SUFFIXES = (".yaml", ".yml")

_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


def not_a_file(path: Path) -> str | None:
    """Why ``path`` is not a readable regular file (a dangling symbolic link, a FIFO, a
    device, a socket...), or None when it is one.  Only ``stat`` is called: a FIFO or
    a device is never opened (reading one blocks, or never ends)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            return f"a symbolic link to {target}, which does not exist"
        return "no such file"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISREG(info.st_mode):
        return None
    return f"not a regular file: {_KINDS.get(stat.S_IFMT(info.st_mode), 'a special file')}"


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
    bad: list[str] = []
    for path in paths or [DEFAULT_PATH]:
        if path.is_dir():
            # Anything named like a campaign that is not a readable regular file (a
            # dangling link, a FIFO, /dev/zero linked in) is an error, never opened.
            for p in sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES):
                if p.is_dir():
                    continue  # a folder named like a file: searched as a folder
                problem = not_a_file(p)
                if problem is None:
                    found.append(p)
                else:
                    bad.append(f"{p}: {problem}")
        elif (problem := not_a_file(path)) is None:
            found.append(path)
        elif problem == "no such file":
            raise NoFiles(f"{path}: no such file or folder")
        else:
            bad.append(f"{path}: {problem}")
    if bad:
        raise NoFiles("; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else ""))
    if not found:
        raise NoFiles(
            f"no campaign files (*.yaml) in {', '.join(map(str, paths or [DEFAULT_PATH]))}"
        )
    return list(dict.fromkeys(found))
