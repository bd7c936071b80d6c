"""Synthetic campaign corpora for the benchmarks."""

from __future__ import annotations

from pathlib import Path


def write_corpus(
    folder: Path, files: int = 100, orders_per_file: int = 100, panel: str = "demo"
) -> list[Path]:
    """``files`` campaign files of ``orders_per_file`` orders each, of mixed types."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(files):
        lines = [f"campaign: bench-{f:03d}", f"panel: {panel}", "orders:"]
        for o in range(orders_per_file):
            link = f"https://instagram.com/p/bench{f:03d}x{o:03d}"
            kind = o % 4
            lines.append(f"  - id: order-{o:03d}")
            if kind == 0:
                lines += [
                    "    service: 1",
                    f"    link: {link}",
                    "    quantity: 100",
                    "    drip_feed: {runs: 2, interval: 10}",
                ]
            elif kind == 1:
                lines += [
                    "    service: 2",
                    f"    link: {link}",
                    "    comments: [Great post, Love it, Wow]",
                ]
            elif kind == 2:
                lines += [
                    "    service: 7",
                    f"    link: {link}",
                    "    quantity: 100",
                    "    answer_number: 2",
                ]
            else:
                lines += ["    service: 3", f"    link: {link}", "    quantity: 50"]
        path = folder / f"bench-{f:03d}.yaml"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths
