"""Well-known XSS filter-evasion payloads in every body and every text field of every content
type: the built site, its feeds and its data files contain nothing a browser would run."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
from conftest import SITE_YAML, executable_payloads, feed_html, snapshot, write_files

from storyforge.build import BuildOptions, build
from storyforge.core.content_types import all_types, by_name
from storyforge.core.fields import text

PAYLOADS = [line for line in (Path(__file__).parent / "data/xss-payloads.txt").read_text().splitlines() if line]
#: keys whose values are web addresses or dates: a payload there is an error (tested elsewhere)
NOT_TEXT = {"slug", "date", "start", "end", "starts", "expires", "avatar", "signup_url", "donate_url", "link",
            "severity", "status", "currency", "submitted", "approved"}
SAFE_VALUES = {"start": "2026-06-01 10:00", "starts": "2026-01-01", "expires": "2099-01-01",
               "severity": "warning", "campaign": None}


def _front(content_type: str, payload: str) -> str:
    lines = []
    for key, spec in by_name(content_type).fields.items():
        if spec.coerce is text and key not in NOT_TEXT:
            lines.append(f"{key}: {json.dumps(payload)}")
        elif key == "tags":
            lines.append(f"tags: {json.dumps(['safe-tag', payload])}")
        elif SAFE_VALUES.get(key):
            lines.append(f"{key}: {SAFE_VALUES[key]}")
    return "\n".join(lines)


def hostile_site(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(SITE_YAML)
    files = {}
    for row in all_types():
        for number, payload in enumerate(PAYLOADS):
            body = "\n\n".join(PAYLOADS) if number == 0 else f"Text before. {payload} Text after."
            files[f"content/{row.folder}/p{number:02}.md"] = f"---\n{_front(row.name, payload)}\n---\n{body}\n"
    write_files(root, files)
    return root


def test_every_payload_in_every_field_is_published_inert(tmp_path):
    site = hostile_site(tmp_path / "site")
    build(BuildOptions(site_dir=site))
    outputs = snapshot(site / "public")
    checked = {"html": 0, "feed": 0, "json": 0}
    for path, data in outputs.items():
        if path.endswith(".html"):
            found = executable_payloads(data.decode(), page_chrome=True)
            assert found == [], (path, found[:5])
            checked["html"] += 1
        elif path.endswith(".xml") and "sitemap" not in path:
            assert not feedparser.parse(data).bozo, path
            for html in feed_html(data):  # as a reader gets it: XML-decoded, not yet sanitized
                assert executable_payloads(html) == [], (path, html[:200])
            checked["feed"] += 1
        elif path.endswith(".json"):
            json.loads(data)  # well-formed; the embed script inserts its strings as text only
            checked["json"] += 1
    assert checked["html"] > len(PAYLOADS) * 4 and checked["feed"] >= 4
    story = outputs["testimonials/p00/index.html"].decode()
    assert "{{ 7*7 }}" in story and ">49<" not in story  # never run as a template
