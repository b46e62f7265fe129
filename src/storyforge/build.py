"""The build pipeline as one readable function.

    site.yaml → config → discover → parse → validate   (all errors collected; nothing written)
              → markup → model (routes, collisions)     (still nothing written)
              → render pages, feeds, sitemap in memory
              → publish atomically
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .config import SiteConfig, load_config
from .content import Asset, discover, read_document
from .entries import Entry, Testimonial
from .errors import ErrorCollector, StoryforgeError
from .feeds import feed_bytes, robots_bytes, sitemap_bytes
from .markup import MarkupRenderer, summarize
from .model import Site, build_site
from .output import Output, check_output_dir, publish
from .render import Renderer, static_dirs
from .schema import Validator


@dataclass
class BuildOptions:
    site_dir: Path = Path(".")
    output_dir: Path | None = None
    drafts: bool = False
    base_url: str | None = None
    now: datetime | None = None


@dataclass
class BuildResult:
    """What a build did, for the summary line."""

    output_dir: Path
    pages_by_section: Counter[str] = field(default_factory=Counter)
    feeds: int = 0
    files_written: int = 0
    seconds: float = 0.0
    withheld_no_consent: list[str] = field(default_factory=list)
    drafts_skipped: int = 0
    site: Site | None = None

    def summary(self) -> str:
        pages = sum(self.pages_by_section.values())
        detail = ", ".join(f"{name} {count}" for name, count in self.pages_by_section.items())
        line = (f"built {pages} pages ({detail}), {self.feeds} feeds, {self.files_written} files "
                f"written to {_shown(self.output_dir)} in {self.seconds:.2f} s")
        notes = []
        if self.drafts_skipped:
            notes.append(f"{self.drafts_skipped} draft{'s' if self.drafts_skipped != 1 else ''} left out")
        if self.withheld_no_consent:
            notes.append(f"{len(self.withheld_no_consent)} withheld without consent")
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


def load_entries(config: SiteConfig, errors: ErrorCollector) -> tuple[list[Entry], list[Asset]]:
    """Discover, read and validate every content file; problems go to ``errors``."""
    sources, assets = discover(config, errors)
    validator = Validator(config, errors)
    entries: list[Entry] = []
    for source in sources:
        try:
            document = read_document(source, config)
        except StoryforgeError as exc:
            errors.add(exc)
            continue
        entry = validator.validate(document)
        if entry is not None:
            entries.append(entry)
    return entries, assets


def build(options: BuildOptions) -> BuildResult:
    """Build the site; raises BuildFailed (nothing written) or another StoryforgeError."""
    started = time.perf_counter()
    site_dir = options.site_dir.resolve()
    config = load_config(site_dir)
    if options.base_url:
        config = config.with_base_url(options.base_url)
    output_dir = options.output_dir or (site_dir / config.output_dir)
    output_dir = output_dir if output_dir.is_absolute() else Path.cwd() / output_dir
    check_output_dir(output_dir, site_dir)
    result = BuildResult(output_dir=output_dir)

    # phase 1: load everything; any error stops here with nothing written
    errors = ErrorCollector()
    entries, assets = load_entries(config, errors)
    errors.raise_if_any()

    published: list[Entry] = []
    for entry in entries:
        if entry.draft and not options.drafts:
            result.drafts_skipped += 1
        elif isinstance(entry, Testimonial) and not entry.consent:
            result.withheld_no_consent.append(entry.source)
        else:
            published.append(entry)
    markup = MarkupRenderer(config.allow_raw_html_in_pages)
    for entry in published:
        entry.html = markup.render_entry_body(entry.body, entry.content_type)
        entry.summary = entry.summary or summarize(entry.html)
        if isinstance(entry, Testimonial) and entry.response:
            entry.response_html = markup.render(entry.response)

    static = _static_outputs(config, assets)
    reserved = {o.path: _describe_static(o, site_dir) for o in static}
    site = build_site(published, config.per_page, build_now(options), errors, reserved)
    errors.raise_if_any()

    # phase 2: render into memory, then publish in one step
    renderer = Renderer(config, site)
    outputs: list[Output] = []
    for page in site.pages:
        for fmt in page.formats:
            if fmt == "html":
                data = renderer.render_page(page)
                result.pages_by_section[_section_name(page.url, page.kind)] += 1
            else:
                data = feed_bytes(config, site, page, fmt)
                result.feeds += 1
            outputs.append(Output(page.output_path(fmt), data))
    outputs.append(Output("sitemap.xml", sitemap_bytes(config, site)))
    outputs.append(Output("robots.txt", robots_bytes(config)))
    outputs.extend(static)
    result.files_written = publish(outputs, output_dir)
    result.site = site
    result.seconds = time.perf_counter() - started
    return result


def _section_name(url: str, kind: str) -> str:
    if kind in ("home", "notfound"):
        return "home" if kind == "home" else "404"
    first = url.strip("/").split("/", 1)[0]
    return first if first in ("testimonials", "events", "charity", "tags") else "pages"


def _static_outputs(config: SiteConfig, assets: list[Asset]) -> list[Output]:
    """Theme static files, overridden file by file by the site's static/, plus content assets."""
    chosen: dict[str, Path] = {}
    for folder in static_dirs(config):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                chosen[path.relative_to(folder).as_posix()] = path
    for asset in assets:
        chosen[asset.url_path] = asset.source
    return [Output(rel, source=path) for rel, path in chosen.items()]


def _describe_static(output: Output, site_dir: Path) -> str:
    assert output.source is not None
    try:
        return output.source.relative_to(site_dir).as_posix()
    except ValueError:
        return f"the theme's static/{output.path}"
