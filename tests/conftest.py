"""Shared fixtures: an isolated working folder for every test, the simulated panel over
real HTTP on 127.0.0.1, and a way to run the CLI in-process."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from runner.cli import main
from runner.panel import client
from runner.panel.http import RetryPolicy
from runner.sim.engine import SimPanel
from runner.sim.faults import FaultPlan
from runner.sim.server import BackgroundServer
from runner.sim.wire import SimEndpoint
from runner.state.sqlite import SQLiteStore
from tests.hostile import HostilePanel

REPO = Path(__file__).resolve().parent.parent
SECRET_KEY = "sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"

# pg_database / pg_url: the PostgreSQL server's database for this run, a schema per test.
pytest_plugins = ["tests.pgserver"]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in its own folder: never touches the user's or the repo's state."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SMM_CRASH_LOG", str(work / ".smm" / "crash.log"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    # Real backoff waits make a failing-panel test take seconds; keep the policy, shrink time.
    monkeypatch.setattr(
        client, "DEFAULT_RETRY", RetryPolicy(attempts=4, initial=0.001, max_wait=0.01)
    )
    return work


@dataclass
class Sim:
    panel: SimPanel
    endpoint: SimEndpoint
    url: str

    @property
    def faults(self) -> FaultPlan:
        return self.endpoint.faults

    def orders(self) -> list[dict[str, object]]:
        return self.panel.orders()


@pytest.fixture
def sim() -> Iterator[Sim]:
    """The simulated panel served over HTTP on 127.0.0.1 (any free port)."""
    panel = SimPanel(":memory:", speed=60.0, seed=7)
    endpoint = SimEndpoint(panel, FaultPlan(seed=7))
    with BackgroundServer(endpoint) as server:
        yield Sim(panel, endpoint, server.url)
    panel.close()


@pytest.fixture
def hostile() -> Iterator[HostilePanel]:
    """A hostile panel on 127.0.0.1 whose every answer the test scripts (tests/hostile.py)."""
    with HostilePanel() as panel:
        yield panel


@dataclass
class Result:
    code: int
    out: str
    err: str


class Runner(Protocol):
    def __call__(self, *args: str) -> Result: ...


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Runner:
    def invoke(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


def write_project(folder: Path, panels: dict[str, dict[str, str]]) -> Path:
    lines = ["panels:"]
    for name, fields in panels.items():
        lines.append(f"  {name}:")
        lines.extend(f"    {k}: {v}" for k, v in fields.items())
    path = folder / "smm.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def copy_examples(folder: Path) -> None:
    """The demo campaign and the examples of every order type, all under campaigns/."""
    shutil.copytree(REPO / "campaigns", folder / "campaigns")
    shutil.copytree(REPO / "examples" / "campaigns", folder / "campaigns" / "examples")
    shutil.copy(REPO / "smm.yaml", folder / "smm.yaml")


def env_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}


def http_project(
    sim: Sim, monkeypatch: pytest.MonkeyPatch, name: str = "demo", settle: str = "0.3"
) -> None:
    """smm.yaml in the working folder, its panel on the simulator served over HTTP.  The
    simulator ends a request when it answers: a short settle time is enough."""
    write_project(
        Path.cwd(),
        {name: {"url": sim.url, "key_env": "SIM_KEY", "settle_seconds": settle}},
    )
    monkeypatch.setenv("SIM_KEY", SECRET_KEY)


def write_campaign(name: str, orders: list[str], extra: str = "", panel: str = "demo") -> Path:
    folder = Path("campaigns")
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(
        f"campaign: {name}\npanel: {panel}\n{extra}orders:\n"
        + "".join(f"  - {o}\n" for o in orders)
    )
    return path


def followers(
    n: int, start: int = 0, service: int = 1, quantity: int = 100, step: int = 0
) -> list[str]:
    """``n`` follower orders; with ``step``, each ``step`` more than the one before (so no
    two look alike: they may be in flight together)."""
    return [
        f"{{id: o{i}, service: {service}, link: https://instagram.com/u{i}, "
        f"quantity: {quantity + step * i}}}"
        for i in range(start, start + n)
    ]


@pytest.fixture
def clocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sim, list[float]]]:
    """The simulator over HTTP with a clock the test moves (speed 60: a minute a second)."""
    clock = [1_000_000.0]
    panel = SimPanel(":memory:", speed=60, seed=5, clock=lambda: clock[0])
    endpoint = SimEndpoint(panel, FaultPlan())
    with BackgroundServer(endpoint) as server:
        sim = Sim(panel, endpoint, server.url)
        http_project(sim, monkeypatch)
        yield sim, clock
    panel.close()


def typed(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    """``smm ARGS`` as a user types it: a process of its own, in the working folder, with
    the environment of the test (or ``env``), stdin a pipe (not a terminal)."""
    import subprocess
    import sys

    environment = dict(os.environ if env is None else env)
    environment["PYTHONPATH"] = str(REPO)
    proc = subprocess.run(
        [sys.executable, "-m", "runner", *args],
        capture_output=True,
        text=True,
        env=environment,
        input=stdin if stdin is not None else "",
        timeout=120,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


class StoreClock:
    """The SQLite state's clock, moved forward by the test (the store's ``clock_offset``,
    the seam a shared state's server clock uses): a settle time passes without a wait.
    Everything smm stamps or compares with the state is on this clock."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self.offset = 0.0
        monkeypatch.setattr(SQLiteStore, "clock_offset", 0.0)

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self._monkeypatch.setattr(SQLiteStore, "clock_offset", self.offset)


@pytest.fixture
def store_clock(monkeypatch: pytest.MonkeyPatch) -> StoreClock:
    return StoreClock(monkeypatch)
