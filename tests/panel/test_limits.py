"""Hangs and memory: one deadline over each whole request (a panel that trickles its
answer byte by byte cannot hold a call for ever), and a cap on the answer's size, read in
chunks (a 300 MB answer, plain or a gzip bomb, is never read whole)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from runner.config import project
from runner.errors import ConfigError, OutcomeUnknown, PanelRejected, UnexpectedResponse
from runner.panel.client import PanelClient
from runner.panel.http import DEFAULT_MAX_ANSWER_BYTES, RetryPolicy
from tests.conftest import Runner
from tests.hostile import HostilePanel
from tests.panel.conftest import client_of

ONCE = RetryPolicy(attempts=1)
BALANCE = b'{"balance": "12.50", "currency": "USD"}'
LINK: dict[str, str | int] = {"link": "https://instagram.com/a", "quantity": 100}


# --- the deadline -----------------------------------------------------------------------


HEAD = len(b"HTTP/1.1 200 Hostile\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n")


@pytest.mark.parametrize("head", [False, True], ids=["body", "head-and-body"])
def test_a_trickling_answer_hits_the_total_deadline(hostile: HostilePanel, head: bool) -> None:
    """Each byte comes well within the timeout; the whole answer would take seconds."""
    hostile.reply(body=BALANCE * 3, trickle_ms=60, trickle_head=head)
    with (
        client_of(hostile, timeout=0.4, retry=ONCE) as client,
        pytest.raises(OutcomeUnknown, match=r"no complete answer within 0\.4 s") as info,
    ):
        client.balance()
    assert not isinstance(info.value, UnexpectedResponse)  # a read may try again
    # The client gave up at the deadline: long before the panel was half-way through.
    assert hostile.requests[0].sent < (HEAD // 2 if head else HEAD + len(BALANCE))


def test_a_trickling_add_is_in_doubt_and_never_repeated(hostile: HostilePanel) -> None:
    hostile.reply({"order": 5}, trickle_ms=60, trickle_head=True)
    with (
        client_of(hostile, timeout=0.3) as client,
        pytest.raises(OutcomeUnknown, match=r"no complete answer within 0\.3 s"),
    ):
        client.add(1, LINK)
    assert hostile.actions() == ["add"]
    assert hostile.requests[0].sent < HEAD // 2


def test_reads_retry_after_a_deadline(hostile: HostilePanel) -> None:
    hostile.reply(body=BALANCE, delay=1.0).reply(body=BALANCE)
    with client_of(hostile, timeout=0.2) as client:
        assert client.balance().amount == 12.5
    assert hostile.actions() == ["balance", "balance"]


def test_a_quick_answer_is_unaffected(hostile: HostilePanel) -> None:
    hostile.reply(body=BALANCE, trickle_ms=1)
    with client_of(hostile, timeout=5) as client:
        assert client.balance().currency == "USD"


def test_the_cli_reports_the_deadline_in_one_line(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path]
) -> None:
    hp_project(timeout="0.3")
    hostile.reply(body=BALANCE, trickle_ms=50, trickle_head=True)
    result = run("balance", "hp")
    assert result.code == 1
    assert result.err.strip().splitlines() == [
        "Error: panel hp: balance: timed out: no complete answer within 0.3 s"
    ]


# --- the size cap -----------------------------------------------------------------------

CAP = 2**20


def capped(hostile: HostilePanel, action: str = "balance") -> UnexpectedResponse:
    tracemalloc.start()
    try:
        with (
            client_of(hostile, max_answer_bytes=CAP) as client,
            pytest.raises(UnexpectedResponse, match="larger than 1 MiB") as info,
        ):
            if action == "add":
                client.add(1, LINK)
            else:
                client.balance()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * CAP, f"{peak} bytes held for a {CAP}-byte cap"
    assert hostile.actions() == [action]  # the same answer would come again: no retry
    return info.value


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "until-close"])
def test_a_300_mb_answer_stops_at_the_cap(hostile: HostilePanel, declared: bool) -> None:
    hostile.reply(huge=300 * 2**20, declare_length=declared)
    capped(hostile)


def test_a_gzip_bomb_stops_at_the_cap(hostile: HostilePanel) -> None:
    hostile.reply(huge=300 * 2**20, gzip="ok", filler=b"0", declare_length=False)
    capped(hostile)


def test_an_oversized_add_answer_is_in_doubt(hostile: HostilePanel) -> None:
    hostile.reply(huge=10 * 2**20, declare_length=False, filler=b" ")
    error = capped(hostile, "add")
    assert isinstance(error, OutcomeUnknown) and not isinstance(error, PanelRejected)


def test_an_answer_just_under_the_cap_is_read(hostile: HostilePanel) -> None:
    body = BALANCE + b" " * (CAP - len(BALANCE))
    hostile.reply(body=body, gzip="ok")
    with client_of(hostile, max_answer_bytes=CAP) as client:
        assert client.balance().currency == "USD"


def test_the_default_cap_holds_a_big_catalog() -> None:
    # ~250 bytes a service: 32 MiB is over 100,000 services
    assert DEFAULT_MAX_ANSWER_BYTES == 32 * 2**20
    assert project.PanelConfig("p", "https://p.example/api/v2").max_answer_bytes == (
        DEFAULT_MAX_ANSWER_BYTES
    )


def test_the_cli_stops_a_300_mb_answer_at_the_default_cap(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path]
) -> None:
    hp_project()
    hostile.reply(huge=300 * 2**20, declare_length=False)
    result = run("balance", "hp")
    assert result.code == 1
    assert result.err.strip().splitlines() == [
        "Error: panel hp: balance: the answer is larger than 32 MiB (max_answer_mb in smm.yaml)"
    ]


def test_smm_yaml_sets_the_cap(tmp_path: Path, hp_project: Callable[..., Path]) -> None:
    path = hp_project(max_answer_mb="0.5")
    loaded = project.load(path)
    assert loaded.panels["hp"].max_answer_bytes == 2**19
    for bad in ("0", "-1", "2000", "abc"):
        hp_project(max_answer_mb=bad)
        with pytest.raises(ConfigError, match="max_answer_mb"):
            project.load(path)


def test_the_cli_honours_max_answer_mb(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path]
) -> None:
    hp_project(max_answer_mb="0.001")
    hostile.reply(body=BALANCE + b" " * 2000)
    result = run("balance", "hp")
    assert "larger than 1048 bytes" in result.err


def test_an_in_process_transport_is_capped_too() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=BALANCE + b" " * 2000)

    client = PanelClient(
        "m",
        "https://panel.example/api/v2",
        "k" * 32,
        transport=httpx.MockTransport(handler),
        max_answer_bytes=1000,
    )
    with client, pytest.raises(UnexpectedResponse, match="larger than 1000 bytes"):
        client.balance()
