"""`storyforge check`: each check finds what it is for, with the page and the element, and a clean site passes."""

from __future__ import annotations

import http.server
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import copy_example

PAGES = {
    "content/pages/about.md": "---\ntitle: About\nmenu: true\n---\n## Our team\n\nWe bake. "
                              "[Visit us](/visit/#opening-hours).\n",
    "content/pages/visit.md": "---\ntitle: Visit\n---\n## Opening hours\n\nTuesday to Saturday.\n",
    "content/testimonials/loaf.md": "---\ntitle: Lovely loaf\nauthor: Sam P.\ndate: 2026-03-01\n"
                                    "tags: [bread]\n---\nGreat loaf.\n",
}


@pytest.fixture
def site_with(make_site, run, monkeypatch):
    """A small clean site plus ``extra`` files, built, with the current folder in the site."""

    def make(extra: dict[str, str] | None = None, binary: dict[str, bytes] | None = None) -> Path:
        site = make_site({**PAGES, **(extra or {})})
        for name, data in (binary or {}).items():
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            (site / name).write_bytes(data)
        monkeypatch.chdir(site)
        built = run("build")
        assert built.code == 0, built.err
        return site

    return make


def problems(result) -> list[str]:
    return result.out.strip().splitlines()[:-1]


def test_a_clean_site_passes(site_with, run):
    site_with()
    result = run("check")
    assert (result.code, result.out, result.err) == (0, "check: no problems in 13 pages\n", "")


def test_the_example_site_passes_and_build_check_runs_it(tmp_path, run, monkeypatch):
    site = copy_example(tmp_path / "example")
    monkeypatch.chdir(site)
    result = run("build", "--check")
    assert result.code == 0, result.out + result.err
    built, checked = result.out.strip().splitlines()
    assert built.startswith("built ")
    assert checked.startswith("check: no problems in ") and checked.endswith(" pages")


def test_a_broken_link_is_named_with_its_page_and_element(site_with, run):
    site_with({"content/pages/help.md": "---\ntitle: Help\n---\nSee [the menu](/menu/) or [us](../about/).\n"})
    result = run("check")
    assert result.code == 1
    assert result.out.splitlines() == [
        'public/help/index.html: <a href="/menu/">: link target not found',
        "check: 1 problem in 1 page",
    ]


def test_build_check_fails_the_build_command_when_the_site_is_broken(site_with, run):
    site_with({"content/pages/help.md": "---\ntitle: Help\n---\nSee [the menu](/menu/).\n"})
    result = run("build", "--check", "-q")
    assert result.code == 1
    assert result.out.splitlines() == ['public/help/index.html: <a href="/menu/">: link target not found',
                                       "check: 1 problem in 1 page"]


def test_broken_anchors_on_another_page_and_on_the_same_page(site_with, run):
    site_with({"content/pages/help.md": "---\ntitle: Help\n---\n## Questions\n\n[Hours](/visit/#hours), "
                                        "[top](#questions), [nowhere](#answers), [up](#top).\n"})
    result = run("check")
    assert problems(result) == [
        'public/help/index.html: <a href="/visit/#hours">: anchor #hours not found in visit/index.html',
        'public/help/index.html: <a href="#answers">: anchor #answers not found on this page',
    ]
    assert result.code == 1


def test_images_must_exist_and_have_alt_text_and_a_size(site_with, run):
    import io

    from PIL import Image

    cake = io.BytesIO()
    Image.new("RGB", (64, 48), (250, 230, 120)).save(cake, "JPEG")
    site_with(binary={"static/images/cake.jpg": cake.getvalue()}, extra={
        "content/pages/cakes.md": '---\ntitle: Cakes\n---\n![A lemon cake](/images/cake.jpg)\n\n'
                                  '<img src="/images/cake.jpg">\n\n![](/images/cake.jpg)\n\n'
                                  '![A scone](/images/scone.jpg)\n',
    })
    result = run("check")
    assert problems(result) == [
        ('public/cakes/index.html: <img src="/images/cake.jpg">: missing alt text (describe the image, '
         'or use alt="" if it is decorative)'),
        ('public/cakes/index.html: <img src="/images/scone.jpg">: image without width and height: the page jumps '
         "as it loads (the build adds them to the site's own photos; give width and height to others)"),
        'public/cakes/index.html: <img src="/images/scone.jpg">: image not found',
    ]


