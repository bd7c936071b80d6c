"""The PostgreSQL store against the SQLite one, in the same run on the same machine.

- apply 1,000 orders at 50 ms latency (``bench/apply.py``): target <= 1.15x SQLite;
- plan of 10,000 placed orders (``bench/plan.py``): target <= 1.5x SQLite.

The server is ``SMM_BENCH_PG`` (default ``postgresql://postgres@127.0.0.1:5432``); the
bench makes a database of its own there and drops it at the end.  Each measure is taken
``ROUNDS`` times, the two stores in turn, and the best of each counts (the machine's
noise only ever adds time).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from bench import apply, plan

SERVER = os.environ.get("SMM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
ROUNDS = 2
T = TypeVar("T")


@contextmanager
def database() -> Iterator[str]:
    """The URL of a database made for this run (dropped at the end)."""
    name = f"smm_bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{SERVER}/{name}"
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def rounds(measure: Callable[[str | None], T], url: str, what: str) -> tuple[list[T], list[T]]:
    """``ROUNDS`` measures on SQLite and on PostgreSQL (a new schema each), in turn."""
    sqlite: list[T] = []
    postgres: list[T] = []
    for i in range(ROUNDS):
        sqlite.append(measure(None))
        postgres.append(measure(f"{url}?schema={what}_{i}"))
    return sqlite, postgres


def run() -> dict[str, Any]:
    with database() as url:
        applies = rounds(apply.measure, url, "apply")
        plans = rounds(plan.measure, url, "plan")
    command = [min(t.command for t in side) for side in applies]
    execute = [min(t.execute for t in side) for side in applies]
    store = [min(t.store for t in side) for side in applies]
    planning = [min(m.seconds for m in side) for side in plans]
    return {
        "name": "PostgreSQL store vs SQLite: apply 1000 orders at 50 ms, plan 10000 orders",
        "apply_sqlite_seconds": round(command[0], 3),
        "apply_postgres_seconds": round(command[1], 3),
        "apply_ratio": round(command[1] / command[0], 3),
        "apply_execute_ratio": round(execute[1] / execute[0], 3),
        "apply_store_seconds": {"sqlite": round(store[0], 3), "postgres": round(store[1], 3)},
        "apply_target_ratio": 1.15,
        "plan_sqlite_seconds": round(planning[0], 3),
        "plan_postgres_seconds": round(planning[1], 3),
        "plan_ratio": round(planning[1] / planning[0], 3),
        "plan_target_ratio": 1.5,
    }
