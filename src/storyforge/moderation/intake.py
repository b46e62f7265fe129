"""Intake: rows of a form service's export (``exports.py`` reads them), and stories taken by
phone or email, made into submissions and admitted to the inbox after screening.

A bad row is reported with its row number and skipped; the good rows are imported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from storyforge.core.config import SUBMISSION_COLUMNS, SiteConfig
from storyforge.core.textpolicy import customer_text
from storyforge.errors import ModerationError, SourceLocation
from storyforge.moderation import checks
from storyforge.moderation.exports import read_rows
from storyforge.moderation.store import INBOX, Placement, Store, fault
from storyforge.moderation.submission import (
    NAME_CHOICES,
    Consent,
    Flag,
    Submission,
    Verification,
    content_id,
)

MAX_STORY_CHARS = 20_000
#: the longest answer kept for each other field: a name of thousands of characters is not a name,
#: and every field ends up on pages and share cards
MAX_FIELD_CHARS = {"name": 100, "email": 254, "title": 200, "product": 200, "town": 100, "photo": 2000,
                   "order": 100, "booking": 100, "incentive": 300, "relationship": 300}
MAX_ANSWER_CHARS = 200  # rating, consent answers, dates
YES = {"yes", "y", "true", "1", "on", "checked", "agree", "agreed", "i agree", "x", "✓", "✔"}
NO = {"", "no", "n", "false", "0", "off", "unchecked", "none", "-"}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


class RowError(ValueError):
    """One row cannot become a submission; the message says why."""


@dataclass
class ImportReport:
    """What an import did."""

    imported: list[Submission] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # labels of rows imported before
    skipped: list[ModerationError] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)


# --- one row → one Submission ---------------------------------------------------------


def build_submission(values: dict[str, str], source: str, config: SiteConfig, now: datetime) -> Submission:
    """A Submission from field texts (as named in SUBMISSION_COLUMNS); RowError when it cannot be."""
    if "_error" in values:
        raise RowError(values["_error"])
    get, removed = clean_fields(values)
    story = get["story"]
    if not story:
        raise RowError("no story text — the story column is empty")
    if get["photo"] and not re.match(r"https?://\S+$", get["photo"]):
        raise RowError(f"photo: expected a web address starting https://, got {get['photo']!r}")
    rating, rating_given = parse_rating(get["rating"])
    consent = Consent(publish=parse_yes(get["consent_publish"], "consent to publish"),
                      name=parse_name_choice(get["consent_name"]),
                      town=parse_yes(get["consent_town"], "consent to show the town"),
                      photo=parse_yes(get["consent_photo"], "consent to show a photo"))
    verification = (Verification("order", get["order"]) if get["order"] else
                    Verification("booking", get["booking"]) if get["booking"] else Verification())
    title, name = " ".join(get["title"].split()), " ".join(get["name"].split())
    given = {"name": name, "email": get["email"], "title": title, "story": story,
             "rating": get["rating"], "product": get["product"], "town": get["town"], "photo": get["photo"],
             "consent": vars(consent), "incentive": get["incentive"], "relationship": get["relationship"],
             "verification": vars(verification)}
    submission = Submission(
        id=content_id(given), received_at=parse_when(get["received_at"], config, now), source=source,
        title=title or title_from(story), body=story, name=name, rating=rating, rating_given=rating_given,
        product=get["product"], location=get["town"], photo=get["photo"], contact_email=get["email"],
        incentive=get["incentive"], relationship=get["relationship"], consent=consent, verification=verification)
    if removed:
        submission.flags.append(Flag("cleaned", f"{removed} invisible control character{'s' if removed > 1 else ''} "
                                                "removed from what the customer sent"))
    return submission


def clean_fields(values: dict[str, str]) -> tuple[dict[str, str], int]:
    """Every field through the text policy (``core.textpolicy``) and its length limit; the count of
    characters removed. RowError names the first field that is too long."""
    cleaned: dict[str, str] = {}
    removed = 0
    for name in SUBMISSION_COLUMNS:
        text, dropped = customer_text(values.get(name) or "", multiline=name == "story")
        limit = MAX_STORY_CHARS if name == "story" else MAX_FIELD_CHARS.get(name, MAX_ANSWER_CHARS)
        if len(text) > limit:
            what = "the story" if name == "story" else name
            raise RowError(f"{what} is {len(text):,} characters, over the limit of {limit:,}")
        cleaned[name] = text
        removed += dropped
    return cleaned, removed


def title_from(story: str, limit: int = 70) -> str:
    """The first sentence of the story, cut at a word, as a title when the customer gave none."""
    first = re.split(r"(?<=[.!?])\s", " ".join(story.split()), maxsplit=1)[0].rstrip(".")
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0].rstrip(",;:—-") + "…"


def parse_rating(text: str) -> tuple[int | None, str]:
    """(whole number, '') or (None, the answer as given when it is not a whole number)."""
    answer = text.strip()
    if not answer:
        return None, ""
    if "★" in answer:
        return answer.count("★"), ""
    if answer.lower() in NUMBER_WORDS:
        return NUMBER_WORDS[answer.lower()], ""
    match = re.fullmatch(r"(\d{1,3})(\.0+)?\s*(/\s*5|out of 5|stars?)?", answer, re.IGNORECASE)
    return (int(match.group(1)), "") if match else (None, answer)


def parse_yes(text: str, what: str) -> bool:
    answer = " ".join(text.lower().split())
    if answer in NO:
        return False
    if answer in YES or answer.startswith(("yes", "i agree", "i consent", "agreed")):
        return True
    if answer.startswith(("no", "don't", "do not", "i do not", "not")):
        return False
    raise RowError(f"{what}: cannot tell whether {text!r} means yes or no")


def parse_name_choice(text: str) -> str:
    """How the name may be shown: 'full', 'first-initial' or 'anonymous' (the default)."""
    answer = " ".join(text.lower().replace("_", "-").split())
    if answer in NAME_CHOICES:
        return answer
    if not answer or any(w in answer for w in ("anonym", "don't", "do not", "no name", "not show", "hide")) \
            or answer in ("no", "none"):
        return "anonymous"
    if "initial" in answer:
        return "first-initial"
    if "full" in answer or answer == "yes":
        return "full"
    raise RowError(f"name display: {text!r} is not one of full name, first name and initial, anonymous")


_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?")


def parse_when(text: str, config: SiteConfig, now: datetime) -> str:
    """When it arrived, ISO 8601 with the offset; slashed dates are month-first only on en-US sites."""
    answer = text.strip()
    if not answer:
        moment = now
    else:
        try:
            moment = datetime.fromisoformat(answer)
        except ValueError:
            moment = _slashed(answer, config)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=config.tz)
    return moment.replace(microsecond=0).isoformat()


def _slashed(answer: str, config: SiteConfig) -> datetime:
    match = _SLASHED.fullmatch(answer)
    if not match:
        raise RowError(f"received date {answer!r} not understood — use a date like 2026-03-01 14:30")
    a, b, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
    # when only one reading is a real date, that one
    month_first = b > 12 if a > 12 or b > 12 else config.language.lower() == "en-us"
    month, day = (a, b) if month_first else (b, a)
    hour, minute, second = (int(match.group(i) or 0) for i in (4, 5, 6))
    if match.group(7):
        hour = hour % 12 + (12 if match.group(7).lower() == "pm" else 0)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=config.tz)
    except ValueError as exc:
        raise RowError(f"received date {answer!r}: {exc}") from None


# --- writing new submissions into the inbox ---------------------------------------------


def corpus_for(store: Store, place: Placement) -> checks.Corpus:
    """Published stories and every submission, for the near-duplicate check."""
    from storyforge.core.content import parse_document
    from storyforge.errors import StoryforgeError

    corpus = checks.Corpus()
    for rel in sorted(place.story_paths):
        data = (store.site / rel).read_bytes()
        try:
            corpus.add(rel, f"the published story {rel}", parse_document(data, rel, "testimonial", len(data) + 1).body)
        except StoryforgeError:
            continue  # a broken story is the build's to report
    for state, files in (("pending", place.inbox), ("rejected", place.rejected)):
        for sid, path in files.items():
            try:
                corpus.add(sid, f"submission {sid} ({state})", store.read(path)[0].body)
            except ModerationError:
                continue  # listed as broken by `moderate list`
    return corpus


def admit(config: SiteConfig, rows: list[tuple[SourceLocation, str, dict[str, str]]], source: str,
          now: datetime) -> ImportReport:
    """Screen and write each new row into the inbox; rows seen before (anywhere) are left alone."""
    store = Store(config)
    report = ImportReport()
    with store.lock():
        report.recovered, place = store.settle()
        known = place.ids() | {str(r.get("id")) for r in store.decisions()}
        corpus = corpus_for(store, place)
        for where, label, values in rows:
            try:
                submission = build_submission(values, source, config, now)
            except RowError as exc:
                report.skipped.append(ModerationError(f"{label} skipped: {exc}", where))
                continue
            if submission.id in known:
                report.already.append(label)
                continue
            submission.flags = checks.screen(submission, corpus, config.moderation.profanity,
                                             values.get("honeypot") or "") + submission.flags
            store.write(INBOX, submission.id, submission.to_json())
            fault("import:after-write")
            known.add(submission.id)
            corpus.add(submission.id, f"submission {submission.id} (pending)", submission.body)
            report.imported.append(submission)
    return report


def import_file(config: SiteConfig, path: Path, now: datetime | None = None) -> ImportReport:
    """``storyforge submissions import FILE``."""
    rows = read_rows(path, config)
    source = "json" if path.suffix.lower() == ".json" else "csv"
    return admit(config, rows, source, now or datetime.now(config.tz))


PROMPTS: list[tuple[str, str]] = [
    ("story", "The story, in the customer's words (finish with an empty line)"),
    ("name", "Customer's name"),
    ("email", "Contact email (never published; Enter to skip)"),
    ("title", "A title (Enter to use the first sentence)"),
    ("rating", "Rating, 1 to 5 (Enter for none)"),
    ("product", "What it is about (Enter to skip)"),
    ("town", "Town (Enter to skip)"),
    ("consent_publish", "May we publish it? yes/no"),
    ("consent_name", "Show the name as: full / first-initial / anonymous"),
    ("consent_town", "May we show the town? yes/no"),
    ("consent_photo", "May we show a photo? yes/no"),
    ("incentive", "Did they receive anything for it? (Enter for nothing)"),
    ("relationship", "Are they connected to the business? (Enter for no)"),
    ("order", "Order number, to verify (Enter to skip)"),
    ("booking", "Booking reference, to verify (Enter to skip)"),
]


def ask_missing(values: dict[str, str], ask: Callable[[str], str] = input) -> dict[str, str]:
    """Ask in the terminal for every field not given on the command line."""
    answers = dict(values)
    for name, question in PROMPTS:
        if answers.get(name):
            continue
        if name == "story":
            lines = []
            print(f"{question}:")
            while (line := ask("  ")).strip():
                lines.append(line)
            answers[name] = "\n".join(lines)
        else:
            answers[name] = ask(f"{question}: ").strip()
    return answers
