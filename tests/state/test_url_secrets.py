"""Every credential a libpq URL can carry stays out of every output and file: the password
in ``user:password@`` and ``password``, ``sslpassword``, ``passfile``, ``sslkey`` (or any
parameter named like a secret) in its query, in connection errors, "Started a new state
at ...", the HTML report's header, ``report --format json``, status, logs, the state."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.errors import redact
from runner.state.location import parse
from tests.conftest import Runner, followers, write_campaign, write_project
from tests.state.test_postgres import PasswordServer, on_server

SECRET = "qu3ry-Pa55word"
SSL_SECRET = "k3y-Pa55phrase"
PASSFILE = "/nowhere/pgpass-of-alice"


@pytest.fixture
def password_server() -> Iterator[PasswordServer]:
    server = PasswordServer()
    yield server
    server.close()


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        (f"password={SECRET}", "password=***"),
        (f"PASSWORD={SECRET}", "PASSWORD=***"),
        (f"sslpassword={SECRET}&password={SECRET}", "sslpassword=***&password=***"),
        (f"passfile={SECRET}", "passfile=***"),
        (f"sslkey={SECRET}&sslmode=disable", "sslkey=***&sslmode=disable"),
        (f"application_name=x&my_token={SECRET}", "application_name=x&my_token=***"),
        (f"password={SECRET.replace('-', '%2D')}", "password=***"),
    ],
)
def test_a_credential_in_the_query_is_masked(query: str, shown: str) -> None:
    location = parse(f"postgresql://alice@db.example/smm?{query}", Path.cwd())
    assert location.display == f"postgresql://alice@db.example/smm?{shown}"
    assert SECRET not in str(location) and SECRET not in redact(f"said {SECRET}")


def test_the_local_socket_form_keeps_its_slashes() -> None:
    location = parse("postgresql:///smm?host=/run/postgresql&password=abc", Path.cwd())
    assert location.url == "postgresql:///smm?host=%2Frun%2Fpostgresql&password=abc"
    assert location.display == "postgresql:///smm?host=/run/postgresql&password=***"


def test_a_key_value_conninfo_is_refused_without_echoing_it(run: Runner) -> None:
    result = run("--state", f"host=db password={SECRET}", "state", "list")
    assert result.code == 1
    assert "postgresql:// URL" in result.err and SECRET not in result.err + result.out
    assert not list(Path.cwd().glob("host=*"))  # not taken for a file name


@pytest.mark.parametrize("where", ["query", "userinfo", "both"])
def test_a_refused_password_is_never_shown(
    password_server: PasswordServer, run: Runner, where: str
) -> None:
    user = f"alice:{SECRET}@" if where in ("userinfo", "both") else "alice@"
    query = f"?password={SECRET}&sslpassword={SSL_SECRET}" if where != "userinfo" else ""
    url = f"postgresql://{user}127.0.0.1:{password_server.port}/smm{query}"
    write_project(Path.cwd(), {"demo": {"url": "sim://demo"}})
    write_campaign("c", followers(1))
    for command in (("state", "list"), ("plan",), ("apply", "--auto-approve"), ("report",)):
        result = run("-v", "--state", url, *command)
        assert result.code == 1, command
        text = result.out + result.err
        assert "password authentication failed" in text, command
        assert SECRET not in text and SSL_SECRET not in text, text
    assert password_server.passwords and set(password_server.passwords) == {SECRET}
    assert not Path(".smm/crash.log").exists()


def test_no_output_or_file_holds_a_query_credential(pg_url: str, run: Runner) -> None:
    """A real server that trusts us: the URL's credentials go unused, and unseen."""
    base, schema = pg_url.split("?")
    url = f"{base}?{schema}&password={SECRET}&sslpassword={SSL_SECRET}&passfile={PASSFILE}"
    write_project(Path.cwd(), {"demo": {"url": "sim://demo"}})
    write_campaign("c", followers(2), extra="budget: 5\n")
    outputs = [
        run("-v", "--state", url, "apply", "--auto-approve"),
        run("--state", url, "plan"),
        run("--state", url, "status"),
        run("--state", url, "status", "--json"),
        run("--state", url, "state", "list"),
        run("--state", url, "state", "export"),
        run("--state", url, "report", "-o", "r.html"),
        run("--state", url, "report", "--format", "json", "-o", "r2.html"),
        run("--state", url, "report", "--format", "markdown", "-o", "r3.html"),
    ]
    assert all(o.code == 0 for o in outputs), [o.err for o in outputs]
    assert "Started a new state at postgresql://" in outputs[0].out + outputs[0].err
    assert "password=***" in outputs[0].out + outputs[0].err
    header = json.loads(outputs[7].out)
    assert "password=***" in json.dumps(header)
    files = [p for p in Path.cwd().rglob("*") if p.is_file()]
    assert Path.cwd() / "r.html" in files
    assert "password=***" in Path("r.html").read_text()
    for secret in (SECRET, SSL_SECRET, PASSFILE):
        for output in outputs:
            assert secret not in output.out + output.err
        for file in files:
            assert secret.encode() not in file.read_bytes(), file


def test_a_short_password_is_masked_by_its_place_in_any_url() -> None:
    """A password too short to be looked for as text ("pw") is still masked where a URL
    carries it: in every message, log line, crash log and lock holder."""
    line = "smm --state postgresql://u:pw@h/db?password=ab&sslmode=require&api_key=k plan"
    assert redact(line) == (
        "smm --state postgresql://u:***@h/db?password=***&sslmode=require&api_key=*** plan"
    )
    assert redact("sim://demo?fault=timeout=0.1") == "sim://demo?fault=timeout=0.1"


def test_the_lock_holders_never_name_a_password(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from runner.state import locked
    from runner.state.lock import StateLock, read_holder

    base, schema = pg_url.split("?")
    url = f"{base.replace('postgres@', 'postgres:pw@')}?{schema}&password=ab"
    monkeypatch.setattr(sys, "argv", ["smm", "--state", url, "apply"])
    location = parse(url, Path.cwd())
    with locked(location, {"c"}):
        rows = on_server(location, f"SELECT command FROM {location.schema}.lock_holders")
    (command,) = (str(r[0]) for r in rows)
    assert ":pw@" not in command and "password=ab" not in command and "***" in command
    lock = StateLock(Path("state.db"))
    lock.acquire()
    try:
        holder = read_holder(Path("state.db.lock"))
    finally:
        lock.release()
    assert holder is not None and ":pw@" not in holder.command and "password=***" in holder.command
