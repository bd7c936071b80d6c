"""The request forms PHP panels accept: urlencoded POST, multipart/form-data POST, and GET
with a query string, on any path; nothing from a JSON body."""

from __future__ import annotations

import urllib.parse
import uuid

import httpx
import pytest

from runner.sim.engine import SimPanel
from runner.sim.server import BackgroundServer
from runner.sim.wire import SimEndpoint
from tests.sim.conftest import KEY_A, Panel


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    """A multipart/form-data body written by hand, as a PHP client's curl would send it."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_multipart_post_is_an_api_request(panel: Panel) -> None:
    comments = "Nice one\r\nTr\u00e8s bien \U0001f44d\nThird"
    body, content_type = multipart(
        {
            "key": KEY_A,
            "action": "add",
            "service": "2",
            "link": "https://instagram.com/p/1",
            "comments": comments,
        }
    )
    answer = panel.send(body, content_type=content_type)
    assert answer.status == 200
    order = answer.json()["order"]
    (held,) = panel.inspect()
    assert held["order"] == order and held["params"]["comments"] == comments
    assert held["units"] == 3


def test_httpx_multipart_post(panel: Panel) -> None:
    order = panel.add(KEY_A)
    with httpx.Client() as client:
        reply = client.post(
            panel.url,
            data={"key": KEY_A, "action": "status", "order": str(order)},
            files={"unused": (None, b"")},  # forces multipart/form-data
        )
    assert reply.request.headers["content-type"].startswith("multipart/form-data")
    assert reply.json()["status"] == "Pending"


@pytest.mark.parametrize("path", ["/api/v2", "/api/v2/", "/", "/api", "/anything/else"])
def test_get_with_a_query_string_on_any_path(panel: Panel, path: str) -> None:
    query = urllib.parse.urlencode({"key": KEY_A, "action": "balance"})
    answer = panel.send(method="GET", path=f"{path}?{query}")
    assert answer.status == 200 and answer.json() == {"balance": "250.00", "currency": "USD"}


def test_get_adds_an_order_like_post(panel: Panel) -> None:
    query = urllib.parse.urlencode(
        {"key": KEY_A, "action": "add", "service": 1, "link": "https://x.com/a", "quantity": 100}
    )
    answer = panel.send(method="GET", path=f"/api/v2?{query}")
    order = answer.json()["order"]
    assert [o["order"] for o in panel.inspect()] == [order]
    status = panel.send(method="GET", path=f"/api/v2?key={KEY_A}&action=status&order={order}")
    assert status.json()["status"] == "Pending"


def test_get_without_a_key_is_refused_as_a_panel_does(panel: Panel) -> None:
    assert panel.send(method="GET", path="/api/v2").json() == {"error": "Invalid API key"}
    assert panel.send(method="GET", path="/healthz").json() == {"ok": True}
    assert panel.send(method="GET", path="/_sim/nothing").status == 404


def test_the_body_wins_over_the_query_string(panel: Panel) -> None:
    body = urllib.parse.urlencode({"key": KEY_A, "action": "balance"}).encode()
    answer = panel.send(body, path="/api/v2?action=services&key=wrong")
    assert answer.json() == {"balance": "250.00", "currency": "USD"}
    query = panel.send(b"action=balance", path=f"/api/v2?key={KEY_A}")  # key from the query
    assert query.json()["currency"] == "USD"


def test_a_json_body_brings_no_parameters(panel: Panel) -> None:
    """PHP fills $_POST from form bodies only: a JSON body has no key."""
    body = f'{{"key": "{KEY_A}", "action": "balance"}}'.encode()
    answer = panel.send(body, content_type="application/json")
    assert answer.json() == {"error": "Invalid API key"}


def test_the_request_log_never_shows_a_query_string(
    capsys: pytest.CaptureFixture[str],
) -> None:
    panel = SimPanel(":memory:", others_rate=0)
    with BackgroundServer(SimEndpoint(panel)) as server:
        server.server.verbose = True
        url = server.url + "?" + urllib.parse.urlencode({"key": KEY_A, "action": "balance"})
        with httpx.Client() as client:
            assert client.get(url).json()["currency"] == "USD"
            client.get(server.url.replace("/api/v2", "/healthz"))
    panel.close()
    log = capsys.readouterr().err
    assert "GET /api/v2" in log and "GET /healthz" in log
    assert KEY_A not in log and "balance" not in log
