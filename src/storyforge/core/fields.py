"""Front-matter field types: the coercers that check and convert one value, and the fields of each
built-in content type.

A coercer takes (value, raw text, context) and returns the typed value or raises ValueError with
a message for the user. ``FieldSpec`` pairs a coercer with whether the key is required, its
default and a hint; each content type's row in ``content_types`` holds a mapping of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from storyforge.core.slugs import MAX_SLUG, RESERVED_NAMES, slugify
from storyforge.errors import did_you_mean

# --- coercers: (value, raw text, context) → typed value, or ValueError(message) ----


@dataclass(frozen=True)
class Context:
    """What a coercer may need besides the value: the site's timezone, for dates without an offset."""

    tz: ZoneInfo
    unicode_slugs: bool = False  # `slugs: unicode` in site.yaml: tags keep their own letters in addresses


Coercer = Callable[[Any, "str | None", Context], Any]


#: the longest value of a one-line field (a title, a name, a label) and of a Markdown field (a reply):
#: every field is shown on pages, feeds and share cards, so each has a limit where it enters
MAX_TEXT_CHARS = 1000
MAX_LONG_TEXT_CHARS = 20_000
MAX_TAGS = 50
MAX_TAG_CHARS = 200


def text(value: Any, raw: str | None, ctx: Context, limit: int = MAX_TEXT_CHARS) -> str:
    if isinstance(value, str):
        found = value.strip()
    elif isinstance(value, (bool, int, float)) and raw is not None:
        found = raw.strip()  # `title: yes` or `phone: 0800` mean the words as written
    else:
        raise ValueError(f"expected text, got {_show(value)}")
    if len(found) > limit:
        raise ValueError(f"{len(found):,} characters, over the limit of {limit:,} — shorten it")
    return found


def long_text(value: Any, raw: str | None, ctx: Context) -> str:
    """Text that may run to paragraphs (Markdown), with its own larger limit."""
    return text(value, raw, ctx, MAX_LONG_TEXT_CHARS)


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
    if len(items) > MAX_TAGS:
        raise ValueError(f"{len(items):,} tags, over the limit of {MAX_TAGS} per entry — keep the ones readers "
                         "would browse by")
    tags: dict[str, None] = {}  # a dict keeps the order and finds duplicates in one step
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)) or not str(item).strip():
            raise ValueError(f"each tag must be a word or short phrase, got {_show(item)}")
        tag = text(item, None, ctx, MAX_TAG_CHARS) if isinstance(item, str) else str(item).strip()
        if tag in tags:
            continue
        slug = slugify(tag, unicode=ctx.unicode_slugs)
        if not slug:
            raise ValueError(f"tag {tag!r} has no letters or digits to make a web address from")
        if slug in RESERVED_NAMES:
            raise ValueError(f"tag {tag!r} would make the folder '{slug}', a reserved device name on "
                             "Windows — choose another word")
        tags[tag] = None
    return tuple(tags)


_SAFE_SCHEMES = ("http", "https", "mailto", "tel")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]")


def url(value: Any, raw: str | None, ctx: Context) -> str:
    """A web address or a site path; script-bearing schemes are refused."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a web address like https://www.example.com/page, got {_show(value)}")
    return check_url(value)


def check_url(value: str) -> str:
    """``value`` as a safe address: http(s), mailto: or tel:, or a path of this site. The one check
    for every address the owner gives, in front matter and in site.yaml alike."""
    address = value.strip()
    squashed = _INVISIBLE.sub("", address)
    scheme = urlsplit(squashed).scheme.lower() if ":" in squashed.split("/", 1)[0] else ""
    if scheme and scheme not in _SAFE_SCHEMES:
        raise ValueError(
            f"only https://, http://, mailto: and tel: addresses or site paths like /images/a.jpg are "
            f"allowed, got {_show(value)}")
    if not scheme and squashed.replace("\\", "/").startswith("//"):
        # browsers read //host and /\host as another site, not as a path of this one
        raise ValueError(f"{_show(value)} leads to another site — write the whole address, like "
                         "https://www.example.com/page, or a site path with one leading slash")
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


# --- field specs, and the fields of the built-in types ---------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One front-matter key: how its value is checked, whether it must be given, its default and a hint."""

    coerce: Coercer
    required: bool = False
    default: Any = None
    help: str = ""