def test_a_page_no_link_leads_to_is_an_orphan_and_missing_from_the_sitemap(site_with, run):
    site_with({"static/old-offer/index.html": "<!doctype html><title>Old</title><p>Gone.</p>"})
    result = run("check")
    assert problems(result) == [
        "public/old-offer/index.html: page: orphaned: no chain of links from the home page leads here",
        "public/old-offer/index.html: page: missing from sitemap.xml",
    ]
    assert result.out.splitlines()[-1] == "check: 2 problems in 1 page"


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, text)
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_feed_with_a_bad_date_a_relative_link_and_a_duplicate_guid(site_with, run):
    site = site_with()
    feed = site / "public/feed.xml"
    _edit(feed, "<pubDate>Sun, 01 Mar 2026 00:00:00 +0000</pubDate>", "<pubDate>1st of March</pubDate>")
    _edit(feed, "<link>https://bakery.test/testimonials/loaf/</link>", "<link>/testimonials/loaf/</link>")
    _edit(feed, '<guid isPermaLink="true">https://bakery.test/visit/</guid>',
          '<guid isPermaLink="true">https://bakery.test/about/</guid>')
    _edit(feed, "&lt;a href=\"https://bakery.test/visit/#opening-hours\"",
          "&lt;a href=\"/visit/#opening-hours\"")
    result = run("check")
    assert result.code == 1
    assert problems(result) == [
        ('public/feed.xml: <link>/testimonials/loaf/</link> in item "Lovely loaf": relative URL — feeds are read '
         'elsewhere, so every address must be absolute (https://…)'),
        ('public/feed.xml: <pubDate>1st of March</pubDate> in item "Lovely loaf": invalid date (expected an '
         'RFC 822 date like Tue, 03 Mar 2026 10:00:00 +0000)'),
        ('public/feed.xml: <a href="/visit/#opening-hours"> in <content:encoded> in item "About": relative URL — '
         'feeds are read elsewhere, so every address must be absolute (https://…)'),
        ('public/feed.xml: <guid>https://bakery.test/about/</guid> in item "Visit": duplicate GUID (also in item '
         '"About")'),
    ]


def test_atom_feed_dates_and_ids(site_with, run):
    site = site_with()
    atom = site / "public/atom.xml"
    _edit(atom, "<updated>2026-03-01T00:00:00+00:00</updated>", "<updated>2026-03-01</updated>")
    _edit(atom, "<id>https://bakery.test/about/</id>", "<id>https://bakery.test/visit/</id>")
    result = run("check")
    assert problems(result) == [
        ('public/atom.xml: <updated>2026-03-01</updated>: invalid date (expected an RFC 3339 date like '
         '2026-03-03T10:00:00+00:00)'),
        ('public/atom.xml: <id>https://bakery.test/visit/</id> in entry "Visit": duplicate id (also in entry '
         '"About")'),
    ]


def test_a_feed_that_is_not_well_formed(site_with, run):
    site = site_with()
    _edit(site / "public/testimonials/feed.xml", "</channel>", "")
    result = run("check")
    assert problems(result) == [("public/testimonials/feed.xml: file: not well-formed XML (mismatched tag: "
                                 f"line {_line_of(site / 'public/testimonials/feed.xml', '</rss>')}, column 2)")]


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_sitemap_must_list_exactly_the_pages(site_with, run):
    site = site_with()
    sitemap = site / "public/sitemap.xml"
    _edit(sitemap, "<loc>https://bakery.test/visit/</loc>", "<loc>https://bakery.test/visiting/</loc>")
    _edit(sitemap, "<loc>https://bakery.test/about/</loc>", "<loc>https://bakery.test/about</loc>")
    _edit(sitemap, "</urlset>", "<url><loc>https://bakery.test/404.html</loc></url></urlset>")
    result = run("check")
    assert problems(result) == [
        "public/about/index.html: page: missing from sitemap.xml",
        "public/sitemap.xml: <loc>https://bakery.test/about</loc>: should be listed as https://bakery.test/about/",
        "public/sitemap.xml: <loc>https://bakery.test/visiting/</loc>: no such page in the site",
        "public/sitemap.xml: <loc>https://bakery.test/404.html</loc>: the 404 page must not be listed",
        "public/visit/index.html: page: missing from sitemap.xml",
    ]
    assert result.out.splitlines()[-1] == "check: 5 problems in 3 pages"


