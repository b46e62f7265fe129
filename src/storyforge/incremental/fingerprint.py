"""What a rendered page depends on, as a short hash.

A page is re-rendered only when its fingerprint changes. The fingerprint covers
the page's own context, the templates and settings, and every site-wide value
the page's templates actually read: ``data`` is handed to templates through a
``RecordingData`` proxy that notes which attributes a render touched, so a
theme that lists all stories on every page is tracked as exactly that.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from storyforge.core.entries import Entry

#: object identity → (the object, its hash); holding the object keeps its identity from being
#: given to another object while the memo lives
Memo = dict[int, tuple[Any, bytes]]
#: lists longer than this are hashed once per build and then stood for by their hash
_LONG = 16


class Fingerprints:
    """Fingerprints for one build: entries stand for their source file's digest (which the
    entry store knows; an entry itself carries no cache state), and each entry and long list is
    hashed once (``memo``, keyed by object identity), however many pages show it."""

    def __init__(self, digests: Mapping[str, str] | None = None) -> None:
        self.digests: Mapping[str, str] = digests if digests is not None else {}
        self.memo: Memo = {}

    def of(self, value: Any) -> str:
        """A stable hash of plain data, entries and dataclasses."""
        digest = hashlib.blake2b(digest_size=16)
        _feed(digest, value, 0, self)
        return digest.hexdigest()

    def entry_bytes(self, entry: Entry) -> bytes:
        """An entry as its pages see it: its source's digest and where it lives, made once."""
        known = self.memo.get(id(entry))
        if known is None:
            identity = f"{self.digests.get(entry.source, '')}|{entry.url}|{entry.draft}"
            known = self.memo[id(entry)] = (entry, b"E" + identity.encode())
        return known[1]


def fingerprint(value: Any, memo: Memo | None = None) -> str:
    """A stable hash of plain data (entries by their address alone); see ``Fingerprints``."""
    prints = Fingerprints()
    if memo is not None:
        prints.memo = memo
    return prints.of(value)


def _feed(digest: Any, value: Any, depth: int, prints: Fingerprints) -> None:
    if depth > 40:
        raise ValueError("value nested too deeply to fingerprint")
    kind = type(value)
    if kind is str:
        digest.update(("s" + repr(value)).encode())  # quoted and escaped: unambiguous in a sequence
    elif isinstance(value, Entry):
        digest.update(prints.entry_bytes(value))
    elif value is None or kind in (bool, int, float):
        digest.update(f"{kind.__name__}:{value!r};".encode())
    elif isinstance(value, (datetime, date)):
        digest.update(b"D" + value.isoformat().encode())
    elif isinstance(value, dict):
        digest.update(b"{")
        for key in sorted(value, key=repr):
            _feed(digest, key, depth + 1, prints)
            _feed(digest, value[key], depth + 1, prints)
        digest.update(b"}")
    elif isinstance(value, (list, tuple)) and len(value) > _LONG:
        known = prints.memo.get(id(value))
        if known is None:
            inner = hashlib.blake2b(digest_size=16)
            for item in value:
                _feed(inner, item, depth + 1, prints)
            known = prints.memo[id(value)] = (value, b"L" + inner.digest())
        digest.update(known[1])
    elif isinstance(value, (list, tuple)):
        digest.update(b"[")
        for item in value:
            _feed(digest, item, depth + 1, prints)
        digest.update(b"]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(kind.__name__.encode())
        for name in _field_names(kind):
            _feed(digest, name, depth + 1, prints)
            _feed(digest, getattr(value, name), depth + 1, prints)
    else:
        digest.update(f"{kind.__qualname__}:{value!r};".encode())


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(field.name for field in dataclasses.fields(kind))
    return names


class RecordingData:
    """Gives templates the site's collections and records which ones each render reads."""

    def __init__(self, site: Any) -> None:
        self._site = site
        self.read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        self.read.add(name)
        return getattr(self._site, name)
