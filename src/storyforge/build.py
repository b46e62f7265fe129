"""The build pipeline as one readable function.

    site.yaml → config → discover content                  (stat only)
              → nothing changed since the last build? stop (the no-op build)
              → parse, validate, render Markdown            (changed files only; all errors collected)
              → model: routes, collisions                    (nothing written yet)
              → render pages whose inputs changed, feeds, sitemap — in memory
              → publish atomically
              → save the cache

Heavy libraries (Markdown, Jinja2, feedgen) are imported only when there is
work for them, so a build that has nothing to do finishes at once.
"""

from __future__ import annotations

import gc
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from storyforge.core.config import SiteConfig, load_config
from storyforge.core.content import Asset, discover
from storyforge.core.content_types import all_types
from storyforge.core.entries import Entry, Testimonial
from storyforge.errors import (
    ErrorCollector,
    OutputError,
    SourceLocation,
    StoryforgeError,
)
from storyforge.incremental.cache import BuildCache, Index, stat_is_trustworthy
from storyforge.incremental.inputs import SiteInputs, cache_key, gather_inputs
from storyforge.progress import Progress
from storyforge.publish.output import Output, Publisher, check_output_dir, content_hash

Report = Callable[[int, int], None]
NO_READS: frozenset[str] = frozenset()

if TYPE_CHECKING:
    from storyforge.core.model import PageSpec, Site


@dataclass
class BuildOptions:
    site_dir: Path = Path(".")
    output_dir: Path | None = None
    drafts: bool = False
    base_url: str | None = None
    now: datetime | None = None
    use_cache: bool = True
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
    unchanged: bool = False
    site: Site | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, shown by -v

    def lap(self, phase: str, since: list[float]) -> None:
        """Record the time since the previous lap under ``phase``."""
        now = time.perf_counter()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - since[0]
        since[0] = now

    def summary(self) -> str:
        pages = sum(self.pages_by_section.values())
        detail = ", ".join(f"{name} {count}" for name, count in self.pages_by_section.items())
        if self.unchanged:
            return f"nothing changed: {pages} pages in {_shown(self.output_dir)} are up to date ({self.seconds:.2f} s)"
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


def build(options: BuildOptions) -> BuildResult:
    """Build the site; raises BuildFailed (nothing written) or another StoryforgeError."""
    # A build makes hundreds of thousands of objects and almost no reference cycles; the cyclic
    # collector would walk all of them again and again (a quarter of a large rebuild's time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build(options)
    finally:
        if collecting:
            gc.enable()
        if options.progress is not None:
            options.progress.finish()


