"""The render stage: every file of the site as an Output in memory — pages, feeds, calendars,
the sitemap, robots.txt, the story wall and share cards. Nothing is written here.

What may be kept from the last build is not this module's business: it asks a ``Plan``. The
plan says whether a page is still what is on disk, and for every other file it is told what
the file is made from and either keeps it or calls its maker. ``MakeEverything`` is the plan
of a build with no cache; the build cache's plan lives in ``incremental/plan.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from storyforge.core.config import SiteConfig
from storyforge.core.entries import Event
from storyforge.core.model import SiteModel
from storyforge.core.pages import PageSpec
from storyforge.core.words import translations
from storyforge.parallel import ordered_map
from storyforge.render.outputs import Output, content_hash
from storyforge.render.site_files import robots_bytes, sitemap_bytes

Report = Callable[[str, int, int], None]  # (what, done, total)


class Plan(Protocol):
    """What the render stage asks of whoever remembers earlier builds."""

    def kept_page(self, page: PageSpec) -> Output | None:
        """The page's output when it is unchanged since it was last written, else None."""

    def page_data(self, page: PageSpec, model: SiteModel) -> Any:
        """What the page's templates see as ``data``: the model, or a stand-in noting reads."""

    def data_read(self, data: Any) -> frozenset[str]:
        """Which of the site's collections a render read through ``data``."""

    def made_page(self, page: PageSpec, html: bytes, read: frozenset[str]) -> Output:
        """Note a page rendered afresh; its Output."""

    def file(self, path: str, made_from: list[Any], make: Callable[[], bytes]) -> Output:
        """The file at ``path``: kept if ``made_from`` is what it was last made from, else made."""

    def kept_file(self, path: str, key: str) -> Output | None:
        """The file at ``path`` when it was last made from ``key`` (a fingerprint of everything in
        it: a share card's), without its bytes; else None."""

    def made_file(self, path: str, key: str, data: bytes) -> Output:
        """Note the file at ``path`` made from ``key``; its Output."""

    def fragments(self, source: str) -> MutableMapping[str, tuple[str, bytes]]:
        """Pieces of output made from one entry alone, kept with it (the wall's JSON of a story)."""

    @property
    def cards_cache(self) -> tuple[Path | None, bool]:
        """Where share cards are kept between builds (None: nowhere), and whether what is there
        may be used."""

    @property
    def templates_folder(self) -> Path | None:
        """Where compiled templates are kept between builds, if anywhere."""


@dataclass
class MakeEverything:
    """The plan of a build that remembers nothing: every file is made."""

    made: list[str] = field(default_factory=list)

    def kept_page(self, page: PageSpec) -> Output | None:
        return None

    def page_data(self, page: PageSpec, model: SiteModel) -> Any:
        return model

    def data_read(self, data: Any) -> frozenset[str]:
        return frozenset()

    def made_page(self, page: PageSpec, html: bytes, read: frozenset[str]) -> Output:
        return Output(page.output_path("html"), content_hash(html), html)

    def file(self, path: str, made_from: list[Any], make: Callable[[], bytes]) -> Output:
        data = make()
        self.made.append(path)
        return self.made_file(path, "", data)

    def kept_file(self, path: str, key: str) -> Output | None:
        return None

    def made_file(self, path: str, key: str, data: bytes) -> Output:
        return Output(path, content_hash(data), data)

    def fragments(self, source: str) -> MutableMapping[str, tuple[str, bytes]]:
        return {}

    @property
    def cards_cache(self) -> tuple[Path | None, bool]:
        return None, False

    @property
    def templates_folder(self) -> Path | None:
        return None


@dataclass
class Rendered:
    """What the render stage made, for the build's summary."""

    outputs: list[Output]
    pages_rendered: int
    feeds: int
    site_files: int
    cards_lacking_glyphs: list[str]  # stories whose share card shows '�'


