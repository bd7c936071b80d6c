"""The checks of a campaign file that the schema cannot express, order by order, and the
``OrderSpec`` each sound order becomes (``for_each`` orders item by item)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from runner.api.ordertypes import BY_SLUG, COMMON_FIELDS, ORDER_TYPES, OrderType
from runner.config import expand, schedule
from runner.config import moved as renames
from runner.config import rules as rules
from runner.config.outcome import Outcome
from runner.config.rules import KnownPanels
from runner.config.safety import Safety
from runner.config.schema import Problem, format_path
from runner.config.selector import Selector
from runner.config.selector import problems as selector_problems
from runner.config.selector import read as read_selector
from runner.config.specs import CampaignSpec, OrderSpec
from runner.config.yamldoc import Document, JsonPath
from runner.errors import Location

# Every field some order type takes: any other key is the schema's to refuse.
TYPE_FIELDS = frozenset().union(*(t.fields for t in ORDER_TYPES))


class Checker:
    """The checks the schema cannot express."""

    def __init__(
        self, doc: Document, panels: KnownPanels | None, today: _dt.date, root: Path
    ) -> None:
        self.doc = doc
        self.panels = panels
        self.today = today
        self.root = root
        self.read: list[Path] = []
        self.problems: list[Problem] = []
        # While a for_each item is checked: the places its filled fields point to.
        self.redirect: dict[JsonPath, Location] = {}
        self.field_names: dict[tuple[str, ...], tuple[str, ...]] = {}

    def problem(self, path: JsonPath, message: str, key: bool = False) -> None:
        where = self.redirect.get(path) or self.doc.location(path, key=key)
        self.problems.append(Problem(where, format_path(path), message))

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
        self.not_before = not_before
        orders: list[OrderSpec] = []
        seen: dict[str, Location] = {}
        listed = data.get("orders")
        for key, message in expand.stray(defaults, "defaults"):
            self.problem(("defaults", key), message)
        for index, raw in enumerate(listed if isinstance(listed, list) else []):
            path: JsonPath = ("orders", index)
            if not isinstance(raw, dict):
                continue
            if "for_each" in raw:
                orders.extend(self.each(name, data, defaults, raw, path, seen))
                continue
            for key, message in expand.stray(raw, "an order without for_each"):
                self.problem((*path, key), message)
            ident = raw.get("id")
            if isinstance(ident, str) and ident in seen:
                self.problem((*path, "id"), _twice(ident, seen[ident], self.doc.file))
                continue
            if isinstance(ident, str):
                seen[ident] = self.doc.location((*path, "id"))
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
                reads=tuple(str(p) for p in self.read),
                moved=moves,
                safety=Safety.read(data.get("safety"), self.doc.location(("safety",), key=True)),
            ),
            [],
        )

    def each(
        self,
        name: str,
        data: Mapping[str, Any],
        defaults: Mapping[str, Any],
        raw: Mapping[str, Any],
        path: JsonPath,
        seen: dict[str, Location],
    ) -> list[OrderSpec]:
        """A for_each order: the template checked once, then every item's order as if
        written out; every problem of every item is reported."""
        items, problems, read = expand.read_list(self.doc, path, raw["for_each"], self.root)
        self.problems.extend(problems)
        if read is not None:
            self.read.append(read)
        if items is None:
            return []
        template = expand.Template(self.doc, path, raw, items.names)
        if template.problems:
            self.problems.extend(template.problems)
            return []

        def report(where: Location, field_name: str, message: str) -> None:
            self.problems.append(Problem(where, field_name, message))

        out = []
        for made in template.expand(items, report):
            ident = made.raw.get("id")
            if isinstance(ident, str) and ident in seen:
                report(made.item.location, "", _twice(ident, seen[ident], made.item.location.file))
                continue
            if isinstance(ident, str):
                seen[ident] = made.item.location
            problems = template.check(made)
            if problems:
                self.problems.extend(problems)
                continue
            self.redirect = {(*path, k): made.item.location for k in made.filled}
            spec = self.order(name, data.get("panel"), defaults, made.raw, path, made)
            self.redirect = {}
            if spec is not None:
                out.append(spec)
        return out

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
        made: expand.Expanded | None = None,
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
        sound, selector = self.selector(merged, path, origin)
        if not sound:
            return None
        panel = merged.get("panel", campaign_panel)
        if panel is None and not (selector and selector.panels):
            self.problem(path, "no panel: set 'panel' on the campaign or the order")
            return None
        if not self.consistent(merged, matches, path, origin):
            return None
        repeat = self.repeat(raw, defaults, path)
        if repeat is False:
            return None
        params = tuple(sorted((k, _freeze(merged[k])) for k in fields))
        names = tuple(sorted(merged))
        names = self.field_names.setdefault(names, names)
        positions = self.positions(names, origin, path, made)
        return OrderSpec(
            campaign=campaign,
            id=str(raw.get("id", "")),
            panel=panel or "",
            service=None if selector else merged["service"],
            selector=selector,
            types=tuple(t.service_type for t in matches),
            params=params,
            refills=merged.get("refills", 0),
            cancel=merged.get("cancel", False),
            outcome=Outcome.of(merged),
            location=self.doc.location(path),
            field_names=names,
            field_positions=positions,
            item=made.item.location if made is not None else None,
            repeat=repeat,
        )

    def selector(
        self, merged: Mapping[str, Any], path: JsonPath, origin: Mapping[str, JsonPath]
    ) -> tuple[bool, Selector | None]:
        """Whether the service is sound, and the order's selector (None: a number)."""
        raw = merged["service"]
        if not isinstance(raw, dict):
            return True, None
        where = (*origin.get("service", path), "service")
        found = selector_problems(raw)
        for name, message in found:
            self.problem((*where, name), message)
        for index, panel in enumerate(raw.get("panels") or ()):
            unknown = self.panels.unknown(panel) if self.panels is not None else None
            if unknown is not None:
                found.append(("panels", unknown))
                self.problem((*where, "panels", index), unknown)
        return (False, None) if found else (True, read_selector(raw))

    def positions(
        self,
        names: tuple[str, ...],
        origin: Mapping[str, JsonPath],
        path: JsonPath,
        made: expand.Expanded | None,
    ) -> tuple[int, ...]:
        """Line and column of each field in turn; (0, 0) for one a list item filled."""
        filled = made.filled if made is not None else frozenset()
        return tuple(
            n
            for k in names
            for where in [self.doc.location((*origin[k], k), key=True)]
            for n in ((0, 0) if k in filled and origin[k] == path else (where.line, where.column))
        )

    def repeat(self, raw: Mapping[str, Any], defaults: Mapping[str, Any], path: JsonPath) -> Any:
        """The order's schedule (None: it has none); ``False`` when it is wrong."""
        where: JsonPath = (*path, "repeat") if "repeat" in raw else ("defaults", "repeat")
        written = raw.get("repeat", defaults.get("repeat"))
        if not isinstance(written, dict):
            return None
        repeat, problems = schedule.parse(written, self.not_before)
        for name, message in problems:
            self.problem((*where, name) if name else where, message)
        return False if problems or repeat is None else repeat

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


def _twice(ident: str, first: Location, file: str) -> str:
    where = f"line {first.line}" if first.file == file else f"{first.file}:{first.line}"
    return f"duplicate order id '{ident}' (first at {where})"


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value
