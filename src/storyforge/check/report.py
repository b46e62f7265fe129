"""What `storyforge check` found: one problem per line, then a summary line.

A problem is shown in the program's one error format, with the file in place of
the source file and the element as the first part of the message::

    public/about/index.html: <a href="/nope/">: link target not found
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from storyforge.errors import SourceLocation, StoryforgeError


class SiteProblem(StoryforgeError):
    """One thing wrong with a built site: the file, the element and what is wrong."""


def shown_folder(folder: Path, site_dir: Path) -> str:
    """The output folder as a user finds it: from the current folder, else from the site folder."""
    folder = folder.resolve()
    for base in (Path.cwd().resolve(), site_dir.resolve()):
        if folder.is_relative_to(base) and folder != base:
            return folder.relative_to(base).as_posix()
    return folder.as_posix()


def element(tag: str, attribute: str | None = None, value: str | None = None, limit: int = 100) -> str:
    """'<a href="/nope/">' — the element as a person would search for it in the page source."""
    if attribute is None:
        return f"<{tag}>"
    return f'<{tag} {attribute}="{clip(value or "", limit)}">'


def clip(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Report:
    """Problems in the order found, each reported once, and how many pages were looked at."""

    folder: str  # the output folder as shown, e.g. 'public'
    pages: int = 0
    problems: list[SiteProblem] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    def add(self, file: str, what: str, problem: str) -> None:
        """Record a problem in ``file`` (relative to the output folder) at element ``what``."""
        found = SiteProblem(f"{what}: {problem}", SourceLocation(f"{self.folder}/{file}"))
        line = str(found)
        if line not in self._seen:
            self._seen.add(line)
            self.problems.append(found)

    def sorted_problems(self) -> list[SiteProblem]:
        """By file, keeping the order of appearance within a file."""
        order = {p: i for i, p in enumerate(self.problems)}
        return sorted(self.problems, key=lambda p: (p.location.path if p.location else "", order[p]))

    def summary(self) -> str:
        if not self.problems:
            return f"check: no problems in {self.pages} page{'s' if self.pages != 1 else ''}"
        files = {p.location.path for p in self.problems if p.location}
        n = len(self.problems)
        return (f"check: {n} problem{'s' if n != 1 else ''} in {len(files)} "
                f"page{'s' if len(files) != 1 else ''}")

    def lines(self) -> list[str]:
        return [*(str(p) for p in self.sorted_problems()), self.summary()]
