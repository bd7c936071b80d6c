"""The one way workflows load campaign files: every problem of every file, or the specs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from runner.config import campaign
from runner.config.cache import SpecCache, reader
from runner.config.campaign import Loaded, Read
from runner.config.rules import KnownPanels
from runner.errors import InvalidCampaigns, SmmError
from runner.workflows.context import Context


def cache_of(ctx: Context, scope: str = "") -> SpecCache | None:
    """The campaigns cache beside the state (``.smm/cache/campaigns/`` for the default
    state file; under the project's ``.smm/`` for a PostgreSQL state); none when where
    the state lives cannot be told (the command that needs the state says why)."""
    try:
        location = ctx.state_location
    except SmmError:
        return None
    base = location.path.parent if location.path is not None else ctx.project.root / ".smm"
    return SpecCache(base / "cache" / "campaigns", scope)


def _reader(cache: SpecCache | None, panels: KnownPanels | None = None) -> Read | None:
    return None if cache is None else reader(cache, panels)


def load(paths: Sequence[Path], ctx: Context | None = None) -> Loaded:
    """The campaigns under ``paths`` (default: campaigns/); every problem raises.  With
    ``ctx``, files that did not change since the last run come from the cache."""
    loaded = campaign.load(list(paths), read=None if ctx is None else _reader(cache_of(ctx)))
    if loaded.problems:
        n = len(loaded.problems)
        raise InvalidCampaigns(
            f"{n} error{'s' if n != 1 else ''} in the campaign files",
            details=tuple(str(p) for p in loaded.problems),
        )
    return loaded


def check(ctx: Context, paths: Sequence[Path]) -> Loaded:
    """The campaigns and their problems, without raising (``smm validate``); panel names
    are checked against the project file (offline: nothing is asked of a panel)."""
    project = ctx.project
    source = project.file.name if project.file else "the built-in default project"
    known = frozenset(project.panels)
    scope = "panels:" + ",".join(sorted(known))
    panels = KnownPanels(known, source)
    return campaign.load(list(paths), panels, _reader(cache_of(ctx, scope), panels))


def names_in(paths: Sequence[Path]) -> set[str] | None:
    """The campaign names under ``paths``; None (every campaign) when none were named and
    the default folder does not exist.  Read from each file's ``campaign:`` line (the
    rest of a file is not checked here: refreshing or reconciling recorded orders needs
    only their campaigns' names)."""
    if not paths and not campaign.DEFAULT_PATH.exists():
        return None
    found, unclear = campaign.names(paths)
    if unclear:  # read whole; their problems raise as a plan's would
        found.update(c.name for c in load(unclear).campaigns)
    return found
