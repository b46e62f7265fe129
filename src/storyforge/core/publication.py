"""Which entries go on the site: not drafts (unless asked for), not stories without consent,
not stories whose author has withdrawn them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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
