"""Reading a form service's export: CSV or JSON → one record per story, field → text.

Columns are found by their header, compared without case, spaces or punctuation, so
``Your story``, ``your_story`` and ``YOUR STORY:`` are the same column. ``moderation.columns``
in site.yaml names the headers of an export whose questions are worded differently.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from storyforge.core.config import SUBMISSION_COLUMNS, SiteConfig
from storyforge.errors import ModerationError, SourceLocation

#: headers of common form-service exports (and of the share-your-story form), per field
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "received_at": ("received_at", "timestamp", "submitted at", "submission date", "date submitted", "submitted",
                    "created at", "created", "date", "received"),
    "name": ("name", "your name", "full name", "customer name", "first and last name", "author"),
    "email": ("email", "email address", "e-mail", "your email", "your email address", "contact email",
              "contact_email"),
    "title": ("title", "story title", "headline", "subject", "give your story a title"),
    "story": ("story", "your story", "body", "review", "your review", "testimonial", "message", "comments",
              "feedback", "tell us your story"),
    "rating": ("rating", "stars", "star rating", "score", "your rating", "rating out of 5", "rating 1-5"),
    "product": ("product", "product or service", "what did you buy", "what did you buy?", "service", "item"),
    "town": ("town", "your town", "city", "location", "where do you live"),
    "photo": ("photo", "photo url", "photo link", "picture"),
    "order": ("order", "order number", "order id", "order reference", "receipt number"),
    "booking": ("booking", "booking reference", "booking number", "reservation"),
    "consent_publish": ("consent_publish", "consent", "may we publish your story", "permission to publish",
                        "publish", "i agree"),
    "consent_name": ("consent_name", "show my name as", "name display", "how should we show your name",
                     "how may we show your name"),
    "consent_town": ("consent_town", "show my town", "may we show your town"),
    "consent_photo": ("consent_photo", "show my photo", "may we show your photo"),
    "incentive": ("incentive", "did you receive anything", "did you receive anything for writing this"),
    "relationship": ("relationship", "connection", "are you connected to us", "connection to the business"),
    "honeypot": ("honeypot", "website", "_gotcha"),
}

def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def resolve_columns(headers: list[str], config: SiteConfig) -> dict[str, str]:
    """field → the header that holds it; site.yaml's names win over the defaults."""
    by_key: dict[str, str] = {}
    for header in headers:
        by_key.setdefault(_key(header), header)
    chosen: dict[str, str] = {}
    for name in SUBMISSION_COLUMNS:
        configured = config.moderation.columns.get(name)
        for candidate in configured or DEFAULT_COLUMNS[name]:
            found = by_key.get(_key(candidate))
            if found is not None and found not in chosen.values():
                chosen[name] = found
                break
        else:
            if configured:
                raise ModerationError(
                    f"moderation.columns.{name} in site.yaml names {', '.join(repr(c) for c in configured)}, "
                    f"but the export has no such column; its columns are: {', '.join(headers)}")
    if "story" not in chosen:
        raise ModerationError(
            "no column holds the story — name its header in site.yaml, e.g. moderation: {columns: {story: "
            f"\"Tell us about your visit\"}}; the columns are: {', '.join(headers) or 'none'}")
    return chosen


def read_rows(path: Path, config: SiteConfig) -> list[tuple[SourceLocation, str, dict[str, str]]]:
    """(where, 'row N' | 'item N', field → text) for each record of a CSV or JSON export."""
    shown = path.as_posix()
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ModerationError(f"cannot read: {exc.strerror or exc}", SourceLocation(shown)) from None
    except UnicodeDecodeError:
        raise ModerationError("not UTF-8 text — export the file as UTF-8 CSV or JSON", SourceLocation(shown)) from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("["):
        return _json_rows(text, shown, config)
    return _csv_rows(text, shown, config)


def _csv_rows(text: str, shown: str, config: SiteConfig) -> list[tuple[SourceLocation, str, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text.replace("\r\n", "\n"), newline=""))
    try:
        headers = next(reader)
    except (StopIteration, csv.Error):
        raise ModerationError("the file is empty — expected a header row, then one row per story",
                              SourceLocation(shown, 1)) from None
    columns = resolve_columns(headers, config)
    index = {name: headers.index(header) for name, header in columns.items()}
    rows = []
    number = 0
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ModerationError(f"cannot read the CSV: {exc}", SourceLocation(shown, start)) from None
        if not any(cell.strip() for cell in record):
            continue
        number += 1
        values = {name: record[i] if i < len(record) else "" for name, i in index.items()}
        rows.append((SourceLocation(shown, start), f"row {number}", values))
    return rows


#: a form export is a list of flat objects; deeper than this is not one (and Python's JSON reader
#: would give up with a RecursionError a few hundred levels further down)
MAX_JSON_DEPTH = 20


def _json_rows(text: str, shown: str, config: SiteConfig) -> list[tuple[SourceLocation, str, dict[str, str]]]:
    too_deep = ModerationError("the JSON is nested too deeply to be a form export", SourceLocation(shown, 1))
    if _depth(text) > MAX_JSON_DEPTH:
        raise too_deep
    try:
        # numbers are kept as written: a form's answer is text, and Python refuses to read an
        # integer of more than 4,300 digits
        data = json.loads(text, parse_int=str)
    except json.JSONDecodeError as exc:
        raise ModerationError(f"not valid JSON: {exc.msg} (column {exc.colno})",
                              SourceLocation(shown, exc.lineno)) from None
    except RecursionError:
        raise too_deep from None
    if not isinstance(data, list):
        raise ModerationError("expected a JSON list of objects, one per story", SourceLocation(shown))
    rows = []
    for number, item in enumerate(data, start=1):
        where = SourceLocation(shown)
        if not isinstance(item, dict):
            rows.append((where, f"item {number}", {"_error": "expected an object with the story's fields"}))
            continue
        flat = {k: _as_text(v) for k, v in _flatten(item).items()}
        try:
            columns = resolve_columns(list(flat), config)
        except ModerationError as exc:
            rows.append((where, f"item {number}", {"_error": exc.message}))
            continue
        rows.append((where, f"item {number}", {name: flat[header] for name, header in columns.items()}))
    return rows


def _depth(text: str) -> int:
    """The deepest nesting of [ and { in a JSON text, outside strings: one linear pass, before the
    reader (which recurses) sees it."""
    deepest = depth = 0
    for token in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif mark in "]}":
            depth -= 1
    return deepest


def _flatten(item: dict[str, Any]) -> dict[str, Any]:
    """{'consent': {'publish': true}} → {'consent_publish': true}; our own files import as they are."""
    flat: dict[str, Any] = {}
    for key, value in item.items():
        if isinstance(value, dict):
            flat.update({f"{key}_{inner}": v for inner, v in value.items()})
        else:
            flat[str(key)] = value
    method, reference = str(flat.pop("verification_method", "") or ""), flat.pop("verification_reference", "")
    if method in ("order", "booking") and reference:
        flat.setdefault(method, reference)
    return flat


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
