"""The rules for site.yaml's values: each checker takes what YAML gave and returns the typed
value, or raises ValueError with what was expected (``config`` adds the file and line)."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from storyforge.core.fields import MAX_TEXT_CHARS, check_url
from storyforge.core.language import bcp47

Checker = Callable[[Any], Any]


@dataclass(frozen=True)
class MenuLink:
    """One link of an explicit ``menu:`` list in site.yaml."""

    title: str
    url: str  # a page of this site, e.g. /events/


def normalise_base_url(value: str) -> str:
    return value if value.endswith("/") else value + "/"


def check_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected text, got {value!r}")
    found = str(value).strip()
    if len(found) > MAX_TEXT_CHARS:
        raise ValueError(f"{len(found):,} characters, over the limit of {MAX_TEXT_CHARS:,} — shorten it")
    return found


def check_address(value: Any) -> str:
    """An address shown or linked on pages (the logo): the same check as front matter's addresses."""
    return check_url(check_text(value))


def check_positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {value!r}")
    return value


def check_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def web_address(text: str, expected: str) -> str:
    """``text`` when it is an absolute http(s) address, else ValueError("expected <expected>, got …")."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected {expected}, got {text!r}")
    return text


def check_base_url(value: Any) -> str:
    text = web_address(check_text(value), "an absolute http(s) address like https://www.example.com/")
    return normalise_base_url(check_url(text))


def check_timezone(value: Any) -> str:
    text = check_text(value)
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {text!r}; use a name like Europe/London or America/New_York") from None
    return text


def check_theme(value: Any) -> str:
    text = check_text(value)
    if not text or "/" in text or "\\" in text or text.startswith("."):
        raise ValueError(f"expected a theme folder name like 'default', got {text!r}")
    return text


def check_relative_dir(value: Any) -> str:
    text = check_text(value)
    if not text or text in (".", ".."):
        raise ValueError(f"expected a folder name like 'public', got {text!r}")
    return text


def check_http_url(value: Any) -> str:
    return check_url(web_address(check_text(value), "an absolute http(s) address like https://forms.example.com/f/abc"))


def check_email(value: Any) -> str:
    text = check_text(value)
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise ValueError(f"expected an email address like owner@example.com, got {text!r}")
    return text


def check_smtp_security(value: Any) -> str:
    text = check_text(value).lower()
    if text not in ("starttls", "tls", "none"):
        raise ValueError(f"expected starttls, tls or none (none only for a mail server on this machine), got {text!r}")
    return text


def check_digest(value: Any) -> str:
    text = check_text(value).lower()
    if text not in ("each", "daily"):
        raise ValueError(f"expected each (one mail per story) or daily (one mail a day, sent by `storyforge intake "
                         f"digest`), got {text!r}")
    return text


def refuse_secret(value: Any) -> str:
    raise ValueError("a password is never kept in site.yaml (it is often shared or committed) — remove this line "
                     "and set the environment variable STORYFORGE_SMTP_PASSWORD where storyforge intake runs")


def refuse_s3_secret(value: Any) -> str:
    raise ValueError("credentials never go in site.yaml (it is often shared or committed) — remove this line and "
                     "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) where storyforge runs")


#: a bucket name as S3 and the services like it allow: 3–63 lower-case letters, digits, dots and hyphens
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def check_inbox(value: Any) -> str:
    """moderation.inbox: ``s3://bucket`` or ``s3://bucket/prefix``, kept without a closing slash."""
    text = check_text(value).strip()
    parts = urlsplit(text)
    prefix = parts.path.strip("/")
    if parts.scheme != "s3" or not _BUCKET.fullmatch(parts.netloc) or parts.query or parts.fragment or \
            ".." in prefix.split("/"):
        raise ValueError(f"expected a bucket like s3://my-bucket/stories (S3 or an S3-compatible service), "
                         f"got {text!r}")
    return f"s3://{parts.netloc}/{prefix}" if prefix else f"s3://{parts.netloc}"


