"""The XML files of a built site: RSS and Atom feeds, and the sitemap.

Feeds are read elsewhere (feed readers, aggregators), so every address in them,
including those inside the HTML content, must be absolute; each item needs its
own GUID and dates a strict reader accepts. The sitemap must list exactly the
HTML pages a visitor can open, and nothing else.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from storyforge.check.pages import NOT_FOUND_PAGE, SitePages, parse_page
from storyforge.check.report import Report, clip, element

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SITEMAP_FILE = "sitemap.xml"
RELATIVE = "relative URL — feeds are read elsewhere, so every address must be absolute (https://…)"
RFC822_HINT = "expected an RFC 822 date like Tue, 03 Mar 2026 10:00:00 +0000"
RFC3339_HINT = "expected an RFC 3339 date like 2026-03-03T10:00:00+00:00"
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def xml_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.xml")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))


def read_xml(root: Path, rel: str, report: Report) -> ET.Element | None:
    try:
        return ET.parse(root / rel).getroot()  # noqa: S314 - the feeds this program has just built
    except ET.ParseError as exc:
        report.add(rel, "file", f"not well-formed XML ({exc})")
    except OSError as exc:
        report.add(rel, "file", f"cannot read ({exc.strerror or exc})")
    return None


def check_feeds(root: Path, report: Report) -> int:
    """Every RSS and Atom file under ``root``; returns how many feeds there were."""
    count = 0
    for rel in xml_files(root):
        if rel == SITEMAP_FILE:
            continue
        feed = read_xml(root, rel, report)
        if feed is None:
            continue
        if feed.tag == "rss":
            count += 1
            _check_rss(rel, feed, report)
        elif feed.tag == f"{ATOM}feed":
            count += 1
            _check_atom(rel, feed, report)
    return count


def _is_absolute(value: str) -> bool:
    parts = urlsplit(value.strip())
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("mailto", "tel", "urn", "tag"))


def _check_rss(rel: str, rss: ET.Element, report: Report) -> None:
    channel = rss.find("channel")
    if channel is None:
        report.add(rel, "<rss>", "no <channel> element")
        return
    _absolute_text(rel, channel.find("link"), "", report)
    for link in channel.findall(f"{ATOM}link"):
        _absolute_attr(rel, link, "atom:link", "", report)
    _rss_date(rel, channel.find("lastBuildDate"), "", report)
    _rss_date(rel, channel.find("pubDate"), "", report)
    guids: dict[str, str] = {}
    for number, item in enumerate(channel.findall("item"), start=1):
        where = f' in item "{clip(item.findtext("title") or str(number), 60)}"'
        _absolute_text(rel, item.find("link"), where, report)
        _rss_date(rel, item.find("pubDate"), where, report)
        guid = item.find("guid")
        if guid is not None:
            value = (guid.text or "").strip()
            shown = f"<guid>{clip(value, 80)}</guid>{where}"
            if guid.get("isPermaLink", "true") != "false" and not _is_absolute(value):
                report.add(rel, shown, RELATIVE)
            if value in guids:
                report.add(rel, shown, f'duplicate GUID (also in item "{guids[value]}")')
            guids.setdefault(value, clip(item.findtext("title") or str(number), 60))
        for part in ("description", f"{CONTENT}encoded"):
            name = "content:encoded" if part.startswith("{") else part
            _absolute_in_html(rel, item.findtext(part) or "", f" in <{name}>{where}", report)


def _check_atom(rel: str, feed: ET.Element, report: Report) -> None:
    _atom_common(rel, feed, "", report)
    ids: dict[str, str] = {}
    for number, entry in enumerate(feed.findall(f"{ATOM}entry"), start=1):
        title = clip(entry.findtext(f"{ATOM}title") or str(number), 60)
        where = f' in entry "{title}"'
        _atom_common(rel, entry, where, report)
        value = (entry.findtext(f"{ATOM}id") or "").strip()
        if value in ids:
            report.add(rel, f"<id>{clip(value, 80)}</id>{where}", f'duplicate id (also in entry "{ids[value]}")')
        ids.setdefault(value, title)
        for part in ("content", "summary"):
            node = entry.find(f"{ATOM}{part}")
            if node is None:
                continue
            if node.get("type") == "html":
                _absolute_in_html(rel, node.text or "", f" in <{part}>{where}", report)
            elif node.get("type") == "xhtml":
                _absolute_in_html(rel, ET.tostring(node, encoding="unicode"), f" in <{part}>{where}", report)


def _atom_common(rel: str, node: ET.Element, where: str, report: Report) -> None:
    """What a feed and each of its entries must have: an absolute id and links, a valid <updated>."""
    identifier = node.find(f"{ATOM}id")
    if identifier is None or not (identifier.text or "").strip():
        report.add(rel, f"<id>{where}", "missing — every feed and entry needs a permanent id")
    elif not _is_absolute(identifier.text or ""):
        report.add(rel, f"<id>{clip(identifier.text or '', 80)}</id>{where}", RELATIVE)
    for link in node.findall(f"{ATOM}link"):
        _absolute_attr(rel, link, "link", where, report)
    updated = node.find(f"{ATOM}updated")
    if updated is None:
        report.add(rel, f"<updated>{where}", f"missing — {RFC3339_HINT}")
    for name in ("updated", "published"):
        stamp = node.find(f"{ATOM}{name}")
        if stamp is not None and not _valid_rfc3339(stamp.text or ""):
            report.add(rel, f"<{name}>{clip(stamp.text or '', 60)}</{name}>{where}", f"invalid date ({RFC3339_HINT})")


def _valid_rfc3339(text: str) -> bool:
    text = text.strip()
    if not _RFC3339.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _rss_date(rel: str, node: ET.Element | None, where: str, report: Report) -> None:
    if node is None:
        return
    text = (node.text or "").strip()
    try:
        valid = parsedate_to_datetime(text).tzinfo is not None
    except (TypeError, ValueError, IndexError):
        valid = False
    if not valid:
        name = node.tag
        report.add(rel, f"<{name}>{clip(text, 60)}</{name}>{where}", f"invalid date ({RFC822_HINT})")


def _absolute_text(rel: str, node: ET.Element | None, where: str, report: Report) -> None:
    if node is not None and not _is_absolute(node.text or ""):
        report.add(rel, f"<{node.tag}>{clip(node.text or '', 80)}</{node.tag}>{where}", RELATIVE)


def _absolute_attr(rel: str, node: ET.Element, name: str, where: str, report: Report) -> None:
    href = node.get("href", "")
    if not _is_absolute(href):
        report.add(rel, element(name, "href", href) + where, RELATIVE)


def _absolute_in_html(rel: str, markup: str, where: str, report: Report) -> None:
    if "=" not in markup:
        return
    for ref in parse_page(markup.encode("utf-8")).refs:
        if not _is_absolute(ref.value):
            report.add(rel, ref.describe() + where, RELATIVE)


def check_sitemap(root: Path, pages: SitePages, report: Report) -> None:
    """sitemap.xml lists every HTML page but the 404 page, once each, and nothing else."""
    if not (root / SITEMAP_FILE).is_file():
        report.add(SITEMAP_FILE, "file", "missing — search engines look for it")
        return
    urlset = read_xml(root, SITEMAP_FILE, report)
    if urlset is None:
        return
    expected = {_key(pages.address_of(rel)): rel for rel in pages.files if rel != NOT_FOUND_PAGE}
    listed: set[str] = set()
    for loc in urlset.iter(f"{SITEMAP}loc"):
        value = (loc.text or "").strip()
        shown = f"<loc>{clip(value, 100)}</loc>"
        key = _key(value)
        if key in listed:
            report.add(SITEMAP_FILE, shown, "listed twice")
        elif key not in expected:
            target = pages.resolve("index.html", value)
            if target and target.file == NOT_FOUND_PAGE:
                report.add(SITEMAP_FILE, shown, "the 404 page must not be listed")
            elif target and target.file in pages.parsed:
                report.add(SITEMAP_FILE, shown, f"should be listed as {pages.address_of(target.file)}")
            else:
                report.add(SITEMAP_FILE, shown, "no such page in the site")
        listed.add(key)
    for key, rel in expected.items():
        if key not in listed:
            report.add(rel, "page", f"missing from {SITEMAP_FILE}")


def _key(address: str) -> str:
    parts = urlsplit(address.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{unquote(parts.path)}"
