"""Every store backend passes the same contract (tests/state/contract.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from runner.state import StateStore, open_store
from runner.state.location import parse
from tests.state.contract import CHECKS, NewStore


@pytest.fixture
def sqlite_stores(tmp_path: Path) -> Iterator[NewStore]:
    opened: list[StateStore] = []
    numbers = itertools.count()

    def new() -> StateStore:
        store = open_store(tmp_path / f"s{next(numbers)}.db")
        opened.append(store)
        return store

    yield new
    for store in opened:
        store.close()


@pytest.fixture
def postgres_stores(pg_url: str) -> Iterator[NewStore]:
    opened: list[StateStore] = []
    numbers = itertools.count()

    def new() -> StateStore:
        location = parse(pg_url, Path.cwd())
        store = open_store(replace(location, schema=f"{location.schema}_{next(numbers)}"))
        opened.append(store)
        return store

    yield new
    for store in opened:
        store.close()


BACKENDS = ["sqlite_stores", "postgres_stores"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_store_contract(
    backend: str, check: Callable[[NewStore], None], request: pytest.FixtureRequest
) -> None:
    check(request.getfixturevalue(backend))
