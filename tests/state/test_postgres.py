"""The PostgreSQL store: its schema made once and refused when foreign, credentials that
never show, and a lost connection that stops every later write."""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from runner.state import EmptyState, Phase, StateError, locked, open_readonly, open_store
from runner.state.location import StateLocation, parse
from runner.state.pgschema import SCHEMA_VERSION
from runner.state.postgres import PostgresStore
from tests.conftest import REPO, Runner, followers, write_campaign, write_project
from tests.pgserver import admin, backends, terminate


def at(url: str) -> StateLocation:
    return parse(url, Path.cwd())


def database_of(location: StateLocation) -> str:
    assert location.url is not None
    return location.url.rsplit("/", 1)[1].split("?")[0]


def on_server(location: StateLocation, query: str) -> list[tuple[object, ...]]:
    with admin(database_of(location)) as conn:
        cursor = conn.execute(query.encode())
        return cursor.fetchall() if cursor.description else []


def test_first_use_makes_the_schema_and_keeps_its_lineage(pg_url: str) -> None:
    location = at(pg_url)
    assert isinstance(open_readonly(location), EmptyState)  # reading makes nothing
    assert (
        on_server(location, f"SELECT 1 FROM pg_namespace WHERE nspname = '{location.schema}'") == []
    )
    store = open_store(location)
    assert isinstance(store, PostgresStore) and store.created
    info = store.info()
    assert info.serial == 0 and info.lineage is not None and len(info.lineage) == 36
    store.close()
    again = open_store(location)
    assert not again.created and again.info().lineage == info.lineage
    again.close()
    assert on_server(location, f"SELECT version FROM {location.schema}.schema_version") == [
        (SCHEMA_VERSION,)
    ]


_STARTER = """
import json, sys
from pathlib import Path
from runner.state import open_store
from runner.state.location import parse
store = open_store(parse(sys.argv[1], Path.cwd()))
print(json.dumps({"created": store.created, "lineage": store.info().lineage}))
store.close()
"""


def test_four_processes_starting_together_make_the_schema_once(pg_url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _STARTER, pg_url],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    seen = [json.loads(out) for out, _ in outs]
    assert sum(s["created"] for s in seen) == 1
    assert len({s["lineage"] for s in seen}) == 1


def test_a_schema_that_is_not_a_state_is_refused_untouched(pg_url: str, run: Runner) -> None:
    location = at(pg_url)
    on_server(
        location, f"CREATE SCHEMA {location.schema}; CREATE TABLE {location.schema}.orders (x int)"
    )
    with pytest.raises(StateError, match="not an smm state; refusing") as caught:
        open_store(location)
    assert "\n" not in str(caught.value)
    with pytest.raises(StateError, match="not an smm state"):
        open_readonly(location)
    tables = on_server(
        location,
        "SELECT table_name FROM information_schema.tables"
        f" WHERE table_schema = '{location.schema}'",
    )
    assert tables == [("orders",)]
    result = run("--state", pg_url, "state", "list")
    assert result.code == 1 and "not an smm state" in result.err


def test_an_empty_schema_someone_made_for_smm_is_used(pg_url: str) -> None:
    location = at(pg_url)
    on_server(location, f"CREATE SCHEMA {location.schema}")
    store = open_store(location)
    assert store.created
    store.close()


def test_a_newer_schema_is_refused(pg_url: str) -> None:
    location = at(pg_url)
    open_store(location).close()
    on_server(
        location, f"UPDATE {location.schema}.schema_version SET version = {SCHEMA_VERSION + 1}"
    )
    for opener in (open_store, open_readonly):
        with pytest.raises(StateError, match="written by a newer smm"):
            opener(location)


# --- credentials --------------------------------------------------------------------


