"""The numbers behind /reviews-policy/ and ``storyforge moderate report``: one count, two views.

Every story ever received is counted once, in one of three states: published, pending
(in the inbox, or a draft in content/) or withheld (with the reason code). Stories that
were in content/ before moderation existed count as received and published.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from storyforge.core.config import SiteConfig
from storyforge.core.entries import Testimonial
from storyforge.core.words import N_
from storyforge.errors import ErrorCollector, ModerationError, SourceLocation
from storyforge.moderation.submission import REASONS

#: what "Verified customer" means, by what the site really does (moderation.orders set or not)
VERIFIED_BY_RECORDS = N_(
    "We mark a story “Verified customer” only when the order or booking reference sent with it matches "
    "our own sales or booking records, or when one of us has checked those records by hand. A reference "
    "typed into the form is not enough on its own.")
VERIFIED_BY_HAND = N_(
    "We mark a story “Verified customer” only when one of us has checked by hand, in our own records, "
    "that it comes from a customer. A reference typed into the form is not enough on its own.")
UNVERIFIED = N_("Stories without that label come from people we could not match to a purchase; a person "
              "still reads every one before it is published.")


def verification_text(config: SiteConfig) -> str:
    """The policy's account of the label, generated from the configuration rather than promised."""
    return " ".join(verification_parts(config))


def verification_parts(config: SiteConfig) -> tuple[str, str]:
    """The account in its two sentences as written (the policy page translates each)."""
    return (VERIFIED_BY_RECORDS if config.moderation.orders else VERIFIED_BY_HAND), UNVERIFIED


@dataclass
class ReasonCount:
    code: str
    meaning: str
    count: int


@dataclass
class PolicyStats:
    """What the policy page and the report show; plain values, so pages can be fingerprinted."""

    received: int = 0
    published: int = 0
    pending: int = 0
    withheld: int = 0
    reasons: list[ReasonCount] = field(default_factory=list)
    published_average: float | None = None
    published_rated: int = 0
    received_average: float | None = None
    received_rated: int = 0
    verified: int = 0
    featured: int = 0
    disclosed: int = 0
    verification: str = VERIFIED_BY_HAND
    verification_parts: tuple[str, ...] = (VERIFIED_BY_HAND, UNVERIFIED)
    verification_note: str = ""  # the owner's own words from moderation.verification, after ours
    form_endpoint: str = ""


@dataclass
class SubmissionIndex:
    """The submissions folder read once: state, rating and reason of every submission."""

    pending: dict[str, int | None] = field(default_factory=dict)
    rejected: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    withdrawn: dict[str, int | None] = field(default_factory=dict)
    withdrawn_files: set[str] = field(default_factory=set)

    @property
    def any_withdrawn(self) -> bool:
        return bool(self.withdrawn or self.withdrawn_files)

    def hides(self, story: Testimonial) -> bool:
        """A story whose withdrawal was decided is never published, even before its file is gone."""
        if not self.any_withdrawn:
            return False
        if story.submission:
            return story.submission in self.withdrawn
        return story.source in self.withdrawn_files


def folder_state(config: SiteConfig) -> str:
    """A token that changes whenever a submission file is added, changed or removed: made from the
    files' names and bytes, not their dates, so that a fresh clone of the site (every file with a
    new date) with its build cache restored still finds nothing changed. The folder holds the
    moderation queue — a few small files, read in full by every build that is not a no-op."""
    root = config.root / config.moderation.submissions_dir
    seen: list[str] = []
    for folder in ("inbox", "rejected", "withdrawn"):
        if not (root / folder).is_dir():
            continue
        with os.scandir(root / folder) as found:
            for item in found:
                if item.name.endswith(".json") and not item.name.startswith("."):
                    try:
                        with open(item.path, "rb") as handle:
                            digest = hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
                    except OSError:
                        digest = "unreadable"  # the build that follows names it
                    seen.append(f"{folder}/{item.name}:{digest}")
    return hashlib.sha256("\n".join(sorted(seen)).encode()).hexdigest()[:16]


def load_index(config: SiteConfig, errors: ErrorCollector) -> SubmissionIndex:
    """Read inbox/, rejected/ and withdrawn/; an unreadable file is an error, never skipped."""
    root = config.root / config.moderation.submissions_dir
    index = SubmissionIndex()
    for folder in ("withdrawn", "rejected", "inbox"):
        here = root / folder
        for path in sorted(here.glob("*.json")) if here.is_dir() else []:
            if path.name.startswith("."):
                continue
            rel = path.relative_to(config.root).as_posix()
            try:
                data = json.loads(path.read_bytes())
                if not isinstance(data, dict):
                    raise ValueError("expected a JSON object")
            except (OSError, ValueError) as exc:
                errors.add(ModerationError(f"cannot read this submission: {exc} — fix the file or move it "
                                           "out of the submissions folder", SourceLocation(rel)))
                continue
            sid = path.stem
            rating = _rating(data.get("rating"))
            if folder == "withdrawn":
                index.withdrawn[sid] = rating
                if data.get("story_file"):
                    index.withdrawn_files.add(str(data["story_file"]))
            elif sid in index.withdrawn:
                continue
            elif folder == "rejected":
                code = str((data.get("decision") or {}).get("code") or "unknown")
                index.rejected[sid] = (code, rating)
            elif sid not in index.rejected:
                index.pending[sid] = rating
    return index


