"""The desk's actions: form fields in, one call of the moderation core, its message out.

Each function takes the submitted form and returns the core's ``Outcome`` message and the files
it changed; a refusal is the core's own exception with the core's own words, so the desk and
``storyforge moderate`` cannot disagree on a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from storyforge.core.config import SiteConfig
from storyforge.errors import UsageError
from storyforge.moderation.decide import KEEP, Editor, approve, reject, story_text, withdraw
from storyforge.moderation.intake import ImportReport, RowError, add_story, import_file, story_refused
from storyforge.moderation.reply import reply
from storyforge.publish.atomic import write_atomic

Form = Mapping[str, str]

#: the fields of ``submissions add``, as the desk's form names them
ADD_FIELDS = ("story", "name", "email", "title", "rating", "product", "town", "photo", "incentive",
              "relationship", "order", "booking", "received_at")


def _text(form: Form, name: str) -> str:
    """A form field as the core expects text: line breaks as ``\\n`` (browsers send ``\\r\\n``)."""
    return form.get(name, "").replace("\r\n", "\n").replace("\r", "\n")


def _rating(value: str) -> Any:
    """The rating chosen on the desk, as ``approve --rating`` reads it; absent means the customer's."""
    if value == "":
        return KEEP
    if value == "none":
        return None
    if value.isdigit() and 1 <= int(value) <= 5:
        return int(value)
    raise UsageError(f"expected a whole number from 1 to 5 or 'none', got {value!r}")


def do_approve(config: SiteConfig, form: Form) -> tuple[str, list[str]]:
    """Approve, or Approve and feature, with the options the card offers; Edit sends the new words."""
    editor = None
    if form.get("edited") == "1":
        editor = replace_words(_text(form, "title").strip(), _text(form, "body"))
    # personal data: "redact" is --redact, "keep" is --keep-personal-data, neither is refused as on the CLI
    outcome = approve(config, form.get("id", ""), redact=form.get("personal") == "redact",
                      keep_personal_data=form.get("personal") == "keep", feature=form.get("feature") == "1",
                      rating=_rating(form.get("rating", "")), verified=form.get("verified") == "1",
                      editor=editor)
    return outcome.message, [outcome.path]


def replace_words(title: str, body: str) -> Editor:
    """An editor for ``approve(editor=…)`` that puts the desk's edited title and text into the
    generated story; ``approve`` then checks the result exactly as after ``--edit``."""

    def edit(path: Path) -> None:
        _, front_text, _ = path.read_text(encoding="utf-8").split("---\n", 2)
        front = yaml.safe_load(front_text)
        front["title"] = title
        write_atomic(path, story_text(front, body).encode("utf-8"), durable=False)

    return edit


def do_reject(config: SiteConfig, form: Form) -> tuple[str, list[str]]:
    outcome = reject(config, form.get("id", ""), form.get("reason", ""), _text(form, "note").strip())
    return outcome.message, [outcome.path]


def do_withdraw(config: SiteConfig, form: Form) -> tuple[str, list[str]]:
    outcome = withdraw(config, form.get("id", ""), _text(form, "note").strip())
    return outcome.message, [outcome.path]


def do_reply(config: SiteConfig, form: Form) -> tuple[str, list[str]]:
    outcome = reply(config, form.get("id", ""), _text(form, "text"))
    return outcome.message, [outcome.path]


def do_add(config: SiteConfig, form: Form, now: datetime) -> tuple[str, list[str]]:
    """``submissions add`` with the same fields: the checkboxes stand for --consent, --show-town, …"""
    source = form.get("source", "phone")
    if source not in ("phone", "email", "form"):
        raise UsageError(f"how the story came in must be phone, email or form, not {source!r}")
    values = {name: _text(form, name) for name in ADD_FIELDS}
    values["lang"] = form.get("lang", "")
    values.update({"consent_publish": "yes" if form.get("consent") == "1" else "",
                   "consent_name": form.get("show_name", ""),
                   "consent_town": "yes" if form.get("show_town") == "1" else "",
                   "consent_photo": "yes" if form.get("show_photo") == "1" else ""})
    if not values["story"].strip():
        raise UsageError("no story — write the customer's words in the story field")
    try:
        added = add_story(config, values, source, now)
    except RowError as problem:
        raise story_refused(problem) from None
    if added.changed:
        return f"updated {added.submission.id} in place: {', '.join(added.changed)}", []
    if not added.new:
        return "this story is already in the submissions (same words, same customer) — nothing added", []
    sub = added.submission
    return f"added {sub.id} to the inbox", [f"{config.moderation.submissions_dir}/inbox/{sub.id}.json"]


def preview_import(config: SiteConfig, path: Path) -> ImportReport:
    """What the import would do: its dry run, nothing written."""
    return import_file(config, path, dry_run=True)


def do_import(config: SiteConfig, path: Path, no_consent_column: bool) -> tuple[str, list[str]]:
    report = import_file(config, path, no_consent_column=no_consent_column)
    plural = "s" if len(report.imported) != 1 else ""
    parts = [f"imported {len(report.imported)} new submission{plural} from {path.name}"]
    if report.updated:
        parts.append(f"updated {len(report.updated)} pending in place")
    if report.already:
        parts.append(f"{len(report.already)} imported before")
    if report.skipped:
        parts.append(f"{len(report.skipped)} skipped: " + "; ".join(str(e) for e in report.skipped))
    return "; ".join(parts), [str(config.moderation.submissions_dir)]
