"""What ``smm validate`` and ``smm refresh`` print."""

from __future__ import annotations

import json

from runner.config.campaign import Loaded
from runner.render.words import plural


def problems_json(loaded: Loaded) -> str:
    return json.dumps([p.to_json() for p in loaded.problems], indent=2)


def problems_text(loaded: Loaded) -> list[str]:
    lines = [str(problem) for problem in loaded.problems]
    # Campaign files and the list files their for_each orders read.
    files = max(len(loaded.files), len(set(loaded.read)))
    if loaded.problems:
        bad = len({p.location.file for p in loaded.problems})
        lines.append(
            f"{plural(len(loaded.problems), 'error')} in {bad} of {plural(files, 'file')}."
        )
    else:
        lines.append(
            f"Valid: {plural(len(loaded.campaigns), 'campaign')}, "
            f"{plural(len(loaded.orders), 'order')} in {plural(files, 'file')}."
        )
    return lines
