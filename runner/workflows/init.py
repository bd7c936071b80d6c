"""``smm init``: a folder becomes a project on the simulated panel, with a first
campaign.  Nothing that exists is overwritten."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from runner.config import campaign, project, starter
from runner.errors import ConfigError


@dataclass(frozen=True)
class Started:
    folder: Path
    written: tuple[Path, ...]


def init(folder: Path) -> Started:
    """Write ``smm.yaml`` and ``campaigns/first.yaml`` in ``folder``; refused when either
    exists, or when the folder is already inside a project (a parent's smm.yaml would be
    shadowed without a word)."""
    folder = folder.resolve()
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder")
    target = folder / project.PROJECT_FILE
    if target.exists():
        raise ConfigError(f"{_shown(target)} already exists: this folder is a project already")
    outer = project.find(folder)
    if outer is not None:
        raise ConfigError(
            f"{_shown(outer)} already makes this folder part of a project; run smm there, or "
            "smm init in a folder outside it"
        )
    campaigns = folder / campaign.DEFAULT_PATH
    first = campaigns / starter.CAMPAIGN_FILE
    if campaigns.exists() and any(campaigns.iterdir()):
        raise ConfigError(
            f"{_shown(campaigns)} already has files: smm init starts empty folders only "
            "(write smm.yaml by hand to keep them)"
        )
    try:
        campaigns.mkdir(parents=True, exist_ok=True)
        _create(target, starter.PROJECT)
        _create(first, starter.CAMPAIGN)
    except OSError as exc:
        raise ConfigError(f"cannot write in {folder}: {exc.strerror or exc}") from None
    return Started(folder, (target, first))


def _create(path: Path, text: str) -> None:
    """Write a new file; never replace one (``x``: fails if it appeared meanwhile)."""
    with path.open("x", encoding="utf-8") as file:
        file.write(text)


def _shown(path: Path) -> str:
    return os.path.relpath(path)
