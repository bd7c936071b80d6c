"""The hostile panel itself: it answers what the test scripts, over real HTTP, and records
what it was asked (tests that rely on it must be able to trust it)."""

from __future__ import annotations

import gzip
import json
import socket

import httpx
import pytest

from tests.conftest import SECRET_KEY
from tests.hostile import HostilePanel
from tests.panel.conftest import client_of


def raw_post(hostile: HostilePanel, form: dict[str, str]) -> httpx.Response:
    with httpx.Client(timeout=5) as client:
        return client.post(hostile.url, data=form)


def test_scripted_replies_in_order_then_the_last_repeats(hostile: HostilePanel) -> None:
    hostile.reply({"n": 1}).reply({"n": 2}, status=201, headers=(("X-Why", "because"),))
    answers = [raw_post(hostile, {"action": "balance"}) for _ in range(3)]
    assert [a.json() for a in answers] == [{"n": 1}, {"n": 2}, {"n": 2}]
    assert answers[1].status_code == 201 and answers[1].headers["x-why"] == "because"
    assert hostile.actions() == ["balance"] * 3


def test_unscripted_requests_get_a_500(hostile: HostilePanel) -> None:
    assert raw_post(hostile, {"action": "balance"}).status_code == 500


def test_gzip_variants(hostile: HostilePanel) -> None:
    body = json.dumps({"balance": "1"}).encode()
    hostile.reply(body=body, gzip="ok").reply(body=body, gzip="broken")
    assert raw_post(hostile, {}).json() == {"balance": "1"}
    with pytest.raises(httpx.DecodingError):
        raw_post(hostile, {})
    hostile.reply(body=body, gzip="truncated")
    with httpx.Client() as client, client.stream("POST", hostile.url) as answer:
        assert answer.headers["content-encoding"] == "gzip"
        raw = answer.read()
    assert 0 < len(raw) < len(body) and raw != gzip.compress(body)


def test_closing_before_and_after_the_headers(hostile: HostilePanel) -> None:
    hostile.reply({}, close="before_headers").reply({}, close="after_headers")
    with pytest.raises(httpx.RemoteProtocolError):
        raw_post(hostile, {})
    with pytest.raises(httpx.RemoteProtocolError):
        raw_post(hostile, {})


def test_a_huge_body_is_generated_not_held(hostile: HostilePanel) -> None:
    hostile.reply(huge=300 * 2**20, filler=b"x", declare_length=True)
    with httpx.Client() as client, client.stream("POST", hostile.url) as answer:
        assert answer.headers["content-length"] == str(300 * 2**20)
        first = next(answer.iter_raw())
    assert set(first) == {ord("x")}


def test_trickle_sends_one_byte_at_a_time(hostile: HostilePanel) -> None:
    hostile.reply(body=b'{"balance": "1"}', trickle_ms=100, trickle_head=True)
    with socket.create_connection(("127.0.0.1", hostile.port)) as s:
        s.sendall(b"POST /api/v2 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        first = s.recv(100)
    assert 0 < len(first) < len(b"HTTP/1.1 200")


def test_the_key_travels_only_in_the_post_body(hostile: HostilePanel) -> None:
    hostile.reply({"balance": "1", "currency": "USD"})
    with client_of(hostile) as client:
        client.balance()
    (request,) = hostile.requests
    assert request.form["action"] == "balance"
    assert SECRET_KEY in request.body.decode()
    assert SECRET_KEY not in request.path
    assert all(SECRET_KEY not in v for v in request.headers.values())


def test_scripts_per_action(hostile: HostilePanel) -> None:
    hostile.reply({"any": 1}).reply({"b": 1}, action="balance")
    assert raw_post(hostile, {"action": "services"}).json() == {"any": 1}
    assert raw_post(hostile, {"action": "balance"}).json() == {"b": 1}
    assert raw_post(hostile, {"action": "balance"}).json() == {"b": 1}
    assert raw_post(hostile, {"action": "add"}).json() == {"any": 1}
