"""The typed, frozen values a campaign file becomes: ``OrderSpec`` and ``CampaignSpec``."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runner.api.models import ServiceType
from runner.config.moved import Moved
from runner.config.outcome import NO_OUTCOME, Outcome
from runner.config.safety import Safety
from runner.config.schedule import Repeat
from runner.config.selector import Selector
from runner.errors import Location


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """One desired order, as the campaign file says, defaults applied."""

    campaign: str
    id: str
    panel: str  # "" when only the selector names panels
    service: int | None  # None: the selector chooses
    types: tuple[ServiceType, ...]  # the order types its fields fit
    params: tuple[tuple[str, Any], ...]  # the type's fields, lists as tuples, sorted
    refills: int = 0
    cancel: bool = False
    outcome: Outcome = NO_OUTCOME  # top-ups, scheduled refills
    location: Location = field(default=Location("<none>", 1, 1), compare=False)
    # Where each field was written, the file being the order's: the names (one tuple
    # shared by the orders with the same fields), then line and column of each in turn.
    field_names: tuple[str, ...] = field(default=(), compare=False)
    field_positions: Sequence[int] = field(default=(), compare=False)  # (an array, cached)
    # A for_each order: the item it was made from (its fields' line 0 means "there").
    item: Location | None = field(default=None, compare=False)
    repeat: Repeat | None = field(default=None, compare=False)
    selector: Selector | None = None

    @property
    def panels(self) -> tuple[str, ...]:
        """The panels it may be placed on: the selector's, else its own."""
        if self.selector is not None and self.selector.panels:
            return self.selector.panels
        return (self.panel,) if self.panel else ()

    @property
    def origin(self) -> Location:
        """Where the order was written: its list item, or its lines in the campaign file."""
        return self.item or self.location

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
                if line == 0 and self.item is not None:
                    return self.item
                return Location(self.location.file, line, column)
        return self.location

    @property
    def link(self) -> str | None:
        value = self.param_map.get("link")
        return str(value) if value is not None else None

    def fingerprint(self) -> str:
        """What was ordered: panel, service and the type's parameters.  Refills and
        cancel are requests about the order, not part of it.  With a selector, the panel
        and service are chosen when it is placed and recorded then: the fingerprint is
        the parameters', so that a placed order never moves when the choice would."""
        chosen: dict[str, Any] = {"panel": self.panel, "service": self.service}
        if self.selector is not None:
            chosen = {"service": "selector"}
        payload = json.dumps(
            {**chosen, "params": _jsonable(self.params)},
            sort_keys=True,
            separators=(",", ":"),
        )
        return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "panel": self.panel,
            "service": self.service if self.selector is None else self.selector.to_json(),
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
    # The list files its for_each orders read (absolute paths): a spec kept from an
    # earlier run is good only while they, too, are unchanged.
    reads: tuple[str, ...] = field(default=(), compare=False)
    moved: tuple[Moved, ...] = ()  # orders renamed (config/moved.py)
    safety: Safety | None = None
