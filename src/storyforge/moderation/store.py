"""The submissions folder on disk: ``inbox/``, ``rejected/``, ``withdrawn/`` and ``decisions.jsonl``.

Every file is written durably and atomically, and every decision is one flushed line appended
to ``decisions.jsonl``, both through ``publish.atomic`` (whose docstring holds the fsync rule).
Each decision runs in the same three steps:

1. write the destination, complete: ``rejected/<id>.json`` or ``withdrawn/<id>.json`` (both
   carry the decision), or the story in ``content/testimonials/`` (``content/<lang>/testimonials/``
   for a story in another language of the site: ``story_languages``), which carries the id;
2. append the decision line, unless one for that id and decision is already there;
3. remove the source (the inbox file, or the published story).

A kill between steps leaves a submission in its destination *and* its source for a moment.
Where a submission is is therefore read with a precedence — withdrawn, rejected, content,
inbox — and :meth:`Store.recover`, which every moderation command runs first, finishes the
remaining steps from what the destination holds. Nothing is ever in no place; nothing is
ever published twice.

Fault injection for tests: ``STORYFORGE_FAULT=<point>`` makes the process stop dead (exit
status 137, as after ``kill -9``) when it reaches ``<point>``; the points are the names
passed to :func:`fault`, e.g. ``approve:after-story-written``.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from storyforge.core.config import SiteConfig
from storyforge.errors import ModerationError, SourceLocation
from storyforge.moderation.decision_log import DECIDED as DECIDED
from storyforge.moderation.decision_log import DECISIONS as DECISIONS
from storyforge.moderation.decision_log import UPDATED as UPDATED
from storyforge.moderation.filing import STORY_DIR as STORY_DIR
from storyforge.moderation.index import StoreIndex
from storyforge.moderation.placement import Listing, Placement, StoryFile
from storyforge.moderation.story_languages import story_folders
from storyforge.moderation.submission import Submission, sha256
from storyforge.publish.atomic import TEMP_PREFIX, append_line_durably, fsync_dir, write_atomic, write_atomic_many

INBOX, REJECTED, WITHDRAWN = "inbox", "rejected", "withdrawn"


def fault(point: str) -> None:
    """Stop the process dead at ``point`` when STORYFORGE_FAULT names it (crash tests only)."""
    if os.environ.get("STORYFORGE_FAULT") == point:
        os._exit(137)


def _stop_before_replace() -> None:
    """The crash tests' point inside every write: the new file complete, not yet in place."""
    fault("write:before-replace")


def remove_file(path: Path) -> None:
    """Remove ``path`` (already gone is fine) and make the removal durable."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fsync_dir(path.parent)


def moderator(site_root: Path) -> str:
    """Who is deciding: git's user.name, else the login name."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(["git", "config", "user.name"],  # noqa: S607 - git from PATH, as the user runs it
                              cwd=site_root, capture_output=True, text=True, timeout=5, check=False)
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    for variable in ("USER", "USERNAME", "LOGNAME"):
        if os.environ.get(variable):
            return os.environ[variable]
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return "unknown"


