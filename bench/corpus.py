"""Synthetic campaign corpora for the benchmarks."""

from __future__ import annotations

from pathlib import Path


def write_corpus(
    folder: Path,
    files: int = 100,
    orders_per_file: int = 100,
    panel: str = "demo",
    distinct: bool = False,
) -> list[Path]:
    """``files`` campaign files of ``orders_per_file`` orders each, of mixed types.  With
    ``distinct``, no two orders look alike (each has a quantity of its own, and likes
    stand in for the custom comments), so apply may send them all side by side."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(files):
        lines = [f"campaign: bench-{f:03d}", f"panel: {panel}", "orders:"]
        for o in range(orders_per_file):
            link = f"https://instagram.com/p/bench{f:03d}x{o:03d}"
            kind = o % 4
            more = f * orders_per_file + o if distinct else 0
            if distinct and kind == 1:
                kind = 3
            lines.append(f"  - id: order-{o:03d}")
            if kind == 0:
                lines += [
                    "    service: 1",
                    f"    link: {link}",
                    f"    quantity: {100 + more}",
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
                    f"    quantity: {100 + more}",
                    "    answer_number: 2",
                ]
            else:
                lines += ["    service: 3", f"    link: {link}", f"    quantity: {50 + more}"]
        path = folder / f"bench-{f:03d}.yaml"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths
