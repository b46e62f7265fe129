"""Content types: which front-matter keys each accepts, their types and defaults → Entry.

The rules are data (``FIELDS``), so the build, ``storyforge new`` and the
moderation step all validate through the same table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from storyforge.core.config import SiteConfig, did_you_mean
from storyforge.core.content import Document
from storyforge.core.entries import ENTRY_CLASSES, Entry, entry_url
from storyforge.core.slugs import MAX_SLUG, RESERVED_NAMES, slugify
from storyforge.errors import ConfigError, ErrorCollector, SchemaError, SourceLocation

# --- coercers: (value, raw text, context) → typed value, or ValueError(message) ----


@dataclass(frozen=True)
class Context:
    tz: ZoneInfo


Coercer = Callable[[Any, "str | None", Context], Any]


def text(value: Any, raw: str | None, ctx: Context) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (bool, int, float)) and raw is not None:
        return raw.strip()  # `title: yes` or `phone: 0800` mean the words as written
    raise ValueError(f"expected text, got {_show(value)}")


def boolean(value: Any, raw: str | None, ctx: Context) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"expected true or false, got {_show(value)}")


def whole_number(value: Any, raw: str | None, ctx: Context) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {_show(value)}")
    return value


def rating(value: Any, raw: str | None, ctx: Context) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValueError(f"must be a whole number from 1 to 5, got {_show(value)}")
    return value


def amount(value: Any, raw: str | None, ctx: Context) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value:
        raise ValueError(f"expected an amount like 1500 or 1500.50 (no currency sign), got {_show(value)}")
    return float(value)


def currency(value: Any, raw: str | None, ctx: Context) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        raise ValueError(f"expected a three-letter currency code like GBP, EUR or USD, got {_show(value)}")
    return value.strip().upper()


_DATE_HINT = "expected a date like 2025-05-01 or a date and time like 2025-05-01 14:30"


def moment(value: Any, raw: str | None, ctx: Context) -> datetime:
    """An ISO 8601 date or date-time; read in the site's timezone unless it has an offset."""
    if not isinstance(value, str):
        raise ValueError(f"{_DATE_HINT}, got {_show(value)}")
    candidate = value.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?", candidate):
        raise ValueError(f"{_DATE_HINT}, got {_show(value)}")
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError as exc:
        raise ValueError(f"{_DATE_HINT}, got {_show(value)} ({exc})") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ctx.tz)


def is_all_day(raw: str | None) -> bool:
    return raw is not None and len(raw.strip()) == 10


def tag_list(value: Any, raw: str | None, ctx: Context) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError(f"expected a list like [cakes, birthdays], got {_show(value)}")
    tags: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)) or not str(item).strip():
            raise ValueError(f"each tag must be a word or short phrase, got {_show(item)}")
        tag = str(item).strip()
        if not slugify(tag):
            raise ValueError(f"tag {tag!r} has no letters or digits to make a web address from")
        if slugify(tag) in RESERVED_NAMES:
            raise ValueError(f"tag {tag!r} would make the folder '{slugify(tag)}', a reserved device name on "
                             "Windows — choose another word")
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


_SAFE_SCHEMES = ("http", "https", "mailto", "tel")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]")


