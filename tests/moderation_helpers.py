"""Shared helpers for the moderation tests: a site with moderation settings, and where each submission is."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import SITE_YAML

MODERATED_SITE = SITE_YAML + """\
  email: hello@bakery.test
  phone: "01632 960 000"
"""

HEADER = ("Timestamp,Your name,Email address,Story title,Your story,Rating,Your town,Order number,"
          "May we publish your story?,Show my name as,Show my town\n")


def csv_row(when: str, name: str, title: str, story: str, rating: str = "5", consent: str = "Yes",
            show_name: str = "first name and initial", town: str = "Eastbridge", show_town: str = "Yes",
            order: str = "", email: str = "") -> str:
    email = email or name.lower().replace(" ", ".") + "@example.com"
    cells = [when, name, email, title, story, rating, town, order, consent, show_name, show_town]
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells) + "\n"


def inbox(site: Path) -> dict[str, dict]:
    """title → the submission file's data, for every file in the inbox."""
    folder = site / "submissions/inbox"
    return {d["title"]: d for d in (json.loads(p.read_text()) for p in sorted(folder.glob("*.json")))}


def decisions(site: Path) -> list[dict]:
    path = site / "submissions/decisions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


_SUBMISSION = re.compile(r"^submission: '?([0-9a-f]+)'?$", re.MULTILINE)


def places(site: Path) -> dict[str, list[str]]:
    """id → every place a file for it exists on disk: inbox, rejected, withdrawn, content."""
    found: dict[str, list[str]] = {}
    for folder in ("inbox", "rejected", "withdrawn"):
        for path in sorted((site / "submissions" / folder).glob("*.json")):
            found.setdefault(path.stem, []).append(folder)
    for path in sorted((site / "content/testimonials").glob("*.md")):
        match = _SUBMISSION.search(path.read_text())
        if match:
            found.setdefault(match.group(1), []).append("content")
    return found


def front_matter(path: Path) -> dict:
    import yaml

    text = path.read_text()
    return yaml.safe_load(text.split("---\n")[1])
