"""The campaigns cache: the parsed, checked spec of each campaign file that had no
problem, so that a file that did not change since the last run is not parsed and
checked again (``reader``: how ``campaign.load`` reads files through it).

An entry is found again only when everything that made it is the same: the bytes of
every file its loading read (the campaign file, and any file it named), the name the
file is shown by, what was checked besides the file (``scope``: the panels known, say),
smm's version and the digest of the schema and of the code that reads campaign files,
and (for a file whose checks depend on the date, like a subscription's expiry) the day.

An entry is never trusted: it carries an HMAC made with a key that only this cache
folder holds (``key``, mode 0600), so a damaged entry, one copied from another project
or another machine, or one written by anything but smm is ignored, and the file is read
again.  Entries are unpickled by an unpickler that knows only the spec classes, and what
comes out is checked to be a spec.  Each entry is written to a temporary file and
renamed into place, so runs at the same time never see half an entry; the last writer
wins, and both wrote the same thing.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import hmac
import io
import os
import pickle
import sys
import tempfile
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from runner import __version__
from runner.config import yamldoc
from runner.config.campaign import Read, parse_file, project_root
from runner.config.rules import KnownPanels
from runner.config.schema import schema_text
from runner.config.specs import CampaignSpec, OrderSpec

MAGIC = b"smm-campaigns-cache 1\n"
_KEY_BYTES = 32
MAX_ENTRY_BYTES = 256 * 2**20
# What an entry may be made of: nothing else is ever looked up while unpickling.
_ALLOWED = frozenset(
    {
        ("runner.errors", "Location"),
        ("runner.api.models", "ServiceType"),
        ("decimal", "Decimal"),
        ("datetime", "datetime"),
        ("datetime", "timezone"),
        ("datetime", "timedelta"),
        ("array", "_array_reconstructor"),
        ("array", "array"),
    }
)


# The modules whose value classes (the dataclasses and enums they define) specs are made
# of; only those already imported are looked up: unpickling never imports anything.
_SPEC_MODULES = frozenset(
    {
        "runner.config.specs",
        "runner.config.schedule",
        "runner.config.selector",
        "runner.config.safety",
        "runner.config.outcome",
    }
)


def _is_value(module: str, name: str) -> bool:
    found = getattr(sys.modules.get(module), name, None)
    return (
        isinstance(found, type)
        and found.__module__ == module
        and (dataclasses.is_dataclass(found) or issubclass(found, Enum))
    )


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED or (module in _SPEC_MODULES and _is_value(module, name)):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a campaign spec")


@cache
def code_digest() -> str:
    """smm's version, the campaign schema and the code that turns files into specs: an
    entry made by any other is not used."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(schema_text("campaign").encode())
    here = Path(__file__).resolve().parent
    for folder in (here, here.parent / "api"):
        for source in sorted(folder.glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Source:
    """A campaign file as read once: its bytes (None when it could not be read whole,
    for the loader to say why) and their digest."""

    path: Path
    display: str
    data: bytes | None
    digest: str
    context: str = ""  # what else its checks depend on: the folder its lists must stay in


def read_source(path: Path, display: str, max_bytes: int, context: str = "") -> Source:
    try:
        if path.stat().st_size > max_bytes:
            return Source(path, display, None, "", context)
        data = path.read_bytes()
    except OSError:
        return Source(path, display, None, "", context)
    if len(data) > max_bytes:
        return Source(path, display, None, "", context)
    return Source(path, display, data, digest_of(data), context)


class SpecCache:
    """The entries in ``folder``; ``scope`` names what the checks used besides the file
    (the same file checked against other panels is another entry)."""

    def __init__(self, folder: Path, scope: str = "", today: _dt.date | None = None) -> None:
        self.folder = folder
        self.scope = scope
        self.today = today or _dt.datetime.now(_dt.UTC).date()
        self._key: bytes | None = None
        self.hits = 0
        self.misses = 0

    def _entry(self, source: Source) -> Path:
        name = hashlib.sha256(f"{source.display}\0{self.scope}".encode()).hexdigest()[:40]
        return self.folder / f"{name}.spec"

    def _secret(self, create: bool) -> bytes | None:
        """The key entries are signed with; made once, atomically, when ``create``."""
        if self._key is not None:
            return self._key
        path = self.folder / "key"
        try:
            key = path.read_bytes()
        except FileNotFoundError:
            if not create:
                return None
            key = self._make_key(path)
        except OSError:
            return None
        if len(key) != _KEY_BYTES:
            return None  # damaged: entries are not used (nor made) until it is removed
        self._key = key
        return key

    def _make_key(self, path: Path) -> bytes:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(prefix=".key.", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(os.urandom(_KEY_BYTES))
            try:
                os.link(temp, path)  # fails if another run made it first: theirs is used
            except FileExistsError:
                pass
        finally:
            os.unlink(temp)
        return path.read_bytes()

    def _ident(self, source: Source) -> tuple[str, ...]:
        return (code_digest(), self.scope, source.display, source.context, source.digest)

    def get(self, source: Source, kind: type[Any]) -> Any:
        """The spec (a ``kind``) stored for ``source``, or None (no entry, or one not to
        be used)."""
        found = self._load(source) if source.data is not None else None
        if not isinstance(found, kind):
            found = None
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def _load(self, source: Source) -> Any:
        key = self._secret(create=False)
        if key is None:
            return None
        try:
            with self._entry(source).open("rb") as file:
                blob = file.read(MAX_ENTRY_BYTES + 1)
        except OSError:
            return None
        head = len(MAGIC) + hashlib.sha256().digest_size
        if len(blob) > MAX_ENTRY_BYTES or not blob.startswith(MAGIC) or len(blob) < head:
            return None
        mac, payload = blob[len(MAGIC) : head], blob[head:]
        if not hmac.compare_digest(mac, hmac.digest(key, payload, "sha256")):
            return None
        try:
            ident, day, reads, spec = _Unpickler(io.BytesIO(payload)).load()
            return spec if self._current(source, ident, day, reads) else None
        except Exception:  # signed by us yet not of this shape: an older smm's; read the file
            return None

    def _current(self, source: Source, ident: Any, day: Any, reads: Any) -> bool:
        """Whether an entry was made of what ``source`` and its lists hold now, today."""
        if ident != self._ident(source) or (day is not None and day != self.today.isoformat()):
            return False
        for path, digest in reads:
            try:
                if digest_of(Path(path).read_bytes()) != digest:
                    return False
            except OSError:
                return False
        return True

    def put(self, source: Source, spec: Any, *, dated: bool, reads: Iterable[Path] = ()) -> None:
        """Store ``spec``, made from ``source`` (and the files ``reads``); ``dated``: its
        checks depended on today's date.  A cache that cannot be written is no error."""
        if source.data is None:
            return
        try:
            also = tuple((str(p), digest_of(p.read_bytes())) for p in reads)
            key = self._secret(create=True)
            if key is None:
                return
            day = self.today.isoformat() if dated else None
            payload = pickle.dumps(
                (self._ident(source), day, also, spec), protocol=pickle.HIGHEST_PROTOCOL
            )
            blob = MAGIC + hmac.digest(key, payload, "sha256") + payload
            fd, temp = tempfile.mkstemp(prefix=".entry.", dir=self.folder)
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(blob)
                os.replace(temp, self._entry(source))
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError:
            return


def reader(cache: SpecCache, panels: KnownPanels | None = None) -> Read:
    """How ``campaign.load`` reads a file through the cache: the stored spec when the
    file (and every list it reads) did not change; else the file is parsed (from the
    very bytes its digest is of), and stored when it has no problem."""

    def read(path: Path, display: str) -> tuple[CampaignSpec | None, list[Any], list[Path]]:
        root = project_root(Path(display))
        source = read_source(path, display, yamldoc.MAX_FILE_BYTES, str(root))
        spec = cache.get(source, CampaignSpec)
        if spec is not None:
            return spec, [], [Path(p) for p in spec.reads]
        if source.data is None:  # unreadable or too large: the loader says why
            doc = yamldoc.load(path, display)
        else:
            doc = yamldoc.load_bytes(source.data, display)
        started = time.time_ns()
        found, problems, lists = parse_file(doc, panels, cache.today, root)
        if found is not None and not problems:
            found = compact(found)
            if settled(lists, started):
                dated = any("expiry" in o.field_names for o in found.orders)  # by date
                cache.put(source, found, dated=dated, reads=lists)
        return found, problems, lists

    return read


def settled(paths: Iterable[Path], started: int) -> bool:
    """Whether no list was changed as it may have been read (its digest is taken after
    the reading): one modified within a second of it is not cached, only read."""
    try:
        return all(p.stat().st_mtime_ns < started - 1_000_000_000 for p in paths)
    except OSError:
        return False


def compact(spec: CampaignSpec) -> CampaignSpec:
    """The same spec in less memory (100,000 orders: 30 MB less): what its orders share
    (their types, a field with the same value) held once, positions as an array."""
    shared: dict[Any, Any] = {}

    def one(value: Any) -> Any:
        try:
            return shared.setdefault(value, value)
        except TypeError:  # a value that cannot be hashed is its own
            return value

    def lean(order: OrderSpec) -> OrderSpec:
        return replace(
            order,
            types=one(order.types),
            params=tuple(one(pair) for pair in order.params),
            field_positions=array("I", order.field_positions),
        )

    return replace(spec, orders=tuple(lean(o) for o in spec.orders))
