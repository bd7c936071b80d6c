"""The API key never leaves smm through a panel's answer: a panel that echoes it (raw,
JSON-escaped, percent- or HTML-encoded) in errors, per-item errors, service names or
headers finds it in no output, log line, state or cache file, at any verbosity."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

from runner.errors import PanelRejected
from runner.panel.answer import Scrubber, key_forms
from runner.panel.client import PanelClient
from tests.conftest import SECRET_KEY, Runner, write_campaign
from tests.hostile import HostilePanel
from tests.panel.conftest import FAST

ODD_KEY = 'k3y/with+odd=chars&"quotes"\\back<>%41'


def every_encoding(key: str) -> list[str]:
    """The key as a hostile panel might echo it inside a JSON document."""
    in_json = json.dumps(key)[1:-1]
    return [
        in_json,
        in_json.replace("/", "\\/"),
        "".join(f"\\u{ord(c):04x}" for c in key),  # every character escaped
        json.dumps(json.dumps(key)[1:-1])[1:-1],  # escaped twice: shows as \\u.. text
        json.dumps("".join(f"\\u{ord(c):04x}" for c in key))[1:-1],
        quote(key, safe=""),
        quote(key, safe="").lower(),
        "".join(f"%{b:02X}" for b in key.encode()),
        "".join(f"&#{ord(c)};" for c in key),
        "".join(f"&#x{ord(c):x};" for c in key),
        json.dumps("".join(f"%{b:02x}" for b in key.encode()))[1:-1],
    ]


@pytest.mark.parametrize("key", [SECRET_KEY, ODD_KEY])
def test_the_scrubber_removes_the_key_in_every_encoding(key: str) -> None:
    scrub = Scrubber(key)
    for form in every_encoding(key):
        body = f'{{"error": "Invalid API key {form} (check it)"}}'
        text = json.loads(body)["error"]
        clean = scrub(text)
        assert key not in clean, form
        assert all(f not in clean for f in key_forms(key)), form
        assert "Invalid API key" in clean and "(check it)" in clean


def test_the_scrubber_makes_text_one_safe_line() -> None:
    scrub = Scrubber(SECRET_KEY)
    assert scrub("a\nb\r\x1b[2Jc\x00d\u202ee") == "a b  [2Jc d e"
    assert scrub("lone \ud800 surrogate").encode("utf-8")
    assert scrub("Café ✓") == "Café ✓"


def test_a_short_key_is_not_scrubbed_from_answers() -> None:
    """A test's key "x" would be found in "max": only errors and logs redact it."""
    assert Scrubber("x")("max") == "max"


def odd_client(hostile: HostilePanel) -> PanelClient:
    return PanelClient("hp", hostile.url, ODD_KEY, retry=FAST, sleep=lambda s: None)


@pytest.mark.parametrize("form", every_encoding(ODD_KEY))
def test_client_answers_never_hold_the_key(hostile: HostilePanel, form: str) -> None:
    hostile.reply(body=f'{{"error": "Invalid API key {form}"}}', action="balance")
    hostile.reply(
        body=f'[{{"service": 1, "name": "n {form}", "category": "{form}", "type": "{form}",'
        f' "rate": "1", "min": 1, "max": 2}}]',
        action="services",
    )
    hostile.reply(
        body=f'{{"1": {{"error": "Incorrect order ID {form}"}}, "2": "no {form}",'
        f' "3": {{"status": "{form}", "currency": "{form}"}}}}',
        action="status",
    )
    with odd_client(hostile) as client:
        with pytest.raises(PanelRejected) as info:
            client.balance()
        services = client.services()
        statuses = client.status_many([1, 2, 3])
    shown = [str(info.value), info.value.reason]
    shown += [t for s in services for t in (s.name, s.category, str(s.type))]
    shown += [getattr(v, "message", "") or str(getattr(v, "status", "")) for v in statuses.values()]
    shown += [str(getattr(v, "currency", "")) for v in statuses.values()]
    for text in shown:
        assert ODD_KEY not in text
        assert all(f not in text for f in key_forms(ODD_KEY))
    assert "Invalid API key ***" in str(info.value)


