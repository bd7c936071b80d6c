"""A record's spec as the store keeps it: JSON text, parsed when first asked for."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from runner.errors import StateError
from runner.money import json_int


class StoredSpec(Mapping[str, Any]):
    """A record's spec as the store keeps it (JSON text), read when first asked for: most
    commands never look at a placed order's spec, and its text is a fraction of its
    parsed form.  Damaged text is a ``StateError`` naming the record, when it is read."""

    __slots__ = ("_address", "_text", "_value")

    def __init__(self, text: str | None, address: str) -> None:
        self._text = text
        self._address = address
        self._value: dict[str, Any] | None = None

    def release(self) -> None:
        """Forget the spec: its holder has seen that the order is unchanged and will not
        read it (a plan of a large state keeps a few hundred bytes less per order)."""
        self._text = None
        self._value = None

    def unparse(self) -> None:
        """Forget the parsed form, keep the text: read again if asked (a report of a large
        state reads each spec once and keeps 1 KB less per order)."""
        self._value = None

    def _parsed(self) -> dict[str, Any]:
        if self._value is None:
            if self._text is None:
                raise RuntimeError(f"the spec of {self._address!r} was read after its release")
            try:
                value = json.loads(self._text, parse_int=json_int)
            except (ValueError, TypeError, RecursionError) as exc:
                raise self._damaged(exc) from None
            if not isinstance(value, dict):
                raise self._damaged(
                    TypeError(f"expected a JSON object, found {type(value).__name__}")
                )
            self._value = value
        return self._value

    def _damaged(self, exc: Exception) -> StateError:
        return StateError(
            f"the state's record of {self._address!r} is damaged ({type(exc).__name__}: "
            f"{str(exc)[:80]}); smm state forget it, or restore the state from a backup"
        )

    def __getitem__(self, key: str) -> Any:
        return self._parsed()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())

    def __repr__(self) -> str:
        return repr(self._parsed())
