"""The panel client against the simulated panel over real HTTP: every action, every fault,
the classification of each failure and where retries happen."""

from __future__ import annotations

import socket
from decimal import Decimal

import httpx
import pytest

from runner.api.models import ItemError, OrderStatus, RefillStatus, ServiceType
from runner.errors import ConfigError, NotSent, OutcomeUnknown, PanelRejected, UnexpectedResponse
from runner.panel.client import PanelClient
from runner.panel.http import RetryPolicy, check_url
from runner.panel.ratelimit import Throttle, parse_rate
from tests.conftest import SECRET_KEY, Sim

FAST = RetryPolicy(attempts=4, max_time=10.0, initial=0.001, max_wait=0.01)


def client_for(sim: Sim, **kwargs: object) -> PanelClient:
    waits: list[float] = []
    client = PanelClient("test", sim.url, SECRET_KEY, retry=FAST, sleep=waits.append, **kwargs)  # type: ignore[arg-type]
    client.waits = waits  # type: ignore[attr-defined]
    return client


def test_services_are_typed(sim: Sim) -> None:
    with client_for(sim) as client:
        services = {s.id: s for s in client.services()}
    assert services[1].rate == Decimal("0.90")
    assert services[3].rate == Decimal("0.12345")
    assert services[1].type is ServiceType.DEFAULT
    assert services[7].type is ServiceType.POLL
    assert (services[1].min, services[1].max) == (50, 10000)
    assert services[1].refill and services[1].cancel and services[1].dripfeed
    assert 23 not in services  # disabled services are not listed
    assert {s.type for s in services.values()} == set(ServiceType)


def test_add_every_order_type(sim: Sim) -> None:
    params: dict[int, dict[str, str | int | list[str]]] = {
        1: {"link": "https://instagram.com/acme", "quantity": 100, "runs": 3, "interval": 5},
        2: {"link": "https://instagram.com/p/1", "comments": ["Great!", "Love it"]},
        5: {"link": "https://instagram.com/acme"},
        6: {"link": "https://instagram.com/p/2", "quantity": 50, "username": "bob"},
        7: {"link": "https://t.me/acme/12", "quantity": 500, "answer_number": 2},
        8: {"link": "https://instagram.com/p/3", "quantity": 100, "usernames": ["a", "b"]},
        9: {
            "link": "https://instagram.com/p/4",
            "quantity": 100,
            "usernames": ["a"],
            "hashtags": ["#x"],
        },
        10: {"link": "https://instagram.com/p/5", "usernames": ["a", "b", "c"]},
        11: {"link": "https://instagram.com/p/6", "quantity": 100, "hashtag": "#cats"},
        12: {"link": "https://instagram.com/p/7", "quantity": 100, "username": "nasa"},
        13: {
            "link": "https://instagram.com/p/8",
            "quantity": 100,
            "media": "https://instagram.com/p/9",
        },
        14: {"link": "https://youtube.com/watch?v=1", "username": "bob", "comments": ["Hi"]},
        15: {"link": "https://acme.com", "quantity": 100, "keywords": ["acme", "shoes"]},
        16: {"link": "https://instagram.com/p/10", "comments": ["a"]},
        17: {"link": "https://t.me/acme", "quantity": 100, "groups": ["https://t.me/g1"]},
        18: {"username": "acme", "min": 20, "max": 100, "posts": 5, "delay": 30},
        19: {
            "link": "https://acme.com",
            "quantity": 1000,
            "country": "US",
            "device": 1,
            "type_of_traffic": 1,
            "google_keyword": "acme shoes",
        },
    }
    with client_for(sim) as client:
        ids = {service: client.add(service, p) for service, p in params.items()}
    assert len(set(ids.values())) == len(ids)
    held = {o["order"]: o for o in sim.orders()}
    assert set(held) == set(ids.values())
    assert held[ids[2]]["params"]["comments"] == "Great!\nLove it"  # type: ignore[index]
    assert held[ids[2]]["units"] == 2
    assert held[ids[1]]["units"] == 300  # drip-feed: quantity x runs
    assert held[ids[18]]["units"] == 500  # posts x max


