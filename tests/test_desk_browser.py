"""The moderation desk end to end in a real headless Chromium: upload a form export, confirm its
mapping, approve with redaction, reject for a lawful reason, reply, withdraw — and an open page of
the site follows every decision by itself, with no reload by the test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser import chromium_session
from moderation_helpers import HEADER, MODERATED_SITE, csv_row, decisions, front_matter, inbox, places
from test_serve_browser import start_serve

WAIT_SECONDS = 30  # a wait, not a time limit: a busy machine (two test workers) takes longer
ROWS = (csv_row("2026-03-01 09:00", "Priya Sharma", "Alpha loaf", "A crackling crust and a soft crumb.")
        + csv_row("2026-03-02 09:00", "Tom Wells", "Bravo cake", "The cake came an hour late. Awful.", rating="1")
        + csv_row("2026-03-03 09:00", "Ann Lee", "Charlie buns", "Sticky buns. Call me on 07700 900123.")
        + csv_row("2026-03-04 09:00", "Max Rode", "Delta deals", "Cheap watches at best-watches dot example."))


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from chromium_session(tmp_path_factory)


def test_a_moderator_works_through_the_inbox_in_the_browser(browser, make_site, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    site = make_site(site_yaml=MODERATED_SITE)
    export = tmp_path / "stories.csv"
    export.write_text(HEADER + ROWS)
    process, url = start_serve(site, tmp_path)
    desk = url + "__storyforge/desk/"

    def wait_for(condition: Any, what: str) -> None:
        WebDriverWait(browser, WAIT_SECONDS, poll_frequency=0.05).until(
            lambda _: condition(), message=f"{what} within {WAIT_SECONDS} s; server said: "
                                           f"{(tmp_path / 'serve.err').read_text()}")

    def text() -> str:
        return str(browser.execute_script("return document.body ? document.body.innerText : ''"))

    def card(title: str) -> Any:
        return browser.find_element(By.ID, f"s-{inbox(site)[title]['id']}")

    def done(words: str) -> None:
        wait_for(lambda: words in text(), f"the notice {words!r} (the page says: {browser.current_url} {text()[:900]})")

    try:
        browser.get(url + "testimonials/")  # an open page of the site, left alone by the test
        site_tab = browser.current_window_handle
        browser.execute_script("window.__notReloaded = true")
        browser.switch_to.new_window("tab")

        # import: the mapping first, nothing written until confirmed
        browser.get(desk + "import")
        browser.find_element(By.NAME, "export").send_keys(str(export))
        browser.find_element(By.CSS_SELECTOR, "form button.primary").click()
        wait_for(lambda: "Which column holds what" in text(), "the column mapping")
        assert "May we publish your story?" in text() and not (site / "submissions/inbox").exists()
        browser.find_element(By.XPATH, "//button[normalize-space()='Import these stories']").click()
        done("new submissions from stories.csv")

        # approve with redaction (the card offers it already chosen), and one as it is
        charlie = card("Charlie buns")
        assert "07700 900123" not in charlie.find_element(By.CSS_SELECTOR, "blockquote").text
        charlie.find_element(By.CSS_SELECTOR, "button[name=feature][value='0']").click()
        done("approved")
        card("Alpha loaf").find_element(By.CSS_SELECTOR, "button[name=feature][value='0']").click()
        done("approved")

        # reject the advert as unrelated; the unhappy story has no unlawful reason to choose
        delta = card("Delta deals")
        delta.find_element(By.TAG_NAME, "summary").click()
        Select(delta.find_element(By.NAME, "reason")).select_by_value("unrelated")
        delta.find_element(By.NAME, "note").send_keys("an advert")
        delta.find_element(By.CSS_SELECTOR, "button.danger").click()
        done("rejected")
        offered = [o.get_attribute("value") for o in card("Bravo cake").find_elements(By.CSS_SELECTOR,
                                                                                     "select[name=reason] option")]
        assert "unrelated" in offered and not {"negative", "low-rating", "rating"} & set(offered)

        # reply to one published story, withdraw the other
        browser.get(desk + "published")
        stories = browser.find_elements(By.CSS_SELECTOR, "article.card")
        alpha = next(s for s in stories if "Alpha loaf" in s.text)
        alpha.find_element(By.NAME, "text").send_keys("Thank you, Priya!")
        alpha.find_element(By.CSS_SELECTOR, "button.primary").click()
        done("replied to")
        charlie_story = next(s for s in browser.find_elements(By.CSS_SELECTOR, "article.card")
                             if "Charlie buns" in s.text)
        charlie_story.find_element(By.TAG_NAME, "summary").click()
        charlie_story.find_element(By.CSS_SELECTOR, "button.danger").click()
        done("withdrew")

        # the site's page, never reloaded by the test, shows the outcome
        browser.switch_to.window(site_tab)
        wait_for(lambda: "Alpha loaf" in text() and "Charlie buns" not in text(), "the list of stories updated")
        assert not browser.execute_script("return window.__notReloaded === true")
        browser.get(url + "testimonials/2026-03-01-alpha-loaf/")
        assert "Thank you, Priya!" in text()
    finally:
        process.terminate()
        process.wait(timeout=10)

    sids = {title: data["id"] for title, data in inbox(site).items()}
    assert list(sids) == ["Bravo cake"]  # the unhappy story still waits
    where = places(site)
    [alpha_file] = (site / "content/testimonials").glob("*.md")
    assert front_matter(alpha_file)["response"] == "Thank you, Priya!"
    assert sorted(tuple(found) for found in where.values()) == [("content",), ("inbox",), ("rejected",),
                                                                ("withdrawn",)]
    assert [(d["decision"], d.get("code")) for d in decisions(site) if d["decision"] != "updated"] == [
        ("approved", None), ("approved", None), ("rejected", "unrelated"), ("withdrawn", "withdrawn-by-author")]
