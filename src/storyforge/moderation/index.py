"""What a moderation step needs to know of every submission and published story, kept beside them.

Importing one row used to read every submission and published story, to find near-duplicates and
stories seen before: a cost that grew with the inbox, not with the work.
This index (an SQLite database, ``.storyforge-cache/moderation/index.sqlite`` in the site) holds,
for each file, what was read from it — ids, slug, a hash of the story and name, the story's words
and the tokens it is filed under for the near-duplicate search — with the size and modification
time it had when it was read.

It is a cache, never the truth, so nothing can make it wrong for long:

* every command first compares it with the folders. A submissions folder whose modification time
  is the one recorded has had no file added, removed or replaced since (storyforge replaces a
  file by renaming a new one over it, which changes the folder's time), so it costs one ``stat``;
  a changed folder is looked through, file by file, by size and modification time, and only new
  or changed files are read again. Published stories, which owners edit in place, are always
  compared file by file. A time within two seconds of its reading is not trusted (too coarse to
  tell two writes in the same instant apart, as the build cache also knows);
* a command holding the lock records its own writes as it makes them, so the next command need
  not look through the folder it wrote to;
* its changes are one SQLite transaction: a kill leaves the old index or the new one;
* a damaged or unreadable index is deleted and rebuilt; where it cannot be written (a read-only
  folder, a full disk, another process holding it), or without the submissions lock, a command
  works on a copy in memory, as slowly as before, and correctly; deleting the cache is safe.

A submission edited by hand *in place* keeps its old words here until its folder next changes.

Reading a file records only what says where it is (ids, slug; a submission's story and name): a
published story is read without a YAML parse when its keys are plain words, and its words are
neither read nor filed until a command screens a text (``moderation.filing``), so the first
``moderate list`` after the cache was deleted costs a read of each file, not a filing of its words.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storyforge.moderation import checks
from storyforge.moderation.decision_log import DECISIONS, DecisionLog
from storyforge.moderation.filing import STORIES, STORY_DIR, Filing
from storyforge.moderation.index_rows import derive, story_key
from storyforge.publish.atomic import make_folders

INDEX_FILE = Path(".storyforge-cache") / "moderation" / "index.sqlite"
#: bump when what is stored, or how a text is filed (``checks.signature``), changes: the index is rebuilt
VERSION = "3"
#: a file changed this recently before it was read may change again unseen in the same instant
RACY_SECONDS = 2.0
SUBMISSION_FOLDERS = ("inbox", "rejected", "withdrawn")
FORGET_FILED = "DELETE FROM filed WHERE doc IN (SELECT id FROM docs WHERE folder = ? AND file = ?)"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY,
    folder TEXT NOT NULL, file TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL, checked REAL NOT NULL,
    sid TEXT NOT NULL, slug TEXT NOT NULL, story_name TEXT NOT NULL, ok INTEGER NOT NULL,
    body TEXT NOT NULL, name TEXT NOT NULL, received TEXT NOT NULL, words TEXT, nwords INTEGER NOT NULL,
    filed INTEGER NOT NULL, UNIQUE (folder, file));
CREATE INDEX IF NOT EXISTS docs_unfiled ON docs (filed) WHERE filed = 0;
CREATE INDEX IF NOT EXISTS docs_sid ON docs (sid);
CREATE INDEX IF NOT EXISTS docs_story_name ON docs (story_name);
CREATE INDEX IF NOT EXISTS docs_body ON docs (body);
CREATE TABLE IF NOT EXISTS filed (token TEXT NOT NULL, doc INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS folders (folder TEXT PRIMARY KEY, mtime INTEGER NOT NULL, checked REAL NOT NULL,
    ours INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ranks (token TEXT PRIMARY KEY, texts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (id TEXT NOT NULL, decision TEXT NOT NULL, sha TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_id ON decisions (id);
CREATE INDEX IF NOT EXISTS filed_token ON filed (token);
CREATE INDEX IF NOT EXISTS filed_doc ON filed (doc);
"""


@dataclass(frozen=True)
class Found:  # one published story as the index knows it
    file: str
    sid: str
    slug: str
    folder: str = STORY_DIR  # relative to the site: content/testimonials, or content/<lang>/testimonials

    @property
    def rel_path(self) -> str:
        return f"{self.folder}/{self.file}"


