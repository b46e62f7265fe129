"""The business's public reply to a published story: the ``response`` field of its front matter.

``storyforge moderate reply`` and the desk's Reply both call :func:`reply`, so a reply is checked
exactly as the build checks a story, and written like every moderation file (atomically, durably,
under the folder lock). A reply is the owner's own Markdown, not a decision: it adds no line to
``decisions.jsonl``.
"""

from __future__ import annotations

from typing import Any

from storyforge.core.config import SiteConfig
from storyforge.core.content import parse_document
from storyforge.errors import ModerationError
from storyforge.moderation.decide import Outcome, find, story_text, validate_story
from storyforge.moderation.store import Store
from storyforge.moderation.story_languages import story_file

#: how long a reply may be: a few paragraphs, not a second story
REPLY_LIMIT = 4000


def reply(config: SiteConfig, ident: str, text: str) -> Outcome:
    """Set (or, with empty ``text``, remove) the public reply on the published story ``ident``:
    a submission id, its start, or the story's file under content/testimonials/."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > REPLY_LIMIT:
        raise ModerationError(f"the reply is {len(text):,} characters long — keep it under {REPLY_LIMIT:,}")
    store = Store(config)
    with store.lock():
        recovered, place = store.settle()
        rel = _story_file(place, ident, config)
        path = store.site / rel
        raw = path.read_bytes()
        document = parse_document(raw, rel, "testimonial", config.max_body_bytes)
        front: dict[str, Any] = dict(document.front.data)
        if text:
            front["response"] = text
        else:
            front.pop("response", None)
        updated = story_text(front, document.body)
        validate_story(updated, rel, config, str(front.get("submission", "") or ""))
        store.save(path, updated.encode("utf-8"))
    done = "replied to" if text else "removed the reply from"
    return Outcome(str(front.get("submission", "") or rel), f"{done} {rel}", rel, recovered)


def _story_file(place: Any, ident: str, config: SiteConfig) -> str:
    """content/testimonials/<file>.md (or content/<lang>/testimonials/…) for a submission id (or its
    start) or a story's file."""
    candidate = ident.replace("\\", "/").removeprefix("./")
    if candidate.endswith(".md"):
        rel = story_file(candidate, place.story_paths, config)
        if rel not in place.story_paths:
            raise ModerationError(f"no story {rel}")
        return rel
    sid = find(place, ident)
    if place.where(sid) != "content":
        raise ModerationError(f"{sid} is not published ({place.where(sid)}) — only a published story can have "
                              "a reply")
    return str(place.stories[sid].rel_path)


__all__ = ["REPLY_LIMIT", "reply"]
