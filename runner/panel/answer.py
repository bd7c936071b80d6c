"""A panel's answer, read as untrusted input: the body bounded in size and time, decoded,
parsed as JSON with bounded numbers and depth, and every string in it scrubbed.

Scrubbing happens here, once, at the boundary: after it, no text from a panel holds the
API key (raw, JSON-escaped, percent- or HTML-encoded), a control character, a line break
or a lone surrogate, so nothing downstream can print, log or store them.  Failures are
``BadAnswer``; ``runner.panel.http`` turns them into the error tree.
"""

from __future__ import annotations

import html
import json
import re
import time
import zlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from runner.panel.echo import finder, mask_echoes

MIN_KEY = 8  # characters: shorter is no real API key (see Scrubber)
MAX_DEPTH = 32  # panel answers are 3 levels deep; deeper is an attack on the stack
_NUMBER_CHARS = 100  # a longer JSON number is kept as its text: no value needs it
_CONTROL = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]")


class BadAnswer(Exception):
    """The answer cannot be used.  ``final``: asking again would not help."""

    def __init__(self, message: str, *, final: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.final = final


def size_text(limit: int) -> str:
    mib = limit / 2**20
    return f"{mib:g} MiB" if mib >= 1 else f"{limit} bytes"


def late(seconds: float) -> str:
    return f"timed out: no complete answer within {round(seconds, 2):g} s"


def too_large(limit: int) -> BadAnswer:
    return BadAnswer(
        f"the answer is larger than {size_text(limit)} (max_answer_mb in smm.yaml)", final=True
    )


# --- the body ---------------------------------------------------------------------------


class _Plain:
    def feed(self, data: bytes, room: int) -> bytes:
        return data

    def end(self) -> None:
        pass


class _Inflate:
    """gzip or deflate, never producing more than asked for (a small compressed body can
    expand a thousandfold)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._wbits = 16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS
        self._z = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = self._z.decompress(data, room + 1)
        except zlib.error:
            if self._gzip or self._started:
                raise BadAnswer("a compressed body that does not decompress") from None
            # "deflate" is sent both with and without the zlib wrapper
            self._wbits = -zlib.MAX_WBITS
            self._z = zlib.decompressobj(self._wbits)
            return self.feed(data, room)
        self._started = True
        return out

    def end(self) -> None:
        if not self._z.eof:
            raise BadAnswer("a compressed body cut short")


def _decoder(encoding: str) -> _Plain | _Inflate:
    codings = [c.strip().lower() for c in encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return _Plain()
    if codings in (["gzip"], ["x-gzip"]):
        return _Inflate(gzip=True)
    if codings == ["deflate"]:
        return _Inflate(gzip=False)
    raise BadAnswer("an answer in a Content-Encoding smm does not read", final=True)


def read_body(
    chunks: Iterable[bytes],
    *,
    length: str | None,
    encoding: str,
    limit: int,
    deadline: float,
    seconds: float,
) -> bytes:
    """The decoded body: never more than ``limit`` bytes (raw or decoded) held, and not
    after ``deadline`` (``time.monotonic``)."""
    declared = (length or "").strip()
    if declared.isascii() and declared.isdigit() and (len(declared) > 15 or int(declared) > limit):
        raise too_large(limit)
    decoder = _decoder(encoding)
    body = bytearray()
    received = 0
    for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise too_large(limit)
        out = decoder.feed(chunk, limit - len(body))
        if len(body) + len(out) > limit:
            raise too_large(limit)
        body += out
        if time.monotonic() > deadline:
            raise BadAnswer(late(seconds))
    decoder.end()
    return bytes(body)


# --- JSON -------------------------------------------------------------------------------


def _json_int(text: str) -> int | str:
    return int(text) if len(text) <= _NUMBER_CHARS else text


def _json_float(text: str) -> Decimal | str:
    return Decimal(text) if len(text) <= _NUMBER_CHARS else text


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # {"order": 5, "order": null, "error": "x"}: which one did the panel mean?
        raise BadAnswer("an object with a repeated key", final=True)
    return result


def parse_json(raw: bytes, key: str) -> Any:
    """The JSON value of ``raw``, every string (and object key) scrubbed.  Numbers: ints,
    Decimals (never floats); NaN and Infinity as Decimals; an absurdly long number as its
    text.  ``BadAnswer`` for anything that is not such a value."""
    looks_html = b"<" in raw[:512]
    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadAnswer("an HTML page" if looks_html else "a body that is not UTF-8") from None
    try:
        value = json.loads(
            source,
            parse_int=_json_int,
            parse_float=_json_float,
            parse_constant=Decimal,
            object_pairs_hook=_object,
        )
    except RecursionError:
        raise BadAnswer("JSON nested too deeply", final=True) from None
    except ValueError:
        kind = (
            "an HTML page" if looks_html else "an empty body" if not raw else "an unreadable body"
        )
        raise BadAnswer(kind) from None
    return _scrub_tree(value, Scrubber(key))


def _scrub_tree(value: Any, clean: Scrubber) -> Any:
    """Scrub every string in place, iteratively (no recursion on a hostile depth)."""
    if isinstance(value, str):
        return clean(value)
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise BadAnswer("JSON nested too deeply", final=True)
        if isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, str):
                    node[i] = clean(item)
                elif isinstance(item, list | dict):
                    todo.append((item, depth + 1))
        elif isinstance(node, dict):
            items = list(node.items())
            node.clear()
            for name, item in items:
                if isinstance(item, str):
                    item = clean(item)
                elif isinstance(item, list | dict):
                    todo.append((item, depth + 1))
                node[clean(name)] = item
    return value


class Scrubber:
    """Makes one text from a panel safe: the key gone in every encoding a panel might echo
    it in, control characters and line breaks replaced by spaces, lone surrogates (which
    no terminal, file or database accepts) replaced."""

    def __init__(self, key: str) -> None:
        # A key too short to be a real one (a test's "x") would be found in every word
        # and field name; errors and logs still redact it (``runner.errors.redact``).
        self.key = key if len(key) >= MIN_KEY else ""
        self.forms = sorted(key_forms(self.key), key=len, reverse=True)
        # Most texts hold none of these: one search clears them (a catalog has 100,000s).
        risky = [_CONTROL.pattern, "[%&\\\\]", *map(re.escape, self.forms)]
        self._risky = re.compile("|".join(risky))
        self._echoes = finder(self.key)
        self._seen: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        known = self._seen.get(text)
        if known is not None:
            return known
        clean = self._clean(text)
        if len(text) <= 100 and len(self._seen) < 100_000:  # field names, types, statuses
            self._seen[text] = clean
        return clean

    def _clean(self, text: str) -> str:
        if text.isascii() and not self._risky.search(text) and not self._echoes.holds(text):
            return text
        if self.key:
            text = self._without_key(text)
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                text = text.encode("utf-8", "replace").decode("utf-8")
        if _CONTROL.search(text):
            text = _CONTROL.sub(" ", text)
        return text

    def _without_key(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, "***")
        # An encoded echo the forms above do not cover: decode, and if the key shows,
        # keep the decoded text with the key removed; what is recognisably the key (in
        # another case, base64, cut short, split: ``echo``) is masked too.
        for _ in range(3):
            decoded = _decodings(text)
            exposed = next((d for d in decoded if self._echoes.holds(d)), None)
            if exposed is None:
                return mask_echoes(text, self.key)
            text = mask_echoes(exposed.replace(self.key, "***"), self.key)
        return "***"


def key_forms(key: str) -> set[str]:
    """The key as a panel may echo it: raw, JSON-escaped, percent-encoded."""
    if not key:
        return set()
    escaped = json.dumps(key)[1:-1]
    forms = {key, escaped, escaped.replace("/", "\\/"), json.dumps(key, ensure_ascii=False)[1:-1]}
    forms |= {quote(key, safe=""), quote_plus(key), quote(key), html.escape(key)}
    forms |= {f.lower() for f in forms if "%" in f}
    return {f for f in forms if f}


def _decodings(text: str) -> list[str]:
    out = []
    if "%" in text or "+" in text:
        out += [unquote(text), unquote_plus(text)]
    if "&" in text:
        out.append(html.unescape(text))
    if "\\" in text:
        out.append(_ESCAPE.sub(_unescape, text))
    return out


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|\\(/)")


def _unescape(match: re.Match[str]) -> str:
    code = match[1] or match[2]
    return chr(int(code, 16)) if code else "/"