# --- through the CLI, at every verbosity --------------------------------------------


def leaked(text: str) -> list[str]:
    return [f for f in key_forms(SECRET_KEY) if f in text]


def files_leaking(root: Path) -> list[str]:
    return [
        str(p)
        for p in root.rglob("*")
        if p.is_file() and p.name != "smm.yaml" and SECRET_KEY.encode() in p.read_bytes()
    ]


ECHOES = [*every_encoding(SECRET_KEY), SECRET_KEY]


@pytest.fixture
def echoing(hostile: HostilePanel, hp_project: Callable[..., Path]) -> HostilePanel:
    """A panel that echoes the key everywhere it can."""
    hp_project()
    echo = (("X-Echo", SECRET_KEY), ("Content-Type", "application/json"))
    names = [
        {
            "service": i + 1,
            "name": f"Followers {form}",
            "category": form,
            "type": "Default",
            "rate": "0.5",
            "min": 10,
            "max": 1000,
        }
        for i, form in enumerate(ECHOES)
    ]
    services = json.dumps(names).replace("\\\\", "\\")  # let the escapes reach the parser
    hostile.reply(body=services, action="services", headers=echo)
    hostile.reply(
        body=f'{{"error": "Invalid API key {SECRET_KEY} or \\u0073{SECRET_KEY[1:]}"}}',
        action="balance",
        headers=echo,
    )
    return hostile


@pytest.mark.parametrize("verbosity", [[], ["-v"], ["-vv"]])
@pytest.mark.parametrize(
    "command", [["balance", "hp"], ["services", "hp"], ["services", "hp", "--format", "json"]]
)
def test_cli_shows_no_key(
    echoing: HostilePanel, run: Runner, verbosity: list[str], command: list[str]
) -> None:
    result = run(*verbosity, *command)
    assert result.out + result.err, "the command said nothing"
    assert not leaked(result.out + result.err), (result.out + result.err)[-2000:]
    assert "Traceback" not in result.err
    assert not files_leaking(Path.cwd())
    if command[0] == "balance":
        assert result.code == 1 and "Invalid API key ***" in result.err


def test_status_batches_store_and_show_no_key(echoing: HostilePanel, run: Runner) -> None:
    echoing.clear("balance").reply({"balance": "100", "currency": "USD"}, action="balance")
    echoing.reply({"order": 5}, action="add")
    write_campaign(
        "c", ["{id: o1, service: 1, link: https://instagram.com/a, quantity: 100}"], panel="hp"
    )
    applied = run("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    for echo in ECHOES:
        echoing.reply(body=f'{{"5": {{"error": "Incorrect order ID {echo}"}}}}', action="status")
        outputs = [run("-vv", "refresh"), run("-vv", "status"), run("state", "export")]
        outputs.append(run("status", "--refresh", "--format", "json"))
        for result in outputs:
            assert not leaked(result.out + result.err), echo
            assert "Traceback" not in result.err
    assert "Incorrect order ID ***" in run("state", "export").out
    assert not files_leaking(Path.cwd())


def partial_leaks(text: str, size: int = 12) -> list[str]:
    windows = {SECRET_KEY[i : i + size] for i in range(len(SECRET_KEY) - size + 1)}
    return [w for w in windows if w in text]


@pytest.mark.parametrize("offset", [0, 40, 60, 80, 100, 110])
def test_a_key_in_a_broken_header_is_not_cut_in_half(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path], offset: int
) -> None:
    """The HTTP library quotes an illegal header line; a message cut at a fixed length
    would keep part of a key that redaction (of the whole key) no longer recognises."""
    hp_project()
    hostile.reply(body=b"{}", headers=(("X" * offset + " " + SECRET_KEY + "tail", "v"),))
    for verbosity in ([], ["-vv"]):
        result = run(*verbosity, "balance", "hp")
        assert result.code == 1
        assert not partial_leaks(result.out + result.err), result.err[-500:]