def test_a_site_under_a_path_resolves_links_below_it(make_site, run, monkeypatch):
    about = PAGES["content/pages/about.md"].replace("(/visit/#opening-hours)", "(../visit/#opening-hours)")
    site = make_site({**PAGES, "content/pages/about.md": about},
                     site_yaml="title: T\nbase_url: https://example.test/shop/\n")
    monkeypatch.chdir(site)
    assert run("build").code == 0
    assert run("check").out == "check: no problems in 13 pages\n"
    _edit(site / "public/index.html", 'href="/shop/visit/"', 'href="/visit/"')
    assert problems(run("check")) == ['public/index.html: <a href="/visit/">: link target not found']


def test_a_sub_path_build_with_base_url_checks_clean(tmp_path, run, monkeypatch):
    """A GitHub Pages project site: built with --base-url for a sub-path that site.yaml does not name."""
    site = copy_example(tmp_path / "example")
    monkeypatch.chdir(site)
    assert run("build", "--base-url", "https://someone.github.io/spoke/").code == 0
    assert 'href="/spoke/' in (site / "public/index.html").read_text(encoding="utf-8")
    result = run("check")
    assert result.code == 0, result.out
    assert result.out.startswith("check: no problems in ")
    built_check = run("build", "--base-url", "https://someone.github.io/spoke/", "--check")
    assert built_check.code == 0, built_check.out


def test_checking_a_site_that_was_not_built(make_site, run, monkeypatch):
    monkeypatch.chdir(make_site())
    result = run("check")
    assert (result.code, result.out) == (1, "")
    assert result.err == "error: no built site in public/ — run storyforge build first\n"


# --- external links, against a server on this machine only --------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[Counter[str]] = Counter()  # shared by every request the server handles
    release = threading.Event()

    def _answer(self, body: bool) -> None:
        self.hits[f"{self.command} {self.path}"] += 1
        if self.path == "/slow":
            self.release.wait(5)
            return
        status = {"/ok": 200, "/missing": 404, "/no-head": 405 if self.command == "HEAD" else 200}.get(self.path, 500)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if body:
            self.wfile.write(b"ok")

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def handle_one_request(self) -> None:
        with suppress(OSError):  # the checker gave up on /slow and closed the connection
            super().handle_one_request()


@pytest.fixture
def local_server(monkeypatch) -> Iterator[str]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    _Handler.hits.clear()
    _Handler.release.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    _Handler.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_external_links_are_checked_only_when_asked_with_a_timeout_and_a_cache(site_with, run, local_server):
    links = " ".join(f"[{name}]({local_server}/{name})" for name in ("ok", "missing", "no-head", "slow"))
    site_with({"content/pages/links.md": f"---\ntitle: Links\n---\n{links}\n"})
    assert run("check").code == 0
    assert sum(_Handler.hits.values()) == 0

    result = run("check", "--external", "--timeout", "0.5")
    assert result.code == 1
    assert problems(result) == [
        f'public/links/index.html: <a href="{local_server}/missing">: external link broken: HTTP 404 Not Found',
        f'public/links/index.html: <a href="{local_server}/slow">: external link broken: no answer within 0.5 s',
    ]
    assert _Handler.hits["HEAD /ok"] == 1 and _Handler.hits["GET /no-head"] == 1
    cached = (Path(".storyforge-cache/external-links.json")).read_text()
    assert f"{local_server}/ok" in cached and f"{local_server}/missing" not in cached

    run("check", "--external", "--timeout", "0.5")
    assert _Handler.hits["HEAD /ok"] == 1  # answered well a moment ago: taken from the cache
    assert _Handler.hits["HEAD /missing"] == 2  # broken links are asked again every time


def test_external_checks_run_a_limited_number_at_once(local_server, monkeypatch):
    from storyforge.check import external

    running = peak = 0
    lock = threading.Lock()

    def probe(url: str, timeout: float) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        threading.Event().wait(0.02)
        with lock:
            running -= 1

    monkeypatch.setattr(external, "probe", probe)
    assert external.check_links([f"{local_server}/ok?{n}" for n in range(40)], None) == {}
    assert 1 < peak <= external.WORKERS
