"""Campaign files: finding, loading and checking them into specs (``runner.config.specs``).

``load(paths)`` reads every campaign file under the given paths and returns the specs
and every problem found (all problems of all files, not only the first).  Each spec and
problem keeps its file, line and column.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from runner.config import expand, rules
from runner.config.checker import TYPE_FIELDS, Checker

# Which files are campaign files (files.py); still importable from here.
from runner.config.files import DEFAULT_PATH as DEFAULT_PATH
from runner.config.files import SUFFIXES as SUFFIXES
from runner.config.files import discover as discover
from runner.config.files import display_path as display_path
from runner.config.project import find as find_project
from runner.config.rules import KnownPanels
from runner.config.schema import Problem, validate
from runner.config.specs import CampaignSpec, OrderSpec
from runner.config.yamldoc import MAX_FILE_BYTES, Document
from runner.config.yamldoc import load as load_yaml
from runner.errors import Location, YamlError

__all__ = ["TYPE_FIELDS", "CampaignSpec", "Loaded", "OrderSpec", "load", "parse"]


@dataclass
class Loaded:
    campaigns: list[CampaignSpec] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # Every file read, resolved: campaign files and the lists of their for_each orders.
    read: list[Path] = field(default_factory=list)

    @property
    def orders(self) -> list[OrderSpec]:
        return [o for c in self.campaigns for o in c.orders]


# How one file (its path, and its name as shown) becomes its spec, its problems and the
# list files it read: ``parse_file`` of it, or the campaigns cache's reader.
Read = Callable[[Path, str], "tuple[CampaignSpec | None, list[Problem], list[Path]]"]


def load(
    paths: Sequence[Path], panels: KnownPanels | None = None, read: Read | None = None
) -> Loaded:
    """Every campaign file under ``paths``; with ``panels``, every panel name is checked;
    ``read``: how each file is read (by default, ``parse_file`` of it)."""
    read = read or (lambda path, display: parse_file(load_yaml(path, display), panels))
    result = Loaded()
    first_seen: dict[str, Location] = {}
    for path in discover(paths):
        display = display_path(path)
        result.files.append(display)
        result.read.append(path.resolve())
        try:
            campaign, problems, lists = read(path, display)
        except YamlError as exc:
            assert exc.location is not None
            result.problems.append(Problem(exc.location, "", exc.message))
            continue
        result.read.extend(lists)
        if campaign is not None:
            if campaign.name in first_seen:
                prior = first_seen[campaign.name]
                problems.append(
                    Problem(
                        campaign.location,
                        "campaign",
                        f"campaign name '{campaign.name}' is already used in "
                        f"{prior.file}:{prior.line}",
                    )
                )
            else:
                first_seen[campaign.name] = campaign.location
        result.problems.extend(problems)
        if campaign is not None and not problems:
            result.campaigns.append(campaign)
    result.problems.sort(key=lambda p: (p.location.file, p.location.line, p.location.column))
    return result


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


def parse(
    doc: Document, panels: KnownPanels | None = None, today: _dt.date | None = None
) -> tuple[CampaignSpec | None, list[Problem]]:
    """Check one loaded file: the schema, then every semantic check on what the schema
    left sound, all at once.  The spec is None when the file has any problem."""
    campaign, problems, _ = parse_file(doc, panels, today)
    return campaign, problems


def project_root(file: Path) -> Path:
    """The folder list files must stay in: the project's (where smm.yaml is), else the
    campaign file's own."""
    folder = Path(os.path.abspath(file)).parent  # where it is, even if a link to elsewhere
    found = find_project(folder)
    return (found.parent if found is not None else folder).resolve()


def parse_file(
    doc: Document,
    panels: KnownPanels | None = None,
    today: _dt.date | None = None,
    root: Path | None = None,
) -> tuple[CampaignSpec | None, list[Problem], list[Path]]:
    """``parse``, and the list files its for_each orders read."""
    if doc.value is None:
        return None, [Problem(Location(doc.file, 1, 1), "", "the file is empty")], []
    if not isinstance(doc.value, dict):
        kind = "a list" if isinstance(doc.value, list) else "a single value"
        return (
            None,
            [Problem(doc.location(()), "", f"a campaign file must be a mapping, not {kind}")],
            [],
        )
    shadow = expand.shadow(doc.value)
    checked = (
        doc if shadow is doc.value else Document(doc.file, shadow, doc.positions, doc.key_positions)
    )
    found = validate(checked, "campaign") + rules.control_characters(doc)
    today = today or _dt.datetime.now(_dt.UTC).date()
    checker = Checker(doc, panels, today, root or project_root(Path(doc.file)))
    campaign, semantic = checker.run()
    said = {(p.location, p.message) for p in found}
    found += [p for p in semantic if (p.location, p.message) not in said]
    if found:
        return None, sorted(set(found)), checker.read
    return campaign, [], checker.read
