"""The Jinja2 environment over the theme search path, and page rendering into memory."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import jinja2

from storyforge import __version__
from storyforge.core.config import SiteConfig
from storyforge.core.languages import is_language_file
from storyforge.core.model import SiteModel
from storyforge.core.pages import PageSpec
from storyforge.core.theme import template_dirs
from storyforge.errors import SourceLocation, TemplateError
from storyforge.incremental.compiled_templates import CheckedBytecodeCache
from storyforge.render.compiled_i18n import CompiledTranslations
from storyforge.render.formats import formats_for
from storyforge.render.i18n import install_translations, text_direction, translation_stamp
from storyforge.render.jsonld import as_script_text, structured_data
from storyforge.render.pictures import responsive
from storyforge.render.sharecards import share_image


class Renderer:
    """Compiles templates once per build and renders pages to bytes."""

    def __init__(self, config: SiteConfig, model: SiteModel, compiled: Path | None = None) -> None:
        """``compiled``: a folder keeping compiled templates between builds."""
        self.config = config
        self.model = model
        self.dirs = template_dirs(config)
        self.root_path = urlsplit(config.root_url).path or "/"  # where static files are, for every language
        self.prefix = config.base_path[len(self.root_path):]  # the language's folder: '' or e.g. 'fr/'
        self.env = _Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.dirs]),
            # the theme's words are translated while compiling: the compiled code is the catalogs' too
            bytecode_cache=CheckedBytecodeCache(compiled, translation_stamp(config)) if compiled is not None else None,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # one build, one set of templates: no stat of every template per page
            extensions=[CompiledTranslations],
        )
        install_translations(self.env, config)
        formats = formats_for(config.language)  # dates, times, numbers and money in the site's language
        self.env.filters.update(date=formats.date, time=formats.time, money=formats.money, number=formats.number,
                                ld_json=as_script_text)
        self.env.globals.update(
            site=config, data=model, url=self.url, abs_url=self.abs_url,
            version=__version__, feeds=self._feed_links(),
            structured_data=lambda page: structured_data(config, page),
            share_image=lambda page: share_image(config, page),
            tags_of=model.tags_of, campaign_url=model.campaign_url, text_direction=text_direction(config),
        )

    def url(self, path: str) -> str:
        """A site path made relative to base_url's path ('/x/' → '/shop/x/'); in one language's
        view of a multilingual site, a static file's path is the site's, without the language."""
        if "://" in path or path.startswith(("mailto:", "tel:", "#")):
            return path
        if self.config.site_url and not is_language_file(path):
            return self.root_path + path.lstrip("/")
        return self.config.base_path + path.lstrip("/")

    def abs_url(self, path: str) -> str:
        if "://" in path:
            return path
        if self.config.site_url and not is_language_file(path):
            return self.config.asset_url(path)
        return self.config.base_url + path.lstrip("/")

    def _feed_links(self) -> list[dict[str, str]]:
        links = []
        for page, fmt in self.model.feeds():
            kind = "application/rss+xml" if fmt == "rss" else "application/atom+xml"
            title = self.config.title if page.kind == "home" else f"{self.config.title} — {page.title}"
            if fmt == "atom":
                title += " (Atom)"
            links.append({"title": title, "href": "/" + page.output_path(fmt), "type": kind,
                          "page": page.url})
        return links

    def compile_templates(self, pages: list[PageSpec]) -> None:
        """Compile every template the pages use, once, before work is spread over processes."""
        for name in sorted({page.template for page in pages}):
            with translate_template_errors(self.config, self.dirs, name):
                self.env.get_template(name)

    def render(self, page: PageSpec, data: Any = None) -> bytes:
        """The page's HTML. ``data`` is what templates see as ``data`` (the site's collections):
        the model itself, or a stand-in that notes what a render reads."""
        data = self.model if data is None else data
        context: dict[str, Any] = {"page": page, "data": data, **page.context}
        with translate_template_errors(self.config, self.dirs, page.template):
            template = self.env.get_template(page.template)
            text = template.render(context)
        if "<img" in text:  # its pictures depend on the images as processed: read through data, so noted
            images = data.images
            if images:
                text = responsive(text, images, "/" + self.prefix + page.url.lstrip("/"), self.root_path)
        return text.encode("utf-8")


class _Environment(jinja2.Environment):
    """Jinja2's environment, with each template's globals one plain dict instead of a ChainMap over
    the environment's: on every ``{% from … import %}`` Jinja2 takes the set difference of the
    page's globals and the imported template's, which through a ChainMap is a Python-level lookup
    per name (a fifth of a second over a thousand pages). The globals are all set before the first
    template loads and never changed after, so a snapshot sees the same values."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


class translate_template_errors:  # noqa: N801 - a context manager used like a function, as suppress is
    """Turn any Jinja2 failure into a TemplateError naming the template file and line."""

    def __init__(self, config: SiteConfig, dirs: list[Path], template: str) -> None:
        self.config, self.dirs, self.template = config, dirs, template

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None or isinstance(exc, TemplateError) or not isinstance(exc, Exception):
            return False
        if isinstance(exc, jinja2.TemplateNotFound):
            searched = ", ".join(self._relative(d) for d in self.dirs)
            raise TemplateError(f"template '{exc.name}' not found in {searched}") from None
        if isinstance(exc, jinja2.TemplateSyntaxError):
            where = SourceLocation(self._relative(Path(exc.filename)) if exc.filename else exc.name or "?",
                                   exc.lineno)
            raise TemplateError(f"template syntax: {exc.message}", where) from None
        where = self._runtime_location(exc)
        message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
        raise TemplateError(f"while rendering: {message}", where) from None

    def _runtime_location(self, exc: BaseException) -> SourceLocation:
        import traceback  # only when a template fails

        frames: Iterator[traceback.FrameSummary] = reversed(traceback.extract_tb(exc.__traceback__))
        for frame in frames:
            path = Path(frame.filename)
            if any(_within(path, d) for d in self.dirs):
                return SourceLocation(self._relative(path), frame.lineno)
        return SourceLocation(self.template)

    def _relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.config.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def _within(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:  # pragma: no cover
        return False