def _build(options: BuildOptions) -> BuildResult:
    started = time.perf_counter()
    clock = [started]
    progress = options.progress or Progress(enabled=False)
    site_dir = options.site_dir.resolve()
    config = load_config(site_dir)
    if options.base_url:
        config = config.with_base_url(options.base_url)
    output_dir = options.output_dir or (site_dir / config.output_dir)
    output_dir = output_dir if output_dir.is_absolute() else Path.cwd() / output_dir
    check_output_dir(output_dir, site_dir)
    result = BuildResult(output_dir=output_dir)

    errors = ErrorCollector()
    sources, assets = discover(config, errors)
    errors.raise_if_any()
    inputs = gather_inputs(config, sources, assets)
    result.lap("discover", clock)
    key = cache_key(config, inputs, drafts=options.drafts)
    cache = BuildCache(site_dir, trusted=options.use_cache, output_dir=output_dir)
    index = cache.load_index(key)
    now = build_now(options)
    from storyforge.moderation.policy import folder_state, gather, load_index

    submissions_state = folder_state(config)  # the reviews policy page counts submissions
    if index.summary.get("submissions") == submissions_state and _nothing_changed(index, inputs, output_dir, now,
                                                                                    config):
        result.unchanged = True
        result.pages_by_section.update(index.summary.get("pages", {}))
        result.seconds = time.perf_counter() - started
        return result

    # phase 1: load everything; any error stops here with nothing written
    cached_entries = cache.load_entries(key)
    result.lap("load cache", clock)
    entries = _load_entries(config, inputs, index, cached_entries, errors,
                            lambda done, total: progress.update("reading content", done, total))
    submissions = load_index(config, errors)  # the submissions folder, read once
    errors.raise_if_any()
    published = _publishable(entries, options.drafts, result)
    if submissions.any_withdrawn:  # decided, though the story's file may still be there
        published = [e for e in published if not (isinstance(e, Testimonial) and submissions.hides(e))]
    policy = gather(config, [e for e in entries if isinstance(e, Testimonial)],
                    [e for e in published if isinstance(e, Testimonial)], submissions)

    result.lap("read and render content", clock)
    from storyforge.core.model import build_site

    statics = _static_outputs(inputs, index)
    reserved = {o.path: _describe_static(o, site_dir) for o in statics}
    site = build_site(published, config.per_page, now, errors, reserved, policy=policy,
                      share_cards=config.share_cards)
    errors.raise_if_any()

    # phase 2: render what changed, into memory; then publish in one step
    from storyforge.render.pages import Renderer

    result.lap("model", clock)
    renderer = Renderer(config, site, cache.folder / "templates" if cache.trusted else None)
    publisher = Publisher(output_dir, index.manifests)
    live = publisher.live_manifest
    new_index = Index(key=key, built_at=now.timestamp(), built_day=now.astimezone(config.tz).date().isoformat())
    outputs: list[Output] = []
    to_render: list[tuple[PageSpec, str]] = []
    for page in site.pages:
        path = page.output_path("html")
        own = renderer.page_key(page)
        reads = index.page_reads.get(path, NO_READS)
        key = renderer.full_key(own, reads)
        sha = index.unchanged_output(path, key, live)
        if sha is not None:
            outputs.append(Output(path, sha))
            new_index.record_output(path, key, sha, reads)
        else:
            to_render.append((page, own))
    sections = _section_names()
    result.pages_by_section.update(_section_name(page.url, page.kind, sections) for page in site.pages)
    from storyforge.parallel import ordered_map

    renderer.compile_templates([p for p, _ in to_render])
    result.lap("find changed pages", clock)
    rendered = ordered_map(renderer.render_recording, [p for p, _ in to_render],
                           lambda done, total: progress.update("rendering pages", done, total))
    for (page, own), (data, reads) in zip(to_render, rendered, strict=True):
        path = page.output_path("html")
        sha = content_hash(data)
        outputs.append(Output(path, sha, data))
        new_index.record_output(path, renderer.full_key(own, reads), sha, reads)
    result.pages_rendered = len(to_render)
    result.lap("render pages", clock)
    from storyforge.render.site_files import DerivedFiles

    derived = DerivedFiles(config, site, index, live, new_index, renderer.memo)
    site_files, result.feeds = derived.outputs({path: stats[1] for path, stats in inputs.static_stats.items()})
    outputs.extend(site_files)
    result.site_files_made, result.site_files = derived.made, len(site_files)
    outputs.extend(statics)
    result.lap("feeds, calendars, sitemap, static", clock)
    if site.outputs("png"):
        from storyforge.render.sharecards import card_outputs

        outputs.extend(card_outputs(config, site, inputs.static_files.get("css/style.css"), cache.folder / "cards",
                                    cache.trusted, lambda draw, specs: ordered_map(
                                        draw, specs, lambda done, total: progress.update("share cards", done, total))))
        result.lap("share cards", clock)
    _refuse_clashes(outputs, site_dir)
    report = publisher.publish(outputs)
    result.lap("publish", clock)
    result.files_written = report.files_written
    result.site = site

    new_index.source_stats = inputs.source_stats
    new_index.source_digests = {s.rel_path: e.digest for s, e in zip(sources, entries, strict=True)}
    new_index.statics = {o.path: inputs.static_stats[o.path] + (o.sha,) for o in statics}
    new_index.manifests = report.manifests
    new_index.live_generation = report.generation
    new_index.clock_moments = _clock_moments(entries)
    new_index.uses_build_day = any("now" in reads for reads in new_index.page_reads.values())
    new_index.summary = {"pages": dict(result.pages_by_section), "submissions": submissions_state}
    for entry in entries:
        entry.tag_links = []  # derived again on every build; never stored
    cache.save(new_index, {s.rel_path: e for s, e in zip(sources, entries, strict=True)}, previous=index)
    result.lap("save cache", clock)
    result.seconds = time.perf_counter() - started
    return result


def _nothing_changed(index: Index, inputs: SiteInputs, output_dir: Path, now: datetime, config: SiteConfig) -> bool:
    """True when sources, settings, templates and the clock's effect are all as last time."""
    if not index.live_generation or index.key == "":
        return False
    from storyforge.publish.output import read_generation

    if read_generation(output_dir) != index.live_generation:
        return False
    if inputs.source_stats != index.source_stats:
        return False
    if inputs.static_stats != {path: record[:2] for path, record in index.statics.items()}:
        return False
    mtimes = [s.mtime_ns for s in inputs.sources] + [stats[0] for stats in inputs.static_stats.values()]
    if not all(stat_is_trustworthy(mtime, index.saved_at_ns) for mtime in mtimes):
        return False  # modified around the last build: compare bytes the slow way
    moment = now.timestamp()
    if any(min(index.built_at, moment) < change <= max(index.built_at, moment) for change in index.clock_moments):
        return False  # an event moved from upcoming to past, an alert into or out of the banner (or back)
    return not (index.uses_build_day and now.astimezone(config.tz).date().isoformat() != index.built_day)


