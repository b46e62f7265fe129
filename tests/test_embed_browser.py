"""The embeddable wall in a real headless Chromium, on a page served with a strict Content-Security-Policy.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them). Without them the
test is skipped, except in CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import WAIT_SECONDS, chromium_session
from conftest import SITE_YAML, copy_example, story

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; report-uri /csp-report")
HOSTILE = story(
    "<script>window.pwned = 'title'</script>", author="<img src=x onerror=\"window.pwned = 'author'\">",
    extra=("summary: \"<b onmouseover=alert(1)>Bold</b> <a href='javascript:window.pwned=1'>click</a> "
           "<script>window.pwned = 'text'</script>\"\nrating: 5\n"
           "incentive: \"<img src=x onerror=window.pwned=2>\"\ndate: 2026-04-01\n")).replace("date: 2026-03-01\n", "")
SITE = {
    "content/testimonials/hostile.md": HOSTILE,
    **{f"content/testimonials/s{n}.md": story(f"Story number {n}", extra=f"rating: {n % 5 + 1}\n") for n in range(4)},
}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from chromium_session(tmp_path_factory)


class StrictServer(http.server.ThreadingHTTPServer):
    """Serves a folder on 127.0.0.1 with a strict CSP, and keeps the violation reports it receives."""

    def __init__(self, folder: Path, csp: str = CSP) -> None:
        self.reports: list[dict[str, Any]] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(folder), **kwargs)

            def end_headers(self) -> None:
                self.send_header("Content-Security-Policy", csp)
                super().end_headers()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.reports.append(json.loads(body or b"{}"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@contextlib.contextmanager
def served(folder: Path, csp: str = CSP) -> Iterator[StrictServer]:
    """``folder`` served on 127.0.0.1 under ``csp`` while the block runs (the violation reports it
    receives in ``reports``), and stopped however the block ends."""
    server = StrictServer(folder, csp)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_the_wall_renders_under_a_strict_csp_and_shows_a_hostile_story_as_text(make_site, run, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site = make_site(SITE)
    assert run("build", "--site", site).code == 0
    with served(site / "public") as server:
        address = f"http://127.0.0.1:{server.server_port}"
        try:
            browser.get(address + "/embed/")
            WebDriverWait(browser, WAIT_SECONDS).until(
                lambda b: len(b.find_elements(By.CSS_SELECTOR, "[data-storyforge-wall] .sf-story")) >= 10,
                message="the two walls on the demo page did not render their stories")
            grid = browser.find_element(By.CSS_SELECTOR, ".sf-wall.sf-grid")
            titles = [e.text for e in grid.find_elements(By.CSS_SELECTOR, ".sf-title")]
            assert titles[0] == "<script>window.pwned = 'title'</script>"  # newest first, shown as text
            first = grid.find_element(By.CSS_SELECTOR, ".sf-story")
            text = first.text
            assert "<b onmouseover=alert(1)>Bold</b> <a href='javascript:window.pwned=1'>click</a>" in text
            assert "— <img src=x onerror=\"window.pwned = 'author'\">, 1 April 2026" in text  # the demo page is en-GB
            assert "Disclosure: <img src=x onerror=window.pwned=2>" in text
            assert first.find_element(By.CSS_SELECTOR, ".sf-stars").get_attribute("aria-label") == "Rated 5 out of 5"
            inside = browser.execute_script(
                "return document.querySelectorAll('.sf-wall script, .sf-wall img, .sf-wall b, .sf-wall [onerror]')"
                ".length")
            assert inside == 0
            hrefs = browser.execute_script("return [...document.querySelectorAll('.sf-wall a')].map(a => a.href)")
            assert hrefs and all(h.startswith(("https://bakery.test/", "http://127.0.0.1")) for h in hrefs), hrefs
            assert "https://bakery.test/testimonials/hostile/" in hrefs  # links back to each story
            assert browser.execute_script("return window.pwned === undefined")
            # the wall's stylesheet was allowed and applied; the carousel has its buttons
            assert browser.execute_script(
                "return getComputedStyle(document.querySelector('.sf-card')).borderTopLeftRadius") == "12px"
            assert len(browser.find_elements(By.CSS_SELECTOR, ".sf-carousel .sf-button")) == 2
            scrolling = "return getComputedStyle(document.querySelector('.sf-carousel .sf-list')).scrollBehavior"
            assert browser.execute_script(scrolling) == "smooth"
            time.sleep(0.5)  # violation reports are sent in the background
            assert server.reports == [], server.reports

            # the reports are real: an inline style is refused and reported
            browser.execute_script("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
            deadline = time.monotonic() + WAIT_SECONDS
            while not server.reports and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.reports and "style-src" in json.dumps(server.reports)

            # readers who prefer reduced motion get no smooth scrolling
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                    {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
            browser.get(address + "/embed/")
            WebDriverWait(browser, WAIT_SECONDS).until(
                lambda b: b.find_elements(By.CSS_SELECTOR, ".sf-carousel .sf-list"))
            assert browser.execute_script(scrolling) == "auto"
        finally:
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def test_the_example_site_satisfies_the_csp_its_headers_file_sends(tmp_path, run, browser):
    """deploy: hosting: netlify writes a CSP into _headers; every kind of page of the default theme keeps it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site = copy_example(tmp_path / "example")
    settings = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(settings + "\ndeploy:\n  hosting: netlify\n", encoding="utf-8")
    assert run("build", "--site", site).code == 0
    headers = (site / "public/_headers").read_text(encoding="utf-8")
    csp = re.search(r"Content-Security-Policy: (.*)", headers)
    assert csp is not None
    with served(site / "public", csp.group(1) + "; report-uri /csp-report") as server:
        address = f"http://127.0.0.1:{server.server_port}"
        # built for the address it is served from, as a deployed site is: the wall's photos are its own
        assert run("build", "--site", site, "--base-url", address + "/").code == 0
        pages = ["/", "/testimonials/", "/testimonials/page/2/", "/testimonials/a-year-of-friday-loaves/", "/events/",
                 "/charity/", "/share-your-story/", "/reviews-policy/", "/tags/", "/404.html"]
        for page in pages:
            assert (site / "public" / page.lstrip("/")).exists(), page
            browser.get(address + page)
        browser.get(address + "/embed/")
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda b: len(b.find_elements(By.CSS_SELECTOR, "[data-storyforge-wall] .sf-story")) >= 3,
            message="the wall did not render under the site's own CSP")
        time.sleep(0.5)  # violation reports are sent in the background
        assert server.reports == [], server.reports
        # the policy is in force: an image from another origin (another port) is refused and reported
        browser.execute_script("document.body.insertAdjacentHTML('beforeend', "
                               "'<img alt=\"\" src=\"http://127.0.0.1:9/x.png\">')")
        deadline = time.monotonic() + WAIT_SECONDS
        while not server.reports and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.reports and "img-src" in json.dumps(server.reports)


