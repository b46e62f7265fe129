"""Events in every calendar: .ics files that calendar programs read right, and Event structured data."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import icalendar
import pytest
from conftest import parse_html

NEW_YORK = """\
title: Corner Cafe
base_url: https://cafe.test/
language: en-US
timezone: America/New_York
business:
  name: Corner Cafe LLC
  email: hi@cafe.test
  address: 1 Main St, Springfield
"""

# US clocks go forward on Sunday 8 March 2026 (EST, UTC−5 → EDT, UTC−4) and back on 1 November
EVENTS = {
    "content/events/before.md": "---\ntitle: Before the change\nstart: 2026-03-07 10:00\nend: 2026-03-07 12:30\n"
                                "location: The back room\naddress: 1 Main St, Springfield\n"
                                "signup_url: https://book.test/before\ncost: $12 per person\n---\nCoffee.\n",
    "content/events/after.md": "---\ntitle: After the change\nstart: 2026-03-09 10:00\nend: 2026-03-09 11:00\n"
                               "---\nTea.\n",
    "content/events/overnight.md": "---\ntitle: Across the change\nstart: 2026-10-31 22:00\n"
                                   "end: 2026-11-01 03:00\n---\nLate.\n",
    "content/events/fair.md": "---\ntitle: Street fair\nstart: 2026-07-04\nend: 2026-07-05\ncost: Free\n"
                              "---\nAll day.\n",
    "content/events/off.md": "---\ntitle: Called off\nstart: 2026-04-01 18:00\nstatus: cancelled\n---\nSorry.\n",
}


@pytest.fixture
def cafe(make_site, run, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 1 January 2026: every event is upcoming
    site = make_site(EVENTS, site_yaml=NEW_YORK)
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    return site / "public"


def events_of(path) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_the_site_calendar_holds_the_right_instants_across_daylight_saving(cafe):
    events = events_of(cafe / "events/calendar.ics")
    assert set(events) == {"Before the change", "After the change", "Across the change", "Street fair", "Called off"}

    def utc(event, key):
        return event.decoded(key).astimezone(UTC)

    assert utc(events["Before the change"], "dtstart") == datetime(2026, 3, 7, 15, 0, tzinfo=UTC)  # EST
    assert utc(events["Before the change"], "dtend") == datetime(2026, 3, 7, 17, 30, tzinfo=UTC)
    assert utc(events["After the change"], "dtstart") == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # EDT
    # 22:00 EDT to 03:00 EST: six hours, not five
    overnight = events["Across the change"]
    assert utc(overnight, "dtstart") == datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    assert utc(overnight, "dtend") == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    raw = (cafe / "events/calendar.ics").read_text()
    assert "DTSTART;TZID=America/New_York:20260307T100000" in raw
    assert "BEGIN:VTIMEZONE" in raw and "TZID:America/New_York" in raw
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT12H" in raw and "X-WR-CALNAME:Corner Cafe — events" in raw


def test_all_day_cancelled_and_per_event_files(cafe):
    fair = events_of(cafe / "events/fair/event.ics")["Street fair"]
    assert fair.decoded("dtstart") == date(2026, 7, 4) and fair.decoded("dtend") == date(2026, 7, 6)  # exclusive
    assert "DTSTART;VALUE=DATE:20260704" in (cafe / "events/fair/event.ics").read_text()
    assert str(events_of(cafe / "events/off/event.ics")["Called off"]["status"]) == "CANCELLED"
    before = events_of(cafe / "events/before/event.ics")["Before the change"]
    assert str(before["status"]) == "CONFIRMED"
    assert str(before["uid"]) == "before@cafe.test"
    assert str(before["url"]) == "https://cafe.test/events/before/"
    assert str(before["location"]) == "The back room, 1 Main St, Springfield"
    assert "X-WR-CALNAME" not in (cafe / "events/before/event.ics").read_text()  # a file to import, one event


def test_calendar_files_do_not_depend_on_the_clock(make_site, run, monkeypatch):
    site = make_site(EVENTS, site_yaml=NEW_YORK)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    run("build", "--site", site, "--no-cache")
    first = {p.name: p.read_bytes() for p in (site / "public/events").rglob("*.ics")}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")  # months later: most events are now past
    run("build", "--site", site, "--no-cache")
    assert {p.name: p.read_bytes() for p in (site / "public/events").rglob("*.ics")} == first
    stamp = events_of(site / "public/events/after/event.ics")["After the change"].decoded("dtstamp")
    assert stamp == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # the event's own date, never the build's


def test_event_pages_offer_the_calendar_and_say_so_in_structured_data(cafe):
    page = (cafe / "events/before/index.html").read_text()
    links = [value for _, attribute, value in parse_html(page).links if attribute == "href"]
    assert "/events/before/event.ics" in links
    assert "webcal://cafe.test/events/calendar.ics" in links
    assert "/events/off/event.ics" not in (cafe / "events/off/index.html").read_text()  # nothing to add
    [block] = [json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page)]
    assert block["@type"] == "Event" and block["name"] == "Before the change"
    assert block["startDate"] == "2026-03-07T10:00:00-05:00" and block["endDate"] == "2026-03-07T12:30:00-05:00"
    assert block["eventStatus"] == "https://schema.org/EventScheduled"
    assert block["location"] == {"@type": "Place", "name": "The back room", "address": {
        "@type": "PostalAddress", "streetAddress": "1 Main St, Springfield"}}
    assert block["offers"] == {"@type": "Offer", "url": "https://book.test/before", "price": "12",
                               "priceCurrency": "USD"}
    assert block["organizer"]["name"] == "Corner Cafe LLC"
    after = re.search(r'application/ld\+json">(.*?)</script>', (cafe / "events/after/index.html").read_text())
    assert after and json.loads(after.group(1))["startDate"] == "2026-03-09T10:00:00-04:00"
    off = re.search(r'application/ld\+json">(.*?)</script>', (cafe / "events/off/index.html").read_text())
    assert off and json.loads(off.group(1))["eventStatus"] == "https://schema.org/EventCancelled"
    fair = re.search(r'application/ld\+json">(.*?)</script>', (cafe / "events/fair/index.html").read_text())
    assert fair and json.loads(fair.group(1))["startDate"] == "2026-07-04"
