"""Nothing a panel or smm.yaml can do at this edge is a crash (exit 3): malformed panel
URLs, broken compression, bytes that are not UTF-8, JSON nested deep enough to blow the
stack, numbers too big for any type, odd encodings and statuses — each is one line on
stderr and exit 1, with no traceback and no crash log."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runner.errors import ConfigError, PanelError
from runner.panel.http import RetryPolicy, check_url
from tests.conftest import SECRET_KEY, Result, Runner, write_campaign, write_project
from tests.hostile import HostilePanel
from tests.panel.conftest import client_of


def one_line_error(result: Result) -> str:
    assert result.code == 1, (result.code, result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.err
    assert "Traceback" not in result.out + result.err
    assert not Path(".smm/crash.log").exists()
    return lines[0]


BAD_URLS = [
    "https://[::1",
    "https://[::1]:99999/api/v2",
    "https://host:99999/api/v2",
    "https://host:65536/",
    "https://host:abc/",
    "https://host:8080:90/",
    "https://host:0/api",
    "http://127.0.0.1:99999/api/v2",
    "https://:80/",
    "https://xn--/",
    "https://xn--zz/",
    "https://\u200b.example/",
    "https://a\u0000b/",
    "https://a\u007fb/",
    "https://a\u0085b/",
    "https://user:pw@panel.example/api/v2",
    "https://%zz/",
    "https://a<b>/",
    "https://a..b/",
    "https://[zz]/",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_malformed_panel_url_is_a_config_error_with_its_place(
    run: Runner, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    write_project(Path.cwd(), {"p": {"url": json.dumps(url), "key_env": "P_KEY"}})
    write_campaign(
        "c", ["{id: o1, service: 1, link: https://a.example/x, quantity: 10}"], panel="p"
    )
    monkeypatch.setenv("P_KEY", SECRET_KEY)
    for command in (["balance", "p"], ["services", "p"], ["plan"]):
        line = one_line_error(run(*command))
        assert line.startswith("Error: smm.yaml:3:"), line
        assert "panel p" in line or "panels.p.url" in line, line


LENIENT = {"https://%zz/", "https://a<b>/", "https://a..b/"}  # DNS says no: NotSent


@pytest.mark.parametrize(
    "url", [u for u in BAD_URLS if u not in LENIENT] + ["http://", "https://a b/", "ftp://x/"]
)
def test_the_client_refuses_them_too(url: str) -> None:
    """A safety net under smm.yaml's checks, for any other way a client gets made."""
    with pytest.raises(ConfigError):
        check_url(url, "p")


@pytest.mark.parametrize(
    "url", ["https://panel.example/api/v2", "https://пример.рф/api/v2", "https://[::1]:8443/x"]
)
def test_good_urls_pass(url: str) -> None:
    check_url(url, "p")


# --- what a panel can send --------------------------------------------------------------


def deep(depth: int) -> bytes:
    return b'{"balance": ' + b"[" * depth + b"]" * depth + b"}"


ANSWERS: dict[str, tuple[dict[str, Any], str]] = {
    "broken gzip": ({"body": b'{"balance": "1"}', "gzip": "broken"}, "does not decompress"),
    "truncated gzip": ({"body": b'{"balance": "1"}', "gzip": "truncated"}, "cut short"),
    "brotli": (
        {"body": b"\x0b\x02\x80", "headers": (("Content-Encoding", "br"),)},
        "Content-Encoding",
    ),
    "stacked encodings": (
        {
            "body": gzip.compress(gzip.compress(b"{}")),
            "headers": (("Content-Encoding", "gzip, gzip"),),
        },
        "Content-Encoding",
    ),
    "invalid utf-8": ({"body": b'{"balance": "\xff\xfe1"}'}, "not UTF-8"),
    "utf-16": ({"body": '{"balance": "1"}'.encode("utf-16")}, "not UTF-8"),
    "nested 100,000 deep": ({"body": deep(100_000)}, "nested too deeply"),
    "nested 100 deep": ({"body": deep(100)}, "nested too deeply"),
    "huge exponent": ({"body": b'{"balance": 1e999999999}'}, "balance"),
    "10,000 digits": ({"body": b'{"balance": ' + b"9" * 10_000 + b"}"}, "balance"),
    "NaN": ({"body": b'{"balance": NaN}'}, "finite"),
    "empty": ({"body": b""}, "empty body"),
    "not an object": ({"body": b"[1, 2, 3]"}, "balance"),
    "null": ({"body": b"null"}, "balance"),
    "html": ({"body": b"<html>Just a moment...</html>", "status": 403}, "HTML page"),
    "closed before headers": ({"body": b"{}", "close": "before_headers"}, "connection"),
    "closed after headers": ({"body": b"{}", "close": "after_headers"}, "connection"),
    "bad content-length": (
        {"body": b"{}", "declare_length": False, "headers": (("Content-Length", "abc"),)},
        "balance",
    ),
    "absurd content-length": (
        {"body": b"{}", "declare_length": False, "headers": (("Content-Length", "9" * 30),)},
        "balance",
    ),
    "status 999": ({"body": b'{"balance": "1"}', "status": 999}, "HTTP 999"),
    "429 with a garbage Retry-After": (
        {"body": b"{}", "status": 429, "headers": (("Retry-After", "1e999999999"),)},
        "rate limited",
    ),
    "429 asking for a day": (
        {"body": b"{}", "status": 429, "headers": (("Retry-After", "86400"),)},
        "rate limited",
    ),
    "error is an object": ({"body": b'{"error": {"code": [1, {"x": null}]}}'}, "code"),
    "error with line breaks": ({"body": b'{"error": "a\\nb\\r\\nc\\u001b[2J"}'}, "a b c"),
}


