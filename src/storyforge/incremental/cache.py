"""The persistent build cache in ``.storyforge-cache/`` (or ``build --cache-dir``, or
``STORYFORGE_CACHE_DIR``): safe to delete, never trusted blindly, valid on another machine.

Two files, so a build that changed nothing reads only the small one:

* ``index.bin``  — the cache key, each source's stat and digest, each page's
  fingerprint and hash, the manifests of the trees on disk;
* ``entries-NN.bin`` — parsed and rendered entries, keyed by source path, in shards so that
  a build that changed one story rewrites one shard;

and ``objects/``, the live site's files by content hash (``publish.objects``), so that a fresh
clone with this folder alone restored publishes the last build's bytes instead of rendering.

Each file is a pickle behind a header holding the format, the key it was made
for, the payload's length and its CRC-32; a file that is truncated, corrupted, or
made by another version or configuration is ignored (the build is then cold).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
import time
import zlib
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyforge import __version__
from storyforge.publish.atomic import write_atomic

CACHE_DIR = ".storyforge-cache"
FORMAT = 8
SHARDS = 32


def shard_of(path: str) -> int:
    return zlib.crc32(path.encode()) % SHARDS  # stable from run to run, unlike hash()
_MAGIC = b"storyforge-cache\n"


#: a file modified this close to (or after) the moment the cache was saved may have changed
#: again within the file system's timestamp resolution: its bytes are compared, not its stat
RACY_NS = 2_000_000_000


def stat_is_trustworthy(mtime_ns: int, saved_at_ns: int) -> bool:
    return mtime_ns < trusted_before(saved_at_ns)


def trusted_before(saved_at_ns: int) -> int:
    """Files modified before this moment are judged by their stat."""
    return saved_at_ns - RACY_NS


@dataclass
class Index:
    """What the last build saw and wrote. Kept as dictionaries of plain values, one per attribute,
    rather than an object per file: a site of 10,000 stories has 21,000 of them, read and written
    on every build."""

    key: str = ""
    source_stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # path → (mtime_ns, size)
    source_digests: dict[str, str] = field(default_factory=dict)  # path → hash of the bytes
    page_keys: dict[str, str] = field(default_factory=dict)  # output path → fingerprint when made
    page_shas: dict[str, str] = field(default_factory=dict)  # output path → hash of what was written
    page_reads: dict[str, frozenset[str]] = field(default_factory=dict)  # → site-wide collections read
    statics: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # path → (mtime, size, sha)
    manifests: dict[str, dict[str, str]] = field(default_factory=dict)
    objects: dict[str, int] = field(default_factory=dict)  # hash → size of each published file kept in objects/
    live_generation: str = ""
    clock_moments: tuple[float, ...] = ()  # when an event ends or an alert starts or expires
    built_at: float = 0.0
    saved_at_ns: int = 0  # wall clock when saved: files modified since then are re-read
    built_day: str = ""
    uses_build_day: bool = False
    summary: dict[str, Any] = field(default_factory=dict)

    def unchanged_output(self, path: str, key: str, live: Mapping[str, str] | None) -> str | None:
        """The hash of ``path`` when it was made from ``key`` and is still what is on disk, else
        None (also when what is on disk is not known: the output folder was removed or replaced)."""
        sha = self.page_shas.get(path)
        if sha is None or live is None or live.get(path) != sha:
            return None
        return sha if self.page_keys.get(path) == key else None

    def made_from(self, path: str, key: str) -> str | None:
        """The hash ``path`` had when the last build made it from ``key``, whatever is on disk now."""
        sha = self.page_shas.get(path)
        return sha if sha is not None and self.page_keys.get(path) == key else None

    def record_output(self, path: str, key: str, sha: str, reads: frozenset[str] = frozenset()) -> None:
        self.page_keys[path], self.page_shas[path] = key, sha
        if reads:
            self.page_reads[path] = reads


#: the libraries whose version can change what a build writes
OUTPUT_LIBRARIES = ("markdown", "jinja2", "nh3", "pyyaml", "feedgen", "lxml", "icalendar", "babel",
                    "python_slugify", "text_unidecode")


def environment_key(memo_folder: Path | None = None) -> str:
    """What makes cached results valid at all: this program and the libraries that shape output.

    ``memo_folder`` (the cache folder) keeps the answer beside the stat of every file it was worked
    out from, so that a build reads and hashes the package's modules and lists the library folders
    only when one of those changed; the answer is the same either way."""
    signature = _environment_signature()
    memo = memo_folder / ENVIRONMENT_MEMO if memo_folder is not None else None
    if memo is not None and signature is not None:
        with suppress(OSError, ValueError):
            known_signature, saved_at, key = memo.read_text(encoding="utf-8").split("\n", 2)
            if known_signature == signature[0] and signature[1] < trusted_before(int(saved_at)):
                return key
    parts = [f"format={FORMAT}", f"storyforge={__version__}", f"code={_code_stamp()}",
             f"python={sys.version_info[:2]}"]
    versions = installed_versions()
    parts += [f"{name}={versions.get(name, '?')}" for name in OUTPUT_LIBRARIES]
    key = ";".join(parts)
    if memo is not None and signature is not None:
        with suppress(OSError):  # a memo that cannot be written: worked out again next time
            memo.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(memo, f"{signature[0]}\n{time.time_ns()}\n{key}".encode(), durable=False)
    return key


#: the environment key of the last build and the stat of what it was worked out from
ENVIRONMENT_MEMO = "environment.txt"


def _environment_signature() -> tuple[str, int] | None:
    """A digest of this version of storyforge and of Python, and of the size and modification
    time of every module of storyforge and of every folder on ``sys.path`` (installing or removing
    a library changes its folder's time), and the latest of those times; None when one cannot be
    read."""
    digest = hashlib.blake2b(f"{FORMAT}\0{__version__}\0{sys.version}\0{OUTPUT_LIBRARIES}".encode(),
                             digest_size=16)
    latest = 0
    try:
        for path in _module_paths():  # a module gone since it was listed raises: worked out afresh
            info = os.stat(path)
            digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
            latest = max(latest, info.st_mtime_ns)
        for path in (folder or "." for folder in sys.path):
            try:
                info = os.stat(path)
            except FileNotFoundError:
                continue  # a folder on sys.path that does not exist, as is common
            digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
            latest = max(latest, info.st_mtime_ns)
    except OSError:
        return None
    return digest.hexdigest(), latest


def _module_paths() -> tuple[str, ...]:
    """Every module of storyforge, by path, in a stable order (listed once per process)."""
    global _MODULES
    if _MODULES is None:
        package = Path(__file__).parents[1]
        found = []
        for folder, dirs, files in os.walk(package):
            dirs[:] = sorted(name for name in dirs if name != "__pycache__")
            found += [os.path.join(folder, name) for name in sorted(files) if name.endswith(".py")]
        _MODULES = tuple(found)
    return _MODULES


_MODULES: tuple[str, ...] | None = None


def installed_versions() -> dict[str, str]:
    """Installed distributions' versions, read from the names of their ``*.dist-info`` folders on
    ``sys.path`` (the first found wins, as for imports). The same answer as importlib.metadata
    for these libraries, without importing it (some 20 ms) on every build."""
    versions: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") and "-" in name:
                project, version = name[: -len(".dist-info")].split("-", 1)
                versions.setdefault(re.sub(r"[-_.]+", "_", project).lower(), version)
    return versions


def _code_stamp() -> str:
    """A digest of every module of storyforge itself, by path inside the package and bytes, so that
    changed code (an upgrade that kept the version number, or a checkout being worked on) never
    reads what older code cached — and the same code gives the same stamp wherever it is installed
    and whenever its files were written: a hosting service installs it afresh for every build, with
    new modification times, and must still find its restored cache valid."""
    package = Path(__file__).parents[1]
    digest = hashlib.blake2b(digest_size=8)
    for path in _module_paths():
        with open(path, "rb") as module:
            data = module.read()
        relative = os.path.relpath(path, package).replace(os.sep, "/")
        digest.update(f"{relative}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


#: where the cache is kept when neither ``--cache-dir`` nor this variable says otherwise
CACHE_DIR_VARIABLE = "STORYFORGE_CACHE_DIR"


def cache_root(site_dir: Path, chosen: Path | None = None) -> Path:
    """The folder holding the build cache: ``chosen`` (``build --cache-dir``), else the
    ``STORYFORGE_CACHE_DIR`` environment variable, else ``.storyforge-cache`` in the site. A CI
    system keeps only the folders it is told to keep between builds, so the cache must be able to
    live there; relative paths are taken from the current folder, as for ``--output``."""
    if chosen is None:
        setting = os.environ.get(CACHE_DIR_VARIABLE, "").strip()
        chosen = Path(setting) if setting else None
    if chosen is None:
        return site_dir / CACHE_DIR
    return chosen if chosen.is_absolute() else Path.cwd() / chosen


def lock_file(root: Path, output_dir: Path) -> Path:
    """Where builds into ``output_dir`` take turns: one lock per output folder, in the cache folder
    ``root``."""
    name = hashlib.blake2b(str(output_dir.absolute()).encode(), digest_size=6).hexdigest()
    return root / "locks" / f"{name}.lock"


def output_tag(site_dir: Path, output_dir: Path) -> str:
    """Names the cache of builds into ``output_dir``: "" for the site's own ``public/``, else a hash
    of the folder's path — relative to the site when it is inside it, so that a fresh clone
    elsewhere (a CI runner's new working folder) finds the cache it restored."""
    if output_dir.name == "public" and output_dir.parent == site_dir:
        return ""
    try:
        name = output_dir.relative_to(site_dir).as_posix()
    except ValueError:
        name = str(output_dir)
    return "builds/" + hashlib.blake2b(name.encode(), digest_size=6).hexdigest()


def _shard_name(shard: int) -> str:
    return f"entries-{shard:02d}.bin"


class BuildCache:
    """Loads and saves the cache for one site; ``trusted=False`` ignores what is there (a cold
    build) and writes it anew."""

    def __init__(self, site_dir: Path, trusted: bool = True, output_dir: Path | None = None,
                 root: Path | None = None) -> None:
        # one cache per output folder, so a preview server and `build` never undo each other's cache
        root = root if root is not None else site_dir / CACHE_DIR
        tag = "" if output_dir is None else output_tag(site_dir, output_dir)
        self.folder = root / tag if tag else root
        self.trusted = trusted
        self._unusable_shards: set[int] = set()
        self.unwritable: str | None = None  # why the cache could not be saved, if it could not

    def load_index(self, key: str) -> Index:
        index = self._load("index.bin", key)
        return index if isinstance(index, Index) else Index(key=key)

    def load_entries(self, key: str) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        for shard in range(SHARDS):
            part = self._load(_shard_name(shard), key)
            if isinstance(part, dict):
                entries.update(part)
            else:  # missing, damaged or for another key: written anew by the next save
                self._unusable_shards.add(shard)
        return entries

    def save(self, index: Index, entries: dict[str, Any], previous: Index | None = None) -> None:
        """Write the index, and the entry shards holding a source that was added, changed or
        removed since ``previous`` (all of them when there is no previous index for this key)."""
        index.saved_at_ns = time.time_ns()
        if previous is not None and previous.key == index.key:
            before, now = previous.source_digests, index.source_digests
            changed = [path for path, digest in now.items() if before.get(path) != digest]
            changed += [path for path in before if path not in now]
            dirty = {shard_of(path) for path in changed} | self._unusable_shards
        else:
            dirty = set(range(SHARDS))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                with suppress(FileExistsError):  # made meanwhile, or by the site's owner: theirs stays
                    write_atomic(ignore, b"*\n", durable=False, exclusive=True)
            if dirty:
                members: dict[int, dict[str, Any]] = {shard: {} for shard in dirty}
                for path, entry in entries.items():
                    shard = shard_of(path)
                    if shard in members:
                        members[shard][path] = entry
                for shard, part in members.items():
                    self._dump(_shard_name(shard), index.key, part)
            self._dump("index.bin", index.key, index)  # last: it vouches for the shards
        except OSError as exc:  # a cache that cannot be written only makes the next build slower…
            self.unwritable = f"{self.folder}: {exc.strerror or exc}"  # …but the owner should know why

    def save_index(self, index: Index) -> None:
        """Write the index alone (the entry shards are unchanged): a build that found only new
        stats for the same bytes."""
        index.saved_at_ns = time.time_ns()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._dump("index.bin", index.key, index)
        except OSError as exc:
            self.unwritable = f"{self.folder}: {exc.strerror or exc}"

    def _load(self, name: str, key: str) -> Any:
        if not self.trusted:
            return None
        try:
            blob = (self.folder / name).read_bytes()
        except OSError:
            return None
        header_end = blob.find(b"\n", len(_MAGIC))
        if not blob.startswith(_MAGIC) or header_end < 0:
            return None
        try:
            stored_key, length, checksum = blob[len(_MAGIC):header_end].decode().rsplit(" ", 2)
        except (UnicodeDecodeError, ValueError):
            return None
        payload = memoryview(blob)[header_end + 1:]
        if stored_key != key or length != str(len(payload)) or checksum != _checksum(payload):
            return None
        try:
            return pickle.loads(payload)  # noqa: S301 - the build's own checksummed file, beside the site's sources
        except Exception:  # noqa: BLE001 - anything odd in a cache file means: do not use it
            return None

    def _dump(self, name: str, key: str, value: Any) -> None:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        header = _MAGIC + f"{key} {len(payload)} {_checksum(payload)}\n".encode()
        write_atomic(self.folder / name, header + payload, durable=False)  # a cache: atomic, not flushed


def _checksum(payload: bytes | memoryview) -> str:
    """CRC-32, as zip and PNG files use against damage: four times as fast as SHA-256 on the
    tens of megabytes a large site's cache holds, and the cache guards against accidents, not
    against someone who can write to the site's folder anyway."""
    return f"{zlib.crc32(payload):08x}"
