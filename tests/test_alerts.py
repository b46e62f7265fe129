"""Alerts: a banner on every page while they are in effect, gone by themselves once they expire."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import feedparser
from conftest import page_text, parse_html, snapshot

LONDON = ZoneInfo("Europe/London")
ALERTS = {
    "content/alerts/hours.md": "---\ntitle: Holiday hours\nseverity: warning\nstarts: 2026-12-20\n"
                               "expires: 2026-12-27\nlink: /about/\n---\nClosed on Christmas Day.\n",
    "content/alerts/recall.md": "---\ntitle: Walnut recall\nseverity: critical\nstarts: 2026-12-01 09:00\n"
                                "expires: 2026-12-24 12:00\n---\nPlease bring the loaf back.\n",
    "content/alerts/old.md": "---\ntitle: Old outage\nstarts: 2026-01-01\nexpires: 2026-01-02\n---\nFixed.\n",
    "content/alerts/later.md": "---\ntitle: New Year hours\nstarts: 2027-01-01\n---\nSoon.\n",
    "content/pages/about.md": "---\ntitle: About\nmenu: true\n---\nHi.\n",
}


def at(monkeypatch, *when: int) -> None:
    """Build as if it were ``when`` (year, month, day, hour, minute) in London."""
    moment = datetime(*when, tzinfo=LONDON)  # type: ignore[misc]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(moment.timestamp())))


def banner(html: str) -> str:
    start = html.find('<aside class="site-alerts"')
    return "" if start < 0 else html[start:html.index("</aside>", start)]


def main(html: str) -> str:
    return html[html.index("<main"):html.index("</main>")]


def test_active_alerts_are_a_banner_on_every_page_most_severe_first(make_site, run, monkeypatch):
    site = make_site(ALERTS)
    at(monkeypatch, 2026, 12, 22, 12, 0)
    assert run("build", "--site", site).code == 0
    out = site / "public"
    for page in sorted(out.rglob("*.html")):
        shown = banner(page.read_text())
        assert 'aria-label="Notices"' in shown, page
        assert shown.index("Walnut recall") < shown.index("Holiday hours"), page
        assert "Old outage" not in shown and "New Year hours" not in shown, page
    shown = banner((out / "index.html").read_text())
    assert '<div class="site-alert severity-critical" role="alert">' in shown
    assert '<div class="site-alert severity-warning" role="status">' in shown
    assert "Important:" in page_text(shown) and "until 27 December 2026" in page_text(shown)
    archive = page_text(main((out / "alerts/index.html").read_text()))
    assert archive.index("In effect now") < archive.index("Walnut recall") < archive.index("Coming up") \
        < archive.index("New Year hours") < archive.index("Past notices") < archive.index("Old outage")
    hours = page_text(main((out / "alerts/hours/index.html").read_text()))
    assert "in effect now" in hours and "(inclusive)" in hours
    assert 'href="/about/"' in (out / "alerts/hours/index.html").read_text()
    assert "no longer in effect" in page_text((out / "alerts/old/index.html").read_bytes())
    feed = feedparser.parse((out / "alerts/feed.xml").read_bytes())
    assert not feed.bozo and [e.title for e in feed.entries] == \
        ["New Year hours", "Holiday hours", "Walnut recall", "Old outage"]
    assert "/alerts/" in [v for _, _, v in parse_html((out / "index.html").read_text()).links]  # the footer


def test_an_expired_alert_leaves_the_banner_at_the_next_build_by_itself(make_site, run, monkeypatch, tmp_path):
    site = make_site(ALERTS)
    at(monkeypatch, 2026, 12, 24, 11, 0)
    run("build", "--site", site)
    for path in site.rglob("*.md"):  # edited long ago, so the cache trusts their dates
        info = path.stat()
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - 60_000_000_000))
    os.utime(site / "site.yaml", ns=(0, 0))
    run("build", "--site", site)
    assert run("build", "--site", site).out.startswith("nothing changed: ")

    at(monkeypatch, 2026, 12, 24, 12, 30)  # the recall expired at noon; no file changed
    result = run("build", "--site", site)
    assert result.out.startswith("built "), result.out
    for page in sorted((site / "public").rglob("*.html")):
        assert "Walnut recall" not in banner(page.read_text()), page
    assert "Holiday hours" in banner((site / "public/index.html").read_text())
    cold = tmp_path / "cold"
    shutil.copytree(site, cold, ignore=shutil.ignore_patterns("public", ".storyforge-*"))
    run("build", "--site", cold, "--no-cache")
    assert snapshot(site / "public") == snapshot(cold / "public")

    at(monkeypatch, 2026, 12, 27, 23, 30)  # a date alone: until the end of that day
    run("build", "--site", site)
    assert "Holiday hours" in banner((site / "public/index.html").read_text())
    at(monkeypatch, 2026, 12, 28, 0, 30)
    run("build", "--site", site)
    assert banner((site / "public/index.html").read_text()) == ""
    at(monkeypatch, 2027, 1, 1, 0, 30)  # a scheduled one starts
    run("build", "--site", site)
    assert "New Year hours" in banner((site / "public/about/index.html").read_text())


def test_alert_front_matter_is_checked(make_site, run):
    site = make_site({"content/alerts/bad.md": "---\ntitle: Bad\nseverity: urgnet\nstarts: 2026-12-02\n"
                                              "expires: 2026-12-01\n---\nX\n",
                      "content/alerts/worse.md": "---\ntitle: Worse\nstarts: 2026-12-02\n"
                                                "expires: 2026-12-01\n---\nX\n"})
    result = run("build", "--site", site)
    assert result.code == 1
    assert "content/alerts/bad.md:3: severity: must be one of info, warning, critical, got 'urgnet'" in result.err
    assert "content/alerts/worse.md:4: expires: is before starts — check the date and time" in result.err
