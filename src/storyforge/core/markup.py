"""Markdown → HTML with one configured converter, and sanitizing of untrusted HTML.

Customer text is never trusted as HTML: every rendered body passes through an
allow-list sanitizer (nh3, the Python binding of the ammonia sanitizer), unless
the site owner explicitly allows raw HTML in ``pages/``.
"""

from __future__ import annotations

import html as html_lib
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urljoin

import nh3

from storyforge.core.markup_repair import repair
from storyforge.core.smartypants import educate

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "dfn",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "time": {"datetime"},
    # heading ids (for #anchors) and footnote targets
    **{tag: {"id"} for tag in ("h1", "h2", "h3", "h4", "h5", "h6", "li", "sup", "dt")},
}
ALLOWED_CLASSES = {
    "div": {"footnote"},
    "a": {"footnote-ref", "footnote-backref"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_UNTRUSTED = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    url_schemes=URL_SCHEMES,
    filter_style_properties={"text-align"},
    link_rel="nofollow ugc noopener noreferrer",
    strip_comments=True,
)


def sanitize(fragment: str, customer: bool = True) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes, then repair what is valid to
    keep but wrong in its place or inaccessible (``markup_repair``; ``customer``: images without
    alt text too); a repaired fragment is cleaned again, so what is published has always come out
    of the sanitizer last."""
    cleaned = _UNTRUSTED.clean(fragment)
    repaired, changed = repair(cleaned, fill_alt=customer)
    return _UNTRUSTED.clean(repaired) if changed else cleaned


#: a body that takes longer than this to convert is refused (Python-Markdown is quadratic in
#: some pathological inputs, such as thousands of unmatched brackets)
RENDER_SECONDS_LIMIT = 10.0


class MarkupTooComplex(Exception):
    """A Markdown text took too long, or nested too deeply, to convert."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (main thread only: signals cannot reach others)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise MarkupTooComplex(f"it took more than {seconds:g} s to convert")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class MarkupRenderer:
    """One Markdown converter for a whole build (building it is the slow part)."""

    def __init__(self, allow_raw_html_in_pages: bool = False, base_path: str = "/") -> None:
        self.allow_raw_html_in_pages = allow_raw_html_in_pages
        self.base_path = base_path
        #: converters by the processors they leave out, each made when a text first needs it
        self._converters: dict[frozenset[tuple[str, str]], Any] = {}

    def render(self, text: str, trusted: bool = False, customer: bool = True) -> str:
        """Markdown source → HTML; sanitized unless ``trusted``; ``customer``: a customer wrote it."""
        if not text.strip():
            return ""
        converted = plain_paragraphs(text)
        if converted is None:
            try:
                with _time_limit(RENDER_SECONDS_LIMIT):
                    converted = self.markdown(text)
            except RecursionError:
                raise MarkupTooComplex("it is nested too deeply") from None
        finished = educate(converted if trusted else sanitize(converted, customer))
        return rebase(finished, self.base_path) if self.base_path != "/" else finished

    def markdown(self, text: str) -> str:
        """Python-Markdown's HTML for ``text``, as it comes (not sanitized), from a converter
        without the processors that cannot match it (``idle_processors``)."""
        idle = idle_processors(text)
        converter = self._converters.get(idle)
        if converter is None:
            converter = self._converters[idle] = pruned_converter(idle)
        converter.reset()
        return str(converter.convert(text))

    def render_entry_body(self, text: str, content_type: str) -> str:
        trusted = content_type == "page" and self.allow_raw_html_in_pages
        return self.render(text, trusted=trusted, customer=content_type == "testimonial")


def new_converter() -> Any:
    """A Python-Markdown converter with storyforge's extensions: those of "extra" in its order,
    then a table of contents and saner lists. Markdown is imported here, when a text first needs
    more than plain paragraphs. The extensions are given as instances: by name, Python-Markdown
    looks each up among every installed package's entry points (importlib.metadata), which cost
    more than the rest of a one-story rebuild's Markdown. Smart quotes come from
    ``smartypants.educate`` on the finished HTML: the same typography as the ``smarty``
    extension, at half the cost of the whole conversion."""
    import markdown
    from markdown.extensions.abbr import AbbrExtension
    from markdown.extensions.attr_list import AttrListExtension
    from markdown.extensions.def_list import DefListExtension
    from markdown.extensions.fenced_code import FencedCodeExtension
    from markdown.extensions.footnotes import FootnoteExtension
    from markdown.extensions.md_in_html import MarkdownInHtmlExtension
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.tables import TableExtension
    from markdown.extensions.toc import TocExtension

    extensions = [FencedCodeExtension(), FootnoteExtension(), AttrListExtension(), DefListExtension(),
                  TableExtension(), AbbrExtension(), MarkdownInHtmlExtension(), TocExtension(permalink=False),
                  SaneListExtension()]
    return markdown.Markdown(extensions=extensions, output_format="html")


#: Python-Markdown's processors that can only match text holding one of some characters:
#: (registry, names in it, those characters). The text they see comes from the source (after tabs
#: are expanded and line ends made "\n", hence tabs and "\r" for a hard break, which is two spaces
#: at a line's end), less what other processors took out, plus placeholders made of none of these
#: characters. Each is read from the processor's own regular expressions or test.
IDLE_UNLESS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("inline", ("backtick",), ("`",)),
    ("inline", ("escape",), ("\\",)),
    ("inline", ("footnote", "reference", "link", "short_reference"), ("[",)),
    ("inline", ("autolink", "automail", "html"), ("<",)),
    ("inline", ("entity",), ("&",)),
    ("inline", ("linebreak",), ("  \n", "  \r", "\t")),
    ("inline", ("em_strong",), ("*", "_")),
    ("tree", ("attr_list",), ("{",)),
    ("block", ("table",), ("|",)),
    ("block", ("hashheader",), ("#",)),
    ("block", ("setextheader",), ("=", "-")),
    ("block", ("hr",), ("-", "_", "*")),
    ("block", ("quote",), (">",)),
    ("block", ("deflist",), (":",)),
    ("block", ("footnote", "abbr", "reference"), ("[",)),
    ("toc-marker", ("toc",), ("[TOC]",)),  # the table of contents only replaces a paragraph of [TOC]
)
#: images need both "!" and "["
IMAGE_PATTERNS = ("image_link", "image_reference", "short_image_ref")


