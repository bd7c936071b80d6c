"""Which address owns each order id on a panel: an add answered with an id that another
address already owns is a contradiction (the answer cannot be trusted), never a second
order placed."""

from __future__ import annotations

import threading
from collections.abc import Iterable


class Claims:
    """Thread-safe: the senders claim the ids their adds were answered with."""

    def __init__(self, known: Iterable[tuple[str, int, str]] = ()) -> None:
        self._owner = {(panel, order_id): address for panel, order_id, address in known}
        self._lock = threading.Lock()

    def claim(self, panel: str, order_id: int, address: str) -> str | None:
        """Record ``address`` as the owner of ``order_id``; the other owner if there is
        one already (then nothing is recorded)."""
        with self._lock:
            owner = self._owner.setdefault((panel, order_id), address)
        return None if owner == address else owner
