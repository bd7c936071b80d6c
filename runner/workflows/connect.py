"""Open a client for a configured panel: real panels over HTTPS, ``sim://`` in-process."""

from __future__ import annotations

import sqlite3
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from runner.config.project import PanelConfig, Project
from runner.errors import ConfigError
from runner.money import read_integer
from runner.panel.client import PanelClient
from runner.panel.http import RetryPolicy


def open_client(
    project: Project, panel: PanelConfig, retry: RetryPolicy | None = None
) -> PanelClient:
    key = panel.key()
    if not panel.is_sim:
        return PanelClient(
            panel.name,
            panel.url,
            key,
            timeout=panel.timeout,
            rate_limit=panel.rate_limit,
            retry=retry,
            max_answer_bytes=panel.max_answer_bytes,
            idempotent=panel.idempotency == "request_id",
        )
    from runner.sim.catalog import DEFAULT_DECIMALS, shape_for
    from runner.sim.engine import SimPanel
    from runner.sim.faults import FaultPlan
    from runner.sim.limiter import Limiter
    from runner.sim.others import DEFAULT_RATE
    from runner.sim.transport import SimTransport
    from runner.sim.wire import SimEndpoint

    parts = urlsplit(panel.url)
    name = parts.netloc or "default"
    query = parse_qs(parts.query)

    def option(key: str, default: str) -> str:
        return query.get(key, [default])[-1]

    try:
        limit = option("limit", "")
        limiter = Limiter.parse(limit) if limit else None
        actions = frozenset(a for a in option("fault_actions", "").split(",") if a) or None
        faults = FaultPlan.parse(
            query.get("fault", []), latency_ms=float(option("latency_ms", "0")), actions=actions
        )
        engine = SimPanel(
            sim_path(project, name),
            speed=float(option("speed", "60")),
            seed=read_integer(option("seed", "0")),
            balance=Decimal(option("balance", "250.00")),
            partial_rate=float(option("partial_rate", "0")),
            quirks=option("quirks", "0") not in ("0", "", "false", "no"),
            others_rate=float(option("others_rate", str(DEFAULT_RATE))),
            decimals=read_integer(option("decimals", str(DEFAULT_DECIMALS))),
            catalog=option("catalog", shape_for(name)),
        )
    except (ValueError, InvalidOperation) as exc:
        raise ConfigError(
            f"panel {panel.name}: bad sim:// option ({exc})", panel.location
        ) from None
    except (sqlite3.Error, OSError) as exc:
        # The simulator writes as it answers (its orders move on): a read-only folder.
        raise ConfigError(
            f"panel {panel.name}: the simulated panel cannot keep its data in "
            f"{sim_path(project, name)} ({exc})",
            panel.location,
        ) from None
    return PanelClient(
        panel.name,
        f"http://sim.invalid/{name}/api/v2",
        key,
        timeout=panel.timeout,
        rate_limit=panel.rate_limit,
        retry=retry,
        max_answer_bytes=panel.max_answer_bytes,
        transport=SimTransport(SimEndpoint(engine, faults, limiter)),
        display_url=panel.url,
        idempotent=panel.idempotency == "request_id",
    )


def sim_path(project: Project, name: str) -> Path:
    """Where ``sim://NAME`` keeps its data."""
    return project.smm_dir / "sim" / f"{name}.db"
