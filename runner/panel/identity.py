"""What identifies a panel account, and an order's idempotency key."""

from __future__ import annotations

import hashlib


def account_of(url: str, key: str) -> str:
    """What identifies a panel account in the state: its URL and a fingerprint of its key
    (never the key).  Order ids of one account say nothing about another's."""
    digest = hashlib.sha256(f"{url.strip().rstrip('/')}\n{key}".encode()).hexdigest()
    return digest[:16]


def request_id(address: str, fingerprint: str) -> str:
    """The idempotency key of an order's ``add``: the same for every send of the same
    order (address and parameters), different for any other."""
    return hashlib.sha256(f"smm\n{address}\n{fingerprint}".encode()).hexdigest()[:32]
