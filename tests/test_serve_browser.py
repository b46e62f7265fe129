"""`storyforge serve` end to end in a real headless Chromium: the page follows edits on disk by itself.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them). Without them the
test is skipped, except in CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium_session
from conftest import story, write_files

WAIT_SECONDS = 30  # a wait, not a time limit: a busy machine (two test workers) takes longer


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from chromium_session(tmp_path_factory)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_serve(site: Path, logs: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`storyforge serve` in a subprocess; returns it and its address once it says it is serving."""
    port = free_port()
    with (logs / "serve.out").open("wb") as out, (logs / "serve.err").open("wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "storyforge", "serve", "--site", str(site),
                                    "--port", str(port)], stdout=out, stderr=err)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if b"serving http://" in (logs / "serve.out").read_bytes():
            return process, f"http://127.0.0.1:{port}/"
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"storyforge serve did not start: {(logs / 'serve.err').read_text()}")


TEMPLATE = """\
{% extends "base.html" %}
{% block content %}
<article><h1>{{ entry.title }}</h1><p class="layout">LAYOUT</p>{{ entry.html | safe }}</article>
{% endblock %}
"""


def test_the_page_follows_saves_by_itself(browser, make_site, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site = make_site({
        "content/testimonials/maya.md": story("Warm bread", body="First version of the story."),
        "templates/testimonial.html": TEMPLATE.replace("LAYOUT", "Layout one"),
        "static/css/extra.css": "body { outline: 0 }\n",
    })
    process, url = start_serve(site, tmp_path)
    story_file = site / "content/testimonials/maya.md"

    def body_text() -> str:  # read in one step: the page may be reloading under the test
        return str(browser.execute_script("return document.body ? document.body.innerText : ''"))

    def overlay_text() -> str | None:
        return browser.execute_script(  # type: ignore[no-any-return]
            "const box = document.getElementById('storyforge-errors'); return box && box.innerText")

    def wait_for(condition: Any, what: str) -> None:
        WebDriverWait(browser, WAIT_SECONDS, poll_frequency=0.05).until(
            lambda _: condition(), message=f"{what} within {WAIT_SECONDS} s; server said: "
                                           f"{(tmp_path / 'serve.err').read_text()}")

    def mark_page() -> None:  # gone once the page reloads itself
        browser.execute_script("window.__notReloaded = true")

    def still_marked() -> bool:
        return bool(browser.execute_script("return window.__notReloaded === true"))

    try:
        browser.get(url + "testimonials/maya/")
        assert "First version of the story." in body_text() and "Layout one" in body_text()
        assert "Draft" not in body_text()
        mark_page()

        # a story saved on disk appears without the test reloading anything
        story_file.write_text(story("Warm bread", body="Second version of the story."))
        wait_for(lambda: "Second version of the story." in body_text(), "the edited story")
        assert not still_marked()  # the page reloaded itself

        # a template change
        mark_page()
        (site / "templates/testimonial.html").write_text(TEMPLATE.replace("LAYOUT", "Layout two"))
        wait_for(lambda: "Layout two" in body_text(), "the edited template")
        assert not still_marked()

        # a stylesheet change swaps the stylesheet and keeps the page
        browser.execute_script("""const link = document.createElement('link'); link.rel = 'stylesheet';
                                  link.href = '/css/extra.css'; document.head.append(link);""")
        mark_page()
        (site / "static/css/extra.css").write_text("body { outline: 3px solid rgb(1, 2, 3) }\n")
        wait_for(lambda: "rgb(1, 2, 3)" in browser.execute_script(
            "return getComputedStyle(document.body).outlineColor"), "the new stylesheet")
        assert still_marked()

        # broken front matter: an overlay over the last good page, messages shown as text
        story_file.write_text("---\ntitle: Warm bread\nauthor: [Sam\ndate: 2026-03-01\n---\nBroken.\n")
        write_files(site, {"content/testimonials/zed.md": story("Zed", extra="<em>oops</em>: yes\n")})
        wait_for(lambda: "zed.md" in (overlay_text() or ""), "the error overlay listing both files")
        shown = overlay_text() or ""
        assert "content/testimonials/maya.md:4:" in shown
        assert "content/testimonials/zed.md:5: <em>oops</em>: unknown key" in shown
        assert browser.find_elements(By.CSS_SELECTOR, "#storyforge-errors em") == []  # text, never markup
        assert "Second version of the story." in body_text()  # the last good site underneath
        assert still_marked()  # a failed build does not reload the page

        # the next good save clears it
        story_file.write_text(story("Warm bread", body="Third version of the story."))
        (site / "content/testimonials/zed.md").unlink()
        wait_for(lambda: "Third version of the story." in body_text(), "the fixed story")
        wait_for(lambda: overlay_text() is None, "the overlay to clear")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0, (tmp_path / "serve.err").read_text()
    assert "Traceback" not in (tmp_path / "serve.err").read_text()
