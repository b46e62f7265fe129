"""What the submissions index (``moderation.index``) records of one file: a submission's ids,
story and name, a decided one's story-and-customer key, a published story's ids and slug."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from storyforge.errors import StoryforgeError
from storyforge.moderation.story_keys import story_ids
from storyforge.moderation.submission import Submission


def story_key(body: str, name: str) -> str:  # the same customer's same story
    return hashlib.sha256(json.dumps([body, name], ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def derive(folder: str, path: Path, data: bytes, story_dirs: dict[str, str]) -> dict[str, Any]:
    """What the steps ask of one file: its ids, its story and name, the words compared."""
    row: dict[str, Any] = {"sid": path.stem, "slug": "", "story_name": "", "ok": False, "body": "", "name": "",
                           "received": ""}
    if folder in story_dirs:  # its words are read when they are filed (moderation.filing)
        row["sid"], row["slug"] = story_ids(data, f"{story_dirs[folder]}/{path.name}", path.stem)
        row["ok"] = True
        return row
    if folder in ("inbox", "rejected"):
        with contextlib.suppress(StoryforgeError):
            submission = Submission.from_json(data, path.name)
            if submission.id == path.stem:
                row.update(ok=True, body=submission.body, name=submission.name,
                           received=submission.received_at)
    if folder in ("rejected", "withdrawn"):  # the story and name a re-import under a new id still is
        with contextlib.suppress(ValueError):
            saved = json.loads(data)
            if isinstance(saved, dict):
                inner = saved["submission"] if isinstance(saved.get("submission"), dict) else saved
                row["story_name"] = story_key(str(inner.get("body", "")), str(inner.get("name", "")))
    return row
