"""Campaign files: loading, schema and semantic checks, and the typed, frozen specs.

``load(paths)`` reads every campaign file under the given paths and returns the specs
and every problem found (all problems of all files, not only the first).  Each spec and
problem keeps its file, line and column.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from runner.api.models import ServiceType
from runner.api.ordertypes import BY_SLUG, COMMON_FIELDS, ORDER_TYPES, OrderType
from runner.config import moved as renames
from runner.config import rules as rules
from runner.config.rules import KnownPanels
from runner.config.schema import Problem, format_path, validate
from runner.config.yamldoc import MAX_FILE_BYTES, Document, JsonPath
from runner.config.yamldoc import load as load_yaml
from runner.errors import Location, NoFiles, YamlError

DEFAULT_PATH = Path("campaigns")
SUFFIXES = (".yaml", ".yml")
# Every field some order type takes: any other key is the schema's to refuse.
TYPE_FIELDS = frozenset().union(*(t.fields for t in ORDER_TYPES))


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """One desired order, as the campaign file says, defaults applied."""

    campaign: str
    id: str
    panel: str
    service: int
    types: tuple[ServiceType, ...]  # the order types its fields fit
    params: tuple[tuple[str, Any], ...]  # the type's fields, lists as tuples, sorted
    refills: int = 0
    cancel: bool = False
    location: Location = field(default=Location("<none>", 1, 1), compare=False)
    # Where each field was written, the file being the order's: the names (one tuple
    # shared by the orders with the same fields), then line and column of each in turn.
    field_names: tuple[str, ...] = field(default=(), compare=False)
    field_positions: tuple[int, ...] = field(default=(), compare=False)

    @property
    def address(self) -> str:
        return f"{self.campaign}/{self.id}"

    @property
    def param_map(self) -> dict[str, Any]:
        """The parameters as plain JSON values (lists and mappings)."""
        return _jsonable(self.params)

    def where(self, name: str) -> Location:
        """Where a field was written (or the order itself)."""
        for i, key in enumerate(self.field_names):
            if key == name:
                line, column = self.field_positions[2 * i : 2 * i + 2]
                return Location(self.location.file, line, column)
        return self.location

    @property
    def link(self) -> str | None:
        value = self.param_map.get("link")
        return str(value) if value is not None else None

    def fingerprint(self) -> str:
        """What was ordered: panel, service and the type's parameters.  Refills and
        cancel are requests about the order, not part of it."""
        payload = json.dumps(
            {"panel": self.panel, "service": self.service, "params": _jsonable(self.params)},
            sort_keys=True,
            separators=(",", ":"),
        )
        return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "panel": self.panel,
            "service": self.service,
            "params": _jsonable(self.params),
            "refills": self.refills,
            "cancel": self.cancel,
        }


def _jsonable(params: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params:
        if isinstance(value, tuple) and value and isinstance(value[0], tuple):
            out[key] = dict(value)
        elif isinstance(value, tuple):
            out[key] = list(value)
        elif isinstance(value, Decimal):
            out[key] = str(value)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    file: str
    orders: tuple[OrderSpec, ...]
    panel: str | None = None
    budget: Decimal | None = None
    not_before: _dt.datetime | None = None
    location: Location = field(default=Location("<none>", 1, 1), compare=False)
    budget_location: Location | None = field(default=None, compare=False)
    moved: tuple[renames.Moved, ...] = ()  # orders renamed (config/moved.py)


@dataclass
class Loaded:
    campaigns: list[CampaignSpec] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def orders(self) -> list[OrderSpec]:
        return [o for c in self.campaigns for o in c.orders]


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


def load(paths: Sequence[Path], panels: KnownPanels | None = None) -> Loaded:
    """Every campaign file under ``paths``; with ``panels``, every panel name is checked."""
    result = Loaded()
    first_seen: dict[str, Location] = {}
    for path in discover(paths):
        display = display_path(path)
        result.files.append(display)
        try:
            doc = load_yaml(path, display)
        except YamlError as exc:
            assert exc.location is not None
            result.problems.append(Problem(exc.location, "", exc.message))
            continue
        campaign, problems = parse(doc, panels)
        if campaign is not None:
            if campaign.name in first_seen:
                prior = first_seen[campaign.name]
                problems.append(
                    Problem(
                        doc.location(("campaign",)),
                        "campaign",
                        f"campaign name '{campaign.name}' is already used in "
                        f"{prior.file}:{prior.line}",
                    )
                )
            else:
                first_seen[campaign.name] = doc.location(("campaign",))
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
    if doc.value is None:
        return None, [Problem(Location(doc.file, 1, 1), "", "the file is empty")]
    if not isinstance(doc.value, dict):
        kind = "a list" if isinstance(doc.value, list) else "a single value"
        return None, [
            Problem(doc.location(()), "", f"a campaign file must be a mapping, not {kind}")
        ]
    found = validate(doc, "campaign") + rules.control_characters(doc)
    today = today or _dt.datetime.now(_dt.UTC).date()
    campaign, semantic = _Checker(doc, panels, today).run()
    said = {(p.location, p.message) for p in found}
    found += [p for p in semantic if (p.location, p.message) not in said]
    if found:
        return None, sorted(set(found))
    return campaign, []


class _Checker:
    """The checks the schema cannot express."""

    def __init__(self, doc: Document, panels: KnownPanels | None, today: _dt.date) -> None:
        self.doc = doc
        self.panels = panels
        self.today = today
        self.problems: list[Problem] = []
        self.field_names: dict[tuple[str, ...], tuple[str, ...]] = {}

    def problem(self, path: JsonPath, message: str, key: bool = False) -> None:
        self.problems.append(Problem(self.doc.location(path, key=key), format_path(path), message))

    def panel_known(self, path: JsonPath, name: object) -> None:
        message = None if self.panels is None else self.panels.unknown(name)
        if message is not None:
            self.problem(path, message, key=True)

    def run(self) -> tuple[CampaignSpec | None, list[Problem]]:
        """The checks, on every value of the shape the schema asks for (the schema speaks
        for the others)."""
        data = self.doc.value
        name = data.get("campaign")
        name = name if isinstance(name, str) else ""
        defaults = data.get("defaults")
        defaults = defaults if isinstance(defaults, dict) else {}
        not_before = None
        if isinstance(data.get("not_before"), str):
            not_before = self.moment(data["not_before"])
        self.panel_known(("panel",), data.get("panel"))
        self.panel_known(("defaults", "panel"), defaults.get("panel"))
        orders: list[OrderSpec] = []
        seen: dict[str, int] = {}
        listed = data.get("orders")
        for index, raw in enumerate(listed if isinstance(listed, list) else []):
            path: JsonPath = ("orders", index)
            if not isinstance(raw, dict):
                continue
            ident = raw.get("id")
            if isinstance(ident, str) and ident in seen:
                line = self.doc.location(("orders", seen[ident], "id")).line
                self.problem((*path, "id"), f"duplicate order id '{ident}' (first at line {line})")
                continue
            if isinstance(ident, str):
                seen[ident] = index
            self.panel_known((*path, "panel"), raw.get("panel"))
            spec = self.order(name, data.get("panel"), defaults, raw, path)
            if spec is not None:
                orders.append(spec)
        moves = renames.parse(self.doc, name, seen, self.problems)
        if self.problems:
            return None, self.problems
        budget = data.get("budget")
        if not isinstance(budget, int | Decimal) or isinstance(budget, bool):
            budget = None  # none, or the schema's to refuse (then no spec is returned)
        return (
            CampaignSpec(
                name=name,
                file=self.doc.file,
                orders=tuple(orders),
                panel=data.get("panel"),
                budget=Decimal(str(budget)) if budget is not None else None,
                not_before=not_before,
                location=self.doc.location(("campaign",)),
                budget_location=self.doc.location(("budget",)) if budget is not None else None,
                moved=moves,
            ),
            [],
        )

    def moment(self, text: str) -> _dt.datetime | None:
        try:
            value = _dt.datetime.fromisoformat(text)
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:
            if value is not None and len(text) == 10:
                return value.replace(tzinfo=_dt.UTC)
            self.problem(
                ("not_before",), "must be a date-time with a time zone, like 2026-12-01T09:00:00Z"
            )
            return None
        return value

    def order(
        self,
        campaign: str,
        campaign_panel: str | None,
        defaults: Mapping[str, Any],
        raw: Mapping[str, Any],
        path: JsonPath,
    ) -> OrderSpec | None:
        own = (set(raw) - COMMON_FIELDS) & TYPE_FIELDS
        explicit = raw.get("type", defaults.get("type"))
        if explicit is not None and explicit not in BY_SLUG:
            return None  # the schema names the types
        if explicit is not None:
            fitting: tuple[OrderType, ...] = (BY_SLUG[explicit],)
            for name in sorted(own - BY_SLUG[explicit].fields):
                self.problem((*path, name), self.misplaced(name, BY_SLUG[explicit]), key=True)
                return None
        else:
            fitting = tuple(t for t in ORDER_TYPES if own <= t.fields)
            if not fitting:
                self.explain_mix([k for k in raw if k in own], path)
                return None
        accepted = frozenset().union(*(t.fields for t in fitting))
        merged: dict[str, Any] = {
            k: v for k, v in defaults.items() if k in COMMON_FIELDS or k in accepted
        }
        merged.update((k, v) for k, v in raw.items() if k in COMMON_FIELDS or k in TYPE_FIELDS)
        origin = {k: (path if k in raw else ("defaults",)) for k in merged}
        fields = frozenset(merged) - COMMON_FIELDS
        matches = tuple(t for t in fitting if t.required <= fields <= t.fields)
        if not matches:
            best = min(fitting, key=lambda t: len(t.required - fields))
            missing = sorted(best.required - fields)
            label = str(best.service_type) if len(fitting) == 1 else "this"
            self.problem(
                path,
                f"missing required field '{missing[0]}' for a {label} order"
                if label != "this"
                else f"missing required field '{missing[0]}' for this kind of order",
            )
            return None
        if "service" not in merged:
            self.problem(path, "missing required field 'service'")
            return None
        panel = merged.get("panel", campaign_panel)
        if panel is None:
            self.problem(path, "no panel: set 'panel' on the campaign or the order")
            return None
        if not self.consistent(merged, matches, path, origin):
            return None
        params = tuple(sorted((k, _freeze(merged[k])) for k in fields))
        names = tuple(sorted(merged))
        names = self.field_names.setdefault(names, names)
        positions = tuple(
            n
            for k in names
            for where in [self.doc.location((*origin[k], k), key=True)]
            for n in (where.line, where.column)
        )
        return OrderSpec(
            campaign=campaign,
            id=str(raw.get("id", "")),
            panel=panel,
            service=merged["service"],
            types=tuple(t.service_type for t in matches),
            params=params,
            refills=merged.get("refills", 0),
            cancel=merged.get("cancel", False),
            location=self.doc.location(path),
            field_names=names,
            field_positions=positions,
        )

    def misplaced(self, name: str, wanted: OrderType | None) -> str:
        owners = [str(t.service_type) for t in ORDER_TYPES if name in t.fields]
        where = f"a {wanted.service_type} order" if wanted else "this order"
        return f"field '{name}' does not belong to {where} (it is for: {', '.join(owners)})"

    def explain_mix(self, own: list[str], path: JsonPath) -> None:
        """No order type takes all these fields: name the field that does not fit.

        The closest type is the one sharing most fields; on a tie, the one whose odd
        field was written last (the likelier mistake)."""

        def closeness(t: OrderType) -> tuple[int, int]:
            extras = [own.index(k) for k in own if k not in t.fields]
            return len(set(own) & t.fields), min(extras, default=len(own))

        best = max(ORDER_TYPES, key=closeness)
        extra = next(k for k in own if k not in best.fields)
        self.problem((*path, extra), self.misplaced(extra, best), key=True)

    def consistent(
        self,
        merged: Mapping[str, Any],
        matches: tuple[OrderType, ...],
        path: JsonPath,
        origin: Mapping[str, JsonPath],
    ) -> bool:
        found = rules.consistency(merged, matches, self.today)
        for name, message in found:
            self.problem((*origin.get(name, path), name), message)
        return not found


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value
