"""What is recognisably the key is masked, not only its exact text: a panel that echoes it
lower- or upper-cased, base64-encoded (standard or URL-safe, padded or not, inside a
longer encoding), hex-encoded, cut short (26 of 29 characters, a prefix, a suffix) or
split by spaces or other separators finds it in no output, log, state or cache file."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from runner.errors import redact
from runner.panel.answer import Scrubber
from runner.panel.echo import MIN_RUN, mask_echoes, needles, run_length, skeleton
from tests.conftest import SECRET_KEY, Runner, write_campaign
from tests.hostile import HostilePanel

KEY_29 = "Zq7Xw2Lp9Rt4Vb8Nc3Md6Kf1Hj5Gs"
assert len(KEY_29) == 29


def b64(text: str, urlsafe: bool = False, pad: bool = True) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    out = encode(text.encode()).decode()
    return out if pad else out.rstrip("=")


def echoes(key: str) -> dict[str, str]:
    """The key as a careless panel writes it back."""
    forms = {
        "lower": key.lower(),
        "upper": key.upper(),
        "swapped case": key.swapcase(),
        "base64": b64(key),
        "base64 url-safe": b64(key, urlsafe=True),
        "base64 unpadded": b64(key, pad=False),
        "base64 of key:": b64(f"key:{key}"),
        "base64 of ab + key": b64(f"ab{key}", urlsafe=True, pad=False),
        "base64 of the basic auth": b64(f"user:{key}"),
        "hex": key.encode().hex(),
        "first 26": key[:26],
        "last 26": key[-26:],
        "middle": key[2:-2],
        "spaces": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
        "one by one": " ".join(key),
        "dashes": "-".join(key[i : i + 5] for i in range(0, len(key), 5)),
        "commas": ", ".join(key[i : i + 3] for i in range(0, len(key), 3)),
        "dots lower": ".".join(key.lower()[i : i + 6] for i in range(0, len(key), 6)),
        "zero-width": "\u200b".join(key),
        "line breaks": "\n".join(key[i : i + 7] for i in range(0, len(key), 7)),
    }
    return forms


def recognisable(text: str, key: str) -> list[str]:
    """Every run of a key's skeleton (or its encodings') long enough to be the key."""
    skel = skeleton(text)
    return [
        n[i : i + run_length(n)]
        for n in needles(key)
        for i in range(len(n) - run_length(n) + 1)
        if n[i : i + run_length(n)] in skel
    ]


@pytest.mark.parametrize("key", [SECRET_KEY, KEY_29])
@pytest.mark.parametrize("form", sorted(echoes(SECRET_KEY)))
def test_every_echo_is_masked_and_the_text_around_it_kept(key: str, form: str) -> None:
    echo = echoes(key)[form]
    text = f"Invalid API key: {echo} (check your account)"
    for clean in (mask_echoes(text, key), Scrubber(key)(text), redact_with(key, text)):
        assert not recognisable(clean, key), (form, clean)
        assert clean.startswith("Invalid API key:") and clean.endswith("(check your account)")
        assert "***" in clean


def redact_with(key: str, text: str) -> str:
    """``redact`` once a client of ``key`` exists (it registers the key's masker)."""
    from runner.panel.client import PanelClient

    PanelClient("p", "http://127.0.0.1:9/api/v2", key).close()
    return redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "Not enough funds on balance",
        "Instagram Followers [Real - HQ] max 50K speed 10K/day",
        "Your key starts with sk_live_: that is a live key",  # the public prefix alone
        "order 1234567890 charged 0.90 USD",
        "sk_test_0123456789abcdef0123456789abcdef",  # another key
        "Zq7Xw2Lp9",  # 9 characters of the 29: not recognisably it
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    for key in (SECRET_KEY, KEY_29):
        assert mask_echoes(text, key) == text
        assert Scrubber(key)(text) == text


def test_a_key_too_short_to_recognise_is_not_looked_for() -> None:
    assert needles("abc") == ()
    assert mask_echoes("abc ABC a b c", "abc") == "abc ABC a b c"
    assert MIN_RUN >= 12


def leaks(text: str) -> list[str]:
    return recognisable(text, SECRET_KEY)


def files_leaking(root: Path) -> list[str]:
    return [
        str(p)
        for p in root.rglob("*")
        if p.is_file() and p.name != "smm.yaml" and leaks(p.read_bytes().decode(errors="replace"))
    ]


@pytest.mark.parametrize("form", sorted(echoes(SECRET_KEY)))
def test_no_command_shows_or_stores_an_echo(
    hostile: HostilePanel, run: Runner, hp_project: Callable[..., Path], form: str
) -> None:
    echo = echoes(SECRET_KEY)[form]
    hp_project()
    hostile.reply(
        [
            {
                "service": 1,
                "name": f"Followers {echo}",
                "category": echo,
                "type": "Default",
                "rate": "0.5",
                "min": 10,
                "max": 1000,
            }
        ],
        action="services",
    )
    hostile.reply({"error": f"Invalid API key {echo}"}, action="balance")
    outputs = [run("-vv", "balance", "hp"), run("-vv", "services", "hp", "--format", "json")]
    said = outputs[0].err.splitlines()[-1]
    assert outputs[0].code == 1 and "Invalid API key " in said and "***" in said, said
    hostile.clear("balance").reply({"balance": "100", "currency": "USD"}, action="balance")
    hostile.reply({"order": 5}, action="add")
    hostile.reply({"5": {"error": f"Incorrect order ID {echo}"}}, action="status")
    write_campaign(
        "c", ["{id: o1, service: 1, link: https://instagram.com/a, quantity: 100}"], panel="hp"
    )
    outputs += [run("-vv", "apply", "--auto-approve"), run("-vv", "refresh")]
    outputs += [run("status", "--format", "json"), run("state", "export")]
    for result in outputs:
        assert not leaks(result.out + result.err), (result.out + result.err)[-1500:]
        assert "Traceback" not in result.err
    (order,) = json.loads(outputs[-1].out)["orders"]
    error = order["last_status"]["error"]
    assert error.startswith("Incorrect order") and "***" in error, error
    assert not files_leaking(Path.cwd())
