"""Watch a site's sources and turn bursts of file events into one rebuild request.

    watchdog event → WatchPlan.classify → Change → Debouncer → one batch → the rebuild callback

Only what a build reads is watched: ``content/``, ``templates/``, ``static/``, the active theme
and ``site.yaml`` (the site folder itself is watched without recursion, so ``public/``, the cache
and ``.git`` never produce events). Editor temporary files are ignored; a rename counts for both
its old and its new name, so editors that save through a temporary file and a rename work.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

CONFIG_NAME = "site.yaml"
#: event types that mean "the file changed"; opened/closed-without-writing come from the build
#: reading the files and would otherwise make every build trigger the next one
CHANGE_EVENTS = frozenset({"created", "modified", "deleted", "moved", "closed"})
#: names editors and tools write next to a file while saving it
TEMP_PREFIXES = (".", "#")
TEMP_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload", ".bak", ".orig")
TEMP_NAMES = frozenset({"4913"})  # vim's "can I write here?" probe
#: what the observer is asked to report at all (the kernel's open/close-no-write noise is not)
WANTED_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent]


class ChangeKind(Enum):
    """What a changed file is to the build."""

    CONTENT = "content"
    TEMPLATE = "template"
    STATIC = "static"
    CONFIG = "config"


@dataclass(frozen=True)
class Change:
    """One changed source file: its kind and its path (relative to the site folder when inside it)."""

    kind: ChangeKind
    path: str

    @property
    def is_stylesheet(self) -> bool:
        return self.kind is ChangeKind.STATIC and self.path.lower().endswith(".css")


def css_only(changes: Iterable[Change]) -> bool:
    """True when every change is a stylesheet, so pages can swap styles without reloading."""
    listed = list(changes)
    return bool(listed) and all(change.is_stylesheet for change in listed)


def describe(changes: Sequence[Change]) -> str:
    """'content/x.md' for one change, 'content/x.md and 2 more' for several."""
    if not changes:
        return "nothing"
    more = len(changes) - 1
    return changes[0].path + (f" and {more} more" if more else "")


def is_temporary(name: str) -> bool:
    """Editor swap, backup and probe files: never a reason to rebuild."""
    return name.startswith(TEMP_PREFIXES) or name.endswith(TEMP_SUFFIXES) or name in TEMP_NAMES or \
        "___jb_" in name


@dataclass(frozen=True)
class WatchPlan:
    """Which folders to watch for one site, and what a path inside them is to the build."""

    site_dir: Path
    theme_dir: Path | None = None
    submissions_dir: Path | None = None  # the moderation inbox: its counts are on the policy page

    def roots(self) -> list[tuple[Path, ChangeKind]]:
        """Watched folders, most specific first (the theme's templates/ before the theme itself)."""
        site = self.site_dir
        found = [(site / "content", ChangeKind.CONTENT), (site / "templates", ChangeKind.TEMPLATE),
                 (site / "static", ChangeKind.STATIC)]
        if self.submissions_dir is not None:
            found.append((self.submissions_dir, ChangeKind.CONTENT))
        if self.theme_dir is not None:
            found += [(self.theme_dir / "templates", ChangeKind.TEMPLATE),
                      (self.theme_dir / "static", ChangeKind.STATIC),
                      (self.theme_dir, ChangeKind.TEMPLATE)]
        return found

    def folders(self) -> list[tuple[Path, bool]]:
        """(folder, recursive) pairs to schedule: the site folder flat, the existing roots deep."""
        deep = [self.site_dir / "content", self.site_dir / "templates", self.site_dir / "static"]
        if self.submissions_dir is not None:
            deep.append(self.submissions_dir)
        if self.theme_dir is not None:
            deep.append(self.theme_dir)
        return [(self.site_dir, False)] + [(folder, True) for folder in deep if folder.is_dir()]

    def classify(self, path: str | bytes | Path) -> Change | None:
        """The change a path stands for, or None when the build does not read it."""
        candidate = Path(os.fsdecode(path))
        if is_temporary(candidate.name):
            return None
        if candidate == self.site_dir / CONFIG_NAME:
            return Change(ChangeKind.CONFIG, CONFIG_NAME)
        for root, kind in self.roots():
            if candidate == root or candidate.is_relative_to(root):
                inner = candidate.relative_to(root).parts
                if any(is_temporary(part) for part in inner):
                    return None
                return Change(kind, self._shown(candidate))
        if candidate.parent == self.site_dir and candidate.name == "themes":
            return Change(ChangeKind.TEMPLATE, "themes")
        return None

    def _shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.site_dir).as_posix()
        except ValueError:
            return path.as_posix()