def idle_processors(text: str) -> frozenset[tuple[str, str]]:
    """The processors (registry, name) that cannot match anything in ``text``. Python-Markdown
    tries every inline pattern on every piece of text and every block processor on every block,
    each call made in Python, which costs more than the regular expressions themselves; most
    stories use few of them. Leaving them out changes nothing in the HTML
    (``tests/test_markdown_pruning.py`` compares with the full converter)."""
    idle = [(registry, name) for registry, names, triggers in IDLE_UNLESS
            if not any(trigger in text for trigger in triggers) for name in names]
    if "!" not in text or "[" not in text:
        idle += [("inline", name) for name in IMAGE_PATTERNS]
    return frozenset(idle)


def pruned_converter(idle: frozenset[tuple[str, str]]) -> Any:
    """A converter without the ``idle`` processors (the others keep their order: by priority)."""
    converter = new_converter()
    registries = {"inline": converter.inlinePatterns, "tree": converter.treeprocessors,
                  "block": converter.parser.blockprocessors}
    for registry, name in idle:
        if registry == "toc-marker":  # headings still get their ids; no paragraph is looked for
            converter.treeprocessors[name].marker = ""
        else:
            registries[registry].deregister(name)
    return converter


#: anything that could mean more than words to Markdown or its extensions: emphasis, code,
#: links, footnotes and abbreviations, HTML and entities, escapes, attribute lists, tables,
#: headings, tabs and control characters (Markdown uses \x02 and \x03 itself)
_MARKUP_CHARACTER = re.compile(r"[*_`\[\]<>&\\{}|~#\x00-\x09\x0b-\x1f\x7f]")


def plain_paragraphs(text: str) -> str | None:
    """What Python-Markdown makes of text that is nothing but paragraphs of words, made
    directly (a tenth of the time); None when the text has anything else in it.

    A paragraph is one or more lines between blank lines; every line must start with a letter
    (so no list, quote, heading, definition or underline) and have no space at either end (no
    hard line break, no indented code). Most customer stories are exactly this."""
    paragraphs = []
    for block in text.strip("\n").split("\n\n"):
        if not block:
            continue  # more than one blank line between paragraphs
        for line in block.split("\n"):
            if not line or not line[0].isalpha() or line[-1] == " " or "\r" in line:
                return None
        paragraphs.append(block)
    if not paragraphs or _MARKUP_CHARACTER.search(text):
        return None
    return "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)


_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def plain_text(fragment: str) -> str:
    """HTML fragment → readable plain text on one line."""
    return " ".join(html_lib.unescape(_TAG.sub(" ", fragment)).split()).replace(" ,", ",").replace(" .", ".")


def summarize(fragment: str, limit: int = 280) -> str:
    """The first paragraph of an HTML fragment as plain text, cut at a word near ``limit``."""
    found = _FIRST_PARAGRAPH.search(fragment)
    words = plain_text(found.group(1) if found else fragment)
    if len(words) <= limit:
        return words
    cut = words[:limit].rsplit(" ", 1)[0].rstrip(",;:—-")
    return cut + "…"


_URL_ATTR = re.compile(r'\b(href|src)="([^"]*)"')


def rebase(fragment: str, base_path: str) -> str:
    """Site paths written as '/about/' point inside a site published under a sub-path ('/shop/about/')."""

    def fix(match: re.Match[str]) -> str:
        value = match.group(2)
        if value.startswith("/") and not value.startswith("//"):
            value = base_path.rstrip("/") + value
        return f'{match.group(1)}="{value}"'

    return _URL_ATTR.sub(fix, fragment)


def absolutize(fragment: str, page_url: str) -> str:
    """Make every link and image in sanitized HTML absolute (for feeds read elsewhere)."""

    def fix(match: re.Match[str]) -> str:
        value = html_lib.unescape(match.group(2))
        return f'{match.group(1)}="{html_lib.escape(urljoin(page_url, value), quote=True)}"'

    return _URL_ATTR.sub(fix, fragment)