def test_status_refill_cancel_balance(sim: Sim) -> None:
    clock = [1_000_000.0]
    sim.panel.clock = lambda: clock[0]
    with client_for(sim) as client:
        before = client.balance()
        assert before.amount == Decimal("250.00") and before.currency == "USD"
        first = client.add(1, {"link": "https://instagram.com/a", "quantity": 1000})
        second = client.add(3, {"link": "https://instagram.com/b", "quantity": 100})
        # 0.012345 is charged as the panel rounds it: 0.01235
        assert client.balance().amount == Decimal("250.00") - Decimal("0.9") - Decimal("0.01235")
        one = client.status(first)
        assert one.status is OrderStatus.PENDING and one.charge == Decimal("0.9")
        many = client.status_many([first, second, 1])
        assert isinstance(many[1], ItemError) and many[1].message == "Incorrect order ID"
        # refill is refused while the order is not complete
        with pytest.raises(PanelRejected, match="not eligible for refill"):
            client.refill(first)
        cancelled = client.cancel([second, first - 1])
        assert cancelled[second] is True
        assert isinstance(cancelled[first - 1], ItemError)
        clock[0] += 3600
        done = client.status(first)
        assert done.status is OrderStatus.COMPLETED and done.remains == 0
        assert client.status(second).status is OrderStatus.CANCELED
        refill = client.refill(first)
        refills = client.refill_many([first, second])
        assert isinstance(refills[second], ItemError)
        # one refill at a time: refused while the first is pending
        assert refills[first] == ItemError("The refill task is not completed for this order")
        assert client.refill_status(refill) is RefillStatus.PENDING
        clock[0] += 3600
        statuses = client.refill_status_many([refill, 1])
        assert statuses[refill] is RefillStatus.COMPLETED
        assert isinstance(statuses[1], ItemError)
        second_refill = client.refill_many([first])[first]
        assert isinstance(second_refill, int) and second_refill > refill
        # the cancelled order was refunded
        assert client.balance().amount == Decimal("250.00") - Decimal("0.9")


def test_batches_send_at_most_100_ids(sim: Sim) -> None:
    with client_for(sim) as client:
        result = client.status_many(range(1, 251))
    assert len(result) == 250
    assert sim.endpoint.by_action["status"] == 3


@pytest.mark.parametrize(
    ("kind", "error", "created"),
    [
        ("server_error", OutcomeUnknown, False),
        ("html", OutcomeUnknown, False),
        ("bad_json", OutcomeUnknown, True),
        ("drop_before", OutcomeUnknown, False),
        ("drop_after", OutcomeUnknown, True),
    ],
)
def test_add_is_never_retried_once_it_may_have_arrived(
    sim: Sim, kind: str, error: type[Exception], created: bool
) -> None:
    sim.faults.queue(kind, action="add")
    with client_for(sim) as client, pytest.raises(error):
        client.add(1, {"link": "https://instagram.com/a", "quantity": 100})
    assert sim.endpoint.by_action["add"] == 1
    assert len(sim.orders()) == (1 if created else 0)


def test_add_retries_429_honouring_retry_after(sim: Sim) -> None:
    sim.faults.retry_after = 3
    sim.faults.queue("rate_limit", action="add", count=2)
    with client_for(sim) as client:
        order = client.add(1, {"link": "https://instagram.com/a", "quantity": 100})
        assert client.waits == pytest.approx([3.0, 3.0], abs=0.05)  # type: ignore[attr-defined]
    assert sim.endpoint.by_action["add"] == 3
    assert [o["order"] for o in sim.orders()] == [order]


def test_add_429_until_attempts_run_out_is_not_sent(sim: Sim) -> None:
    sim.faults.queue("rate_limit", action="add", count=10)
    with client_for(sim) as client, pytest.raises(NotSent):
        client.add(1, {"link": "https://instagram.com/a", "quantity": 100})
    assert sim.endpoint.by_action["add"] == FAST.attempts
    assert sim.orders() == []


