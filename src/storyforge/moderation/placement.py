"""Where every submission is: the inbox, rejected/, withdrawn/ and content/, as one value the
moderation steps read (``Store.placement`` makes it from the submissions index).

A submission seen in two places at once was left there by a decision a kill interrupted; it is
where the later step put it (``Placement.where``), and ``Store.recover`` finishes the move.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class StoryFile:
    """A testimonial in content/: its path relative to the site and the submission it came from."""

    rel_path: str
    submission: str
    slug: str


class Listing(Mapping[str, Path]):
    """A folder's ``<id>.json`` files by id, in order; each path is made when asked for (an inbox
    of 10,000 needs few of them)."""

    def __init__(self, folder: Path, files: list[str]) -> None:
        self.folder = folder
        self._ids = [file.removesuffix(".json") for file in files]
        self._known = set(self._ids)

    def __getitem__(self, sid: str) -> Path:
        if sid not in self._known:
            raise KeyError(sid)
        return self.folder / f"{sid}.json"

    def __contains__(self, sid: object) -> bool:
        return sid in self._known

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, sid: str) -> None:
        """A file this command has just written into the folder."""
        if sid not in self._known:
            bisect.insort(self._ids, sid, key=lambda known: f"{known}.json")
            self._known.add(sid)


@dataclass
class Placement:
    """Where every submission is; a submission seen in two places is where the later step put it."""

    inbox: Mapping[str, Path] = field(default_factory=dict)
    rejected: Mapping[str, Path] = field(default_factory=dict)
    withdrawn: Mapping[str, Path] = field(default_factory=dict)
    stories: dict[str, StoryFile] = field(default_factory=dict)  # by submission id
    story_paths: set[str] = field(default_factory=set)
    story_slugs: set[str] = field(default_factory=set)

    def where(self, sid: str) -> str | None:
        for name, found in (("withdrawn", self.withdrawn), ("rejected", self.rejected),
                            ("content", self.stories), ("inbox", self.inbox)):
            if sid in found:
                return name
        return None

    def ids(self) -> set[str]:
        return set(self.inbox) | set(self.rejected) | set(self.withdrawn) | set(self.stories)

    def pending(self) -> dict[str, Path]:
        return {sid: path for sid, path in self.inbox.items() if self.where(sid) == "inbox"}
