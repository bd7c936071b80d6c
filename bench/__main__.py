"""Run the benchmarks: ``python -m bench [NAME ...]``.

Names: validate, lists, plan, apply, pace, postgres, reconcile, scale, crash (all of them when none
is given).
"""

from __future__ import annotations

import importlib
import json
import sys

ALL = ("validate", "lists", "plan", "apply", "pace", "postgres", "reconcile", "scale", "crash")


def main(argv: list[str]) -> int:
    for name in argv or ALL:
        module = importlib.import_module(f"bench.{name}")
        print(json.dumps(module.run()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
