"""Asking panels what the planner needs: catalogs (cached), balances and fresh statuses.

Panels are queried concurrently, each once: one ``services`` call at most (a cache with a
TTL sits beside the state), one ``balance`` call, and ``status`` batched 100 ids a call.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from runner.api.models import Service
from runner.clock import parse_moment
from runner.config.project import Project
from runner.errors import SmmError
from runner.panel.client import PanelClient
from runner.plans.facts import PanelFacts
from runner.state import OrderRecord, Phase

SERVICES_TTL = 3600.0


@dataclass(frozen=True)
class ServicesCache:
    folder: Path
    ttl: float = SERVICES_TTL

    def _path(self, panel: str, url: str) -> Path:
        digest = hashlib.sha256(url.encode()).hexdigest()[:12]
        return self.folder / f"services-{panel}-{digest}.json"

    def get(self, panel: str, url: str, any_age: bool = False) -> list[Service] | None:
        """The cached catalog; None when there is none, or it is older than the TTL and
        ``any_age`` is not set (the report shows drift from what it can read offline)."""
        path = self._path(panel, url)
        try:
            data = json.loads(path.read_text())
            if not any_age and time.time() - float(data["fetched_at"]) > self.ttl:
                return None
            return [Service.parse(s) for s in data["services"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, panel: str, url: str, services: Iterable[Service]) -> None:
        path = self._path(panel, url)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(
            json.dumps(
                {"fetched_at": time.time(), "url": url, "services": [s.to_json() for s in services]}
            )
        )
        os.replace(tmp, path)


def cache_for(project: Project) -> ServicesCache:
    return ServicesCache(project.smm_dir / "cache")


def services(client: PanelClient, cache: ServicesCache, refresh: bool = False) -> list[Service]:
    if not refresh:
        cached = cache.get(client.name, client.display_url)
        if cached is not None:
            return cached
    fresh = client.services()
    cache.put(client.name, client.display_url, fresh)
    return fresh


# A completed order can still lose what it delivered (accounts unfollow: that is why
# refills exist).  For a while after it was placed, it is asked about again now and then,
# so that a drop shows in the history, the status and the report.
DROP_WATCH = _dt.timedelta(days=30)
RECHECK = _dt.timedelta(hours=6)


def ids_to_refresh(
    records: Iterable[OrderRecord], now: _dt.datetime | None = None
) -> dict[str, list[int]]:
    """By panel: the orders ``needs_refresh`` picks."""
    now = now or _dt.datetime.now(_dt.UTC)
    wanted: dict[str, list[int]] = {}
    for record in records:
        if needs_refresh(record, now):
            assert record.order_id is not None
            wanted.setdefault(record.panel, []).append(record.order_id)
    return wanted


def needs_refresh(record: OrderRecord, now: _dt.datetime) -> bool:
    """A placed order whose last known status is not final, or a completed one young
    enough to drop that was not asked about for a while."""
    from runner.api.models import OrderStatus

    if record.phase is not Phase.PLACED or record.order_id is None:
        return False
    last = record.last
    if last is not None and last.status and not last.error:
        status = OrderStatus(last.status)
        if status.terminal and not (
            status in (OrderStatus.COMPLETED, OrderStatus.PARTIAL)
            and _age(record.created_at, now) < DROP_WATCH
            and _age(last.checked_at, now) >= RECHECK
        ):
            return False
    return True


def _age(moment: str, now: _dt.datetime) -> _dt.timedelta:
    then = parse_moment(moment)
    return _dt.timedelta.max if then is None else now - then


def gather(
    project: Project,
    panels: Iterable[str],
    status_ids: Mapping[str, list[int]],
    *,
    open_client: Callable[[str], PanelClient],
    refresh_services: bool = False,
    clients: dict[str, PanelClient] | None = None,
) -> dict[str, PanelFacts]:
    """Facts for every panel named, queried concurrently; a failing panel gets ``error``."""
    cache = cache_for(project)
    names = sorted(set(panels) | set(status_ids))

    def one(name: str) -> PanelFacts:
        if name not in project.panels:
            return PanelFacts(
                name,
                known=False,
                error=f"unknown panel '{name}' (not in "
                f"{project.file.name if project.file else 'the project'})",
            )
        try:
            client = open_client(name)
        except SmmError as exc:
            return PanelFacts(name, error=exc.message)
        if clients is not None:
            clients[name] = client
        try:
            # The three questions are independent: ask them at once.
            with ThreadPoolExecutor(max_workers=3) as pool:
                catalog_f = pool.submit(services, client, cache, refresh_services)
                balance_f = pool.submit(client.balance)
                statuses_f = pool.submit(client.status_many, status_ids.get(name, []))
                catalog = {s.id: s for s in catalog_f.result()}
                balance = balance_f.result()
                statuses = statuses_f.result()
        except SmmError as exc:
            return PanelFacts(name, error=exc.message)
        finally:
            if clients is None:
                client.close()
        return PanelFacts(name, catalog, balance, statuses, fetched_at=time.monotonic())

    if len(names) <= 1:
        return {name: one(name) for name in names}
    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))
