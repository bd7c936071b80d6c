"""``smm sim serve``: run the simulated panel over HTTP until Ctrl-C."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

from runner.console import out
from runner.errors import SmmError


def serve(
    *,
    host: str,
    port: int,
    latency_ms: float,
    faults: tuple[str, ...],
    fault_actions: str,
    speed: float,
    seed: int,
    start_balance: str,
    keys: tuple[str, ...],
    data: Path | None,
    partial_rate: float,
    quirks: bool,
) -> None:
    from runner.sim.engine import SimPanel
    from runner.sim.faults import FaultPlan
    from runner.sim.server import SimHTTPServer
    from runner.sim.wire import SimEndpoint

    try:
        amount = Decimal(start_balance)
        actions = frozenset(a.strip() for a in fault_actions.split(",") if a.strip()) or None
        plan = FaultPlan.parse(faults, latency_ms=latency_ms, seed=seed, actions=actions)
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
    )
    try:
        server = SimHTTPServer(SimEndpoint(panel, plan), host, port)
    except OSError as exc:
        raise SmmError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    out(f"smm sim: panel API at {server.url} (orders: GET /_sim/orders; Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        panel.close()