@pytest.mark.parametrize(("lang", "shown"),
                         [("fr", "1 avril 2026"), ("de", "1. April 2026"), ("en-GB", "1 April 2026")])
def test_the_wall_writes_dates_in_the_reader_page_language(make_site, run, browser, lang, shown):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site = make_site(SITE)
    assert run("build", "--site", site).code == 0
    (site / "public" / "host.html").write_text(
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Host</title></head><body>'
        '<div data-storyforge-wall data-limit="1"></div><script src="/embed.js" defer></script></body></html>',
        encoding="utf-8")
    with served(site / "public") as server:
        browser.get(f"http://127.0.0.1:{server.server_port}/host.html")
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, ".sf-byline"), message="the wall did not render")
        assert browser.find_element(By.CSS_SELECTOR, ".sf-byline").text.endswith(f", {shown}")


def test_the_wall_labels_a_french_sites_stories_in_french(make_site, run, browser):
    """The stories are in the site's language, so the words around them are too (the date is the reader's)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    french = story("Un pain superbe", "Claire D.", "rating: 4\nverified: true\nincentive: Une baguette offerte\n")
    site = make_site({"content/testimonials/pain.md": french},
                     site_yaml=SITE_YAML.replace("language: en-GB", "language: fr"))
    assert run("build", "--site", site).code == 0
    assert json.loads((site / "public" / "testimonials.json").read_bytes())["words"]["Verified customer"] == (
        "Client vérifié")
    (site / "public" / "host.html").write_text(
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Host</title></head><body>'
        '<div data-storyforge-wall></div><script src="/embed.js" defer></script></body></html>', encoding="utf-8")
    with served(site / "public") as server:
        browser.get(f"http://127.0.0.1:{server.server_port}/host.html")
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, ".sf-byline"), message="the wall did not render")
        labels = [e.get_attribute("textContent") for e in browser.find_elements(By.CSS_SELECTOR, ".sf-label")]
        assert labels == ["Client vérifié", "Mention\u00a0: Une baguette offerte"]
        assert browser.find_element(By.CSS_SELECTOR, ".sf-stars").get_attribute("aria-label") == "Noté 4 sur 5"
        assert browser.find_element(By.CSS_SELECTOR, ".sf-source").text.startswith(
            "Témoignages envoyés par des clients de Test Bakery Ltd et lus par une personne")
        assert browser.find_element(By.CSS_SELECTOR, ".sf-byline").text.endswith(", 1 March 2026")  # the reader's


def test_an_english_sites_wall_document_carries_no_words(make_site, run):
    site = make_site({"content/testimonials/a.md": story()})
    assert run("build", "--site", site).code == 0
    assert "words" not in json.loads((site / "public" / "testimonials.json").read_bytes())


def test_the_wall_shows_a_customers_photo_where_they_agreed_and_initials_elsewhere(make_site, run, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from test_images import phone_photo

    site = make_site({
        "content/testimonials/ann.md": story("With a photo", "Ann Lee", "avatar: /images/ann.jpg\navatar_alt: Ann Lee\n"
                                                                        "date: 2026-03-02\n").replace(
            "date: 2026-03-01\n", ""),
        "content/testimonials/bo.md": story("Without one", "bo karlsson"),
    }, site_yaml=SITE_YAML + "share_cards: false\n")
    (site / "static/images").mkdir(parents=True)
    (site / "static/images/ann.jpg").write_bytes(phone_photo())
    with served(site / "public") as server:
        # built for the address it is served from: the wall's photo addresses are the site's own
        assert run("build", "--site", site, "--base-url", f"http://127.0.0.1:{server.server_port}/").code == 0
        (site / "public" / "host.html").write_text(
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head><body>'
            '<div data-storyforge-wall></div><script src="/embed.js" defer></script></body></html>', encoding="utf-8")
        browser.get(f"http://127.0.0.1:{server.server_port}/host.html")
        loaded = "var i = document.querySelector('img.sf-face'); return !!i && i.complete && i.naturalWidth > 0;"
        WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.execute_script(loaded),
                                                   message="the wall showed no photo")
        photo = browser.find_element(By.CSS_SELECTOR, "img.sf-face")
        assert photo.get_attribute("alt") == "Ann Lee" and photo.get_attribute("srcset").endswith("ann-96w.webp 96w")
        assert photo.size == {"width": 40, "height": 40}  # a circle of 40 px, the photo covering it
        assert photo.find_element(By.XPATH, "..").get_attribute("class") == "sf-byline"
        [initials] = browser.find_elements(By.CSS_SELECTOR, "span.sf-face")
        assert initials.text == "BK" and initials.get_attribute("aria-hidden") == "true"
        assert not server.reports, server.reports  # nothing the strict policy refused


def test_data_lang_shows_a_languages_own_stories_dated_in_it(make_site, run, browser):
    """On a site in English and French, `data-lang="fr"` picks /fr/testimonials.json and French dates,
    whatever the host page's language; a language the site lacks shows the default language's stories."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site = make_site({"content/testimonials/bread.md": story("Lovely bread", "Sam P."),
                      "content/fr/testimonials/pain.md": story("Le pain du samedi", "Claire D.").replace(
                          "2026-03-01", "2026-11-12")},
                     site_yaml=SITE_YAML.replace("language: en-GB", "languages: [en-GB, fr]"))
    assert run("build", "--site", site).code == 0
    assert 'data-lang="fr"' in (site / "public/fr/embed/index.html").read_text(encoding="utf-8")
    assert "data-lang" not in (site / "public/embed/index.html").read_text(encoding="utf-8")
    (site / "public" / "host.html").write_text(
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Host</title></head><body>'
        '<div id="fr" data-storyforge-wall data-lang="fr"></div><div id="en" data-storyforge-wall></div>'
        '<div id="de" data-storyforge-wall data-lang="de"></div><script src="/embed.js" defer></script></body></html>',
        encoding="utf-8")
    with served(site / "public") as server:
        browser.get(f"http://127.0.0.1:{server.server_port}/host.html")
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda b: len(b.find_elements(By.CSS_SELECTOR, ".sf-byline")) == 3, message="the walls did not render")

        def shown(wall: str) -> tuple[list[str], str, str | None]:
            host = browser.find_element(By.ID, wall)
            return ([e.text for e in host.find_elements(By.CSS_SELECTOR, ".sf-title")],
                    host.find_element(By.CSS_SELECTOR, ".sf-byline").text, host.get_attribute("lang"))

        assert shown("fr") == (["Le pain du samedi"], "CD\n— Claire D., 12 novembre 2026", "fr")
        assert shown("en") == (["Lovely bread"], "SP\n— Sam P., 1 March 2026", "")
        assert shown("de") == (["Lovely bread"], "SP\n— Sam P., 1. März 2026", "")  # no German side: the default's
        assert not server.reports, server.reports
