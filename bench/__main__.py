"""Run every benchmark: ``python -m bench [NAME ...]``."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    print("no benchmarks yet" if not argv else f"unknown: {argv}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
