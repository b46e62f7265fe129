"""Other static site generators set up to do the same work on the same stories.

Each peer renders one page per story inside a layout, paginated lists of 8,
tag pages and (where built in) a feed. Install them to include them:
Pelican from PyPI (``pip install "pelican[markdown]"``, or set PELICAN),
Hugo from Debian (``apt-get install hugo``), Eleventy from npm
(``npm install @11ty/eleventy@3`` in some folder, then set ELEVENTY to its
``node_modules/@11ty/eleventy/cmd.cjs``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MakeSite = Callable[..., Path]


@dataclass(frozen=True)
class Peer:
    name: str
    executable: Callable[[], list[str] | None]
    setup: Callable[[Path, int, MakeSite], None]
    arguments: tuple[str, ...]
    output: str

    def available(self) -> bool:
        return self.executable() is not None

    def prepare(self, folder: Path, count: int, make: MakeSite) -> Path:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.setup(folder, count, make)
        return folder

    def command(self, folder: Path) -> list[str]:
        return [*(self.executable() or []), *self.arguments]

    def clean(self, folder: Path, remove: Callable[[Path], None] | None = None) -> None:
        """Remove the output and caches of the last build (``remove`` does it; default: delete)."""
        for leftover in (self.output, "resources", ".cache", "__pycache__"):
            (remove or _delete)(folder / leftover)


def _delete(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _which(name: str, env: str) -> Callable[[], list[str] | None]:
    def find() -> list[str] | None:
        if os.environ.get(env):
            path = os.environ[env]
            return ["node", path] if path.endswith((".js", ".cjs")) else [path]
        found = shutil.which(name)
        return [found] if found else None
    return find


# --- Pelican -------------------------------------------------------------------------

PELICAN_CONF = """\
AUTHOR = "Benchmark Bakery"
SITENAME = "Benchmark Bakery"
SITEURL = "https://bench.example"
TIMEZONE = "Europe/London"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 8
FEED_ALL_ATOM = "feeds/all.atom.xml"
RELATIVE_URLS = False
"""


def _pelican(folder: Path, count: int, make: MakeSite) -> None:
    (folder / "pelicanconf.py").write_text(PELICAN_CONF)
    make(folder / "content", count, front="pelican")


# --- Hugo ----------------------------------------------------------------------------

HUGO_CONFIG = """\
baseURL = "https://bench.example/"
title = "Benchmark Bakery"
languageCode = "en-gb"
paginate = 8
disableKinds = ["sitemap"]
[taxonomies]
tag = "tags"
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": "<!doctype html><html><head><title>{{ .Title }}</title></head><body>"
                            "<nav><a href=\"/\">Home</a></nav>{{ block \"main\" . }}{{ end }}</body></html>",
    "_default/single.html": "{{ define \"main\" }}<article><h1>{{ .Title }}</h1><p>{{ .Params.author }}, "
                            "{{ .Date.Format \"2 January 2006\" }}</p>{{ .Content }}<p>{{ range .Params.tags }}"
                            "<a href=\"/tags/{{ . | urlize }}/\">{{ . }}</a> {{ end }}</p></article>{{ end }}",
    "_default/list.html": "{{ define \"main\" }}<h1>{{ .Title }}</h1>{{ range .Paginator.Pages }}<article><h2>"
                          "<a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></h2><p>{{ .Summary }}</p></article>"
                          "{{ end }}{{ with .Paginator.Next }}<a href=\"{{ .URL }}\">Older</a>{{ end }}{{ end }}",
}


def _hugo(folder: Path, count: int, make: MakeSite) -> None:
    (folder / "hugo.toml").write_text(HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        (folder / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "layouts" / name).write_text(text)
    make(folder / "content/posts", count)


# --- Eleventy ------------------------------------------------------------------------

ELEVENTY_FILES = {
    "_includes/layout.njk": "<!doctype html><html><head><title>{{ title }}</title></head><body><nav><a href=\"/\">"
                            "Home</a></nav><article><h1>{{ title }}</h1><p>{{ author }}</p>{{ content | safe }}"
                            "<p>{% for tag in tags %}<a href=\"/tags/{{ tag | slugify }}/\">{{ tag }}</a> "
                            "{% endfor %}</p></article></body></html>",
    "posts/posts.json": '{"layout": "layout.njk", "permalink": "/posts/{{ page.fileSlug }}/"}',
    "index.njk": "---\npagination:\n  data: collections.all\n  size: 8\n  reverse: true\npermalink: "
                 "\"{% if pagination.pageNumber > 0 %}page/{{ pagination.pageNumber + 1 }}/{% endif %}index.html\"\n"
                 "---\n<!doctype html><html><body>{% for post in pagination.items %}<h2><a href=\"{{ post.url }}\">"
                 "{{ post.data.title }}</a></h2>{% endfor %}<a href=\"{{ pagination.href.next }}\">Older</a>"
                 "</body></html>",
    "tags.njk": "---\npagination:\n  data: collections\n  size: 1\n  alias: tag\n"
                "permalink: /tags/{{ tag | slugify }}/\n"
                "---\n<!doctype html><html><body><h1>{{ tag }}</h1>{% for post in collections[tag] %}"
                "<a href=\"{{ post.url }}\">{{ post.data.title }}</a>{% endfor %}</body></html>",
}


def _eleventy(folder: Path, count: int, make: MakeSite) -> None:
    for name, text in ELEVENTY_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    make(folder / "posts", count)


PEERS = [
    Peer("Hugo", _which("hugo", "HUGO"), _hugo, ("--quiet", "-d", "public"), "public"),
    Peer("Eleventy", _which("eleventy", "ELEVENTY"), _eleventy, ("--quiet",), "_site"),
    Peer("Pelican", _which("pelican", "PELICAN"), _pelican,
         ("content", "-o", "output", "-s", "pelicanconf.py", "-q"), "output"),
]
