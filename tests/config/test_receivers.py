"""`notify:` in smm.yaml: secrets only as ${ENV}, refused when written out."""

from __future__ import annotations

import pytest

from runner.config.receivers import Receiver, secret_problem
from runner.errors import ConfigError


@pytest.mark.parametrize(
    "url",
    [
        "tgram://${TG_BOT_TOKEN}/${TG_CHAT}",
        "mailto://${MAIL_USER}:${MAIL_PASSWORD}@gmail.com",
        "json://my-server-2024-prod.example.com/hook",
        "json://127.0.0.1:8080/smm/${HOOK}",
        "slack://${A}/${B}/${C}",
    ],
)
def test_references_and_plain_parts_pass(url: str) -> None:
    assert secret_problem(url) is None


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/4242", "token"),
        ("json://hooks.example.com/abc/9f8e7d6c5b4a39281706f5e4", "token"),
        ("mailto://me:hunter2@example.com", "password"),
        ("json://example.com/${NOT CLOSED", "reference"),
    ],
)
def test_secrets_written_out_are_refused(url: str, said: str) -> None:
    problem = secret_problem(url)
    assert problem is not None and said in problem
    assert "AAHd" not in problem and "hunter2" not in problem and "9f8e" not in problem


def test_expand_reads_the_environment_only_when_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver("json://h.example.com/${HOOK_A}/${HOOK_B}", frozenset({"partial"}))
    monkeypatch.setenv("HOOK_A", "first-secret")
    monkeypatch.delenv("HOOK_B", raising=False)
    with pytest.raises(ConfigError, match="HOOK_B is not set"):
        receiver.expand()
    monkeypatch.setenv("HOOK_B", "second-secret")
    assert receiver.expand() == (
        "json://h.example.com/first-secret/second-secret",
        ["first-secret", "second-secret"],
    )
    assert receiver.shown == "json://…"
    assert "secret" not in receiver.ident
