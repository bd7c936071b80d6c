"""The charting library: Vega-Lite, drawn by Vega through vega-embed, whose JavaScript
the Vega project ships in the ``vl-convert-python`` package (the ``report`` extra).

The page carries the library inline: ``vl_convert.javascript_bundle`` bundles vega,
vega-lite and vega-embed (about 0.9 MB) with our glue script, offline, in one module.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from types import ModuleType

from runner.errors import ReportError

PACKAGE = "vl-convert-python"
_SCRIPT_END = re.compile(r"</script|<!--", re.IGNORECASE)


def _library() -> ModuleType:
    try:
        import vl_convert
    except ImportError:
        raise ReportError(
            f"smm report draws its charts with {PACKAGE}: pip install 'smm-runner[report]'"
        ) from None
    return vl_convert


def versions() -> dict[str, str]:
    """The versions of the libraries the page embeds (shown in its footer)."""
    vlc = _library()
    return {
        "vega": str(vlc.get_vega_version()),
        "vega-lite": str(vlc.get_vegalite_versions()[-1]),
        "vega-embed": str(vlc.get_vega_embed_version()),
    }


@functools.cache
def script() -> str:
    """One ES module: the libraries, then the glue that draws each chart of the page.

    Safe to put inside ``<script>``: ``</script`` (which would end the element early)
    and ``<!--`` can only stand in a string there, where ``<\\/`` and ``<\\!`` are the
    same text to JavaScript."""
    glue = resources.files(__package__).joinpath("page.js").read_text(encoding="utf-8")
    bundle = str(_library().javascript_bundle(glue))
    return _SCRIPT_END.sub(lambda m: "<\\" + m.group(0)[1:], bundle)
