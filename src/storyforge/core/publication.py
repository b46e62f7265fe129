"""Which entries go on the site: not drafts (unless asked for), not stories without consent,
not stories whose author has withdrawn them; and which published files still hold what
`storyforge new` wrote for a person to replace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from storyforge.core.content_types import PLACEHOLDER_BODY, PLACEHOLDER_VALUES
from storyforge.core.entries import Entry, Testimonial


@dataclass
class Selection:
    """The published entries, and what was left out and why."""

    published: list[Entry] = field(default_factory=list)
    drafts_skipped: int = 0
    withheld_no_consent: list[str] = field(default_factory=list)  # the stories' files


def select_published(entries: list[Entry], drafts: bool,
                     withdrawn: Callable[[Testimonial], bool] | None = None) -> Selection:
    """Drafts only with ``drafts``; stories only with consent and not ``withdrawn``."""
    chosen = Selection()
    for entry in entries:
        if entry.draft and not drafts:
            chosen.drafts_skipped += 1
        elif isinstance(entry, Testimonial) and not entry.consent:
            chosen.withheld_no_consent.append(entry.source)
        elif withdrawn is not None and isinstance(entry, Testimonial) and withdrawn(entry):
            continue  # decided, though the story's file may still be there
        else:
            chosen.published.append(entry)
    return chosen


def scaffold_leftovers(published: list[Entry], root: Path) -> list[str]:
    """A warning line (``file:line: warning: …``) for each published file that still holds a placeholder
    of `storyforge new`: the site would show "Customer name" or "Write the story here" to the world.
    The body is judged by its HTML (the Markdown is not kept once rendered); only the few files
    that match are read again, to name the line."""
    warnings: list[str] = []
    for entry in published:
        for key, placeholder in PLACEHOLDER_VALUES.items():
            if getattr(entry, key, None) == placeholder:
                line = _line_of(root / entry.source, f"{key}:")
                warnings.append(f"{entry.source}:{line}: warning: {key}: still the placeholder {placeholder!r} "
                                f"from storyforge new — write the real {key}, or set draft: true")
        if getattr(entry, "avatar", "") and not getattr(entry, "avatar_alt", ""):
            line = _line_of(root / entry.source, "avatar:")
            warnings.append(f"{entry.source}:{line}: warning: avatar: the photo has no avatar_alt — add "
                            "avatar_alt: what it shows (e.g. the customer's name), for readers who cannot see it")
        if PLACEHOLDER_BODY in entry.html:
            line = _line_of(root / entry.source, PLACEHOLDER_BODY, at_start=False)
            warnings.append(f"{entry.source}:{line}: warning: still the placeholder text {PLACEHOLDER_BODY!r} "
                            "from storyforge new — write the text, or set draft: true")
    return warnings


def _line_of(path: Path, text: str, at_start: bool = True) -> int:
    """The first line that starts with (or holds) ``text``; 1 when none does (e.g. set in site.yaml)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    return next((number for number, line in enumerate(lines, 1)
                 if (line.startswith(text) if at_start else text in line)), 1)