def _rating(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5 else None


def gather(config: SiteConfig, stories: list[Testimonial], published: list[Testimonial],
           index: SubmissionIndex) -> PolicyStats:
    """Count every story received, once: ``stories`` are all testimonials in content/."""
    shown = {id(s) for s in published}
    in_content = {s.submission for s in stories if s.submission}
    withheld: Counter[str] = Counter()
    published_ratings: list[int] = []
    all_ratings: list[int] = []
    stats = PolicyStats(verification=verification_text(config), verification_parts=verification_parts(config),
                        verification_note=config.moderation.verification,
                        form_endpoint=config.moderation.form_endpoint)

    def received(rating: int | None) -> None:
        stats.received += 1
        if (valid := _rating(rating)) is not None:
            all_ratings.append(valid)

    for story in stories:
        if index.hides(story):
            continue  # counted below, as withdrawn
        received(story.rating)
        if id(story) in shown:
            stats.published += 1
            stats.verified += story.verified
            stats.featured += story.featured
            stats.disclosed += bool(story.incentive or story.relationship)
            if story.rating is not None:
                published_ratings.append(story.rating)
        elif not story.consent:
            withheld["no-consent"] += 1
        else:
            stats.pending += 1  # a draft
    for sid, rating in index.pending.items():
        if sid not in in_content:  # else it is published and only its inbox copy awaits removal
            received(rating)
            stats.pending += 1
    for code, rating in index.rejected.values():
        received(rating)
        withheld[code] += 1
    for rating in index.withdrawn.values():
        received(rating)
        withheld["withdrawn-by-author"] += 1
    stats.withheld = sum(withheld.values())
    stats.reasons = [ReasonCount(code, meaning, withheld.get(code, 0)) for code, meaning in REASONS.items()]
    stats.reasons += [ReasonCount(code, N_("recorded before this list existed"), n)
                      for code, n in sorted(withheld.items()) if code not in REASONS]
    stats.published_rated, stats.published_average = len(published_ratings), _average(published_ratings)
    stats.received_rated, stats.received_average = len(all_ratings), _average(all_ratings)
    return stats


def _average(ratings: list[int]) -> float | None:
    return round(sum(ratings) / len(ratings), 1) if ratings else None


def report(config: SiteConfig) -> PolicyStats:
    """The same numbers as the next build's policy page, without building."""
    from storyforge.core.content import discover, read_document
    from storyforge.core.schema import Validator
    from storyforge.errors import StoryforgeError

    errors = ErrorCollector()
    index = load_index(config, errors)
    sources, _ = discover(config, ErrorCollector())  # other folders' problems are the build's to report
    validator = Validator(config, errors)
    stories: list[Testimonial] = []
    for source in sources:
        if source.content_type != "testimonial":
            continue
        try:
            entry = validator.validate(read_document(source, config))
        except StoryforgeError as exc:
            errors.add(exc)
            continue
        if isinstance(entry, Testimonial):
            stories.append(entry)
    errors.raise_if_any("report")
    published = [s for s in stories if not s.draft and s.consent and not index.hides(s)]
    return gather(config, stories, published, index)


def format_report(stats: PolicyStats, site_title: str) -> str:
    rows = [f"Customer stories for {site_title}",
            f"  received   {stats.received:>5}",
            (f"  published  {stats.published:>5}   (verified {stats.verified}, hand-picked {stats.featured}, "
             f"with a disclosure {stats.disclosed})"),
            f"  pending    {stats.pending:>5}",
            f"  withheld   {stats.withheld:>5}"]
    rows += [f"    {r.code:<22}{r.count:>3}   {r.meaning}" for r in stats.reasons if r.count]
    rows.append(f"  average rating: published {_shown(stats.published_average, stats.published_rated)}; "
                f"all received {_shown(stats.received_average, stats.received_rated)}")
    return "\n".join(rows)


def _shown(average: float | None, rated: int) -> str:
    return f"{average} of 5 ({rated} rated)" if average is not None else "none yet (0 rated)"


__all__ = ["PolicyStats", "SubmissionIndex", "format_report", "gather", "load_index", "report"]