def url(value: Any, raw: str | None, ctx: Context) -> str:
    """A web address or a site path; script-bearing schemes are refused."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a web address like https://www.example.com/page, got {_show(value)}")
    address = value.strip()
    squashed = _INVISIBLE.sub("", address)
    scheme = urlsplit(squashed).scheme.lower() if ":" in squashed.split("/", 1)[0] else ""
    if scheme and scheme not in _SAFE_SCHEMES:
        raise ValueError(
            f"only https://, http://, mailto: and tel: addresses or site paths like /images/a.jpg are "
            f"allowed, got {_show(value)}")
    if _INVISIBLE.search(address):
        raise ValueError(f"a web address cannot contain spaces or control characters, got {_show(value)}")
    return address


def choice(*options: str) -> Coercer:
    def check(value: Any, raw: str | None, ctx: Context) -> str:
        if not isinstance(value, str) or value.strip().lower() not in options:
            hint = did_you_mean(str(value), options)
            raise ValueError(f"must be one of {', '.join(options)}, got {_show(value)}{hint}")
        return value.strip().lower()
    return check


def mapping(value: Any, raw: str | None, ctx: Context) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"expected 'key: value' lines indented below it, got {_show(value)}")
    return value


SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def slug(value: Any, raw: str | None, ctx: Context) -> str:
    candidate = text(value, raw, ctx)
    if not SLUG_RE.fullmatch(candidate) or len(candidate) > MAX_SLUG:
        raise ValueError(
            f"use lowercase letters, digits and single hyphens (at most {MAX_SLUG}), like 'my-story', "
            f"got {_show(value)}")
    if candidate in RESERVED_NAMES:
        raise ValueError(f"'{candidate}' is a reserved device name on Windows — choose another slug")
    return candidate


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a group of keys"
    shown = repr(value) if isinstance(value, str) else str(value)
    return shown if len(shown) <= 60 else shown[:57] + "...'"


# --- the table -------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    coerce: Coercer
    required: bool = False
    default: Any = None
    help: str = ""


COMMON: dict[str, FieldSpec] = {
    "title": FieldSpec(text, required=True, help="the headline"),
    "slug": FieldSpec(slug, help="the web address part; else from the file name"),
    "date": FieldSpec(moment, help="ISO date, e.g. 2025-05-01"),
    "draft": FieldSpec(boolean, default=False),
    "summary": FieldSpec(text, default="", help="else the first paragraph"),
    "tags": FieldSpec(tag_list, default=()),
    "extra": FieldSpec(mapping, default={}, help="your own keys"),
}

FIELDS: dict[str, dict[str, FieldSpec]] = {
    "testimonial": {
        **COMMON,
        "author": FieldSpec(text, required=True, help="the name as the customer agreed to show it"),
        "role": FieldSpec(text, default=""),
        "company": FieldSpec(text, default=""),
        "location": FieldSpec(text, default=""),
        "rating": FieldSpec(rating),
        "product": FieldSpec(text, default=""),
        "avatar": FieldSpec(url, default=""),
        "featured": FieldSpec(boolean, default=False),
        "consent": FieldSpec(boolean, default=True, help="false keeps the story off the site"),
        "incentive": FieldSpec(text, default="", help="what the customer received, shown as a disclosure"),
        "relationship": FieldSpec(text, default="", help="e.g. employee, shown as a label"),
        "verified": FieldSpec(boolean, default=False),
        "response": FieldSpec(text, default="", help="the business's public reply, Markdown"),
        # written by `storyforge moderate approve`; `submission` is how a withdrawal finds the story
        "submitted": FieldSpec(moment, help="when the customer sent it"),
        "approved": FieldSpec(moment, help="when a person approved it for publication"),
        "submission": FieldSpec(text, default="", help="the moderation id of the submission"),
    },
    "event": {
        **COMMON,
        "start": FieldSpec(moment, required=True, help="date or date and time, site timezone"),
        "end": FieldSpec(moment),
        "location": FieldSpec(text, default=""),
        "address": FieldSpec(text, default=""),
        "signup_url": FieldSpec(url, default=""),
        "cost": FieldSpec(text, default=""),
        "status": FieldSpec(choice("scheduled", "cancelled", "postponed"), default="scheduled"),
    },
    "charity": {
        **COMMON,
        "campaign": FieldSpec(text, required=True, help="the campaign this update belongs to"),
        "goal": FieldSpec(amount),
        "raised": FieldSpec(amount, help="the running total as of this update"),
        "currency": FieldSpec(currency, default="USD"),
        "beneficiary": FieldSpec(text, default=""),
        "donate_url": FieldSpec(url, default=""),
    },
    "alert": {
        **COMMON,
        "severity": FieldSpec(choice("info", "warning", "critical"), default="info"),
        "starts": FieldSpec(moment, required=True, help="when the banner starts to show, site timezone"),
        "expires": FieldSpec(moment, help="when it stops showing; a date alone means the end of that day"),
        "link": FieldSpec(url, default="", help="where to read more"),
    },
    "page": {
        **COMMON,
        "menu": FieldSpec(boolean, default=False, help="show in the site navigation"),
        "weight": FieldSpec(whole_number, default=0, help="order in the navigation"),
    },
}


@dataclass
class _Value:
    value: Any
    raw: str | None
    where: SourceLocation
    from_defaults: bool = False


@dataclass
class Validator:
    """Turns Documents into Entries for one site; checks site.yaml's defaults once."""

    config: SiteConfig
    errors: ErrorCollector = field(default_factory=ErrorCollector)

    def __post_init__(self) -> None:
        self.ctx = Context(self.config.tz)
        self._defaults = {name: self._layer(name) for name in FIELDS}

    def _layer(self, content_type: str) -> dict[str, _Value]:
        """site.yaml defaults.all then defaults.<type>, checked once, with their lines."""
        merged: dict[str, _Value] = {}
        for level, allowed in (("all", COMMON), (content_type, FIELDS[content_type])):
            for key, value in self.config.defaults.get(level, {}).items():
                where = SourceLocation("site.yaml", self.config.default_lines.get((level, key)))
                if key not in allowed:
                    if content_type == "page" or level != "all":  # report once per key
                        self.errors.add(ConfigError(
                            f"defaults.{level}.{key}: not a key of {level}{did_you_mean(key, list(allowed))}",
                            where))
                    continue
                if key in ("slug", "title"):
                    self.errors.add(ConfigError(f"defaults.{level}.{key}: must be set in each file", where))
                    continue
                merged[key] = _Value(value, str(value) if value is not None else None, where, True)
        return merged

    def validate(self, doc: Document) -> Entry | None:
        """The Entry for ``doc``, or None with every problem added to ``self.errors``."""
        specs = FIELDS[doc.content_type]
        values = dict(self._defaults[doc.content_type])
        ok = True
        for key, value in doc.front.data.items():
            key = str(key)
            if key not in specs:
                self.errors.add(SchemaError(
                    f"{key}: unknown key for a {doc.content_type}{did_you_mean(key, list(specs))}; "
                    f"put your own keys under 'extra:'", doc.where(key)))
                ok = False
                continue
            values[key] = _Value(value, doc.front.raw.get((key,)), doc.where(key))
        typed: dict[str, Any] = {}
        for key, spec in specs.items():
            given = values.get(key)
            if given is None or given.value is None or given.value == "":
                if spec.required:
                    self.errors.add(SchemaError(
                        f"{key}: required — add '{key}: ...' ({spec.help})", doc.where()))
                    ok = False
                typed[key] = spec.default
                continue
            try:
                typed[key] = spec.coerce(given.value, given.raw, self.ctx)
            except ValueError as exc:
                self.errors.add(SchemaError(f"{key}: {exc}", given.where))
                ok = False
        if ok:
            ok = self._cross_checks(doc, typed, values)
        if not ok:
            return None
        return self._entry(doc, typed, values)

    def _cross_checks(self, doc: Document, typed: dict[str, Any], values: dict[str, _Value]) -> bool:
        if doc.content_type == "event" and typed["end"] is not None and typed["end"] < typed["start"]:
            self.errors.add(SchemaError("end: is before start — check the date and time", values["end"].where))
            return False
        if doc.content_type == "alert" and typed["expires"] is not None and typed["expires"] < typed["starts"]:
            self.errors.add(SchemaError("expires: is before starts — check the date and time",
                                        values["expires"].where))
            return False
        if typed["slug"] is None:
            stem = doc.rel_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            slug = typed["slug"] = slugify(stem)
            if not slug or slug in RESERVED_NAMES:
                self.errors.add(SchemaError(
                    "cannot make a web address from this file name"
                    + (f" ('{slug}' is a reserved device name on Windows)" if slug else "")
                    + " — rename the file or add 'slug: my-story'", doc.where()))
                return False
        return True

    def _entry(self, doc: Document, typed: dict[str, Any], values: dict[str, _Value]) -> Entry:
        cls = ENTRY_CLASSES[doc.content_type]
        if doc.content_type == "event":
            start_raw = values["start"].raw
            typed["all_day"] = is_all_day(start_raw)
            if typed["date"] is None:
                typed["date"] = typed["start"]
        if doc.content_type == "alert":
            typed["expires_all_day"] = typed["expires"] is not None and is_all_day(values["expires"].raw)
            if typed["date"] is None:
                typed["date"] = typed["starts"]
        return cls(
            content_type=doc.content_type,
            source=doc.rel_path,
            body=doc.body,
            body_line=doc.body_line,
            slug_line=doc.front.lines.get(("slug",), 1),
            url=entry_url(doc.content_type, typed["slug"]),
            **typed,
        )
