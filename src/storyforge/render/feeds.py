"""RSS 2.0 and Atom feeds, made with feedgen.

Feeds carry absolute URLs everywhere, including links and images inside the
content, GUIDs that stay the same from build to build (the entry's address),
and dates taken from the content, never from the clock, so an unchanged site
builds byte-for-byte the same feeds.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from feedgen.feed import FeedGenerator

from storyforge import __version__
from storyforge.core.config import SiteConfig
from storyforge.core.entries import Alert, CharityUpdate, Entry, Event, Testimonial
from storyforge.core.markup import absolutize
from storyforge.core.model import SiteModel
from storyforge.core.pages import PageSpec
from storyforge.core.textpolicy import xml_safe as safe
from storyforge.core.words import N_, translations
from storyforge.render.formats import Formats, formats_for

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: an alert's severity as its feed item names it
SEVERITY_WORDS = {"info": N_("Info"), "warning": N_("Warning"), "critical": N_("Critical")}
IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
               "webp": "image/webp", "avif": "image/avif", "svg": "image/svg+xml"}
_FIRST_IMAGE = re.compile(r"<img\b[^>]*?\ssrc=\"([^\"]+)\"")


def feed_bytes(config: SiteConfig, model: SiteModel, page: PageSpec, fmt: str,
               sizes: Mapping[str, int] | None = None) -> bytes:
    """The RSS ('rss') or Atom ('atom') feed of a list page; ``sizes`` (output path → bytes) gives
    the length of an image enclosure that is part of the site."""
    entries = (page.feed_entries or [])[: config.feed_items]
    fallback = model.newest or EPOCH
    page_url = config.base_url + page.url.lstrip("/")
    feed_url = config.base_url + page.output_path(fmt)
    title = safe(config.title if page.kind == "home" else f"{config.title} — {page.title}")

    fg = FeedGenerator()
    fg.id(feed_url)
    fg.title(title)
    fg.link(href=page_url, rel="alternate")
    fg.link(href=feed_url, rel="self")
    # read as HTML by feed readers, and a tag feed's title holds the tag as written: escaped
    fg.description(html.escape(safe(config.description or config.business.tagline) or title, quote=False))
    fg.language(config.language)
    fg.author({"name": safe(config.business.name)})
    fg.generator("storyforge", version=__version__)
    newest = max((e.date or fallback for e in entries), default=fallback)
    fg.updated(newest)
    fg.lastBuildDate(newest)
    photos = {}
    words = translations(config).gettext  # the labels in the site's language, read once per feed
    for entry in entries:
        link = _add_entry(fg, config, entry, fmt, entry.date or fallback, words)
        photo = _photo(config, entry, link)
        if photo:
            photos[link] = (photo[0], str((sizes or {}).get(photo[1], 0)), photo[2])
    if fmt == "rss":
        for item in fg.entry():
            if item.id() in photos:
                item.enclosure(*photos[item.id()])
        return bytes(fg.rss_str(pretty=True))
    return _with_atom_enclosures(fg.atom_str(pretty=True), photos)


def _with_atom_enclosures(feed: bytes, photos: dict[str, tuple[str, str, str]]) -> bytes:
    """Atom's enclosures, <link rel="enclosure">, added after each entry's link (feedgen drops the
    rel and type attributes of an entry's links, which would make the photo the entry's address)."""
    if not photos:
        return feed
    from lxml import etree

    atom = "{http://www.w3.org/2005/Atom}"
    root = etree.fromstring(feed)
    for element in root.iter(f"{atom}entry"):
        photo = photos.get(element.findtext(f"{atom}id") or "")
        link = element.find(f"{atom}link")
        if photo is None or link is None:
            continue
        enclosure = etree.Element(f"{atom}link", href=photo[0], rel="enclosure", type=photo[2], length=photo[1])
        enclosure.tail = link.tail
        link.addnext(enclosure)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _add_entry(fg: FeedGenerator, config: SiteConfig, entry: Entry, fmt: str, when: datetime,
               words: Callable[[str], str]) -> str:
    link = config.base_url + entry.url.lstrip("/")
    item = fg.add_entry(order="append")
    item.id(link)
    item.guid(link, permalink=True)
    item.title(safe(entry.title))
    item.link(href=link)
    item.published(when)
    item.updated(when)
    if isinstance(entry, Testimonial):
        item.author({"name": safe(entry.author)})
    if entry.tags:  # in one call: feedgen rebuilds its RSS list of categories on each call
        item.category([{"term": safe(tag), "label": safe(tag)} for tag in entry.tags])
    body = safe(absolutize(feed_html(entry, config.business.name, formats_for(config.language), words), link))
    # readers treat an RSS description as HTML: the plain-text summary goes in escaped, after the
    # disclosures, which travel with a story wherever it is shown
    item.summary(html.escape(safe(disclosed(entry, entry.summary, words)), quote=False), type="html")
    # RSS: escaped HTML in content:encoded; Atom: <content type="html">
    item.content(body, type="html" if fmt == "atom" else None)
    return link


def _photo(config: SiteConfig, entry: Entry, link: str) -> tuple[str, str, str] | None:
    """(absolute address, path in the output or '', type) of the entry's photo: the story's avatar,
    else the first image of its text; None when it has none of a known image type."""
    source = entry.avatar if isinstance(entry, Testimonial) and entry.avatar else ""
    if source:
        address = config.asset_url(source)
    else:
        found = _FIRST_IMAGE.search(entry.html)
        if not found:
            return None
        address = urljoin(link, html.unescape(found.group(1)))
    parts = urlsplit(address)
    kind = IMAGE_TYPES.get(parts.path.rsplit(".", 1)[-1].lower())
    if parts.scheme not in ("http", "https") or kind is None:
        return None
    local = address[len(config.root_url):] if address.startswith(config.root_url) else ""
    return address, local.split("?", 1)[0].split("#", 1)[0], kind


def disclosed(entry: Entry, summary: str, _: Callable[[str], str] = str) -> str:
    """A story's plain-text summary preceded by its disclosures ('Disclosure: … Connection to the
    business: …'), for the places that show a summary alone: a feed's description and summary."""
    if not isinstance(entry, Testimonial):
        return summary
    notes = [_("%(label)s: %(value)s.") % {"label": label, "value": value.rstrip(".")} for label, value in (
        (_("Disclosure"), entry.incentive), (_("Connection to the business"), entry.relationship)) if value]
    return " ".join((*notes, summary))


def feed_html(entry: Entry, business_name: str, formats: Formats, _: Callable[[str], str] = str) -> str:
    """The entry as a feed reader shows it: labels first, so disclosures travel with the story.
    ``_``: the site's catalogs' gettext, for the labels' words."""
    lines: list[str] = []
    if isinstance(entry, Testimonial):
        facts = [_("By %(name)s") % {"name": entry.byline}]
        if entry.rating is not None:
            facts.append(_("Rated %(rating)s out of 5") % {"rating": entry.rating})
        if entry.product:
            facts.append(_("About: %(product)s") % {"product": entry.product})
        if entry.verified:
            facts.append(_("Verified customer"))
        lines.append(f"<p>{html.escape(' · '.join(facts))}</p>")
        if entry.incentive:
            lines.append(f"<p><strong>{html.escape(_('Disclosure:'))}</strong> {html.escape(entry.incentive)}</p>")
        if entry.relationship:
            lines.append(f"<p><strong>{html.escape(_('Connection to the business:'))}</strong> "
                         f"{html.escape(entry.relationship)}</p>")
    elif isinstance(entry, Event):
        when = formats.date(entry.start, with_weekday=True)
        if not entry.all_day:
            when += f", {formats.time(entry.start)}"
        facts = [when] + [x for x in (entry.location, entry.address, entry.cost) if x]
        if entry.status != "scheduled":
            facts.insert(0, {"cancelled": _("Cancelled"), "postponed": _("Postponed")}.get(entry.status,
                                                                                       entry.status).upper())
        lines.append(f"<p>{html.escape(' · '.join(facts))}</p>")
    elif isinstance(entry, Alert):
        facts = [_(SEVERITY_WORDS.get(entry.severity, entry.severity.capitalize())),
                 _("From %(day)s") % {"day": formats.date(entry.starts, with_weekday=True)}]
        if entry.expires is not None:
            facts.append(_("until %(day)s") % {"day": formats.date(entry.expires, with_weekday=True)}
                         + ("" if entry.expires_all_day else f", {formats.time(entry.expires)}"))
        lines.append(f"<p>{html.escape(' · '.join(facts))}</p>")
    elif isinstance(entry, CharityUpdate) and entry.raised is not None:
        raised = formats.money(entry.raised, entry.currency)
        progress = (_("Raised so far: %(raised)s of %(goal)s") % {"raised": raised,
                                                                   "goal": formats.money(entry.goal, entry.currency)}
                    if entry.goal else _("Raised so far: %(raised)s") % {"raised": raised})
        lines.append(f"<p>{html.escape(progress)}</p>")
    lines.append(entry.html)
    if isinstance(entry, Testimonial) and entry.response_html:
        reply = _("Reply from %(business)s:") % {"business": business_name}
        lines.append(f"<p><strong>{html.escape(reply)}</strong></p>")
        lines.append(entry.response_html)
    return "\n".join(lines)
