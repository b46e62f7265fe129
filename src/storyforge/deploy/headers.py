"""The ``_headers`` file for hosts that build from git and read it (Netlify, Cloudflare Pages).

Written by the build when site.yaml says ``deploy: hosting: netlify`` (or ``cloudflare``); both
hosts read the same format (a path pattern, then indented ``Name: value`` lines) and do not
publish the file itself. It says three things:

* **CORS** for ``/testimonials.json`` and ``/embed.js``, so the wall of love can be embedded on
  other sites (the script fetches the JSON from this site);
* **cache headers** by kind, as `storyforge deploy` sends them to a bucket (``plan.cache_control``):
  pages and feeds short, images, styles and scripts a day. The hosts join the values of every
  rule that matches a path, so each kind is named once and ``/*`` carries no Cache-Control;
* **security headers**: a Content-Security-Policy the default theme satisfies (its own scripts
  and styles only; style attributes, which the rating bars use, allowed; structured data is
  ``application/ld+json``, which CSP does not run), ``X-Content-Type-Options: nosniff`` and a
  ``Referrer-Policy``. A form endpoint in site.yaml is added to ``form-action``, and the intake
  service's address (``moderation.intake_url``) to ``script-src``, ``connect-src`` and ``form-action``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from storyforge.core.config import SiteConfig
from storyforge.deploy.plan import MEDIUM, SHORT

HEADERS_FILE = "_headers"
EMBEDDABLE = ("testimonials.json", "embed.js")


def content_security_policy(config: SiteConfig) -> str:
    form = intake = ""
    if config.moderation.form_endpoint:
        parts = urlsplit(config.moderation.form_endpoint)
        form = f" {parts.scheme}://{parts.netloc}"
    if config.moderation.intake_url:  # `storyforge intake`: the form's script, its challenge and its posts
        parts = urlsplit(config.moderation.intake_url)
        intake = f" {parts.scheme}://{parts.netloc}"
    return (f"default-src 'self'; script-src 'self'{intake}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            f"font-src 'self'; connect-src 'self'{intake}; object-src 'none'; base-uri 'self'; "
            f"form-action 'self'{form}{intake}; frame-ancestors 'self'")


def headers_file(config: SiteConfig) -> bytes:
    """The whole file, for a site published at ``config.base_path``."""
    base = config.base_path
    blocks = [(f"{base}*", [("Content-Security-Policy", content_security_policy(config)),
                            ("X-Content-Type-Options", "nosniff"),
                            ("Referrer-Policy", "strict-origin-when-cross-origin")])]
    blocks.extend((f"{base}{name}", [("Access-Control-Allow-Origin", "*")]) for name in EMBEDDABLE)
    blocks.extend((f"{base}{pattern}", [("Cache-Control", SHORT)])
                  for pattern in ("", "*.html", "*.xml", "*.json", "*.ics", "*.txt"))
    blocks.extend((f"{base}{pattern}", [("Cache-Control", MEDIUM)])
                  for pattern in ("*.css", "*.js", "*.png", "*.jpg", "*.jpeg", "*.webp", "*.svg", "*.ico", "*.woff2"))
    lines = ["# Written by storyforge build (deploy.hosting in site.yaml); read by Netlify and Cloudflare Pages."]
    for pattern, headers in blocks:
        lines.append(pattern)
        lines.extend(f"  {name}: {value}" for name, value in headers)
    return ("\n".join(lines) + "\n").encode()
