"""``smm sim serve``: the simulated panel over HTTP until Ctrl-C; ``smm sim reset``: a
``sim://NAME`` panel starts afresh."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from runner.errors import SmmError
from runner.sim.catalog import SHAPES, shape_for
from runner.sim.engine import SimPanel
from runner.sim.faults import FaultPlan
from runner.sim.limiter import Limiter
from runner.sim.server import SimHTTPServer
from runner.sim.wire import SimEndpoint
from runner.workflows.connect import sim_path
from runner.workflows.context import Context

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


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
    catalog: str,
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
        catalog=catalog,
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


@dataclass(frozen=True)
class Reset:
    url: str  # sim://NAME
    path: Path  # its data file
    deleted: bool  # False: it had no data


def change(
    ctx: Context,
    name: str,
    service: int,
    *,
    rate: str | None = None,
    title: str | None = None,
    type: str | None = None,
    gone: bool = False,
) -> str:
    """Change a service of ``sim://NAME`` (its rate, name or type, or take it off the
    catalog), as panels do between one week and the next; the service as it is now."""
    name = _name(name)
    try:
        amount = None if rate is None else Decimal(rate)
    except InvalidOperation:
        amount = None
    if rate is not None and (amount is None or not amount.is_finite() or amount < 0):
        raise SmmError(f"--rate {rate!r:.40} is not an amount of 0 or more")
    path = sim_path(ctx.project, name)
    if not path.is_file():
        raise SmmError(f"sim://{name} has no data yet ({path}): use it once first")
    url = next(
        (p.url for p in ctx.project.panels.values() if p.url.startswith(f"sim://{name}")), ""
    )
    shape = _query(url).get("catalog", [shape_for(name)])[-1]
    if shape not in SHAPES:
        raise SmmError(f"sim://{name}: unknown catalog {shape!r}")
    panel = SimPanel(path, catalog=shape)
    try:
        panel.services.change(service, rate=amount, name=title, type=type, gone=gone)
        now = panel.services.now()[service]
    except ValueError as exc:
        raise SmmError(f"sim://{name}: {exc}") from None
    finally:
        panel.close()
    state = "gone" if now.disabled else f"{now.type}, rate {now.rate} {panel.currency}"
    return f"sim://{name} service {service}: {now.name} ({state})"


def _name(name: str) -> str:
    if name.startswith("sim://"):
        name = urlsplit(name).netloc or "default"
    if not _NAME.fullmatch(name):
        raise SmmError(
            f"{name!r} is not a simulated panel's name (sim://NAME: letters, digits, . _ -)"
        )
    return name


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def reset(ctx: Context, name: str) -> Reset:
    """Delete the data of ``sim://NAME`` (NAME, or the URL itself) in the project's
    ``.smm/sim/``: its next use starts with fresh accounts, balances and ids."""
    name = _name(name)
    path = sim_path(ctx.project, name)
    deleted = False
    # SQLite's write-ahead log and index go with the file.
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            part.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise SmmError(f"cannot delete {part}: {exc.strerror}") from None
        deleted = deleted or part == path
    return Reset(f"sim://{name}", path, deleted)
