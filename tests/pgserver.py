"""The PostgreSQL server the tests use (127.0.0.1:5432, trust auth, user postgres; or
``SMM_TEST_PG``): each test run makes a database of its own and drops it at the end, and
each test gets a schema of its own in it.  A missing server fails the tests that need it,
loudly: nothing is skipped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

SERVER = os.environ.get("SMM_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def admin(database: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(f"{SERVER}/{database}", autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """The URL of a database made for this test run (dropped when it ends)."""
    name = f"smm_test_{secrets.token_hex(4)}"
    try:
        conn = admin()
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"no PostgreSQL server answers at {SERVER} ({str(exc).splitlines()[0]}); the "
            "tests need one: start it (.ci/run does) or point SMM_TEST_PG at one",
            pytrace=False,
        )
    with conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield f"{SERVER}/{name}"
    with admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """A state URL of this test's own (a schema nobody else uses)."""
    return f"{pg_database}?schema=t_{secrets.token_hex(6)}"


def backends(database_url: str, like: str = "smm-%") -> list[int]:
    """The server processes of smm's connections to the database (by application name)."""
    database = database_url.rsplit("/", 1)[1].split("?")[0]
    with admin() as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name LIKE %s",
            (database, like),
        ).fetchall()
    return [int(str(r[0])) for r in rows]


def terminate(pids: list[int]) -> None:
    with admin() as conn:
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))
