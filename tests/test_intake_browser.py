"""The share-your-story form in a real headless Chromium, posting to a running `storyforge intake`:
a field error shown beside its field with everything typed kept, then Send, the thank-you page,
the story in the inbox with the consent as chosen; then the owner logs into the desk that
`intake` serves, approves the story there, and a build shows it.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); skipped without
them except in CI.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from browser import WAIT_SECONDS, chromium_session
from conftest import page_text
from PIL import Image
from test_intake import _free_port

from storyforge.core.config import load_config
from storyforge.intake.app import IntakeApp
from storyforge.intake.guard import ProofOfWork
from storyforge.intake.login import store_password
from storyforge.intake.server import make_server, stop_server, with_desk

PASSWORD = "flour water salt yeast"  # noqa: S105 - the test's own password


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from chromium_session(tmp_path_factory)


def test_a_customer_sends_a_story_from_the_built_form(make_site, run, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site_port, intake_port = _free_port(), _free_port()
    site = make_site(site_yaml=(
        f"title: Test Bakery\nbase_url: http://127.0.0.1:{site_port}/\nlanguage: en-GB\nbusiness:\n"
        f"  name: Test Bakery Ltd\n  email: hello@bakery.test\nmoderation:\n"
        f"  intake_url: http://127.0.0.1:{intake_port}/\n"))
    assert run("build", "--site", site).code == 0
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site / "public"))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    pages = http.server.ThreadingHTTPServer(("127.0.0.1", site_port), handler)
    threading.Thread(target=pages.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    store_password(site, PASSWORD)
    wsgi, desk = with_desk(IntakeApp(load_config(site), proof=ProofOfWork(max_number=5000)))
    server = make_server(wsgi, "127.0.0.1", intake_port, threads=4, asyncore_loop_timeout=0.05)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    photo = tmp_path / "me.jpg"
    Image.new("RGB", (60, 40), "orange").save(photo)
    try:
        def tick(selector: str) -> None:  # as a click on its label would: the theme styles the inputs over
            browser.execute_script("arguments[0].click()", browser.find_element(By.CSS_SELECTOR, selector))

        browser.get(f"http://127.0.0.1:{site_port}/share-your-story/")
        story = "Fresh bread every Saturday, and the staff remember my order."
        browser.find_element(By.ID, "share-story").send_keys(story)
        browser.find_element(By.ID, "share-name").send_keys("Maya Green")
        browser.find_element(By.ID, "share-email").send_keys("maya@localhost")  # the browser takes it; we do not
        tick("input[name=rating][value='4']")
        tick("input[name=consent_publish]")
        tick("input[name=consent_name][value=full]")
        tick("input[name=consent_photo]")
        browser.find_element(By.ID, "share-photo").send_keys(str(photo))
        tick(".share-form button[type=submit]")
        error = WebDriverWait(browser, WAIT_SECONDS).until(
            lambda b: b.find_elements(By.ID, "share-error-email"), message="no error shown beside the email field")
        assert "“maya@localhost” is not an email address" in error[0].text
        assert browser.find_element(By.ID, "share-email").get_attribute("aria-invalid") == "true"
        assert browser.find_element(By.ID, "share-story").get_attribute("value") == story  # nothing lost
        assert not list((site / "submissions").rglob("*.json"))
        email = browser.find_element(By.ID, "share-email")
        email.clear()
        email.send_keys("maya@example.com")
        tick(".share-form button[type=submit]")
        WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.current_url.endswith("/share-your-story/thanks/"),
                                                   message="the thank-you page did not show")
        assert "Your story has reached us" in page_text(browser.page_source)
        [saved] = [json.loads(p.read_bytes()) for p in (site / "submissions/inbox").glob("*.json")]
        assert saved["consent"] == {"publish": True, "name": "full", "town": False, "photo": True}
        assert (saved["body"], saved["rating"], saved["source"]) == (story, 4, "form")
        with Image.open(site / "submissions" / saved["photo"]) as stored:
            assert stored.size == (60, 40)

        # the owner, on the desk intake serves: the login first, whatever the address asked for
        browser.get(f"http://127.0.0.1:{intake_port}/desk/")
        WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.current_url.endswith("/desk/login"),
                                                   message="the desk did not ask for the password")
        browser.find_element(By.ID, "password").send_keys("not it at all")
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.find_elements(By.ID, "problem"))
        assert "That password is not the desk's password" in browser.find_element(By.ID, "problem").text
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        card = WebDriverWait(browser, WAIT_SECONDS).until(
            lambda b: b.find_elements(By.ID, f"s-{saved['id']}"), message="the inbox did not show the story")[0]
        assert "Fresh bread every Saturday" in card.text and "Maya Green" in card.text
        card.find_element(By.CSS_SELECTOR, "button[name=feature][value='0']").click()
        notice = WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.find_elements(By.ID, "notice"),
                                                            message="no notice after Approve")[0]
        assert f"approved {saved['id']}" in notice.text
        browser.find_element(By.CSS_SELECTOR, "form.logout button").click()
        WebDriverWait(browser, WAIT_SECONDS).until(lambda b: "You are logged out" in b.page_source)
    finally:
        stop_server(server, thread)
        desk.close()
        pages.shutdown()
        pages.server_close()
    assert not list((site / "submissions/inbox").glob("*.json"))
    assert run("build", "--site", site).code == 0
    assert story in page_text((site / "public/testimonials/index.html").read_bytes())
