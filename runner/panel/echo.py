"""The API key in a panel's text however it was echoed: in another case, base64-encoded
(standard or URL-safe, at any alignment inside a longer encoding), hex-encoded, cut short
(a long enough prefix, suffix or middle), or split by spaces or other separators.

Texts are compared by their skeleton: letters and digits only, lower-cased.  A run of at
least ``run_length`` characters of the key's skeleton (or of an encoding of the key) found
in a text's skeleton is recognisably the key: the text from its first to its last
character is masked.  Runs shorter than that are left alone (a key's common prefix such
as ``sk_live_`` is no secret), and so is a key too short to be told from ordinary words.
"""

from __future__ import annotations

import base64
import functools
import re
from dataclasses import dataclass

MASK = "***"
MIN_RUN = 12  # skeleton characters: fewer could be chance, or a key's public prefix
MIN_NEEDLE = 8  # a shorter key is no real key (``answer.MIN_KEY``): never looked for
SHARE = 0.5  # and at least this share of the key's (or its encoding's) skeleton
ANCHOR = 6  # characters of the pieces a first, cheap search looks for


_ALNUM = re.compile(r"[^\W_]")
_NOT_ALNUM = re.compile(r"[\W_]+")


def skeleton(text: str) -> str:
    """Letters and digits only, lower-cased."""
    return _NOT_ALNUM.sub("", text).lower()


def run_length(needle: str) -> int:
    """How much of ``needle`` (a skeleton) must show for a text to hold the key."""
    return min(len(needle), max(MIN_RUN, -(-len(needle) * int(SHARE * 100) // 100)))


def _base64_cores(key: bytes) -> set[str]:
    """The characters of the key's base64 encoding that do not depend on the bytes
    around it, at each of the three alignments it can have inside a longer encoding."""
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + key + b"\0\0").decode()
        # The first character touching a key byte may mix in the padding bytes before it;
        # the last group mixes in those after it.
        start = (offset * 4 + 2) // 3 + (1 if offset else 0)
        end = ((offset + len(key)) * 4) // 3
        cores.add(encoded[start:end])
    return cores


@functools.lru_cache(maxsize=64)
def needles(key: str) -> tuple[str, ...]:
    """The skeletons to look for: the key's, its base64 (either alphabet: the skeleton
    drops the characters they differ in) and hex encodings'."""
    raw = key.encode("utf-8")
    found = {skeleton(key), raw.hex()} | {skeleton(c) for c in _base64_cores(raw)}
    return tuple(sorted(n for n in found if len(n) >= MIN_NEEDLE))


@dataclass(frozen=True)
class _Finder:
    needles: tuple[str, ...]
    windows: re.Pattern[str] | None
    anchors: re.Pattern[str] | None  # a few short pieces every window holds one of

    def holds(self, text: str) -> bool:
        """Whether ``text`` holds an echo (passes in C: most texts hold none)."""
        if self.windows is None or self.anchors is None:
            return False
        skel = _NOT_ALNUM.sub("", text).lower()
        return bool(self.anchors.search(skel)) and bool(self.windows.search(skel))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where in ``text`` (start, end) something recognisably the key is."""
        if not self.holds(text):
            return []
        assert self.windows is not None
        where = [m.start() for m in _ALNUM.finditer(text)]
        skel = "".join(text[i].lower()[:1] for i in where)  # one character for one
        found: list[tuple[int, int]] = []
        for match in self.windows.finditer(skel):
            start, end = self._grow(skel, match.start(), match.end())
            found.append((where[start], where[end - 1] + 1))
        # finditer does not overlap, but every window of a long run matches: merge them
        merged: list[tuple[int, int]] = []
        for start, end in sorted(found):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def _grow(self, skel: str, start: int, end: int) -> tuple[int, int]:
        """The longest run around ``skel[start:end]`` that is part of one needle."""
        piece = skel[start:end]
        best = (start, end)
        for needle in self.needles:
            at = needle.find(piece)
            while at >= 0:
                lo, hi, n_lo, n_hi = start, end, at, at + len(piece)
                while lo > 0 and n_lo > 0 and skel[lo - 1] == needle[n_lo - 1]:
                    lo, n_lo = lo - 1, n_lo - 1
                while hi < len(skel) and n_hi < len(needle) and skel[hi] == needle[n_hi]:
                    hi, n_hi = hi + 1, n_hi + 1
                if hi - lo > best[1] - best[0]:
                    best = (lo, hi)
                at = needle.find(piece, at + 1)
        return best


@functools.lru_cache(maxsize=64)
def finder(key: str) -> _Finder:
    """The matcher of ``key``'s echoes (built once per key)."""
    found = needles(key)
    windows = {n[i : i + run_length(n)] for n in found for i in range(len(n) - run_length(n) + 1)}
    if not windows:
        return _Finder((), None, None)
    return _Finder(found, _any_of(windows), _any_of(_anchors(found)))


def _anchors(found: tuple[str, ...]) -> set[str]:
    """Pieces of ``ANCHOR`` characters, every ``step`` along each needle: a window of
    ``run`` characters starting anywhere holds one whole (pigeonhole), so a text without
    any holds no window, and the long alternation of windows is rarely tried."""
    pieces = set()
    for n in found:
        run = run_length(n)
        size = min(ANCHOR, run)
        pieces |= {n[i : i + size] for i in range(0, len(n) - size + 1, run - size + 1)}
    return pieces


def _any_of(literals: set[str]) -> re.Pattern[str]:
    return re.compile("|".join(sorted(map(re.escape, literals), key=len, reverse=True)))


def mask_echoes(text: str, key: str) -> str:
    """``text`` with everything recognisably ``key`` replaced by ``***``."""
    spans = finder(key).spans(text)
    for start, end in reversed(spans):
        text = text[:start] + MASK + text[end:]
    return text
