"""Validating 100 files with 10,000 orders, as a ratio to merely parsing them with libyaml."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import yaml

from bench.corpus import write_corpus
from runner.config import campaign


def _best_of(runs: int, func: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_corpus(Path(tmp) / "campaigns")

        def parse_only() -> None:
            for path in paths:
                yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)

        def validate() -> None:
            loaded = campaign.load([Path(tmp) / "campaigns"])
            assert not loaded.problems and len(loaded.orders) == 10_000

        validate()  # warm caches (schema compilation happens once per process)
        parse = _best_of(3, parse_only)
        full = _best_of(3, validate)
    return {
        "name": "validate 100 files / 10,000 orders",
        "parse_seconds": round(parse, 3),
        "validate_seconds": round(full, 3),
        "ratio": round(full / parse, 2),
    }
