"""``smm import``: campaign files from what people already have (the panels' mass-order
text).  Nothing is written unless every line is sound and the file made checks clean."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from runner.config import campaign, massorder
from runner.config.rules import KnownPanels
from runner.config.yamldoc import MAX_FILE_BYTES, loads
from runner.errors import ConfigError, InvalidCampaigns, Location
from runner.workflows.context import Context

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


@dataclass(frozen=True)
class Imported:
    text: str
    orders: int
    written: Path | None


def mass_order(ctx: Context, source: Path, name: str, panel: str, target: Path | None) -> Imported:
    """The campaign file made from ``source``; written to ``target`` when given (never
    over an existing file), else returned for printing."""
    if not _SLUG.fullmatch(name):
        raise ConfigError(f"--campaign {name!r}: a slug of lower-case letters, digits, - and _")
    known = KnownPanels(frozenset(ctx.project.panels))
    if known.unknown(panel):
        raise ConfigError(f"--panel: {known.unknown(panel)}")
    if target is not None and (target.exists() or target.is_symlink()):
        raise ConfigError(f"{target} already exists; nothing was written (choose another -o)")
    shown = campaign.display_path(source)
    text = _read(source, shown)
    orders, problems = massorder.parse(text, shown)
    if problems:
        n = len(problems)
        raise InvalidCampaigns(
            f"{n} bad line{'s' if n != 1 else ''} in {shown}; nothing was written",
            details=tuple(f"{where.file}:{where.line}: {message}" for where, message in problems),
        )
    made = massorder.campaign_text(orders, name, panel, shown)
    # The promise: the file validates as is.  A failure here is a bug of this module.
    spec, found = campaign.parse(loads(made, str(target or "<stdout>")), known)
    assert spec is not None and not found, found
    if target is not None:
        _write(target, made)
    return Imported(made, len(orders), target)


def _read(source: Path, shown: str) -> str:
    where = Location(shown, 1, 1)
    try:
        if source.stat().st_size > MAX_FILE_BYTES:
            raise InvalidCampaigns(f"{shown}: too large (the limit is 8 MiB)", where)
        data = source.read_bytes()
    except OSError as exc:
        raise InvalidCampaigns(f"{shown}: cannot read: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidCampaigns(f"{shown}:{line}: not valid UTF-8; save the file as UTF-8") from None


def _write(target: Path, text: str) -> None:
    """Whole or not at all: a temporary file beside the target, then a link that fails
    if the target appeared meanwhile."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.link(temporary, target)
    except FileExistsError:
        raise ConfigError(f"{target} already exists; nothing was written") from None
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