def render_site(config: SiteConfig, model: SiteModel, plan: Plan, static_files: Mapping[str, Path],
                static_sizes: Mapping[str, int], report: Report, timings: Callable[[str], None],
                images: Mapping[str, Output] | None = None, *, shared_files: bool = True,
                cards_shown: set[str] | None = None) -> Rendered:
    """Every output of the site but its static files. ``timings(phase)`` marks the end of a phase;
    ``images``: each processed image's widest file, by its path (share cards draw faces from it).
    For one language of a multilingual site (``render/languages.py``) the plan puts every file in
    the language's folder, and there is no sitemap or robots.txt (``shared_files``): they are made
    once for the whole site; ``cards_shown`` gathers the keys of its share cards, so that the cache
    keeps every language's (``sharecards.card_outputs``)."""
    from storyforge.render.pages import Renderer

    outputs: list[Output] = []
    to_render: list[PageSpec] = []
    for page in model.pages:
        kept = plan.kept_page(page)
        if kept is not None:
            outputs.append(kept)
        else:
            to_render.append(page)
    renderer = Renderer(config, model, plan.templates_folder)
    renderer.compile_templates(to_render)
    timings("find changed pages")

    def render_one(page: PageSpec) -> tuple[bytes, frozenset[str]]:
        data = plan.page_data(page, model)
        return renderer.render(page, data), plan.data_read(data)

    rendered = ordered_map(render_one, to_render, lambda done, total: report("rendering pages", done, total))
    outputs += [plan.made_page(page, html, read) for page, (html, read) in zip(to_render, rendered, strict=True)]
    timings("render pages")
    feeds = _feeds(config, model, plan, static_sizes)
    shared = [_sitemap(config, model, plan),
              plan.file("robots.txt", ["robots"], lambda: robots_bytes(config))] if shared_files else []
    site_files = [*feeds, *_calendars(config, model, plan), *shared, _wall(config, model, plan)]
    outputs += site_files
    timings("feeds, calendars, sitemap, static")
    lacking: list[str] = []
    if model.outputs("png"):
        from storyforge.render.sharecards import cards_lacking_glyphs

        outputs += _cards(config, model, plan, static_files, images or {}, report, cards_shown)  # in the plan's folder
        lacking = cards_lacking_glyphs(config, model)
        timings("share cards")
    return Rendered(outputs, len(to_render), len(feeds), len(site_files), lacking)


def _feeds(config: SiteConfig, model: SiteModel, plan: Plan, static_sizes: Mapping[str, int]) -> list[Output]:
    """Each list page's feeds: made from its place, title and entries (and enclosures' sizes)."""
    sizes = tuple(sorted(static_sizes.items()))  # the lengths of image enclosures
    outputs = []
    for page, fmt in model.feeds():
        entries = (page.feed_entries or [])[: config.feed_items]
        undated = any(e.date is None for e in entries)  # such items are dated by the newest entry
        made_from = ["feed", fmt, page.kind, page.url, page.title, entries, model.newest if undated else None,
                     sizes]

        def make(page: PageSpec = page, fmt: str = fmt) -> bytes:
            from storyforge.render.feeds import feed_bytes

            return feed_bytes(config, model, page, fmt, static_sizes)

        outputs.append(plan.file(page.output_path(fmt), made_from, make))
    return outputs


def _calendars(config: SiteConfig, model: SiteModel, plan: Plan) -> list[Output]:
    """The site calendar (every event, for subscribing) and one file per event."""
    outputs = []
    for page in model.outputs("ics"):
        entry = page.context.get("entry")
        events = [entry] if isinstance(entry, Event) else model.events_upcoming + model.events_past
        name = None if isinstance(entry, Event) else translations(config).gettext("%(site)s — events") % {
            "site": config.title}

        def make(events: list[Event] = events, name: str | None = name) -> bytes:
            from storyforge.render.ics import calendar_bytes

            return calendar_bytes(config, events, name)

        outputs.append(plan.file(page.output_path("ics"), ["ics", events, name], make))
    return outputs


def _sitemap(config: SiteConfig, model: SiteModel, plan: Plan) -> Output:
    listed = "\n".join(f"{p.url} {p.lastmod}" for p in model.pages if p.in_sitemap)
    return plan.file("sitemap.xml", ["sitemap", content_hash(listed.encode())], lambda: sitemap_bytes(config, model))


def _wall(config: SiteConfig, model: SiteModel, plan: Plan) -> Output:
    from storyforge.render.wall import WALL_FILE, wall_bytes

    cards = [p.url for p in model.outputs("png")]
    return plan.file(WALL_FILE, ["wall", model.testimonials, cards, model.images],
                     lambda: wall_bytes(config, model, plan.fragments))


def _cards(config: SiteConfig, model: SiteModel, plan: Plan, static_files: Mapping[str, Path],
           images: Mapping[str, Output], report: Report, shown: set[str] | None) -> list[Output]:
    from storyforge.render.sharecards import card_outputs

    return card_outputs(config, model, static_files, images, plan,
                        lambda draw, specs: ordered_map(draw, specs,
                                                        lambda done, total: report("share cards", done, total)),
                        shown)
