"""Safety limits, like octoDNS's: how much one plan may create and spend.

Written per campaign (``safety:`` in its file) or for every campaign (``safety:`` in
smm.yaml); the plan checks them (``runner.plans.safety``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from runner.errors import Location


@dataclass(frozen=True)
class Safety:
    max_creates: int | None = None
    max_spend: Decimal | None = None
    location: Location | None = None  # where it was written

    @classmethod
    def read(cls, raw: object, location: Location | None) -> Safety | None:
        """The limits of a mapping the schema accepted (None: none written)."""
        if not isinstance(raw, Mapping):
            return None
        data: Mapping[str, Any] = raw
        creates = data.get("max_creates")
        spend = data.get("max_spend")
        return cls(
            creates if isinstance(creates, int) and not isinstance(creates, bool) else None,
            None if spend is None or isinstance(spend, bool) else Decimal(str(spend)),
            location,
        )