class StoreIndex:
    """The index of one submissions folder and the published stories of its site."""

    def __init__(self, site: Path, root: Path, *, writable: bool, story_dirs: dict[str, str] | None = None) -> None:
        self.site, self.root, self.writable = site, root, writable
        #: the folders of published stories by the index's name for each: one per language
        #: (``story_languages.story_folders``), content/testimonials alone on a one-language site
        self.story_dirs = story_dirs or {STORIES: STORY_DIR}
        #: every folder the index knows, by its name: made once (each write asks which one it is in)
        self.folders = [*((name, root / name) for name in SUBMISSION_FOLDERS),
                        *((name, site / rel) for name, rel in self.story_dirs.items())]
        self.path = site / INDEX_FILE
        self.filing = Filing(self)
        self._seen_version: int | None = None  # PRAGMA data_version when refresh() last looked
        #: counts what the index learned: a change found in the folders or made by another
        #: connection, or a write of this command (``Store.settle`` skips its recovery while unchanged)
        self.generation = 0
        self.decisions = DecisionLog(self, root / DECISIONS)
        self.db = self._open()

    # --- opening: the file when we may write it and it works, else a copy in memory -------

    def _open(self) -> sqlite3.Connection:
        if self.writable:
            with contextlib.suppress(sqlite3.Error, OSError):
                return self._prepared(self._connect_file())
            for leftover in ("", "-wal", "-shm", "-journal"):  # damaged: rebuilt from the files
                with contextlib.suppress(OSError):
                    Path(f"{self.path}{leftover}").unlink()
            with contextlib.suppress(sqlite3.Error, OSError):
                return self._prepared(self._connect_file())
        memory = _connect(":memory:")
        if self.path.is_file():
            with contextlib.suppress(sqlite3.Error):
                source = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=1.0)
                try:
                    source.backup(memory)
                finally:
                    source.close()
        try:
            return self._prepared(memory)
        except sqlite3.Error:
            return self._prepared(_connect(":memory:"))

    def _connect_file(self) -> sqlite3.Connection:
        make_folders(self.path.parent, durable=False)
        db = _connect(self.path, timeout=10.0)
        os.chmod(self.path, 0o600)  # it holds the customers' words and names, as the submissions do
        # a cache: a kill leaves the last transaction or the one before, a power cut at worst an
        # older index; neither needs a flush per command (the fsync rule in publish.atomic)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _prepared(self, db: sqlite3.Connection) -> sqlite3.Connection:
        """``db`` with the tables, emptied if it was made by another version or for another folder."""
        db.executescript(_SCHEMA)
        made_for = " ".join([VERSION, str(self.root), *sorted(set(self.story_dirs) - {STORIES})])
        row = db.execute("SELECT value FROM meta WHERE key = 'made-for'").fetchone()
        if row is None or row[0] != made_for:
            with db:
                for table in ("docs", "filed", "folders", "ranks", "decisions"):
                    db.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names
                db.execute("DELETE FROM meta")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('made-for', ?)", (made_for,))
        return db

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()

    def to_memory(self) -> None:
        """Give up on the file for this command: the same index, built in memory."""
        self.close()
        self.filing.reset()
        self._seen_version = None
        self.generation += 1
        self.writable = False
        self.db = self._prepared(_connect(":memory:"))

    # --- bringing it up to date ------------------------------------------------------------

    def refresh(self) -> None:
        """Read again every file that is new or changed; forget the files that are gone.

        What the near-duplicate search has fetched (``Filing``) is kept when neither another
        connection (another command, or the desk served beside the intake) committed to the
        index since this one last looked, nor a file changed behind the index's back: a
        long-running intake then fetches each text once, not once per story (refetching every
        candidate text per story made a story's cost grow with the inbox)."""
        try:
            version = self.db.execute("PRAGMA data_version").fetchone()[0]
            if version != self._seen_version:
                self.filing.reset()
                self.generation += 1
            self._seen_version = version
            self.refresh_folders()
        except sqlite3.Error:
            self.to_memory()
            self.refresh_folders()

    def refresh_folders(self) -> None:
        """:meth:`refresh`, failing with the database; a file read again or gone resets what the
        near-duplicate search fetched."""
        marks = {folder: (mtime, checked, ours) for folder, mtime, checked, ours
                 in self.db.execute("SELECT folder, mtime, checked, ours FROM folders")}
        stale: list[tuple[str, Path]] = []
        gone: list[tuple[str, str]] = []
        settled: list[tuple[str, int, float]] = []
        for folder, path in self.folders:
            checked = time.time()
            try:
                mtime = os.stat(path).st_mtime_ns
            except OSError:
                mtime = -1
            mark = marks.get(folder)
            # no file added, removed or replaced since it was last read
            unchanged = mark is not None and mark[0] == mtime and (mark[2] or mark[1] - mtime / 1e9 > RACY_SECONDS)
            if unchanged and folder not in self.story_dirs:
                continue  # nothing to look at
            self._walk(folder, path, stale, gone)
            if not unchanged:
                settled.append((folder, mtime, checked))  # (a published stories' folder: when it changed)
        if not stale and not gone and not settled:
            return
        if stale or gone or any(folder not in self.story_dirs for folder, _, _ in settled):
            self.generation += 1  # (published stories' folders are looked through every time)
        if stale or gone:
            self.filing.reset()
        with self.db:  # one transaction: the old index or the new one
            self.db.executemany(FORGET_FILED, gone)
            self.db.executemany("DELETE FROM docs WHERE folder = ? AND file = ?", gone)
            for number, (folder, path) in enumerate(stale):
                self._read_into(folder, path)
                if number == 0 and os.environ.get("STORYFORGE_FAULT") == "index:during-refresh":
                    os._exit(137)  # crash tests: killed in the middle of the transaction
            self.db.executemany("INSERT OR REPLACE INTO folders VALUES (?, ?, ?, 0)", settled)

    def _walk(self, folder: str, path: Path, stale: list[tuple[str, Path]], gone: list[tuple[str, str]]) -> None:
        """Compare one folder's files with what is known of them, by size and modification time."""
        known = {file: (size, mtime, checked) for file, size, mtime, checked in self.db.execute(
            "SELECT file, size, mtime, checked FROM docs WHERE folder = ?", (folder,))}
        seen = set()
        for entry in _scan(path):
            if not self._listed(folder, entry.name) or not entry.is_file():
                continue
            info = entry.stat()
            seen.add(entry.name)
            old = known.get(entry.name)
            if (old is None or old[0] != info.st_size or old[1] != info.st_mtime_ns
                    or old[2] - info.st_mtime_ns / 1e9 <= RACY_SECONDS):
                stale.append((folder, Path(entry.path)))
        gone.extend((folder, file) for file in known if file not in seen)

    def folder_mark(self, path: Path) -> int | None:
        """The modification time of the folder ``path`` is in, if the index is up to date with it
        (taken just before a command of ours writes ``path``: see :meth:`wrote`)."""
        folder = self._folder_of(path)
        try:
            mtime = os.stat(path.parent).st_mtime_ns
            row = self.db.execute("SELECT mtime FROM folders WHERE folder = ?", (folder,)).fetchone()
        except (OSError, sqlite3.Error):
            return None
        return mtime if row is not None and row[0] == mtime else None

    def wrote_many(self, files: Sequence[tuple[Path, bytes | None]], mark: int | None) -> None:
        """A command holding the lock has just written (each file's bytes, if given: not read back)
        or removed these files of one folder: learn them now, in one transaction. If the folder was
        up to date just before (``mark``), the writes were its only change: the next command need
        not look through it."""
        folders = {path: self._folder_of(path) for path, _ in files}
        if not self.writable or not any(folders.values()):
            return
        self.generation += 1
        with contextlib.suppress(sqlite3.Error, OSError), self.db:
            for path, data in files:
                folder = folders[path]
                if folder is None:
                    continue
                for (doc,) in self.db.execute("SELECT id FROM docs WHERE folder = ? AND file = ?",
                                              (folder, path.name)):
                    self.filing.forget(doc)
                if path.exists():
                    self._read_into(folder, path, data)
                else:
                    self.db.execute(FORGET_FILED, (folder, path.name))
                    self.db.execute("DELETE FROM docs WHERE folder = ? AND file = ?", (folder, path.name))
            if mark is not None:
                for folder, where in dict.fromkeys((folder, path.parent) for path, folder in folders.items()
                                                   if folder is not None):
                    self.db.execute("UPDATE folders SET mtime = ?, checked = ?, ours = 1 WHERE folder = ?",
                                    (os.stat(where).st_mtime_ns, time.time(), folder))

    def _listed(self, folder: str, name: str) -> bool:
        """Whether a file of this name in this folder is a submission (or a story), not a temporary or hidden file."""
        if folder in self.story_dirs:
            return name.endswith(".md") and not name.startswith((".", "_"))
        return name.endswith(".json") and not name.startswith(".")

    def _folder_of(self, path: Path) -> str | None:
        for folder, where in self.folders:
            if path.parent == where and self._listed(folder, path.name):
                return folder
        return None

    def _read_into(self, folder: str, path: Path, data: bytes | None = None) -> None:
        """Record one file: read now, or ``data``, the bytes this command has just written to it."""
        checked = time.time()
        try:
            if data is None:
                with path.open("rb") as handle:
                    info = os.fstat(handle.fileno())
                    data = handle.read()
            else:
                info = os.stat(path)
            row = derive(folder, path, data, self.story_dirs)
        except OSError:  # unreadable now: listed, never trusted (the step reading it says why)
            try:
                info = os.stat(path)
            except OSError:
                return
            checked, row = 0.0, {"sid": path.stem, "slug": "", "story_name": "", "ok": False, "body": "",
                                 "name": "", "received": ""}
        # its words are filed, later
        compared = bool(row["ok"]) and (folder in ("inbox", "rejected") or folder in self.story_dirs)
        self.db.execute(FORGET_FILED, (folder, path.name))
        self.db.execute(
            "INSERT OR REPLACE INTO docs (folder, file, size, mtime, checked, sid, slug, story_name, ok, body, name, "
            "received, words, nwords, filed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, ?)",
            (folder, path.name, info.st_size, info.st_mtime_ns, checked, row["sid"], row["slug"], row["story_name"],
             int(row["ok"]), row["body"], row["name"], row["received"], int(not compared)))
        if compared and self.filing.ready:  # a command filing texts wrote this one: file it as the others
            self.filing.file_read(folder, path.name, row["body"])

    # --- questions ---------------------------------------------------------------------------

    def ask(self, query: str, parameters: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of ``query``; if the database fails, from an index built again in memory."""
        try:
            return self.db.execute(query, tuple(parameters)).fetchall()
        except sqlite3.Error:
            filed = self.filing.ready
            self.to_memory()
            self.refresh_folders()
            if filed:
                self.filing.ensure()
            return self.db.execute(query, tuple(parameters)).fetchall()

    def stories(self) -> list[Found]:
        """Every published story, in every language's folder: by file name, the default language's first."""
        names = list(self.story_dirs)
        rows = self.ask(f"SELECT file, sid, slug, folder FROM docs WHERE folder IN ({','.join('?' * len(names))})",  # noqa: S608
                        names)
        return [Found(file, sid, slug, self.story_dirs[folder])
                for file, sid, slug, folder in sorted(rows, key=lambda row: (row[0], names.index(row[3])))]

    def decided_story(self, body: str, name: str) -> bool:
        """A rejected or withdrawn submission holds this story from this customer."""
        return bool(self.ask("SELECT 1 FROM docs WHERE story_name = ? AND folder IN ('rejected', 'withdrawn') "
                              "LIMIT 1", (story_key(body, name),)))

    def pending_with_body(self, body: str) -> list[str]:
        """Ids of readable pending submissions whose story is exactly ``body`` (found by the story:
        ``+folder`` keeps SQLite from reading every pending submission by its folder instead)."""
        return [sid for (sid,) in self.ask("SELECT sid FROM docs WHERE +folder = 'inbox' AND ok = 1 AND body = ? "
                                            "ORDER BY file", (body,))]

    def files(self, folder: str) -> list[str]:  # inbox, rejected or withdrawn: its files, in order
        return [file for (file,) in self.ask("SELECT file FROM docs WHERE folder = ? ORDER BY file", (folder,))]

    def similar(self, tokens: list[str], shortest: int, longest: int, length: int | None = None
                ) -> list[checks.Text]:
        """The texts that can be near-duplicates of one filed under ``tokens`` (``Filing.similar``)."""
        return self.filing.similar(tokens, shortest, longest, length)

    def rarity(self, token: str) -> int:
        """The order texts are filed in (``Filing.rarity``)."""
        return self.filing.rarity(token)


def _connect(database: str | Path, timeout: float = 5.0) -> sqlite3.Connection:
    """A connection any thread may use, one at a time: ``storyforge intake`` keeps one index open
    for its lifetime (``gather.py``) and whichever worker thread writes the next batch of stories
    uses it, under the submissions lock. With sqlite3's default each batch written by another
    thread than the one that opened it failed, and the index was built again in memory from every
    file of the inbox — a story's cost grew with the inbox, and the index on disk stopped being
    kept up."""
    return sqlite3.connect(database, timeout=timeout, check_same_thread=False)


def _scan(folder: Path) -> list[os.DirEntry[str]]:
    with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(folder) as found:
        return list(found)
    return []
