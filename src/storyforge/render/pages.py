"""The Jinja2 environment over the theme search path, and page rendering into memory."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import jinja2

from storyforge import __version__
from storyforge.core.config import SiteConfig
from storyforge.core.entries import Entry
from storyforge.core.model import ENTRY_PAGE_KINDS, PageSpec, Paginator, Site
from storyforge.errors import SourceLocation, TemplateError
from storyforge.incremental.fingerprint import (
    Memo,
    RecordingData,
    fingerprint,
    identity_bytes,
)
from storyforge.render.jsonld import as_script_text, structured_data
from storyforge.render.sharecards import share_image
from storyforge.render.theme import template_dirs

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
CURRENCY_SIGNS = {"GBP": "£", "EUR": "€", "USD": "$", "AUD": "A$", "CAD": "C$", "NZD": "NZ$", "JPY": "¥"}


def format_date(value: datetime | None, with_weekday: bool = False) -> str:
    if value is None:
        return ""
    text = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    return f"{value:%A} {text}" if with_weekday else text


def format_time(value: datetime | None) -> str:
    return f"{value:%H:%M}" if value is not None else ""


def format_money(amount: float | None, currency: str = "USD") -> str:
    if amount is None:
        return ""
    number = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{number}" if sign else f"{number} {currency}"


class Renderer:
    """Compiles templates once per build and renders pages to bytes."""

    def __init__(self, config: SiteConfig, site: Site, compiled: Path | None = None) -> None:
        """``compiled``: a folder keeping compiled templates between builds."""
        self.config = config
        self.site = site
        self.dirs = template_dirs(config)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.dirs]),
            bytecode_cache=CheckedBytecodeCache(compiled) if compiled is not None else None,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # one build, one set of templates: no stat of every template per page
        )
        self.env.filters.update(date=format_date, time=format_time, money=format_money, ld_json=as_script_text)
        self.env.globals.update(
            site=config, data=site, url=self.url, abs_url=self.abs_url,
            version=__version__, feeds=self._feed_links(),
            structured_data=lambda page: structured_data(config, page),
            share_image=lambda page: share_image(config, page),
        )
        self._data_keys: dict[str, str] = {}
        self._reads_keys: dict[frozenset[str], str] = {}  # each set of collections pages read, hashed once
        self.memo: Memo = {}  # fingerprints of entries and long lists, once per build

    def url(self, path: str) -> str:
        """A site path made relative to base_url's path ('/x/' → '/shop/x/')."""
        if "://" in path or path.startswith(("mailto:", "tel:", "#")):
            return path
        return self.config.base_path + path.lstrip("/")

    def abs_url(self, path: str) -> str:
        if "://" in path:
            return path
        return self.config.base_url + path.lstrip("/")

    def _feed_links(self) -> list[dict[str, str]]:
        links = []
        for page, fmt in self.site.feeds():
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

    def render_page(self, page: PageSpec) -> bytes:
        return self.render_recording(page)[0]

    def render_recording(self, page: PageSpec) -> tuple[bytes, frozenset[str]]:
        """The page's HTML, and which of the site-wide collections (``data.*``) it read."""
        data = RecordingData(self.site)
        context: dict[str, Any] = {"page": page, "data": data, **page.context}
        with translate_template_errors(self.config, self.dirs, page.template):
            template = self.env.get_template(page.template)
            return template.render(context).encode("utf-8"), frozenset(data.read)

    def page_key(self, page: PageSpec) -> str:
        """A fingerprint of everything the page itself shows (its own context and place)."""
        entry = page.context.get("entry")
        if len(page.context) == 1 and isinstance(entry, Entry) and page.kind in ENTRY_PAGE_KINDS:
            # most pages: one entry each, whose title, summary and date the page takes from the
            # entry itself (the source's digest covers them)
            return hashlib.blake2b(f"{page.kind}\0{page.template}\0".encode() + identity_bytes(entry, self.memo),
                                   digest_size=16).hexdigest()
        own = [page.kind, page.url, page.template, page.title, page.description,
               page.lastmod.isoformat() if page.lastmod else ""]
        paginator = page.context.get("paginator")
        if isinstance(paginator, Paginator) and page.context.keys() == {"entries", "paginator"}:
            # a page of a list (a thousand of them on a large site): its place and its entries
            digest = hashlib.blake2b(digest_size=16)
            digest.update(repr([*own, paginator.number, paginator.total, paginator.first_url]).encode())
            for listed in page.context["entries"]:
                digest.update(identity_bytes(listed, self.memo))
            return digest.hexdigest()
        return fingerprint([own, page.context], self.memo)

    def full_key(self, own: str, reads: frozenset[str]) -> str:
        """``own`` combined with the current value of every collection the page read last time."""
        if not reads:
            return own
        combined = self._reads_keys.get(reads)
        if combined is None:
            parts = []
            for name in sorted(reads):
                if name not in self._data_keys:
                    self._data_keys[name] = fingerprint(getattr(self.site, name), self.memo)
                parts.append(f"{name}={self._data_keys[name]}")
            combined = self._reads_keys[reads] = hashlib.blake2b("\0".join(parts).encode(),
                                                                 digest_size=16).hexdigest()
        return f"{own}+{combined}"


class CheckedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept on disk, each file behind a hash of its contents: Jinja2 checks
    that a compiled template belongs to the template's current text, and this checks that the
    file is whole, so a truncated or damaged one is compiled again rather than run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            blob = (self.folder / f"{bucket.key}.bin").read_bytes()
        except OSError:
            return
        checksum, payload = blob[:32], blob[32:]
        if hashlib.sha256(payload).digest() == checksum:
            bucket.bytecode_from_string(payload)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        payload = bucket.bytecode_to_string()
        target = self.folder / f"{bucket.key}.bin"
        temporary = self.folder / f".{bucket.key}.{os.getpid()}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(hashlib.sha256(payload).digest() + payload)
            os.replace(temporary, target)
        except OSError:  # a cache that cannot be written only costs time
            with suppress(OSError):
                temporary.unlink(missing_ok=True)


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

