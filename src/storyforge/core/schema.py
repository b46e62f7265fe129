"""Validation: front matter → a typed Entry, with every problem reported at its key's line.

Which keys a content type accepts, their types and defaults are data (each type's row in
``content_types``, built from ``fields``), so the build, ``storyforge new`` and the moderation
step all validate through the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storyforge.core.config import SiteConfig
from storyforge.core.content import Document
from storyforge.core.content_types import ContentType, all_types
from storyforge.core.entries import Entry
from storyforge.core.fields import COMMON, Context, is_all_day
from storyforge.core.slugs import RESERVED_NAMES, slugify
from storyforge.errors import ConfigError, ErrorCollector, SchemaError, SourceLocation, did_you_mean


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
        self.ctx = Context(self.config.tz, unicode_slugs=self.config.slugs == "unicode")
        self._types: dict[str, ContentType] = {row.name: row for row in all_types()}
        self._defaults = {name: self._layer(name) for name in self._types}

    def _layer(self, content_type: str) -> dict[str, _Value]:
        """site.yaml defaults.all then defaults.<type>, checked once, with their lines."""
        merged: dict[str, _Value] = {}
        first = next(iter(self._types))
        for level, allowed in (("all", COMMON), (content_type, self._types[content_type].fields)):
            for key, value in self.config.defaults.get(level, {}).items():
                where = SourceLocation("site.yaml", self.config.default_lines.get((level, key)))
                if key not in allowed:
                    if content_type == first or level != "all":  # report once per key
                        self.errors.add(ConfigError(
                            f"defaults.{level}.{key}: not a key of {level}{did_you_mean(key, list(allowed))}",
                            where))
                    continue
                if key in ("slug", "title", "translation_key"):
                    self.errors.add(ConfigError(f"defaults.{level}.{key}: must be set in each file", where))
                    continue
                merged[key] = _Value(value, str(value) if value is not None else None, where, True)
        return merged

    def validate(self, doc: Document) -> Entry | None:
        """The Entry for ``doc``, or None with every problem added to ``self.errors``."""
        specs = self._types[doc.content_type].fields
        values = dict(self._defaults[doc.content_type])
        ok = True
        for key, value in doc.front.data.items():
            key = str(key)
            if key == "translation_key" and key not in specs:  # a story's: see TESTIMONIAL_FIELDS
                self.errors.add(SchemaError("translation_key: a customer's story exists only in the language they "
                                            "wrote it in, never as a translation — remove the key", doc.where(key)))
                ok = False
                continue
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
                continue
            if spec.required and typed[key] == "":  # only spaces or line breaks
                self.errors.add(SchemaError(f"{key}: required — it holds only spaces ({spec.help})", given.where))
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
        if (doc.content_type == "testimonial" and not typed["draft"] and "consent" in doc.front.data
                and doc.front.data["consent"] in (None, "")):
            # `storyforge new` leaves consent empty for a person to fill in: never publish on a guess
            self.errors.add(SchemaError("consent: empty — write true only if the customer agreed to publication, "
                                        "else false (or keep draft: true until you know)", values["consent"].where))
            return False
        if typed["slug"] is None:
            stem = doc.rel_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            slug = typed["slug"] = slugify(stem, unicode=self.ctx.unicode_slugs)
            if not slug or slug in RESERVED_NAMES:
                self.errors.add(SchemaError(
                    "cannot make a web address from this file name"
                    + (f" ('{slug}' is a reserved device name on Windows)" if slug else "")
                    + " — rename the file or add 'slug: my-story'", doc.where()))
                return False
        return True

    def _entry(self, doc: Document, typed: dict[str, Any], values: dict[str, _Value]) -> Entry:
        row = self._types[doc.content_type]
        if doc.content_type == "event":
            start_raw = values["start"].raw
            typed["all_day"] = is_all_day(start_raw)
            if typed["date"] is None:
                typed["date"] = typed["start"]
        if doc.content_type == "alert":
            typed["expires_all_day"] = typed["expires"] is not None and is_all_day(values["expires"].raw)
            if typed["date"] is None:
                typed["date"] = typed["starts"]
        return row.entry_class(
            content_type=doc.content_type,
            source=doc.rel_path,
            body=doc.body,
            body_line=doc.body_line,
            slug_line=doc.front.lines.get(("slug",), 1),
            url=row.url_of(typed["slug"]),
            **typed,
        )
