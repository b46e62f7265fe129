"""What surrounds the build pipeline without being part of it: its options, its result (the
summary line and ``build -v``'s timings), and ``Stages``, which times each stage, shows
progress on long builds and pauses the cyclic garbage collector while the build runs."""

from __future__ import annotations

import gc
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

from storyforge.core.content_types import all_types
from storyforge.core.pages import PageSpec
from storyforge.progress import Progress

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class BuildOptions:
    site_dir: Path = Path(".")
    output_dir: Path | None = None
    drafts: bool = False
    base_url: str | None = None
    now: datetime | None = None
    use_cache: bool = True
    cache_dir: Path | None = None  # where the build cache lives (None: STORYFORGE_CACHE_DIR, else in the site)
    progress: Progress | None = None  # shows how far a long build has got


@dataclass
class BuildResult:
    """What a build did, for the summary line."""

    output_dir: Path
    pages_by_section: Counter[str] = field(default_factory=Counter)
    feeds: int = 0
    files_written: int = 0
    pages_rendered: int = 0
    site_files: int = 0  # feeds, calendars, sitemap, robots.txt, testimonials.json
    site_files_made: list[str] = field(default_factory=list)  # those made again (the rest were up to date)
    seconds: float = 0.0
    withheld_no_consent: list[str] = field(default_factory=list)
    drafts_skipped: int = 0
    cards_lacking_glyphs: list[str] = field(default_factory=list)  # stories whose card shows '�'
    unchanged: bool = False
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, shown by -v
    images: int = 0  # raster images the site publishes (a build with nothing to do looks at none)
    images_processed: int = 0  # of those, made in this build rather than taken from the image cache
    warnings: list[str] = field(default_factory=list)  # `file:line: warning: …`; the site was built anyway

    def summary(self) -> str:
        pages = sum(self.pages_by_section.values())
        detail = ", ".join(f"{name} {count}" for name, count in self.pages_by_section.items())
        if self.unchanged and self.files_written:
            return (f"nothing changed: {pages} pages restored to {_shown(self.output_dir)} from the build cache "
                    f"({self.files_written} files, {self.seconds:.2f} s)")
        if self.unchanged:
            return f"nothing changed: {pages} pages in {_shown(self.output_dir)} are up to date ({self.seconds:.2f} s)"
        line = (f"built {pages} pages ({detail}), {self.feeds} feeds, {self.files_written} files "
                f"written to {_shown(self.output_dir)} in {self.seconds:.2f} s")
        notes = []
        if self.drafts_skipped:
            notes.append(f"{self.drafts_skipped} draft{'s' if self.drafts_skipped != 1 else ''} left out")
        if self.withheld_no_consent:
            notes.append(f"{len(self.withheld_no_consent)} withheld without consent")
        if self.cards_lacking_glyphs:
            count = len(self.cards_lacking_glyphs)
            notes.append(f"{count} share card{'s show' if count != 1 else ' shows'} � for characters the card "
                         "font lacks (-v lists them)")
        return line + (f" ({'; '.join(notes)})" if notes else "")


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return path.relative_to(Path.cwd()).as_posix() + "/"
    except ValueError:
        return str(path)


def build_now(options: BuildOptions) -> datetime:
    """The build's idea of 'now': SOURCE_DATE_EPOCH when set (reproducible builds), else the clock."""
    if options.now is not None:
        return options.now
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC)


def count_pages(pages: list[PageSpec]) -> Counter[str]:
    """Pages by the name the summary line counts them under: each content type's own (by the first
    folder of the address, so a type's list pages count with its entries), 'tags', 'home', '404',
    and 'pages' for the rest (pages, and built-in ones such as /embed/)."""
    sections = {row.url_prefix.strip("/"): row.summary_name for row in all_types() if row.url_prefix != "/"}
    sections["tags"] = "tags"
    special = {"home": "home", "notfound": "404"}
    return Counter(special.get(page.kind) or sections.get(page.url.strip("/").split("/", 1)[0], "pages")
                   for page in pages)


class Stages:
    """Runs the pipeline's stages: times each (``build -v``), reports progress, and keeps the
    cyclic garbage collector paused — a build makes hundreds of thousands of objects and almost
    no reference cycles, and the collector would walk them all again and again (a quarter of a
    large rebuild's time)."""

    def __init__(self, options: BuildOptions, output_dir: Path | None = None) -> None:
        self.started = self._lap = time.perf_counter()
        self.progress = options.progress or Progress(enabled=False)
        self.speaks = options.progress is not None
        self.result = BuildResult(output_dir=output_dir or Path("."))
        self._collecting = gc.isenabled()

    def __enter__(self) -> Stages:
        gc.disable()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._collecting:
            gc.enable()
        self.progress.finish()
        self.result.seconds = time.perf_counter() - self.started

    def run(self, name: str, stage: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """``stage(*args, **kwargs)``, timed under ``name``."""
        outcome = stage(*args, **kwargs)
        self.mark(name)
        return outcome

    def mark(self, name: str) -> None:
        """Count the time since the last mark under ``name``."""
        now = time.perf_counter()
        self.result.timings[name] = self.result.timings.get(name, 0.0) + now - self._lap
        self._lap = now

    def reporter(self, what: str) -> Callable[[int, int], None]:
        """A progress callback for one stage."""
        return lambda done, total: self.progress.update(what, done, total)

    def say(self, message: str) -> None:
        """A line for the person waiting (nothing with --quiet)."""
        if self.speaks:
            print(message, file=sys.stderr, flush=True)

    def report(self, what: str, done: int, total: int) -> None:
        self.progress.update(what, done, total)

    def finish(self, **figures: Any) -> BuildResult:
        """The result, with the figures the stages gave."""
        for name, value in figures.items():
            setattr(self.result, name, value)
        return self.result
