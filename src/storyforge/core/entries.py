"""The typed content model: one dataclass per built-in content type (``content_types`` pairs
each with its folder and fields).

An entry is a plain value: ``schema.Validator`` makes it (with its address), the entry loader
fills in its HTML once, before anyone else sees it, and nothing changes it after that. What
depends on other entries (tag pages, campaigns) lives in the model (``core/model.py``); what
the build cache knows of it (the source's digest, pieces of output made from it) lives in the
cache (``incremental/``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from storyforge.core.words import N_


@dataclass(kw_only=True, slots=True)
class Entry:
    """What every content type has."""

    content_type: str
    source: str  # the file, relative to the site folder
    slug: str
    title: str
    date: datetime | None
    draft: bool
    summary: str  # plain text; from the first paragraph when not given
    tags: tuple[str, ...]
    extra: dict[str, Any]
    body: str  # Markdown as written
    body_line: int
    slug_line: int = 1  # where the address comes from: the slug key, else the top of the file
    url: str = ""  # site path, e.g. '/testimonials/a-story/': from the content type and the slug
    html: str = ""  # sanitized HTML of the body
    #: what links this page to its translations on a multilingual site when their file names differ
    #: (``core.languages``); '' links it by its file name
    translation_key: str = ""

    @property
    def kind_label(self) -> str:
        return self.content_type.capitalize()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its class and a tuple of its fields' values: the build cache holds
        thousands of entries, and a tuple loads in a fraction of the time attributes set one by
        one do. (Entries have slots, not a dictionary each: a third less memory per entry.)"""
        return _restore, (type(self), _pickling(type(self))[1](self))


def _restore(kind: type[Entry], values: tuple[Any, ...]) -> Entry:
    return _pickling(kind)[0](values)


Restorer = Callable[[tuple[Any, ...]], Entry]
ValuesOf = Callable[[Entry], tuple[Any, ...]]
_PICKLING: dict[type[Entry], tuple[Restorer, ValuesOf]] = {}


def _pickling(kind: type[Entry]) -> tuple[Restorer, ValuesOf]:
    """For each entry class: a function making one from its fields' values in one unpacking
    assignment (written out, as dataclasses write ``__init__``: no checks to repeat, no call
    per field), and one reading those values."""
    known = _PICKLING.get(kind)
    if known is None:
        names = tuple(field.name for field in fields(kind))
        targets = "".join(f"entry.{name}, " for name in names)
        source = f"def restore(values):\n    entry = new(kind)\n    {targets}= values\n    return entry\n"
        namespace: dict[str, Any] = {"new": object.__new__, "kind": kind}
        exec(source, namespace)  # noqa: S102 - the source is made from the class's own field names
        known = _PICKLING[kind] = (namespace["restore"], operator.attrgetter(*names))
    return known


@dataclass(kw_only=True, slots=True)
class Testimonial(Entry):
    author: str
    role: str
    company: str
    location: str
    rating: int | None
    product: str
    avatar: str
    featured: bool
    consent: bool
    incentive: str
    relationship: str
    verified: bool
    response: str  # Markdown
    submitted: datetime | None = None  # set by moderation, with approved and submission
    approved: datetime | None = None
    submission: str = ""  # the submission id, which `storyforge moderate withdraw` looks for
    avatar_alt: str = ""  # what the photo shows; the build warns when a photo has none
    logo: str = ""  # the customer's company logo
    response_html: str = ""

    @property
    def byline(self) -> str:
        """'Priya S., Head teacher, Eastbridge Primary, Eastbridge'."""
        return ", ".join(p for p in (self.author, self.role, self.company, self.location) if p)

    @property
    def kind_label(self) -> str:
        return N_("Customer story")


@dataclass(kw_only=True, slots=True)
class Event(Entry):
    start: datetime
    end: datetime | None
    all_day: bool = False
    location: str
    address: str
    signup_url: str
    cost: str
    status: str

    @property
    def kind_label(self) -> str:
        return N_("Event")


@dataclass(kw_only=True, slots=True)
class CharityUpdate(Entry):
    campaign: str
    goal: float | None
    raised: float | None
    currency: str
    beneficiary: str
    donate_url: str

    @property
    def kind_label(self) -> str:
        return "Charity update"


@dataclass(kw_only=True, slots=True)
class Alert(Entry):
    """A notice shown as a banner on every page while it is active: an outage, a recall, changed hours."""

    severity: str  # info, warning or critical
    starts: datetime
    expires: datetime | None
    expires_all_day: bool = False  # `expires: 2026-12-24` means until the end of that day
    link: str

    @property
    def kind_label(self) -> str:
        return "Notice"


@dataclass(kw_only=True, slots=True)
class Page(Entry):
    menu: bool
    weight: int

    @property
    def kind_label(self) -> str:
        return "Page"

