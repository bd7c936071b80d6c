"""Helpers for the panel tests: a client of the hostile panel, and a project whose panel
``hp`` points at it (for tests through the CLI)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from runner import errors
from runner.panel.client import PanelClient
from runner.panel.http import RetryPolicy
from tests.conftest import SECRET_KEY, write_project
from tests.hostile import HostilePanel

FAST = RetryPolicy(attempts=3, max_time=10.0, initial=0.001, max_wait=0.01)


def client_of(hostile: HostilePanel, **kwargs: object) -> PanelClient:
    """A client of the hostile panel over real HTTP; retries without real waits."""
    options: dict[str, object] = {"retry": FAST, "sleep": lambda s: None, **kwargs}
    return PanelClient("hp", hostile.url, SECRET_KEY, **options)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def no_toy_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets are process-wide: a toy key ("x") another test registered would mask every
    "x" in the messages these tests read.  Each test here starts without such keys."""
    real = {s for s in errors._SECRETS if len(s) >= 8}
    monkeypatch.setattr(errors, "_SECRETS", real)


@pytest.fixture
def hp_project(hostile: HostilePanel, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Write smm.yaml with the panel ``hp`` on the hostile server (extra fields allowed)."""

    def write(**fields: str) -> Path:
        monkeypatch.setenv("HP_KEY", SECRET_KEY)
        return write_project(
            Path.cwd(), {"hp": {"url": hostile.url, "key_env": "HP_KEY", **fields}}
        )

    return write
