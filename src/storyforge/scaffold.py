"""`storyforge new`: start a content file whose front matter already validates."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from storyforge.core.config import load_config
from storyforge.core.content import SECTIONS, parse_document
from storyforge.core.schema import Validator
from storyforge.core.slugs import slugify
from storyforge.errors import ContentError, ErrorCollector, SourceLocation, UsageError
from storyforge.publish.atomic import write_atomic

FOLDERS = {content_type: folder for folder, content_type in SECTIONS.items()}


def _front_matter(kind: str, title: str, now: datetime) -> str:
    today = now.date().isoformat()
    quoted = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    common = f"title: {quoted}\ndate: {today}\ndraft: true   # set to false (or delete this line) to publish\n"
    if kind == "testimonial":
        return common + (
            "author: Customer name   # as the customer agreed to be named\n"
            "location: \nrating: 5   # 1 to 5, or delete the line\nproduct: \n"
            "consent: true   # the customer agreed to publication\n"
            "verified: false\n"
            "incentive:    # what they received for writing it, if anything (shown as a disclosure)\n"
            "relationship:    # e.g. Employee, if they are connected to the business\n"
            "tags: []\n")
    if kind == "event":
        start = (now + timedelta(days=7)).replace(hour=10, minute=0)
        return common + (
            f"start: {start:%Y-%m-%d %H:%M}\nend: {start + timedelta(hours=2):%Y-%m-%d %H:%M}\n"
            "location: \naddress: \ncost: Free\nstatus: scheduled\ntags: []\n")
    if kind == "alert":
        return common + (f"severity: info   # info, warning or critical\nstarts: {today}\n"
                         f"expires: {(now + timedelta(days=7)).date().isoformat()}   # the banner goes after this day\n"
                         "link: \ntags: []\n")
    if kind == "charity":
        return common + "campaign: Campaign name\ngoal: 1000\nraised: 0\ncurrency: GBP\nbeneficiary: \ntags: []\n"
    return common + "menu: false\n"


def new_entry(site_dir: Path, kind: str, title: str) -> Path:
    """Write content/<folder>/<slug>.md for ``kind`` and return its path."""
    config = load_config(site_dir.resolve())
    slug = slugify(title)
    if not slug:
        raise UsageError(f"cannot make a file name from the title {title!r} — use some letters or digits")
    rel = f"content/{FOLDERS[kind]}/{slug}.md"
    path = config.root / rel
    if path.exists():
        raise ContentError("already exists — choose another title or edit that file", SourceLocation(rel))
    now = datetime.now(tz=config.tz).replace(second=0, microsecond=0)
    text = f"---\n{_front_matter(kind, title, now)}---\nWrite the story here, in Markdown.\n"
    errors = ErrorCollector()
    entry = Validator(config, errors).validate(parse_document(text.encode(), rel, kind, config.max_body_bytes))
    errors.raise_if_any("new")
    assert entry is not None
    try:  # durable, as moderation's stories are; exclusive: a file made meanwhile is never replaced
        write_atomic(path, text.encode("utf-8"), durable=True, exclusive=True)
    except FileExistsError:
        raise ContentError("already exists — choose another title or edit that file", SourceLocation(rel)) from None
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
