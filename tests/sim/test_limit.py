"""The panel's rate limit: a token bucket per key; beyond it HTTP 429 with an integer
Retry-After of at least 1 second, and the request is not processed."""

from __future__ import annotations

import urllib.parse

import pytest

from runner.errors import NotSent
from runner.panel.client import PanelClient
from runner.panel.http import RetryPolicy
from runner.sim.limiter import Limiter, parse_limit
from tests.sim.conftest import KEY_A, KEY_B, Panel, PanelFactory


def add_form(key: str, link: str) -> bytes:
    form = {"key": key, "action": "add", "service": "1", "link": link, "quantity": "100"}
    return urllib.parse.urlencode(form).encode()


def test_beyond_the_limit_a_request_is_answered_429_and_not_processed(
    make_panel: PanelFactory,
) -> None:
    panel = make_panel(endpoint={"limiter": Limiter(2, 60.0)})
    answers = [panel.send(add_form(KEY_A, f"https://x.com/{i}")) for i in range(4)]
    assert [a.status for a in answers] == [200, 200, 429, 429]
    assert [int(a.headers["Retry-After"]) for a in answers[2:]] == [30, 30]
    assert "error" in answers[2].json()
    assert len(panel.inspect()) == 2  # the refused adds placed nothing
    stats = panel.stats()
    assert stats["limited"] == 2 and stats["by_action"]["add"] == 4
    # Another key has a bucket of its own.
    assert panel.send(add_form(KEY_B, "https://x.com/b")).status == 200


def test_tokens_come_back_with_time(make_panel: PanelFactory) -> None:
    now = [0.0]
    panel = make_panel(endpoint={"limiter": Limiter(10, 1.0, clock=lambda: now[0])})
    statuses = [panel.send(add_form(KEY_A, f"https://x.com/{i}")).status for i in range(11)]
    assert statuses == [200] * 10 + [429]
    refused = panel.send(add_form(KEY_A, "https://x.com/late"))
    assert refused.headers["Retry-After"] == "1"  # 0.1 s to wait: at least 1, whole seconds
    now[0] += 0.1
    assert panel.send(add_form(KEY_A, "https://x.com/late")).status == 200
    assert panel.send(add_form(KEY_A, "https://x.com/later")).status == 429
    now[0] += 60
    assert [panel.send(add_form(KEY_A, f"https://y.com/{i}")).status for i in range(11)] == [
        200
    ] * 10 + [429]


def test_smms_client_waits_and_places_the_order_once(make_panel: PanelFactory) -> None:
    """The client honours Retry-After; the refused attempts left no order behind."""
    now = [0.0]
    panel = make_panel(endpoint={"limiter": Limiter(1, 60.0, clock=lambda: now[0])})
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    retry = RetryPolicy(attempts=3, max_time=300.0, initial=0.001, max_wait=120.0)
    with PanelClient(
        "sim", panel.url, KEY_A, retry=retry, sleep=sleep, clock=lambda: now[0]
    ) as client:
        assert client.balance().currency == "USD"
        order = client.add(1, {"link": "https://instagram.com/a", "quantity": 100})
    assert waits and waits[0] >= 60
    assert [o["order"] for o in panel.inspect()] == [order]
    assert panel.stats()["limited"] == 1


def test_without_waiting_the_client_gives_up_with_nothing_placed(panel: Panel) -> None:
    panel.endpoint.limiter = Limiter(1, 3600.0)
    retry = RetryPolicy(attempts=3, initial=0.001, max_wait=0.01)
    with PanelClient("sim", panel.url, KEY_A, retry=retry, sleep=lambda s: None) as client:
        client.balance()
        with pytest.raises(NotSent, match="429"):
            client.add(1, {"link": "https://instagram.com/a", "quantity": 100})
    assert panel.inspect() == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10/s", (10, 1.0)), ("60/min", (60, 60.0)), ("1/m", (1, 60.0)), (" 5 / H ", (5, 3600.0))],
)
def test_limits_parse(text: str, expected: tuple[int, float]) -> None:
    assert parse_limit(text) == expected


@pytest.mark.parametrize("text", ["10", "0/s", "-1/s", "1.5/s", "10/day", "/s", "ten/s"])
def test_bad_limits_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected N/s"):
        parse_limit(text)
