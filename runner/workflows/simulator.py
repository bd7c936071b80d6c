"""``smm sim serve``: the simulated panel over HTTP until Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from runner.errors import SmmError
from runner.sim.engine import SimPanel
from runner.sim.faults import FaultPlan
from runner.sim.limiter import Limiter
from runner.sim.server import SimHTTPServer
from runner.sim.wire import SimEndpoint


def serve(
    *,
    host: str,
    port: int,
    latency_ms: float,
    faults: Sequence[str],
    fault_actions: str,
    speed: float,
    seed: int,
    start_balance: str,
    keys: Sequence[str],
    data: Path | None,
    partial_rate: float,
    quirks: bool,
    limit: str | None,
    others_rate: float,
    decimals: int,
    listening: Callable[[str], None],
) -> None:
    """Serve until interrupted; ``listening`` gets the URL once the port is open."""
    try:
        amount = Decimal(start_balance)
        actions = frozenset(a.strip() for a in fault_actions.split(",") if a.strip()) or None
        plan = FaultPlan.parse(faults, latency_ms=latency_ms, seed=seed, actions=actions)
        limiter = Limiter.parse(limit) if limit else None
    except (ValueError, InvalidOperation) as exc:
        raise SmmError(str(exc)) from None
    panel = SimPanel(
        data or ":memory:",
        speed=speed,
        seed=seed,
        balance=amount,
        keys=frozenset(keys) or None,
        partial_rate=partial_rate,
        quirks=quirks,
        others_rate=others_rate,
        decimals=decimals,
    )
    try:
        server = SimHTTPServer(SimEndpoint(panel, plan, limiter), host, port)
    except OSError as exc:
        panel.close()
        raise SmmError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    listening(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        panel.close()