def check_submissions_dir(value: Any) -> str:
    given = check_relative_dir(value).replace("\\", "/")
    text = given.rstrip("/")
    parts = text.split("/")
    if given.startswith("/") or ".." in parts or ":" in parts[0]:
        raise ValueError(f"expected a folder inside the site folder, like 'submissions', got {text!r}")
    if parts[0] in ("content", "static", "themes", "templates"):
        raise ValueError(f"submissions must stay outside {parts[0]}/, where files are published; got {text!r}")
    return text


def check_orders_file(value: Any) -> str:
    text = check_text(value).replace("\\", "/")
    parts = text.split("/")
    if not text or text.startswith("/") or ".." in parts or ":" in parts[0]:
        raise ValueError(f"expected a file inside the site folder, like 'private/orders.csv', got {text!r}")
    if parts[0] in ("content", "static", "themes", "templates"):
        raise ValueError(f"the orders file must stay outside {parts[0]}/, where files are published; got {text!r}")
    return text


def check_country(value: Any) -> str:
    text = check_text(value).upper()
    if len(text) != 2 or not text.isalpha():
        raise ValueError(f"expected a two-letter country code like GB, FR or US, got {text!r}")
    return text


def check_words(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    words = tuple(check_text(item).lower() for item in items)
    if not all(words):
        raise ValueError("expected a list of words like [blimey, crikey]")
    return words


def check_column_names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    names = tuple(check_text(item) for item in items)
    if not names or not all(names):
        raise ValueError("expected the export's column header, e.g. story: \"Tell us about your visit\"")
    return names


def check_menu(value: Any) -> tuple[MenuLink, ...]:
    hint = "expected a list of links like - {title: Events, url: /events/}"
    if not isinstance(value, list) or not value:
        raise ValueError(hint)
    links = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"title", "url"}:
            raise ValueError(f"{hint}, got {item!r}")
        url = check_text(item["url"])
        if not url.startswith("/") or url.startswith("//") or any(ch in url for ch in " \"<>"):
            raise ValueError(f"url: expected a page of this site starting with /, like /events/, got {url!r}")
        links.append(MenuLink(title=check_text(item["title"]), url=url))
    return tuple(links)


def check_mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"expected 'key: value' lines, got {value!r}")
    return value


def check_languages(value: Any) -> tuple[str, ...]:
    """languages: [en-GB, fr] — each a real locale (as ``language:``), none twice."""
    items = value if isinstance(value, list) else [value]
    tags = tuple(bcp47(check_text(item)) for item in items)
    if not tags:
        raise ValueError("expected a list of language codes, e.g. languages: [en-GB, fr]")
    twice = sorted({tag for tag in tags if tags.count(tag) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} listed twice — list each language once")
    return tags


#: what ``translations:`` may give in another language: the site's own words that its pages show
TRANSLATED_SETTINGS = ("description", "tagline", "what_customers_buy", "opening_hours")


def check_translations(value: Any) -> dict[str, dict[str, str]]:
    """translations: {fr: {description: …, tagline: …}} — the site's own words in each other language."""
    if not isinstance(value, dict):
        raise ValueError("expected each language below it, e.g. fr: then description: and tagline: in French")
    checked: dict[str, dict[str, str]] = {}
    for tag, words in value.items():
        if not isinstance(words, dict):
            raise ValueError(f"{tag}: expected 'key: value' lines, e.g. tagline: … in that language")
        unknown = sorted(str(key) for key in words if key not in TRANSLATED_SETTINGS)
        if unknown:
            raise ValueError(f"{tag}: {', '.join(unknown)} cannot be translated here — "
                             f"expected {', '.join(TRANSLATED_SETTINGS)}")
        checked[bcp47(check_text(tag))] = {str(key): check_text(text) for key, text in words.items()}
    return checked