class Debouncer:
    """Collects changes and hands them over as one batch once saving has paused.

    The batch is flushed ``quiet`` seconds after the latest change, or ``longest`` seconds after
    the first one if changes keep coming. ``flush`` runs on the debouncer's own thread, one batch
    at a time; changes that arrive meanwhile make up the next batch.
    """

    def __init__(self, flush: Callable[[list[Change]], None], quiet: float = 0.05,
                 longest: float = 0.5) -> None:
        self.flush = flush
        self.quiet = quiet
        self.longest = longest
        self._pending: dict[Change, None] = {}
        self._first = 0.0
        self._latest = 0.0
        self._stopped = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="storyforge-debounce", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, change: Change) -> None:
        with self._cond:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._latest = now
            self._pending[change] = None
            self._cond.notify_all()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the batch being flushed, if any; pending changes are dropped."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self.flush(batch)

    def _next_batch(self) -> list[Change] | None:
        with self._cond:
            while not self._pending and not self._stopped:
                self._cond.wait()
            while not self._stopped:
                deadline = min(self._latest + self.quiet, self._first + self.longest)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._stopped:
                return None
            batch = list(self._pending)
            self._pending.clear()
            return batch


class Watcher:
    """watchdog's observer (native, or polling with ``poll=True``) feeding changes to a callback."""

    def __init__(self, plan: WatchPlan, on_change: Callable[[Change], None], poll: bool = False,
                 poll_interval: float = 0.3) -> None:
        self.plan = plan
        self.on_change = on_change
        self.observer: BaseObserver = PollingObserver(timeout=poll_interval) if poll else Observer()
        self._watches: dict[tuple[Path, bool], tuple[ObservedWatch, int]] = {}
        self._lock = threading.Lock()
        self._handler = _Handler(self)

    def start(self) -> None:
        self.sync(self.plan)
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        if self.observer.is_alive():
            self.observer.join(timeout=5)

    def watched(self) -> list[Path]:
        """The folders being watched now."""
        with self._lock:
            return [folder for folder, _ in self._watches]

    def sync(self, plan: WatchPlan) -> None:
        """Watch what ``plan`` lists: new folders (a created templates/, a changed theme) are added,
        vanished ones dropped, and a folder deleted and made again is watched afresh."""
        with self._lock:
            self.plan = plan
            wanted = {key: _inode(key[0]) for key in plan.folders()}
            for key, (watch, inode) in list(self._watches.items()):
                if wanted.get(key) != inode:  # gone, or deleted and made again
                    self._unschedule(watch)
                    del self._watches[key]
            for key, found in wanted.items():
                if key in self._watches or found is None:
                    continue
                try:
                    watch = self.observer.schedule(self._handler, str(key[0]), recursive=key[1],
                                                   event_filter=WANTED_EVENTS)
                except OSError:  # vanished between the check and the call; the next sync retries
                    continue
                self._watches[key] = (watch, found)

    def _unschedule(self, watch: ObservedWatch) -> None:
        with suppress(KeyError, OSError):
            self.observer.unschedule(watch)

    def dispatch(self, event: FileSystemEvent) -> None:
        """Classify one watchdog event (both names of a rename) and pass on what matters."""
        if event.event_type not in CHANGE_EVENTS:
            return
        if event.is_directory and event.event_type in ("modified", "closed"):
            return  # a folder "changes" whenever a file in it does; the file's own event says more
        paths = [event.src_path]
        if event.event_type == "moved" and event.dest_path:
            paths.append(event.dest_path)
        for path in paths:
            change = self.plan.classify(path)
            if change is not None:
                self.on_change(change)


def _inode(folder: Path) -> int | None:
    try:
        return folder.stat().st_ino if folder.is_dir() else None
    except OSError:
        return None


class _Handler(FileSystemEventHandler):
    """Forwards every event to the Watcher (watchdog calls this on its own thread)."""

    def __init__(self, watcher: Watcher) -> None:
        super().__init__()
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.watcher.dispatch(event)
