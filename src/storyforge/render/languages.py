"""The render stage of a multilingual site: each language rendered as a site of its own, into its
folder (the default language at the root), then one sitemap and one robots.txt for them all.

Each language goes through ``render_site`` with its own model, its view of the settings
(``core.languages``) and its own plan, so its pages, feeds, calendars, wall and share cards are
made exactly as a one-language site's are — in its words, dates and direction. ``PrefixedPlan``
puts every path the render names under the language's folder before the build cache sees it,
so what the cache keeps and what a cold build makes are the same files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from storyforge.core.languages import Language
from storyforge.core.model import SiteModel
from storyforge.core.pages import PageSpec
from storyforge.render.outputs import Output, content_hash
from storyforge.render.site import Plan, Rendered, Report, render_site
from storyforge.render.site_files import robots_bytes


class PrefixedPlan:
    """One language's plan: the pages and files it names are under ``prefix`` (e.g. 'fr/')."""

    def __init__(self, inner: Plan, prefix: str) -> None:
        self.inner, self.prefix = inner, prefix
        self._moved: dict[int, PageSpec] = {}

    def _page(self, page: PageSpec) -> PageSpec:
        """The page as the cache knows it: at its address in the language's folder."""
        moved = self._moved.get(id(page))
        if moved is None:
            moved = self._moved[id(page)] = replace(page, url=f"/{self.prefix}{page.url.lstrip('/')}")
        return moved

    def kept_page(self, page: PageSpec) -> Output | None:
        return self.inner.kept_page(self._page(page))

    def page_data(self, page: PageSpec, model: SiteModel) -> Any:
        return self.inner.page_data(page, model)

    def data_read(self, data: Any) -> frozenset[str]:
        return self.inner.data_read(data)

    def made_page(self, page: PageSpec, html: bytes, read: frozenset[str]) -> Output:
        return self.inner.made_page(self._page(page), html, read)

    def file(self, path: str, made_from: list[Any], make: Callable[[], bytes]) -> Output:
        return self.inner.file(self.prefix + path, made_from, make)

    def kept_file(self, path: str, key: str) -> Output | None:
        return self.inner.kept_file(self.prefix + path, key)

    def made_file(self, path: str, key: str, data: bytes) -> Output:
        return self.inner.made_file(self.prefix + path, key, data)

    def fragments(self, source: str) -> MutableMapping[str, tuple[str, bytes]]:
        return self.inner.fragments(source)

    @property
    def cards_cache(self) -> tuple[Path | None, bool]:
        return self.inner.cards_cache

    @property
    def templates_folder(self) -> Path | None:
        return self.inner.templates_folder


def render_languages(languages: Sequence[Language], models: Sequence[SiteModel], plans: Sequence[Plan],
                     static_files: Mapping[str, Path], static_sizes: Mapping[str, int], report: Report,
                     timings: Callable[[str], None], images: Mapping[str, Output] | None = None) -> Rendered:
    """Every output of a multilingual site but its static files, each language in its folder."""
    outputs: list[Output] = []
    pages_rendered = feeds = site_files = 0
    lacking: list[str] = []
    cards_shown: set[str] = set()
    for language, model, plan in zip(languages, models, plans, strict=True):
        view = PrefixedPlan(plan, language.prefix) if language.prefix else plan
        part = render_site(language.config, model, view, static_files, static_sizes, report, timings, images,
                           shared_files=False, cards_shown=cards_shown)
        outputs += part.outputs
        pages_rendered, feeds = pages_rendered + part.pages_rendered, feeds + part.feeds
        site_files += part.site_files
        lacking += part.cards_lacking_glyphs
    if any(model.outputs("png") for model in models):  # every language's cards drawn: the others go
        from storyforge.render.sharecards import prune_cards

        prune_cards(plans[0].cards_cache[0], cards_shown)
    config = languages[0].config
    listed = [(language.prefix, page.url, page.lastmod, page.context.get("alternates"))
              for language, model in zip(languages, models, strict=True) for page in model.pages if page.in_sitemap]
    shared = [plans[0].file("sitemap.xml", ["sitemap", content_hash(repr(listed).encode())],
                            lambda: sitemap_bytes(languages, models)),
              plans[0].file("robots.txt", ["robots"], lambda: robots_bytes(config))]
    return Rendered([*outputs, *shared], pages_rendered, feeds, site_files + len(shared), lacking)


def sitemap_bytes(languages: Sequence[Language], models: Sequence[SiteModel]) -> bytes:
    """Every HTML page of every language, each with its translations as ``xhtml:link`` alternates
    (itself among them, and ``x-default``: the default language's version), as search engines ask."""
    from html import escape
    from urllib.parse import quote

    def address(base_url: str, path: str) -> str:
        return escape(base_url + quote(path.lstrip("/"), safe="/:%"), quote=True)

    rows = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">']
    default = languages[0].tag
    for language, model in zip(languages, models, strict=True):
        for page in model.pages:
            if not page.in_sitemap:
                continue
            row = f"  <url><loc>{address(language.config.base_url, page.url)}</loc>"
            row += f"<lastmod>{page.lastmod.date().isoformat()}</lastmod>" if page.lastmod else ""
            versions = [(alt.tag, alt.url) for alt in page.context.get("alternates", ()) if alt.url]
            if len(versions) > 1:
                for tag, url in versions:
                    row += f'<xhtml:link rel="alternate" hreflang="{tag}" href="{address(url, "")}"/>'
                    if tag == default:
                        row += f'<xhtml:link rel="alternate" hreflang="x-default" href="{address(url, "")}"/>'
            rows.append(row + "</url>")
    rows.append("</urlset>\n")
    return "\n".join(rows).encode("utf-8")
