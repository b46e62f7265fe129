"""What the submissions index knows of ``decisions.jsonl``: each decision's id, kind and hash.

Every moderation command asks the log two things — has this submission had this decision, which
submissions are decided — and used to read and parse the whole log to answer them, a cost that
grew with every decision ever taken. The log only grows (one line appended per decision), so the
index (``moderation.index``) keeps what each line says and where it stopped reading, and a command
reads only the lines appended since.

The index is a cache, so the log is checked before its tail is trusted: the same file (inode), at
least as long as what was read, with the same first bytes and the same bytes just before where
reading stopped. A log cut short, replaced, or edited near its start or its end is read again
from the start. (An edit in the middle of a long log that keeps both ends as they were is not
seen until the log changes again there: the log is for appending, as storyforge does.) A line
torn by a power cut is not read until it is ended; a line that does not parse is left out, as a
full reading leaves it out.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storyforge.moderation.index import StoreIndex

DECISIONS = "decisions.jsonl"
UPDATED = "updated"  # not a decision: a re-import corrected a pending submission in place
DECIDED = ("approved", "rejected", "withdrawn")
#: how many bytes at the start of the log, and just before where reading stopped, must be as they were
CHECKED_BYTES = 4096


class DecisionLog:
    """The decisions of one submissions folder's ``decisions.jsonl``, read as it grows."""

    def __init__(self, index: StoreIndex, path: Path) -> None:
        self.index, self.path = index, path

    def has(self, record: dict[str, Any]) -> bool:
        """This id already has this decision (an "updated" line: with this content)."""
        rows = self._ask("SELECT sha FROM decisions WHERE id = ? AND decision = ?",
                         (str(record["id"]), str(record["decision"])))
        return bool(rows) and (record["decision"] != UPDATED or any(sha == record.get("sha256") for (sha,) in rows))

    def decided(self) -> set[str]:
        """Ids with an approval, a rejection or a withdrawal in the log."""
        marks = ",".join("?" * len(DECIDED))
        return {sid for (sid,) in self._ask(
            f"SELECT DISTINCT id FROM decisions WHERE decision IN ({marks})", DECIDED)}  # noqa: S608 - only ?s

    def _ask(self, query: str, parameters: tuple[str, ...]) -> list[tuple[Any, ...]]:
        try:
            self._read_tail()
            return self.index.db.execute(query, parameters).fetchall()
        except sqlite3.Error:
            self.index.to_memory()
            self.index.refresh_folders()
            self._read_tail()
            return self.index.db.execute(query, parameters).fetchall()

    def _read_tail(self) -> None:
        """Learn the lines appended since the last reading, or read the log again if it changed otherwise."""
        db = self.index.db
        row = db.execute("SELECT value FROM meta WHERE key = 'log-read'").fetchone()
        mark = json.loads(row[0]) if row else None
        try:
            handle = self.path.open("rb")
        except (FileNotFoundError, NotADirectoryError):
            if mark is not None:
                with db:
                    db.execute("DELETE FROM decisions")
                    db.execute("DELETE FROM meta WHERE key = 'log-read'")
            return
        with handle:
            fd = handle.fileno()
            info = os.fstat(fd)
            start = 0
            if (mark is not None and mark["inode"] == info.st_ino and info.st_size >= mark["offset"]
                    and _digest(fd, 0, mark["head"][0]) == mark["head"][1]
                    and _digest(fd, mark["offset"] - mark["tail"][0], mark["tail"][0]) == mark["tail"][1]):
                start = mark["offset"]
            if mark is not None and start == mark["offset"] == info.st_size:
                return  # nothing appended
            data = os.pread(fd, info.st_size - start, start)
            end = data.rfind(b"\n") + 1  # a torn last line is read once it is ended
            records = []
            for line in data[:end].splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    records.append((str(record.get("id")), str(record.get("decision")), str(record.get("sha256"))))
            offset = start + end
            head, tail = min(CHECKED_BYTES, offset), min(CHECKED_BYTES, offset)
            new_mark = {"inode": info.st_ino, "offset": offset, "head": [head, _digest(fd, 0, head)],
                        "tail": [tail, _digest(fd, offset - tail, tail)]}
        with db:
            if start == 0:
                db.execute("DELETE FROM decisions")
            db.executemany("INSERT INTO decisions VALUES (?, ?, ?)", records)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('log-read', ?)", (json.dumps(new_mark),))


def _digest(fd: int, start: int, size: int) -> str:
    return hashlib.sha256(os.pread(fd, size, start)).hexdigest()