@pytest.mark.parametrize(
    "kind", ["rate_limit", "server_error", "html", "bad_json", "drop_before", "drop_after"]
)
def test_reads_retry_every_transport_fault(sim: Sim, kind: str) -> None:
    sim.faults.queue(kind, action="balance", count=2)
    with client_for(sim) as client:
        assert client.balance().amount == Decimal("250.00")
    assert sim.endpoint.by_action["balance"] == 3


def test_refill_and_cancel_retry(sim: Sim) -> None:
    with client_for(sim) as client:
        order = client.add(1, {"link": "https://instagram.com/a", "quantity": 100})
        sim.faults.queue("server_error", action="cancel")
        assert client.cancel([order]) == {order: True}
        sim.faults.queue("drop_before", action="refill")
        with pytest.raises(PanelRejected):
            client.refill(order)
    assert sim.endpoint.by_action["cancel"] == 2
    assert sim.endpoint.by_action["refill"] == 2


def test_panel_refusals_are_not_retried(sim: Sim) -> None:
    with client_for(sim) as client:
        with pytest.raises(PanelRejected, match="Quantity less than minimal 50") as info:
            client.add(1, {"link": "https://instagram.com/a", "quantity": 5})
        assert info.value.reason == "Quantity less than minimal 50"
        with pytest.raises(PanelRejected, match="Incorrect service ID"):
            client.add(999, {"link": "https://instagram.com/a", "quantity": 5})
        with pytest.raises(PanelRejected, match="Disabled service ID"):
            client.add(23, {"link": "https://facebook.com/a", "quantity": 500})
        client.add(1, {"link": "https://instagram.com/a", "quantity": 100})
        with pytest.raises(PanelRejected, match="active order with this link"):
            client.add(1, {"link": "https://instagram.com/a", "quantity": 100})
        with pytest.raises(PanelRejected, match="Not enough funds"):
            client.add(21, {"link": "https://youtube.com/v", "quantity": 1_000_000})
        with pytest.raises(PanelRejected, match="Incorrect order ID"):
            client.status(5)
        with pytest.raises(PanelRejected, match="Refill not found"):
            client.refill_status(5)
    assert sim.endpoint.by_action["add"] == 6


def test_invalid_key(sim: Sim) -> None:
    sim.panel.keys = frozenset({"right"})
    with client_for(sim) as client, pytest.raises(PanelRejected, match="Invalid API key"):
        client.balance()


def test_connection_refused_is_not_sent() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    client = PanelClient(
        "x", f"http://127.0.0.1:{port}/api/v2", SECRET_KEY, retry=FAST, sleep=waits.append
    )
    with client, pytest.raises(NotSent, match="could not connect"):
        client.add(1, {"link": "https://a", "quantity": 1})
    assert len(waits) == FAST.attempts - 1


def test_read_timeout_is_outcome_unknown(sim: Sim) -> None:
    sim.faults.latency_ms = 400
    with (
        client_for(sim, timeout=0.1) as client,
        pytest.raises(OutcomeUnknown, match="timed out"),
    ):
        client.add(1, {"link": "https://instagram.com/a", "quantity": 100})
    assert sim.endpoint.by_action["add"] == 1


