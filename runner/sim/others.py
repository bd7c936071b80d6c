"""The panel's other customers: orders arriving at a steady average rate, in real time.

Arrivals form a Poisson process on the panel's clock (``rate`` orders a second), made
deterministic for a seed: the gap before the n-th arrival depends only on the seed and n.
They are generated when the panel next looks (on each request), each with its own
arrival time, so they take ids in the global sequence in the order they came: a request
in flight can find other customers' ids on both sides of its own.  A long backlog (the
panel file was idle for days) keeps rows for the latest ``KEEP`` arrivals only; the
earlier ones just take their ids.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from runner.sim.catalog import CATALOG, SimService
from runner.sim.store import Store

DEFAULT_RATE = 0.5  # orders a second: a small panel's daytime traffic
KEEP = 200

# What other customers buy: plain orders with a link and a quantity.
_BOUGHT = tuple(s for s in CATALOG if s.type == "Default" and not s.disabled)
_SITES = {
    "Instagram": "https://instagram.com/p/",
    "TikTok": "https://tiktok.com/@",
    "YouTube": "https://youtube.com/watch?v=",
    "X (Twitter)": "https://x.com/",
}


@dataclass(frozen=True)
class Arrival:
    at: float
    service: SimService
    link: str
    quantity: int
    start_count: int


def _arrival(seed: int, n: int, at: float) -> Arrival:
    rng = random.Random(f"{seed}:others:order:{n}")
    service = rng.choice(_BOUGHT)
    site = next((v for k, v in _SITES.items() if service.category.startswith(k)), None)
    link = (site or "https://example.com/") + f"{rng.getrandbits(40):010x}"
    top = min(service.max, service.min * 20)
    quantity = max(service.min, rng.randint(service.min, top) // 10 * 10)
    return Arrival(at, service, link, quantity, rng.randint(0, 50_000))


class Others:
    def __init__(self, store: Store, rate: float, seed: int) -> None:
        self.store = store
        self.rate = rate
        self.seed = seed

    def arrivals(self, now: float) -> tuple[int, list[Arrival]]:
        """Orders placed by other customers since the last look, up to ``now``: (how many
        of them only take an id, those kept as orders).  Call inside a write."""
        if self.rate <= 0:
            return 0, []
        last = self.store.meta("others_at")
        if last is None:  # the panel starts now: nobody ordered before
            self.store.set_meta("others_at", repr(now))
            self.store.set_meta("others_count", "0")
            return 0, []
        at, count = float(last), int(self.store.meta("others_count") or 0)
        skipped = 0
        backlog = int((now - at) * self.rate)
        if backlog > 2 * KEEP:
            skipped = backlog - KEEP
            at, count = now - KEEP / self.rate, count + skipped
        out: list[Arrival] = []
        while True:
            gap = random.Random(f"{self.seed}:others:gap:{count}").expovariate(self.rate)
            if at + gap > now:
                break
            at += gap
            count += 1
            out.append(_arrival(self.seed, count, at))
        if out or skipped:
            self.store.set_meta("others_at", repr(at))
            self.store.set_meta("others_count", str(count))
        return skipped, out
