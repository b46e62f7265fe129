"""iCalendar files (RFC 5545) for events, made with ``icalendar``: one per event and the site calendar.

Every value comes from the content, never from the clock, so an unchanged site writes the same
bytes on every build: UIDs are the event's slug at the site's host, DTSTAMP is the event's own
date. Timed events carry the site's time zone (TZID plus a VTIMEZONE covering the years the
events fall in, so calendars place them right on either side of a daylight-saving change);
all-day events are dates (VALUE=DATE) with the exclusive end RFC 5545 asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

from icalendar import Calendar, Component, Timezone, vCalAddress, vText
from icalendar import Event as VEvent

from storyforge import __version__
from storyforge.core.config import SiteConfig
from storyforge.core.entries import Event
from storyforge.core.words import translations

STATUS = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED", "postponed": "TENTATIVE"}
#: how often a subscribed calendar (webcal://) is fetched again (REFRESH-INTERVAL, X-PUBLISHED-TTL)
REFRESH = timedelta(hours=12)


def calendar_bytes(config: SiteConfig, events: list[Event], name: str | None = None) -> bytes:
    """One VCALENDAR holding ``events``; a ``name`` makes it a calendar to subscribe to (the site's),
    with refresh hints; without one, it is a file to import (one event).

    Every event is in two files (its own and the site's), and most events of a site share one
    time zone block: each is serialised once per build (``_serialised``) and the calendar's own
    lines are put around them, the bytes ``icalendar`` writes for the whole calendar (a
    component's lines are its subcomponents' lines in turn)."""
    cal = Calendar()
    cal.add("prodid", f"-//storyforge//storyforge {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        name = " ".join(name.split())  # one line: these properties are not escaped as text
        cal.add("name", name)
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", config.timezone)
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT12H")  # the same, for clients that predate RFC 7986
    ordered = sorted(events, key=lambda e: (e.start, e.slug))
    postponed = translations(config).gettext("Postponed: %(title)s")  # in the site's language, read once
    own = bytes(cal.to_ical())
    end = b"END:VCALENDAR\r\n"
    assert own.endswith(end)
    parts = [own[: -len(end)], _vtimezone_bytes(config, [e for e in ordered if not e.all_day])]
    parts += [_serialised(_event_key(config, event, postponed), partial(_vevent, config, event, postponed))
              for event in ordered]
    return b"".join([*parts, end])


def _event_key(config: SiteConfig, event: Event, postponed: str) -> tuple[object, ...]:
    """Everything ``_vevent`` writes from: the event's own values and the site's."""
    return ("event", config.base_url, config.timezone, config.business.email, config.business.name, postponed,
            event.slug, event.url, event.date, event.start, event.end, event.all_day, event.title, event.status,
            event.summary, event.cost, event.location, event.address, tuple(event.tags))


_SERIALISED: dict[tuple[object, ...], bytes] = {}


def _serialised(key: tuple[object, ...], component: Callable[[], Component | None]) -> bytes:
    """The component's bytes, made once per process for each key (a build makes each calendar
    once; a preview keeps at most a few thousand)."""
    if key not in _SERIALISED:
        if len(_SERIALISED) > 20_000:
            _SERIALISED.clear()
        made = component()
        _SERIALISED[key] = bytes(made.to_ical()) if made is not None else b""
    return _SERIALISED[key]


def uid(config: SiteConfig, event: Event) -> str:
    """Stable across builds and unique to this site: '<slug>@<host>' (plus the base path, if any)."""
    parts = urlsplit(config.base_url)
    path = parts.path.strip("/").replace("/", ".")
    return f"{event.slug}{'.' + path if path else ''}@{parts.netloc.lower()}"


def _uses_utc(config: SiteConfig) -> bool:
    return config.timezone in ("UTC", "Etc/UTC", "GMT", "Etc/GMT")


def _vtimezone_bytes(config: SiteConfig, timed: list[Event]) -> bytes:
    """The VTIMEZONE covering the years ``timed`` fall in (none for a UTC site or all-day events)."""
    if not timed or _uses_utc(config):
        return b""
    moments = [e.start for e in timed] + [e.end for e in timed if e.end is not None]
    first = min(m.astimezone(config.tz).year for m in moments)
    last = max(m.astimezone(config.tz).year for m in moments)
    return _serialised(("zone", config.timezone, first, last),
                       lambda: Timezone.from_tzid(config.timezone, first_date=date(first, 1, 1),
                                                  last_date=date(last + 1, 1, 1)))


def _moment(config: SiteConfig, value: datetime) -> datetime:
    """The same instant in the site's zone (written with its TZID), or in UTC for a UTC site."""
    return value.astimezone(UTC if _uses_utc(config) else config.tz)


def _vevent(config: SiteConfig, event: Event, postponed: str = "Postponed: %(title)s") -> VEvent:
    link = config.base_url + event.url.lstrip("/")
    item = VEvent()
    item.add("uid", uid(config, event))
    item.add("dtstamp", (event.date or event.start).astimezone(UTC))
    if event.all_day:
        first = event.start.date()
        last = event.end.date() if event.end is not None else first
        item.add("dtstart", first)
        item.add("dtend", last + timedelta(days=1))  # exclusive
    else:
        item.add("dtstart", _moment(config, event.start))
        if event.end is not None:
            item.add("dtend", _moment(config, event.end))
    title = postponed % {"title": event.title} if event.status == "postponed" else event.title
    item.add("summary", title)
    item.add("status", STATUS[event.status])
    description = "\n\n".join(part for part in (event.summary, event.cost, link) if part)
    item.add("description", description)
    where = ", ".join(part for part in (event.location, event.address) if part)
    if where:
        item.add("location", where)
    item.add("url", link)
    if event.tags:
        item.add("categories", list(event.tags))
    if config.business.email:
        organizer = vCalAddress(f"mailto:{config.business.email}")
        organizer.params["cn"] = vText(" ".join(config.business.name.split()))  # a parameter holds one line
        item.add("organizer", organizer)
    return item
