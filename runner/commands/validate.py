"""``smm validate``: schema and semantic checks of campaign files, offline."""

from __future__ import annotations

import json
from pathlib import Path

from runner.console import out
from runner.errors import EXIT_ERROR, EXIT_OK


def run(paths: tuple[Path, ...], fmt: str) -> int:
    from runner import campaign

    loaded = campaign.load(list(paths))
    if fmt == "json":
        out(json.dumps([p.to_json() for p in loaded.problems], indent=2))
    else:
        for problem in loaded.problems:
            out(str(problem))
        files = len(loaded.files)
        if loaded.problems:
            bad = len({p.location.file for p in loaded.problems})
            out(
                f"{len(loaded.problems)} error{'s' if len(loaded.problems) != 1 else ''} "
                f"in {bad} of {files} file{'s' if files != 1 else ''}."
            )
        else:
            out(
                f"Valid: {len(loaded.campaigns)} campaign"
                f"{'s' if len(loaded.campaigns) != 1 else ''}, {len(loaded.orders)} orders "
                f"in {files} file{'s' if files != 1 else ''}."
            )
    return EXIT_ERROR if loaded.problems else EXIT_OK