class PasswordServer:
    """Speaks just enough of PostgreSQL's protocol to ask for a password, note it, and
    refuse it, as a server with password authentication does."""

    def __init__(self, answer: bool = True) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.passwords: list[str] = []
        self.users: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                if self.answer:
                    self._talk(conn)
                else:
                    conn.recv(1024)  # a host that never answers
                    conn.recv(1024)

    @staticmethod
    def _read(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def _talk(self, conn: socket.socket) -> None:
        try:
            while True:
                (length,) = struct.unpack("!i", self._read(conn, 4))
                body = self._read(conn, length - 4)
                (code,) = struct.unpack("!i", body[:4])
                if code in (80877103, 80877104):  # SSL or GSS encryption: not here
                    conn.sendall(b"N")
                    continue
                fields = body[4:].split(b"\0")
                params = dict(zip(fields[::2], fields[1::2], strict=False))
                self.users.append(params.get(b"user", b"").decode())
                break
            conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # cleartext password, please
            kind = self._read(conn, 1)
            (length,) = struct.unpack("!i", self._read(conn, 4))
            password = self._read(conn, length - 4)
            assert kind == b"p"
            self.passwords.append(password.rstrip(b"\0").decode())
            user = self.users[-1]
            message = (
                b"SFATAL\0VFATAL\0C28P01\0"
                + f'Mpassword authentication failed for user "{user}"\0'.encode()
                + b"\0"
            )
            conn.sendall(b"E" + struct.pack("!i", len(message) + 4) + message)
        except (ConnectionError, OSError, AssertionError):
            pass

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def password_server() -> Iterator[PasswordServer]:
    server = PasswordServer()
    yield server
    server.close()


SECRET = "s3cr3t-Pa55"


def one_line_without_password(result_err: str, display: str) -> None:
    lines = result_err.strip().splitlines()
    assert len(lines) == 1, result_err
    assert SECRET not in result_err and display in lines[0], result_err


def test_a_wrong_password_is_one_line_without_it(
    password_server: PasswordServer, run: Runner
) -> None:
    url = f"postgresql://alice:{SECRET}@127.0.0.1:{password_server.port}/smm"
    result = run("--state", url, "state", "list")
    assert result.code == 1
    one_line_without_password(
        result.err, f"postgresql://alice:***@127.0.0.1:{password_server.port}/smm"
    )
    assert "password authentication failed" in result.err
    assert password_server.passwords == [SECRET]  # the URL's password was the one sent
    assert not Path(".smm/crash.log").exists()


def test_the_password_may_come_from_pgpassword(
    password_server: PasswordServer, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", SECRET)
    monkeypatch.setenv("PGUSER", "bob")
    write_project(Path.cwd(), {"demo": {"url": "sim://demo"}})
    write_campaign("c", followers(1))
    url = f"postgresql://127.0.0.1:{password_server.port}/smm"
    result = run("--state", url, "plan")
    assert result.code == 1
    one_line_without_password(result.err, url)
    assert password_server.passwords == [SECRET] and password_server.users == ["bob"]


def test_a_host_that_never_answers_is_one_line(run: Runner) -> None:
    silent = PasswordServer(answer=False)
    try:
        url = f"postgresql://alice:{SECRET}@127.0.0.1:{silent.port}/smm?connect_timeout=2"
        result = run("--state", url, "state", "list")
    finally:
        silent.close()
    assert result.code == 1
    one_line_without_password(result.err, "postgresql://alice:***@127.0.0.1")
    assert "timeout" in result.err


def test_a_refused_connection_is_one_line(run: Runner) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once it is closed
    write_project(Path.cwd(), {"demo": {"url": "sim://demo"}})
    write_campaign("c", followers(1))
    url = f"postgresql://alice:{SECRET}@127.0.0.1:{port}/smm?schema=team"
    result = run("--state", url, "apply", "--auto-approve")
    assert result.code == 1
    one_line_without_password(result.err, "alice:***@127.0.0.1")
    assert "Connection refused" in result.err


def test_the_password_is_stored_nowhere(pg_url: str, run: Runner) -> None:
    base, schema = pg_url.split("?")
    url = base.replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@") + "?" + schema
    location = at(url)
    with locked(location, {"c"}) as store:
        with store.transaction() as tx:
            tx.begin_submit("c/a", "c", "demo", "fp", {}, Decimal("1"), "run")
        # the lock's holder names the command line, which may carry the URL
        stored = on_server(location, f"SELECT command FROM {location.schema}.lock_holders")
        assert stored and SECRET not in str(stored)
    dump = open_readonly(location).dump()
    assert SECRET not in repr(dump)
    assert store.where == location.display and SECRET not in store.where


# --- a lost connection ---------------------------------------------------------------


def test_a_lost_connection_stops_every_later_write(pg_url: str) -> None:
    location = at(pg_url)
    store = open_store(location)
    with store.transaction() as tx:
        tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
    terminate(backends(pg_url, "smm-store/%"))
    lost = pytest.raises(StateError, match="the connection was lost")
    with lost as caught, store.transaction() as tx:
        tx.placed("c/a", 7)
    assert "\n" not in str(caught.value)
    with pytest.raises(StateError, match="writes nothing more"), store.transaction() as tx:
        tx.begin_submit("c/b", "c", "demo", "fp", {}, None, "run")
    store.close()
    record = open_readonly(location).record("c/a")
    assert record is not None and record.phase is Phase.SUBMITTING


def test_locks_lost_stop_writes_and_what_was_in_flight_is_in_doubt(pg_url: str) -> None:
    location = at(pg_url)
    released = pytest.raises(StateError, match="its locks were released")
    with released, locked(location, {"c"}) as store:
        with store.transaction() as tx:
            tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
        terminate(backends(pg_url, "smm-lock/%"))
        with store.transaction() as tx:  # the order would be sent after this
            tx.begin_submit("c/b", "c", "demo", "fp", {}, None, "run")
    reader = open_readonly(location)
    records = reader.records()
    assert sorted(records) == ["c/a"]  # c/b was never recorded, so never sent
    # the database still answers: `locked` recorded the one in flight as in doubt
    assert records["c/a"].phase is Phase.IN_DOUBT
    assert "connection to the state store was lost" in (records["c/a"].error or "")


def test_driver_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch, pg_url: str) -> None:
    import builtins

    real = builtins.__import__

    def no_psycopg(name: str, *args: object, **kwargs: object) -> object:
        if name == "psycopg" or name.startswith("psycopg."):
            raise ImportError("No module named 'psycopg'")
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    for module in [m for m in sys.modules if m.startswith(("runner.state.p", "psycopg"))]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    with pytest.raises(StateError, match=r"pip install 'smm-runner\[postgres\]'"):
        open_store(at(pg_url))


def test_a_schema_made_for_smm_needs_no_right_to_create_schemas(pg_url: str) -> None:
    location = at(pg_url)
    role = f"smm_{location.schema}"
    on_server(location, f"CREATE ROLE {role} LOGIN")
    try:
        on_server(location, f"CREATE SCHEMA {location.schema} AUTHORIZATION {role}")
        assert location.url is not None
        limited = replace(location, url=location.url.replace("//postgres@", f"//{role}@"))
        with locked(limited, {"c"}) as store:
            assert store.created
            with store.transaction() as tx:
                tx.begin_submit("c/a", "c", "demo", "fp", {}, None, "run")
        with pytest.raises(StateError, match="permission denied"):
            open_store(replace(limited, schema=f"{location.schema}_other"))
    finally:
        on_server(location, f"DROP OWNED BY {role}; DROP ROLE {role}")
