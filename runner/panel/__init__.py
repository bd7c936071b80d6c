"""Talking to SMM panels: the typed client, its error tree and its value types."""

import sys
import types

# Importing httpx also imports its optional command-line tool, which loads rich and
# pygments: ~50 ms on every smm start, for a tool smm never runs.  An empty stand-in makes
# httpx fall back to its "not installed" stub for that tool.
sys.modules.setdefault("httpx._main", types.ModuleType("httpx._main"))