@pytest.mark.parametrize("case", list(ANSWERS))
def test_smm_balance_survives_every_hostile_answer(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path], case: str
) -> None:
    hp_project()
    options, expected = ANSWERS[case]
    hostile.reply(**options)
    line = one_line_error(run("balance", "hp"))
    assert expected in line, line
    assert line.startswith("Error: panel hp: ")


SERVICE_ANSWERS = {
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "an object without data": b'{"services": []}',
    "data not a list": b'{"data": 5}',
    "a string": b'"services"',
    "invalid utf-8 in a name": b'[{"service": 1, "name": "\xc3\x28"}]',
    "huge numbers": b'[{"service": 1e999999999, "rate": 1e999999999}]',
}


@pytest.mark.parametrize("case", list(SERVICE_ANSWERS))
def test_smm_services_survives_every_hostile_catalog(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path], case: str
) -> None:
    hp_project()
    hostile.reply(body=SERVICE_ANSWERS[case])
    result = run("services", "hp")
    if result.code == 0:  # an empty catalog is a fine answer to garbage entries
        assert "Traceback" not in result.err and not Path(".smm/crash.log").exists()
    else:
        one_line_error(result)


def test_a_flood_of_bad_entries_is_one_warning(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path]
) -> None:
    hp_project()
    good = {"service": 1, "name": "F", "rate": "1", "min": 1, "max": 2}
    hostile.reply([good] + [{"service": "x"}] * 10_000)
    result = run("-v", "services", "hp", "--format", "json")
    assert result.code == 0
    assert [s["service"] for s in json.loads(result.out)] == [1]
    warnings = [line for line in result.err.splitlines() if "skipped" in line]
    assert len(warnings) == 1 and "skipped 10000 entries" in warnings[0]


# --- a seeded storm of hostile answers to every action ----------------------------------

LEAVES = [
    "1e999999",
    '"1e999999"',
    "NaN",
    "-Infinity",
    '"NaN"',
    "9" * 5000,
    '"' + "9" * 5000 + '"',
    "-0",
    "0",
    "1",
    "-1",
    "9223372036854775808",
    "9223372036854775807",
    "1.5",
    "true",
    "false",
    "null",
    '""',
    '" "',
    '"Completed"',
    '"Incorrect order ID"',
    '"abc"',
    '"12"',
    "[]",
    "{}",
    json.dumps(f"Invalid key {SECRET_KEY}"),
    '"\\u0000\\ud800\\n"',
    "1e-999999",
]
FIELDS = [
    "order",
    "error",
    "refill",
    "status",
    "cancel",
    "balance",
    "currency",
    "service",
    "rate",
    "min",
    "max",
    "remains",
    "charge",
    "start_count",
    "name",
    "type",
    "category",
    "data",
    "1",
    "2",
    "3",
    "unusable",
]


def hostile_json(r: random.Random, depth: int = 0) -> str:
    roll = r.random()
    if depth > 3 or roll < 0.4:
        return r.choice(LEAVES)
    items = range(r.randint(0, 5))
    if roll < 0.7:
        pairs = {r.choice(FIELDS): hostile_json(r, depth + 1) for _ in items}
        return "{" + ",".join(f'"{k}": {v}' for k, v in pairs.items()) + "}"
    return "[" + ",".join(hostile_json(r, depth + 1) for _ in items) + "]"


def test_no_answer_to_any_action_is_a_crash_or_a_leak(hostile: HostilePanel) -> None:
    r = random.Random(20240601)
    with client_of(hostile, retry=RetryPolicy(attempts=1)) as c:
        actions: list[Callable[[], object]] = [
            c.services,
            c.balance,
            lambda: c.add(1, {"link": "x"}),
            lambda: c.status(1),
            lambda: c.status_many([1, 2, 3]),
            lambda: c.refill(1),
            lambda: c.refill_many([1, 2, 3]),
            lambda: c.refill_status(1),
            lambda: c.refill_status_many([1, 2, 3]),
            lambda: c.cancel([1, 2, 3]),
        ]
        for _ in range(400):
            hostile.clear().reply(body=hostile_json(r), status=r.choice([200, 200, 200, 422, 500]))
            try:
                shown = repr(r.choice(actions)())
            except PanelError as exc:
                shown = str(exc)
                assert "\n" not in shown
            assert SECRET_KEY not in shown