class Store:
    """One site's submissions folder."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.site = config.root
        self.root = config.root / config.moderation.submissions_dir
        self.decisions_path = self.root / DECISIONS
        self._index: StoreIndex | None = None
        self._place: Placement | None = None
        #: the index's generation when the folders were last settled and ``_place`` was made or kept
        #: up with this store's own writes: while it has not moved, there is nothing to recover
        self._settled: int | None = None
        self._locked = self._index_locked = False
        #: a long-running service (``gather.py``) keeps the index's connection between its commands:
        #: opening and closing it (a WAL checkpoint) costs more than a story
        self.keep_index = False

    def folder(self, name: str) -> Path:
        return self.root / name

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.site).as_posix()
        except ValueError:
            return str(path)

    # --- reading ---------------------------------------------------------------

    def read(self, path: Path) -> tuple[Submission, bytes]:
        """A submission file and its bytes (the decision log records their hash)."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ModerationError(f"cannot read: {exc.strerror or exc}", SourceLocation(self.rel(path))) from None
        submission = Submission.from_json(data, self.rel(path))
        if submission.id != path.stem:
            raise ModerationError(f"the file is named {path.stem} but holds submission {submission.id} — "
                                  "rename it to its id", SourceLocation(self.rel(path)))
        return submission, data

    def read_json(self, path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise ModerationError(f"cannot read: {exc}", SourceLocation(self.rel(path))) from None
        if not isinstance(data, dict):
            raise ModerationError("expected a JSON object", SourceLocation(self.rel(path)))
        return data

    def listing(self, name: str) -> dict[str, Path]:
        """``<id>.json`` files of one folder by id (temporary and hidden files left out)."""
        folder = self.folder(name)
        if not folder.is_dir():
            return {}
        return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix == ".json" and not p.name.startswith(".")}

    def stories(self) -> list[StoryFile]:
        """Every testimonial file with the submission id in its front matter (if any), from the index."""
        return [StoryFile(found.rel_path, found.sid, found.slug) for found in self.index().stories()]

    def index(self, *, refresh: bool = True) -> StoreIndex:
        """The submissions index (``moderation.index``), brought up to date unless ``refresh`` is
        False (the caller has just done so, and keeps track of what it writes itself): written only
        by a command holding the lock, kept in memory by the others."""
        if self._index is None or self._index_locked != self._locked:
            if self._index is not None:
                self._index.close()
            self._index = StoreIndex(self.site, self.root, writable=self._locked,
                                     story_dirs=story_folders(self.config))
            self._index_locked = self._locked
            self._settled = None  # another index's generations
            refresh = True
        if refresh:
            self._index.refresh()
        return self._index

    def placement(self, *, refresh: bool = True) -> Placement:
        """Where every submission is, from the index (brought up to date with the folders first,
        unless ``refresh`` is False: the caller has just done so)."""
        index = self.index(refresh=refresh)
        stories = [StoryFile(found.rel_path, found.sid, found.slug) for found in index.stories()]
        listed = {name: Listing(self.folder(name), index.files(name)) for name in (INBOX, REJECTED, WITHDRAWN)}
        self._place = Placement(
            inbox=listed[INBOX], rejected=listed[REJECTED], withdrawn=listed[WITHDRAWN],
            stories={s.submission: s for s in stories if s.submission},
            story_paths={s.rel_path for s in stories}, story_slugs={s.slug for s in stories},
        )
        return self._place

    def decided(self) -> set[str]:
        """Ids decided in decisions.jsonl (read through the index: only the lines added since)."""
        return self.index(refresh=False).decisions.decided()

    def decisions(self) -> list[dict[str, Any]]:
        """Every line of decisions.jsonl that parses (a torn last line from a power cut is left out):
        the whole log, for reading it; the commands ask the index (:meth:`log`, :meth:`decided`)."""
        try:
            text = self.decisions_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        records = []
        for line in text.splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    records.append(record)
        return records

    # --- writing ---------------------------------------------------------------

    def write(self, name: str, sid: str, data: bytes, *, sync_folder: bool = True) -> Path:
        path = self.folder(name) / f"{sid}.json"
        self.save(path, data, sync_folder=sync_folder)
        return path

    def save(self, path: Path, data: bytes, *, sync_folder: bool = True) -> None:
        """Replace ``path`` (in the submissions folder, or a story in content/) with ``data``: a
        crash leaves the old file or the new one, and once this returns a power cut cannot undo
        it — or, with ``sync_folder=False``, once the caller has called :meth:`sync` on its folder
        (an import flushes the inbox once for all its rows, not once per row). Readable by its
        owner only, as submissions hold contact details."""
        index = self._index if self._locked else None
        mark = index.folder_mark(path) if index is not None else None
        try:
            write_atomic(path, data, durable=True, mode=0o600, before_replace=_stop_before_replace,
                         sync_folder=sync_folder)
        except OSError as exc:
            self._settled = None  # the next command settles the folders in full
            raise ModerationError(f"cannot write: {exc.strerror or exc}", SourceLocation(self.rel(path))) from None
        if index is not None:
            self._learned(index, mark, [(path, data)])

    def write_many(self, name: str, files: list[tuple[str, bytes]]) -> None:
        """:meth:`write` of several ``(id, data)`` with ``sync_folder=False``, their flushes to the
        disk overlapping (``publish.atomic.write_atomic_many``): none is written if one cannot be."""
        paths = [(self.folder(name) / f"{sid}.json", data) for sid, data in files]
        index = self._index if self._locked else None
        mark = index.folder_mark(paths[0][0]) if index is not None and paths else None
        try:
            write_atomic_many(paths, mode=0o600, before_replace=_stop_before_replace)
        except OSError as exc:
            self._settled = None  # the next command settles the folders in full
            where = Path(exc.filename) if isinstance(exc.filename, str) else self.folder(name)
            raise ModerationError(f"cannot write: {exc.strerror or exc}", SourceLocation(self.rel(where))) from None
        if index is not None:
            self._learned(index, mark, paths)

    def _is_settled(self, index: StoreIndex) -> bool:
        return self._place is not None and self._settled == index.generation

    def _learned(self, index: StoreIndex, mark: int | None, files: Sequence[tuple[Path, bytes]]) -> None:
        """After this store wrote ``files`` (one folder's): the index learns them, and if the folders
        were settled before, they still are, with each new file in its folder's listing (a new inbox
        file of the intake's next batch)."""
        settled = self._is_settled(index)
        index.wrote_many(files, mark)
        if not settled or self._place is None:
            return
        listings = {self.folder(INBOX): self._place.inbox, self.folder(REJECTED): self._place.rejected,
                    self.folder(WITHDRAWN): self._place.withdrawn}
        for path, _ in files:
            listing = listings.get(path.parent) if path.suffix == ".json" else None
            if isinstance(listing, Listing):
                listing.add(path.stem)
                self._settled = index.generation

    def sync(self, name: str) -> None:
        """Make every file written into the folder ``name`` with ``sync_folder=False`` durable."""
        fsync_dir(self.folder(name))

    def log(self, record: dict[str, Any]) -> bool:
        """Append one decision line (fsynced) unless this id already has this decision; True if added.
        An "updated" line (a re-import changed a pending submission) repeats once per new content.
        What the log holds is asked of the index, which reads only the lines added since it last read."""
        if self.index(refresh=False).decisions.has(record):
            return False
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")  # escapes any newline
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            append_line_durably(self.decisions_path, line)
        except OSError as exc:
            raise ModerationError(f"cannot add the decision: {exc.strerror or exc}",
                                  SourceLocation(self.rel(self.decisions_path))) from None
        return True

    def record(self, sid: str, decision: str, sha: str, code: str | None = None, note: str = "",
               when: datetime | None = None, **more: Any) -> dict[str, Any]:
        """A decision line: id, decision, code, note, who, when (ISO 8601), sha256 of the submission."""
        moment = (when or datetime.now(self.config.tz)).astimezone(self.config.tz).replace(microsecond=0)
        return {"id": sid, "decision": decision, "code": code, "note": note, "who": moderator(self.site),
                "when": moment.isoformat(), "sha256": sha, **more}

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the submissions folder for one command, so two moderators cannot interleave."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on Windows
            yield
            return
        fd = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._locked = True
            yield
        finally:
            self._locked = False
            if self._index is not None and not self.keep_index:
                self._index.close()
                self._index = None
            os.close(fd)  # closing releases the lock

    # --- finishing what a killed command started ---------------------------------

    def settle(self) -> tuple[list[str], Placement]:
        """What every command does first, under the lock: finish what a killed run left half done,
        then say where each submission is. Returns the lines recovery printed and the placement.

        A long-running service (``gather.py``) settles before every batch; when nothing but its own
        writes changed the folders since the last time (the index found no change, and no other
        command wrote to it), there is nothing to finish, and the placement it kept up is current:
        listing an inbox of thousands before every batch was most of a batch's fixed cost."""
        index = self.index()
        if self._is_settled(index):
            assert self._place is not None
            return [], self._place
        recovered = self.recover()
        place = self._place if not recovered and self._place is not None else self.placement()
        self._settled = self.index(refresh=False).generation
        return recovered, place

    def recover(self) -> list[str]:
        """Complete every half-done decision; returns one line per submission it finished. Called
        by :meth:`settle`, which has just brought the index up to date (it lists no temporaries)."""
        self._remove_temporaries()
        place = self.placement(refresh=False)
        done: list[str] = []
        elsewhere = set(place.rejected) | set(place.withdrawn) | set(place.stories)
        for sid in sorted(elsewhere.intersection(place.inbox)):  # left in the inbox by a killed decision
            source, where = place.inbox[sid], place.where(sid)
            if where in ("rejected", "withdrawn"):
                copy = (place.rejected if where == "rejected" else place.withdrawn)[sid]
                self._log_from_copy(copy)
            elif where == "content":
                story = place.stories[sid]
                _, data = self.read(source)
                self.log(self.record(sid, "approved", sha256(data), story=story.rel_path))
            else:
                continue
            remove_file(source)
            done.append(f"finished an interrupted decision: {sid} is {_placed(where)}")
        for sid, copy in sorted(place.withdrawn.items()):
            saved = self.read_json(copy)
            story_file = saved.get("story_file") or ""
            self._log_from_copy(copy)
            path = self.site / story_file if story_file else None
            if path is None or not path.is_file():
                continue
            current = path.read_bytes()
            if place.stories.get(sid) and place.stories[sid].rel_path == story_file:
                if sha256(current) != sha256(str(saved.get("story", "")).encode("utf-8")):
                    saved["story"] = current.decode("utf-8", "replace")  # keep the latest words
                    self.save(copy, _json_bytes(saved))
            elif sha256(current) != (saved.get("decision") or {}).get("sha256"):
                continue  # a different story now lives at that path
            remove_file(path)
            done.append(f"finished an interrupted withdrawal: {sid} is out of content/")
        return done

    def _log_from_copy(self, copy: Path) -> None:
        saved = self.read_json(copy)
        decision = saved.get("decision")
        if isinstance(decision, dict) and decision.get("id") and decision.get("decision"):
            self.log(decision)

    def _remove_temporaries(self) -> None:
        for folder in (self.folder(INBOX), self.folder(REJECTED), self.folder(WITHDRAWN), self.root,
                       *(self.site / rel for rel in story_folders(self.config).values())):
            try:  # a plain listing: every batch of the intake looks, and the inbox holds thousands
                names = [entry.name for entry in os.scandir(folder) if entry.name.startswith(TEMP_PREFIX)]
            except OSError:  # no such folder (yet)
                continue
            for name in names:
                with contextlib.suppress(OSError):
                    os.unlink(folder / name)


def _placed(where: str | None) -> str:
    return {"content": "published", "rejected": "rejected", "withdrawn": "withdrawn"}.get(where or "", "pending")


def _json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
