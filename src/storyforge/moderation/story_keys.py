"""What moderation reads from a published story: the submission it came from, its slug, its text.

Every moderation step lists the published stories' submission ids and slugs; most stories give
them as plain words, read here without a YAML parse (a tenth of the time), and the rest are left
to YAML so both readings always agree.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from storyforge.errors import StoryforgeError

_SUBMISSION_LINE = re.compile(r"^submission:\s*['\"]?([0-9A-Za-z_-]+)", re.MULTILINE)
#: a front-matter line whose value YAML reads as exactly the word written (bare, or quoted without
#: escapes): for these, the two keys a moderation step needs are read without a YAML parse
_PLAIN_VALUE = r"[ \t]*(?:([A-Za-z0-9_-]*)|'([A-Za-z0-9_-]*)'|\"([A-Za-z0-9_-]*)\")[ \t]*(?:#.*)?$"
_PLAIN_KEYS = {key: re.compile(rf"^{key}:{_PLAIN_VALUE}", re.MULTILINE) for key in ("submission", "slug")}


def story_ids(data: bytes, rel: str, stem: str) -> tuple[str, str]:
    """(submission id, slug) of a published story: its front matter's ``submission`` and ``slug``."""
    from storyforge.core.content import parse_document

    plain = _plain_keys(data)
    if plain is not None:  # the common case, a tenth of the time: no YAML parse
        return plain[0], plain[1] or stem
    try:
        front = parse_document(data, rel, "testimonial", len(data) + 1).front.data
        return str(front.get("submission") or ""), str(front.get("slug") or stem)
    except StoryforgeError:  # the build reports the file; here the id is all that matters
        match = _SUBMISSION_LINE.search(data.decode("utf-8", "replace"))
        return (match.group(1) if match else ""), stem


def story_body(data: bytes, rel: str) -> str | None:
    """The text of a published story, or None when the file is broken (the build reports it)."""
    from storyforge.core.content import parse_document

    try:
        return parse_document(data, rel, "testimonial", len(data) + 1).body
    except StoryforgeError:
        return None


def story_text(data: bytes) -> str | None:
    """The text below a published story's front matter, split off as ``parse_document`` splits it
    but without reading the front matter (a YAML parse per story was most of the cost of filing
    every published story's words); None when the file has no closed front matter or is not text."""
    from storyforge.core.content import decode_text

    try:
        text = decode_text(data, "")
    except StoryforgeError:  # the build reports the file
        return None
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None
    for number in range(1, len(lines)):
        if lines[number].rstrip() == "---":
            return "\n".join(lines[number + 1:])
    return None


def _plain_keys(data: bytes) -> tuple[str, str] | None:
    """(submission, slug) of a story whose front matter gives each at most once, as a plain word
    on a line of its own (or not at all); None when only a YAML parse can say."""
    if not data.startswith(b"---\n"):
        return None
    end = data.find(b"\n---", 3)
    try:
        front = data[4:end if end >= 0 else len(data)].decode("utf-8")
    except UnicodeDecodeError:
        return None
    values = []
    for key, pattern in _PLAIN_KEYS.items():
        mentions = front.count(f"\n{key}:") + front.startswith(f"{key}:")
        matches = pattern.findall(front)
        if mentions != len(matches) or len(matches) > 1:
            return None  # written some other way (a block, escapes, twice): YAML decides
        bare, single, double = matches[0] if matches else ("", "", "")
        if bare and _yaml_type(bare) != "tag:yaml.org,2002:str":
            return None  # a number, a yes/no or a null to YAML: it decides what the value is
        values.append(bare or single or double)
    return values[0], values[1]


@functools.cache
def _yaml_type(word: str) -> str:
    """The type YAML gives a bare word (by its own rules: 'yes', '0123' and '~' are no strings)."""
    import yaml

    resolve: Callable[..., object] = yaml.resolver.Resolver().resolve  # untyped in the stubs
    return str(resolve(yaml.ScalarNode, word, (True, False)))