def test_rate_limit_spaces_calls() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = Throttle("60/min", clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.acquire()
    assert slept == [1.0, 1.0, 1.0]
    now[0] += 10  # idle time does not build up a burst
    limiter.acquire()
    limiter.acquire()
    assert slept == [1.0, 1.0, 1.0, 1.0]
    assert parse_rate("60/min") == (60, 60.0)
    assert parse_rate("2 / sec") == (2, 1.0)
    with pytest.raises(ValueError):
        parse_rate("fast")


def test_client_applies_its_rate_limit(sim: Sim) -> None:
    with client_for(sim, rate_limit="6000/min") as client:
        assert client._http.throttle.interval == 0.01
        client.balance()


def test_https_required_for_remote_panels() -> None:
    check_url("https://panel.example/api/v2")
    check_url("http://127.0.0.1:8080/api/v2")
    check_url("http://localhost/api/v2")
    with pytest.raises(ConfigError, match="must use https"):
        check_url("http://panel.example/api/v2")
    with pytest.raises(ConfigError):
        PanelClient("x", "http://10.0.0.5/api/v2", SECRET_KEY)


def test_quirky_panels_are_understood(sim: Sim) -> None:
    sim.panel.quirks = True
    clock = [1_000_000.0]
    sim.panel.clock = lambda: clock[0]
    with client_for(sim) as client:
        services = {s.id: s for s in client.services()}
        assert services[3].rate == Decimal("0.12345")
        assert services[2].type is ServiceType.CUSTOM_COMMENTS
        order = client.add(3, {"link": "https://instagram.com/a", "quantity": 100})
        client.cancel([order])
        clock[0] += 10
        result = client.status_many([order, 4])
    assert result[order].status is OrderStatus.CANCELED  # type: ignore[union-attr]
    assert result[4] == ItemError("Incorrect order ID")


def _mock(body: object, status: int = 200) -> PanelClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    return PanelClient(
        "m",
        "https://panel.example/api/v2",
        SECRET_KEY,
        transport=httpx.MockTransport(handler),
        retry=FAST,
        sleep=lambda s: None,
    )


def test_variants_of_the_wire_format() -> None:
    services = _mock(
        [
            {
                "service": "4",
                "name": "x",
                "type": "custom comments",
                "category": "c",
                "rate": 1.5,
                "min": 10,
                "max": "100",
                "refill": "1",
                "cancel": 0,
            }
        ]
    ).services()
    assert services[0].id == 4 and services[0].rate == Decimal("1.5")
    assert services[0].type is ServiceType.CUSTOM_COMMENTS and services[0].refill
    info = _mock(
        {
            "status": "in progress",
            "remains": "Unknown",
            "charge": 0.27819,
            "start_count": 3,
            "currency": "USD",
        }
    ).status(1)
    assert info.status is OrderStatus.IN_PROGRESS and info.remains is None
    assert info.charge == Decimal("0.27819")
    odd = _mock({"status": "Queued"}).status(1).status
    assert not odd.known and odd == "Queued"
    assert _mock({"refill": "17"}).refill(1) == 17
    refills = _mock(
        [
            {"order": "1", "refill": "5"},
            {"order": 2, "refill": "Incorrect order ID"},
            {"order": 3, "refill": {"error": "Order not eligible for refill."}},
        ]
    ).refill_many([1, 2, 3, 4])
    assert refills[1] == 5 and refills[2] == ItemError("Incorrect order ID")
    assert refills[3] == ItemError("Order not eligible for refill.")
    assert refills[4] == ItemError("missing from the panel's answer", said=False)
    statuses = _mock(
        [
            {"refill": "1", "status": "Completed"},
            {"refill": 2, "status": {"error": "Refill not found"}},
        ]
    ).refill_status_many([1, 2])
    assert statuses == {1: RefillStatus.COMPLETED, 2: ItemError("Refill not found")}
    # a refusal is the panel's word, kept with its HTTP status (never an order id of 0)
    with pytest.raises(PanelRejected) as refused:
        _mock({"error": "Bad link"}, status=422).add(1, {})
    assert refused.value.http_status == 422 and refused.value.reason == "Bad link"
    with pytest.raises(PanelRejected, match="Bad link"):
        _mock({"error": "Bad link"}, status=422).add(1, {"link": "x"})
    with pytest.raises(UnexpectedResponse):
        _mock({"ok": True}).add(1, {"link": "x"})
    assert _mock({"balance": 10, "currency": "EUR"}).balance().amount == Decimal(10)


def test_key_travels_only_in_the_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"balance": "1", "currency": "USD"})

    client = PanelClient(
        "m", "https://panel.example/api/v2", SECRET_KEY, transport=httpx.MockTransport(handler)
    )
    client.balance()
    request = seen[0]
    assert SECRET_KEY not in str(request.url)
    assert all(SECRET_KEY not in v for v in request.headers.values())
    assert SECRET_KEY in request.content.decode()
    assert request.headers["user-agent"].startswith("smm-runner/")
    assert SECRET_KEY not in repr(client)
    assert SECRET_KEY not in repr(vars(client))
