"""Long JSON written a piece at a time is exactly what ``json.dumps(indent=2)`` writes."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

import pytest

from runner.jsonstream import Items, chunks, dumps

ODD_TEXT = ['a"\\\n\t', "\u2028\u2029", "é😀", "</script>", "", "\x00\x1f", "日本"]
NUMBERS = [0, -1, 10**30, 1.5, -0.0, 1e-7, float("inf"), float("-inf"), float("nan")]


def value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 4 or roll < 0.35:
        return rng.choice([*ODD_TEXT, *NUMBERS, True, False, None])
    if roll < 0.65:
        return {
            rng.choice(ODD_TEXT) + str(i): value(rng, depth + 1) for i in range(rng.randint(0, 4))
        }
    if roll < 0.85:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return tuple(value(rng, depth + 1) for _ in range(rng.randint(0, 3)))


def test_dumps_is_json_dumps_with_an_indent_of_two() -> None:
    rng = random.Random(22)
    for _ in range(5000):
        item = value(rng)
        assert dumps(item) == json.dumps(item, indent=2)
        assert dumps(item, "    ") == json.dumps(item, indent=2).replace("\n", "\n    ")


@pytest.mark.parametrize("item", [{1: "a"}, {"a": {2.5: [1]}}, {True: None}, {None: 1}])
def test_keys_that_are_not_text_are_written_as_json_writes_them(item: Any) -> None:
    assert dumps(item) == json.dumps(item, indent=2)


def test_what_json_cannot_write_is_refused_as_json_refuses_it() -> None:
    with pytest.raises(TypeError):
        dumps({"a": [Decimal("1.5")]})


def test_chunks_are_the_whole_document() -> None:
    rng = random.Random(7)
    rows = [value(rng) for _ in range(200)]
    fields = [("orders", Items(iter(rows))), ("counts", {"a": 1}), ("none", [])]
    assert "".join(chunks(fields)) == json.dumps(
        {"orders": rows, "counts": {"a": 1}, "none": []}, indent=2
    )