#: the keys every content type has; site.yaml's defaults.all may set these
COMMON: dict[str, FieldSpec] = {
    "title": FieldSpec(text, required=True, help="the headline"),
    "slug": FieldSpec(slug, help="the web address part; else from the file name"),
    "date": FieldSpec(moment, help="ISO date, e.g. 2025-05-01"),
    "draft": FieldSpec(boolean, default=False),
    "summary": FieldSpec(text, default="", help="else the first paragraph"),
    "tags": FieldSpec(tag_list, default=()),
    "extra": FieldSpec(mapping, default={}, help="your own keys"),
}
#: what links a page to its translations on a multilingual site when their file names differ
#: (``core.languages``); every built-in type has it but the testimonial, as a customer's story
#: exists only in the language they wrote it in, never as anyone's translation
TRANSLATABLE: dict[str, FieldSpec] = {
    "translation_key": FieldSpec(text, default="", help="the same word in each language's file links them as "
                                                        "translations, whatever their file names"),
}

TESTIMONIAL_FIELDS: dict[str, FieldSpec] = {
    **COMMON,
    "author": FieldSpec(text, required=True, help="the name as the customer agreed to show it"),
    "role": FieldSpec(text, default=""),
    "company": FieldSpec(text, default=""),
    "location": FieldSpec(text, default=""),
    "rating": FieldSpec(rating),
    "product": FieldSpec(text, default=""),
    "avatar": FieldSpec(url, default="", help="the customer's photo, shown only with their consent"),
    "avatar_alt": FieldSpec(text, default="", help="what the photo shows, for readers who cannot see it"),
    "logo": FieldSpec(url, default="", help="the logo of the customer's company, for business customers"),
    "featured": FieldSpec(boolean, default=False),
    "consent": FieldSpec(boolean, default=True, help="false keeps the story off the site"),
    "incentive": FieldSpec(text, default="", help="what the customer received, shown as a disclosure"),
    "relationship": FieldSpec(text, default="", help="e.g. employee, shown as a label"),
    "verified": FieldSpec(boolean, default=False),
    "response": FieldSpec(long_text, default="", help="the business's public reply, Markdown"),
    # written by `storyforge moderate approve`; `submission` is how a withdrawal finds the story
    "submitted": FieldSpec(moment, help="when the customer sent it"),
    "approved": FieldSpec(moment, help="when a person approved it for publication"),
    "submission": FieldSpec(text, default="", help="the moderation id of the submission"),
}

EVENT_FIELDS: dict[str, FieldSpec] = {
    **COMMON,
    **TRANSLATABLE,
    "start": FieldSpec(moment, required=True, help="date or date and time, site timezone"),
    "end": FieldSpec(moment),
    "location": FieldSpec(text, default=""),
    "address": FieldSpec(text, default=""),
    "signup_url": FieldSpec(url, default=""),
    "cost": FieldSpec(text, default=""),
    "status": FieldSpec(choice("scheduled", "cancelled", "postponed"), default="scheduled"),
}

CHARITY_FIELDS: dict[str, FieldSpec] = {
    **COMMON,
    **TRANSLATABLE,
    "campaign": FieldSpec(text, required=True, help="the campaign this update belongs to"),
    "goal": FieldSpec(amount),
    "raised": FieldSpec(amount, help="the running total as of this update"),
    "currency": FieldSpec(currency, default="USD"),
    "beneficiary": FieldSpec(text, default=""),
    "donate_url": FieldSpec(url, default=""),
}

ALERT_FIELDS: dict[str, FieldSpec] = {
    **COMMON,
    **TRANSLATABLE,
    "severity": FieldSpec(choice("info", "warning", "critical"), default="info"),
    "starts": FieldSpec(moment, required=True, help="when the banner starts to show, site timezone"),
    "expires": FieldSpec(moment, help="when it stops showing; a date alone means the end of that day"),
    "link": FieldSpec(url, default="", help="where to read more"),
}

PAGE_FIELDS: dict[str, FieldSpec] = {
    **COMMON,
    **TRANSLATABLE,
    "menu": FieldSpec(boolean, default=False, help="show in the site navigation"),
    "weight": FieldSpec(whole_number, default=0, help="order in the navigation"),
}
