"""What the desk shows, as plain values for its templates, made by the moderation core's own
functions: a card is ``decide.published_form`` (what ``approve --redact`` would write), the counts
are ``policy.report`` (what ``/reviews-policy/`` will show), an import preview is
``intake.import_file(dry_run=True)``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storyforge.core.config import SiteConfig
from storyforge.core.languages import language_name
from storyforge.moderation.decide import load_pending, published_form
from storyforge.moderation.intake import ImportReport
from storyforge.moderation.store import Store
from storyforge.moderation.story_languages import is_multilingual
from storyforge.moderation.submission import NAME_CHOICE_WORDS, REASONS, Submission

#: the lawful grounds, in the order the command's help lists them (nothing else can be chosen)
REASON_CHOICES: list[tuple[str, str]] = list(REASONS.items())


@dataclass(frozen=True)
class Flag:
    code: str
    message: str
    blocks: bool


@dataclass(frozen=True)
class Card:
    """One pending submission as it would be published, with what the moderator needs to decide."""

    id: str
    received: str
    source: str
    title: str  # as published: with email addresses and phone numbers replaced
    body: str
    author: str
    name_choice: str
    town: str  # '' unless the customer agreed it may be shown
    photo: str  # '' unless the customer agreed it may be shown
    product: str
    rating: int | None
    rating_problem: str
    incentive: str
    relationship: str
    flags: list[Flag]
    blocked: list[str]  # why approval is refused as things stand, in words
    personal: list[str]  # what redaction replaces
    evidence: str  # a verified match: the row of the owner's records
    reference: str  # what the customer typed, never shown to readers
    front: dict[str, Any] = field(default_factory=dict)
    language: str = ""  # the language it is written in (and published in), by its name; '' on a one-language site


def cards(config: SiteConfig, now: datetime) -> tuple[list[Card], list[str], list[str]]:
    """The inbox, oldest first; plus unreadable files and what recovery finished, as messages."""
    subs, broken, recovered = load_pending(config)
    return [card(config, sub, now) for sub in subs], [str(e) for e in broken], recovered


def card(config: SiteConfig, sub: Submission, now: datetime) -> Card:
    draft = published_form(sub, config, now, redact=True)
    front = draft.front
    blocked = [f"{flag.code}: {flag.message}" for flag in sub.blocking]
    if draft.rating_problem:
        blocked.append(f"the rating '{sub.rating_given or sub.rating}' is not a whole number from 1 to 5 — "
                       "choose the rating to publish")
    verification = sub.verification
    return Card(
        id=sub.id, received=sub.received_at[:16].replace("T", " "), source=sub.source,
        title=draft.title, body=draft.body, author=str(front.get("author", "")),
        name_choice=NAME_CHOICE_WORDS.get(sub.consent.name, sub.consent.name),
        town=str(front.get("location", "")), photo=str(front.get("avatar", "")),
        product=str(front.get("product", "")), rating=front.get("rating"),
        rating_problem=draft.rating_problem, incentive=str(front.get("incentive", "")),
        relationship=str(front.get("relationship", "")),
        flags=[Flag(f.code, f.message, f.blocks) for f in sub.flags], blocked=blocked,
        personal=[f"{kind} '{value}'" for kind, value in draft.personal],
        evidence=verification.checked,
        reference=f"{verification.method} {verification.reference}" if verification.method != "none" else "",
        front=front, language=language_name(sub.lang or config.language) if is_multilingual(config) else "")


def language_choices(config: SiteConfig) -> list[tuple[str, str]]:
    """(tag, name in itself) of each language a story can be written in; none on a one-language site."""
    return [(tag, language_name(tag)) for tag in config.languages] if is_multilingual(config) else []


@dataclass(frozen=True)
class Published:
    """A story on the site, for Reply and Withdraw."""

    ident: str  # the submission id, or the file for a story written by hand
    path: str
    title: str
    author: str
    date: str
    response: str


def published(config: SiteConfig) -> list[Published]:
    """Every testimonial in content/, newest first, with its current reply."""
    from storyforge.core.content import parse_document
    from storyforge.errors import StoryforgeError

    store = Store(config)
    found = []
    for story in store.stories():
        try:
            raw = (store.site / story.rel_path).read_bytes()
            data = parse_document(raw, story.rel_path, "testimonial", config.max_body_bytes).front.data
        except (OSError, StoryforgeError):
            continue  # the build reports a broken story; the desk lists what it can read
        found.append(Published(story.submission or story.rel_path, story.rel_path, str(data.get("title", "")),
                               str(data.get("author", "")), str(data.get("date", "")),
                               str(data.get("response", "") or "")))
    return sorted(found, key=lambda p: (p.date, p.path), reverse=True)


@dataclass(frozen=True)
class Mapping:
    """How an uploaded export would be read: the import's own dry run, for the owner to confirm."""

    read_as: str
    columns: list[tuple[str, str, str]]  # header, field, how it was recognised
    unused: list[str]
    consent_column: bool
    rows: list[tuple[str, list[tuple[str, str]], str]]  # label, (field, value), what would be published
    new: int
    updated: int
    already: int
    skipped: list[str]
    flags: dict[str, int]


def mapping(report: ImportReport) -> Mapping:
    from collections import Counter

    export = report.export
    assert export is not None
    order = {header: i for i, header in enumerate(export.table.headers)}
    columns = [(header, name, export.mapping.how[name])
               for name, header in sorted(export.mapping.columns.items(), key=lambda item: order[item[1]])]
    taken = {report.labels[s.id]: s for s in (*report.imported, *(s for s, _ in report.updated))}
    rows = []
    for _, label, values in export.rows[:3]:
        shown = [(name, value) for name, value in values.items() if not name.startswith("_")]
        sub = taken.get(label)
        outcome = ""
        if sub is not None:
            rating = sub.rating if sub.rating is not None else sub.rating_given or "none"
            outcome = (f"publish: {'yes' if sub.consent.publish else 'NO'}; shown as “{sub.author}”; "
                       f"rating: {rating}; received {sub.received_at}")
        rows.append((label, shown, outcome))
    flags: Counter[str] = Counter(f.code for s in taken.values() for f in s.flags)
    return Mapping(export.read_as, columns, list(export.mapping.unused),
                   "consent_publish" in export.mapping.columns, rows, len(report.imported), len(report.updated),
                   len(report.already), [str(e) for e in report.skipped], dict(sorted(flags.items())))
