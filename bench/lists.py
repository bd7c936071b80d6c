"""A campaign expanding 100,000 orders from one CSV validates in at most 1.2x the time of
the same 100,000 orders written out in YAML (one run, one process: the ratio)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from runner.config import campaign

ORDERS = 100_000
LIMIT = 1.2


def _write(folder: Path) -> tuple[Path, Path]:
    listed = folder / "listed"
    written = folder / "written"
    listed.mkdir()
    written.mkdir()
    rows = ["link,quantity"] + [
        f"https://instagram.com/p/post{i},{100 + i % 900}" for i in range(ORDERS)
    ]
    (listed / "posts.csv").write_text("\n".join(rows) + "\n")
    (listed / "boost.yaml").write_text(
        "campaign: boost\npanel: demo\norders:\n"
        "  - id: likes-{key}\n    for_each: posts.csv\n    service: 3\n"
        '    link: "{link}"\n    quantity: "{quantity}"\n'
    )
    # Written out, the same orders need several files (a campaign file is at most 8 MiB).
    per_file = 10_000
    for part in range(ORDERS // per_file):
        lines = [f"campaign: boost-{part}", "panel: demo", "orders:"]
        for i in range(part * per_file, (part + 1) * per_file):
            lines += [
                f"  - id: likes-https-instagram-com-p-post{i}",
                "    service: 3",
                f"    link: https://instagram.com/p/post{i}",
                f"    quantity: {100 + i % 900}",
            ]
        (written / f"boost-{part:02}.yaml").write_text("\n".join(lines) + "\n")
    return listed, written


def _timed(folder: Path) -> tuple[float, list[campaign.OrderSpec]]:
    start = time.perf_counter()
    loaded = campaign.load([folder])
    elapsed = time.perf_counter() - start
    assert not loaded.problems, loaded.problems[:3]
    return elapsed, loaded.orders


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        listed, written = _write(Path(tmp))
        _timed(listed)  # warm: the schema is compiled once per process
        list_seconds, from_list = _timed(listed)
        yaml_seconds, from_yaml = _timed(written)
        # The same orders either way: ids and fingerprints.
        assert [(o.id, o.fingerprint()) for o in from_list] == [
            (o.id, o.fingerprint()) for o in from_yaml
        ]
    ratio = list_seconds / yaml_seconds
    return {
        "name": f"validate {ORDERS:,} orders from one CSV vs written out",
        "csv_seconds": round(list_seconds, 3),
        "yaml_seconds": round(yaml_seconds, 3),
        "ratio": round(ratio, 2),
        "limit": LIMIT,
        "ok": ratio <= LIMIT,
    }
