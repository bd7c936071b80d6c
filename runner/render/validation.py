"""What ``smm validate`` and ``smm refresh`` print."""

from __future__ import annotations

import json

from runner.campaign import Loaded


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def problems_json(loaded: Loaded) -> str:
    return json.dumps([p.to_json() for p in loaded.problems], indent=2)


def problems_text(loaded: Loaded) -> list[str]:
    lines = [str(problem) for problem in loaded.problems]
    files = len(loaded.files)
    if loaded.problems:
        bad = len({p.location.file for p in loaded.problems})
        lines.append(
            f"{_plural(len(loaded.problems), 'error')} in {bad} of {_plural(files, 'file')}."
        )
    else:
        lines.append(
            f"Valid: {_plural(len(loaded.campaigns), 'campaign')}, "
            f"{_plural(len(loaded.orders), 'order')} in {_plural(files, 'file')}."
        )
    return lines
