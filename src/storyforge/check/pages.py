"""The HTML pages of a built site: links, #anchors, images and alt text, orphans.

Every page is parsed once with the standard library's HTML parser; a link is
resolved the way a browser would (against the page's own address, under the
site's base_url) and looked up in the output folder the way a static file
server would (``/about/`` → ``about/index.html``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from storyforge.check.report import Report, element

#: the attributes that point at something, per element
URL_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "a": ("href",), "area": ("href",), "link": ("href",), "img": ("src", "srcset"), "script": ("src",),
    "source": ("src", "srcset"), "video": ("src", "poster"), "audio": ("src",), "track": ("src",),
    "iframe": ("src",), "embed": ("src",), "input": ("src",),
}
#: <link rel=…> values that name a server, not a document
NOT_DOCUMENTS = {"preconnect", "dns-prefetch"}
NOT_FOUND_PAGE = "404.html"


@dataclass(frozen=True)
class Ref:
    """One address in a page: the element, the attribute and the address as written."""

    tag: str
    attribute: str
    value: str
    rel: str = ""

    def describe(self) -> str:
        return element(self.tag, self.attribute, self.value)


@dataclass
class ParsedPage:
    ids: set[str] = field(default_factory=set)
    refs: list[Ref] = field(default_factory=list)
    images_without_alt: list[Ref] = field(default_factory=list)
    images_without_size: list[Ref] = field(default_factory=list)  # the page jumps as they load


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        if values.get("id"):
            self.page.ids.add(values["id"])
        if tag == "a" and values.get("name"):
            self.page.ids.add(values["name"])
        rel = " ".join(values.get("rel", "").lower().split())
        for attribute in URL_ATTRIBUTES.get(tag, ()):
            raw = values.get(attribute)
            if raw is None:
                continue
            addresses = _srcset(raw) if attribute == "srcset" else [raw.strip()]
            self.page.refs.extend(Ref(tag, attribute, a, rel) for a in addresses if a)
        if tag == "img" and "alt" not in values:
            self.page.images_without_alt.append(Ref("img", "src", values.get("src", "")))
        if tag == "img" and not (values.get("width", "").strip() and values.get("height", "").strip()):
            self.page.images_without_size.append(Ref("img", "src", values.get("src", "")))

    handle_startendtag = handle_starttag


def _srcset(value: str) -> list[str]:
    """The addresses of a srcset: 'a.jpg 1x, b.jpg 2x' → ['a.jpg', 'b.jpg']."""
    return [candidate.split()[0] for candidate in value.split(",") if candidate.split()]


def parse_page(data: bytes) -> ParsedPage:
    parser = _PageParser()
    parser.feed(data.decode("utf-8", errors="replace"))
    parser.close()
    return parser.page


@dataclass(frozen=True)
class Target:
    """Where an address points: inside the site (a file, maybe missing) or outside it."""

    external: str | None = None  # an http(s) address elsewhere, without its #fragment
    file: str | None = None  # the file in the output folder, relative, when it exists
    fragment: str = ""
    internal: bool = False


class SitePages:
    """All HTML pages of an output folder, parsed once, and address resolution within it."""

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        base = urlsplit(base_url)
        self.scheme, self.host = base.scheme, base.netloc.lower()
        self.base_path = base.path if base.path.endswith("/") else base.path + "/"
        self.files = sorted(p.relative_to(root).as_posix() for p in _html_files(root))
        self.parsed: dict[str, ParsedPage] = {rel: parse_page((root / rel).read_bytes()) for rel in self.files}
        self._found: dict[str, str | None] = {}

    def address_of(self, rel: str) -> str:
        """The absolute address a file is served at: 'about/index.html' → 'https://x/about/'."""
        path = rel.removesuffix("index.html") if rel == "index.html" or rel.endswith("/index.html") else rel
        return f"{self.scheme}://{self.host}{self.base_path}{path}"

    def resolve(self, page: str, value: str) -> Target | None:
        """What ``value`` in ``page`` points at; None for addresses no check applies to (mailto:, …)."""
        try:
            parts = urlsplit(urljoin(self.address_of(page), value))
        except ValueError:  # e.g. 'http://[not-an-address'
            return Target(internal=True)
        if parts.scheme not in ("http", "https"):
            return None
        if parts.netloc.lower() != self.host:
            return Target(external=parts._replace(fragment="").geturl())
        path = unquote(parts.path)
        fragment = unquote(parts.fragment)
        if path + "/" == self.base_path:
            path = self.base_path
        if not path.startswith(self.base_path):
            return Target(fragment=fragment, internal=True)
        return Target(file=self.find_file(path[len(self.base_path):]), fragment=fragment, internal=True)

    def find_file(self, rel: str) -> str | None:
        """The file a static server answers with for ``rel`` (a folder → its index.html)."""
        if rel not in self._found:
            self._found[rel] = self._find_file(rel)
        return self._found[rel]

    def _find_file(self, rel: str) -> str | None:
        if "\x00" in rel or any(part in ("..", ".") for part in rel.split("/")):
            return None
        candidate = self.root / rel
        if not rel or rel.endswith("/") or candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate.relative_to(self.root).as_posix() if candidate.is_file() else None


def _html_files(root: Path) -> Iterator[Path]:
    for path in root.rglob("*.html"):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts):
            yield path


def check_pages(pages: SitePages, report: Report) -> dict[str, list[tuple[str, str]]]:
    """Links, anchors and images of every page; returns the external addresses and where they are used."""
    external: dict[str, list[tuple[str, str]]] = {}
    for rel in pages.files:
        parsed = pages.parsed[rel]
        for image in parsed.images_without_alt:
            report.add(rel, image.describe(), 'missing alt text (describe the image, or use alt="" if it is '
                                              'decorative)')
        for image in parsed.images_without_size:
            report.add(rel, image.describe(), "image without width and height: the page jumps as it loads (the "
                                              "build adds them to the site's own photos; give width and height "
                                              "to others)")
        for ref in parsed.refs:
            if ref.tag == "link" and NOT_DOCUMENTS & set(ref.rel.split()):
                continue
            target = pages.resolve(rel, ref.value)
            if target is None:
                continue
            if target.external is not None:
                external.setdefault(target.external, []).append((rel, ref.describe()))
            elif target.file is None:
                what = "image not found" if ref.tag == "img" else "link target not found"
                report.add(rel, ref.describe(), what)
            elif target.fragment and target.file.endswith(".html") and not _has_anchor(pages, target):
                where = "on this page" if target.file == rel else f"in {target.file}"
                report.add(rel, ref.describe(), f"anchor #{target.fragment} not found {where}")
    return external


def _has_anchor(pages: SitePages, target: Target) -> bool:
    assert target.file is not None
    if target.fragment == "top":  # the top of the page, even without such an id
        return True
    parsed = pages.parsed.get(target.file)
    return parsed is not None and target.fragment in parsed.ids


def check_orphans(pages: SitePages, report: Report) -> None:
    """Every page but the 404 page must be reachable from the home page by following links."""
    if "index.html" not in pages.parsed:
        report.add("index.html", "page", "the home page is missing")
        return
    seen = {"index.html"}
    queue = ["index.html"]
    while queue:
        page = queue.pop()
        for ref in pages.parsed[page].refs:
            if ref.tag not in ("a", "area"):
                continue
            target = pages.resolve(page, ref.value)
            if target and target.file and target.file in pages.parsed and target.file not in seen:
                seen.add(target.file)
                queue.append(target.file)
    for rel in pages.files:
        if rel not in seen and rel != NOT_FOUND_PAGE:
            report.add(rel, "page", "orphaned: no chain of links from the home page leads here")