def _load_entries(config: SiteConfig, inputs: SiteInputs, index: Index, cached: dict[str, Entry],
                  errors: ErrorCollector, report: Report) -> list[Entry]:
    """Entries for every source: from the cache when the file is unchanged, else parsed afresh."""
    from storyforge.incremental.loading import EntryLoader
    from storyforge.parallel import ordered_map

    loader = EntryLoader(config, index, cached)
    for error in loader.config_errors.errors:
        errors.add(error)
    sources = inputs.sources
    fresh = loader.stale(sources, inputs.source_stats)
    if fresh:
        loader.prepare()
    results = dict(zip((s.rel_path for s in fresh), ordered_map(loader.load, fresh, report), strict=True))
    entries: list[Entry] = []
    for source in sources:
        if source.rel_path not in results:
            entries.append(cached[source.rel_path])
            continue
        outcome = results[source.rel_path]
        if isinstance(outcome, Entry):
            entries.append(outcome)
        else:
            for error in outcome:
                errors.add(error)
    return entries


def _publishable(entries: list[Entry], drafts: bool, result: BuildResult) -> list[Entry]:
    published: list[Entry] = []
    for entry in entries:
        if entry.draft and not drafts:
            result.drafts_skipped += 1
        elif isinstance(entry, Testimonial) and not entry.consent:
            result.withheld_no_consent.append(entry.source)
        else:
            published.append(entry)
    return published


def _clock_moments(entries: list[Entry]) -> tuple[float, ...]:
    """When the passing of time alone changes the site: events end, alerts start and expire."""
    from storyforge.core.entries import Alert, Event
    from storyforge.core.model import alert_moments, event_finish

    moments = [event_finish(e) for e in entries if isinstance(e, Event)]
    moments += [m for e in entries if isinstance(e, Alert) for m in alert_moments(e)]
    return tuple(m.timestamp() for m in moments)


def _section_names() -> dict[str, str]:
    """The first folder of a page's address → the name the summary line counts the page under:
    each content type's own (e.g. 'testimonials' for its entries and list pages), and 'tags'."""
    names = {row.url_prefix.strip("/"): row.summary_name for row in all_types() if row.url_prefix != "/"}
    return {**names, "tags": "tags"}


def _section_name(url: str, kind: str, sections: dict[str, str]) -> str:
    if kind in ("home", "notfound"):
        return "home" if kind == "home" else "404"
    return sections.get(url.strip("/").split("/", 1)[0], "pages")  # pages, and built-in ones such as /embed/


def _static_outputs(inputs: SiteInputs, index: Index) -> list[Output]:
    """Theme and site static files and content assets, hashed only when their stat changed."""
    outputs = []
    for path, source in inputs.static_files.items():
        stats = inputs.static_stats[path]
        known = index.statics.get(path)
        trusted = known and known[:2] == stats and stat_is_trustworthy(stats[0], index.saved_at_ns)
        sha = known[2] if trusted else content_hash(source.read_bytes())
        outputs.append(Output(path, sha, source=source))
    return outputs


def _refuse_clashes(outputs: list[Output], site_dir: Path) -> None:
    """A file under static/ or content/ must not take the place of one the build writes itself."""
    errors = ErrorCollector()
    seen: dict[str, Output] = {}
    for output in outputs:
        earlier = seen.setdefault(output.path, output)
        if earlier is output:
            continue
        copied = [o for o in (earlier, output) if o.source is not None]
        where = _describe_static(copied[0], site_dir) if copied else output.path
        errors.add(OutputError(f"two sources for one address /{output.path}: {where} and the file the build "
                               f"writes there itself — rename or remove {where}", SourceLocation(where)))
    errors.raise_if_any()


def _describe_static(output: Output, site_dir: Path) -> str:
    assert output.source is not None
    try:
        return output.source.relative_to(site_dir).as_posix()
    except ValueError:
        return f"the theme's static/{output.path}"


__all__ = ["Asset", "BuildOptions", "BuildResult", "StoryforgeError", "build", "build_now"]
