"""The sitemap and robots.txt (feeds, calendars and the wall have modules of their own)."""

from __future__ import annotations

from urllib.parse import quote

from storyforge.core.config import SiteConfig
from storyforge.core.model import SiteModel


def sitemap_bytes(config: SiteConfig, model: SiteModel) -> bytes:
    """Every HTML page of the site (not the 404 page), with its date where it has one."""
    from html import escape  # imports html.entities, a large table: only when a sitemap is made
    rows = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in model.pages:
        if not page.in_sitemap:
            continue
        # the protocol wants URIs: a page at /отличный-сервис/ (slugs: unicode) is listed percent-encoded
        loc = config.base_url + quote(page.url.lstrip("/"), safe="/")
        rows.append(f"  <url><loc>{escape(loc, quote=False)}</loc>"
                    + (f"<lastmod>{page.lastmod.date().isoformat()}</lastmod>" if page.lastmod else "")
                    + "</url>")
    rows.append("</urlset>\n")
    return "\n".join(rows).encode("utf-8")


def robots_bytes(config: SiteConfig) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {config.base_url}sitemap.xml\n".encode()
