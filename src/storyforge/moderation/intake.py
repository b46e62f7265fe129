"""Intake: rows of a form service's export (``exports.py`` reads them), and stories taken by
phone or email, made into submissions and admitted to the inbox after screening.

A bad row is reported with its row number and skipped; the good rows are imported.
Importing an export again never makes a second copy: a submission's id is a hash of when it
arrived, the story and the name as written (not of how columns were mapped), and a pending
submission whose story comes back with other answers (a fixed mapping) is updated in place,
recorded in decisions.jsonl as an "updated" line. Decided submissions are left alone.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from storyforge.core.config import SUBMISSION_COLUMNS, SiteConfig
from storyforge.core.textpolicy import customer_text
from storyforge.errors import ModerationError, SourceLocation, UsageError
from storyforge.moderation import checks
from storyforge.moderation.answers import RowError, parse_name_choice, parse_rating, parse_when, parse_yes
from storyforge.moderation.exports import Export, read_export
from storyforge.moderation.orders import Orders, load_orders
from storyforge.moderation.photos import REFERENCE, CleanPhoto, store_clean
from storyforge.moderation.placement import Placement
from storyforge.moderation.store import INBOX, UPDATED, Store, fault
from storyforge.moderation.story_languages import site_tags, story_language
from storyforge.moderation.submission import Consent, Flag, Submission, Verification, content_id, sha256

__all__ = ["Added", "ImportReport", "RowError", "add_story", "added_from", "admit", "build_submission", "import_file",
           "parse_name_choice", "parse_rating", "parse_when", "parse_yes", "story_refused", "story_row"]

MAX_STORY_CHARS = 20_000
#: the longest answer kept for each other field: a name of thousands of characters is not a name,
#: and every field ends up on pages and share cards
MAX_FIELD_CHARS = {"name": 100, "email": 254, "title": 200, "product": 200, "town": 100, "photo": 2000,
                   "order": 100, "booking": 100, "incentive": 300, "relationship": 300}
MAX_ANSWER_CHARS = 200  # rating, consent answers, dates
NO_CONSENT_ASKED = "the form did not ask for permission to publish"


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    imported: list[Submission] = field(default_factory=list)
    updated: list[tuple[Submission, list[str]]] = field(default_factory=list)  # with the fields that changed
    already: list[str] = field(default_factory=list)  # labels of rows imported before
    skipped: list[ModerationError] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    export: Export | None = None
    labels: dict[str, str] = field(default_factory=dict)  # id → 'row N', for the rows taken


# --- one row → one Submission ---------------------------------------------------------


def build_submission(values: dict[str, str], source: str, config: SiteConfig, now: datetime) -> Submission:
    """A Submission from field texts (as named in SUBMISSION_COLUMNS); RowError when it cannot be."""
    if "_error" in values:
        raise RowError(values["_error"])
    get, removed = clean_fields(values)
    story = get["story"]
    if not story:
        raise RowError("no story text — the story column is empty")
    if get["photo"]:
        _check_photo(get["photo"], config)
    rating, rating_given = parse_rating(get["rating"])
    consent = Consent(publish=parse_yes(get["consent_publish"], "consent to publish"),
                      name=parse_name_choice(get["consent_name"]),
                      town=parse_yes(get["consent_town"], "consent to show the town"),
                      photo=parse_yes(get["consent_photo"], "consent to show a photo"))
    verification = (Verification("order", get["order"]) if get["order"] else
                    Verification("booking", get["booking"]) if get["booking"] else Verification())
    title, name = " ".join(get["title"].split()), " ".join(get["name"].split())
    received = parse_when(get["received_at"], config, now, values.get("_zone", ""))
    lang = story_language(config, get["lang"])
    # what the customer sent and when, never how the columns were mapped: a fixed mapping keeps the id
    sid = content_id({"received": received if get["received_at"] else "", "story": story, "name": name})
    submission = Submission(
        id=sid, received_at=received, source=source,
        title=title or title_from(story), body=story, name=name, rating=rating, rating_given=rating_given,
        product=get["product"], location=get["town"], photo=get["photo"], contact_email=get["email"],
        incentive=get["incentive"], relationship=get["relationship"], lang=lang, consent=consent,
        verification=verification)
    if removed:
        submission.flags.append(Flag("cleaned", f"{removed} invisible control character{'s' if removed > 1 else ''} "
                                                "removed from what the customer sent"))
    return submission


def _check_photo(photo: str, config: SiteConfig) -> None:
    """A photo is a web address, or a photo storyforge stored beside the submissions (``photos.py``)."""
    if REFERENCE.fullmatch(photo):
        if not (config.root / config.moderation.submissions_dir / photo).is_file():
            raise RowError(f"photo: {photo} is not among the stored photos in {config.moderation.submissions_dir}/")
    elif not re.match(r"https?://\S+$", photo):
        raise RowError(f"photo: expected a web address starting https:// (or a stored photo photos/<file>), "
                       f"got {photo!r}")


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


# --- writing new submissions into the inbox ---------------------------------------------


def corpus_for(store: Store, place: Placement) -> checks.Corpus:
    """Published stories, pending and rejected submissions, for the near-duplicate check: found
    through the submissions index, so a row is compared with the few texts that can be like it."""
    del place  # where each file is no longer matters here: the index knows each file's words
    index = store.index(refresh=False)
    return checks.Corpus(elsewhere=index.similar, rarity=index.rarity)


Rows = list[tuple[SourceLocation, str, dict[str, str]]]


class Pending:
    """The pending submissions an import may meet again: those of earlier imports, found through
    the index and read when asked for, and those of this import, kept in memory."""

    def __init__(self, store: Store, place: Placement, decided: set[str]) -> None:
        self.store, self.place, self.decided = store, place, decided
        self.index = store.index(refresh=False)
        self.taken: dict[str, Submission] = {}

    def get(self, sid: str) -> Submission | None:
        if sid in self.taken:
            return self.taken[sid]
        if sid in self.decided or sid not in self.place.inbox:
            return None
        with contextlib.suppress(ModerationError):  # a broken file is listed by `moderate list`
            return self.store.read(self.place.inbox[sid])[0]
        return None

    def with_body(self, body: str) -> list[Submission]:
        found = {}
        for sid in self.index.pending_with_body(body):  # in the inbox's order, then this import's
            if (sub := self.get(sid)) is not None and sub.body == body:
                found[sid] = sub
        for sid, sub in self.taken.items():
            if sub.body == body:
                found.setdefault(sid, sub)
        return list(found.values())

    def __setitem__(self, sid: str, submission: Submission) -> None:
        self.taken[sid] = submission


def admit(config: SiteConfig, rows: Rows, source: str, now: datetime, *, dry_run: bool = False,
          no_consent_asked: bool = False, store: Store | None = None,
          prepared: Mapping[str, Prepared] | None = None) -> ImportReport:
    """Screen each row; write new ones into the inbox and update pending ones in place.

    With ``dry_run`` nothing is written (no lock, no recovery): the report says what would happen.
    What the rows are compared with comes from the submissions index (``moderation.index``), so the
    cost of an import follows its rows, not the size of the inbox. A long-running caller passes its
    own ``store`` (``gather.py``), whose index stays open from one call to the next. ``prepared``:
    rows already built and screened on their own (``story_row``), by label: under the lock only
    the comparison with other stories is left for them."""
    store = store or Store(config)
    report = ImportReport()
    orders = load_orders(config)
    with contextlib.nullcontext() if dry_run else store.lock():
        if dry_run:
            place = store.placement()
        else:
            report.recovered, place = store.settle()
        decided = store.decided() | set(place.rejected) | set(place.withdrawn) | set(place.stories)
        pending = Pending(store, place, decided)
        corpus = corpus_for(store, place)
        index = store.index(refresh=False)
        fresh: list[tuple[str, bytes]] = []  # new stories, written together: their flushes overlap
        for where, label, values in rows:
            ready = prepared.get(label) if prepared else None
            try:
                submission = (replace(ready.submission, flags=list(ready.submission.flags)) if ready is not None
                              else build_submission(values, source, config, now))
            except RowError as exc:
                report.skipped.append(ModerationError(f"{label} skipped: {exc}", where))
                continue
            earlier_id = _earlier_id(values, submission)
            if {submission.id, earlier_id} & decided or index.decided_story(submission.body, submission.name):
                report.already.append(label)
                continue
            _check(submission, orders)
            own = ready.own if ready is not None else _own_flags(config, submission, values)
            submission.flags = checks.screen(submission, corpus, own) + submission.flags
            if no_consent_asked:
                _note_no_consent_asked(submission)
            earlier = (pending.get(submission.id) or pending.get(earlier_id)
                       or _same_story(pending.with_body(submission.body), submission))
            if earlier is not None:
                submission.id = earlier.id
                changed = _changes(earlier, submission)
                if not changed:
                    report.already.append(label)
                    continue
                if not dry_run:
                    _write_fresh(store, fresh)  # a story of this import, updated: written first, then again
                    # the line first: a kill before the write leaves the old file, and running the import
                    # again writes it and finds its line already there; the other way round, a lost line
                    # could never be told from an unchanged file
                    data = submission.to_json()
                    store.log(store.record(submission.id, UPDATED, sha256(data), note=f"re-imported ({label}); "
                                           f"changed: {', '.join(changed)}", when=now))
                    fault("import:after-update-logged")
                    store.write(INBOX, submission.id, data, sync_folder=False)
                pending[submission.id] = submission
                report.labels[submission.id] = label
                report.updated.append((submission, changed))
                continue
            if not dry_run:
                fresh.append((submission.id, submission.to_json()))
            pending[submission.id] = submission
            report.labels[submission.id] = label
            corpus.add(submission.id, f"submission {submission.id} (pending)", submission.body)
            report.imported.append(submission)
        if not dry_run:
            _write_fresh(store, fresh)
        if not dry_run and (report.imported or report.updated):
            store.sync(INBOX)  # once for every row, before the command says they are saved
    return report


def _write_fresh(store: Store, fresh: list[tuple[str, bytes]]) -> None:
    """Write the new stories screened so far (none if one cannot be written), and forget them."""
    if fresh:
        store.write_many(INBOX, fresh)
        fresh.clear()
        fault("import:after-write")


@dataclass
class Added:
    """What :func:`add_story` did: the submission, and whether it is new; else the same story was in
    already (a double-click, a resend) and ``changed`` lists what a pending one had updated in place."""

    submission: Submission
    new: bool
    changed: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)


def add_story(config: SiteConfig, values: dict[str, str], source: str, now: datetime,
              photo: CleanPhoto | None = None) -> Added:
    """One story into the inbox — ``submissions add`` and ``storyforge intake`` both come here, so a
    story is checked, screened and written one way whichever door it came in by.

    Checked first (RowError, naming the field, before anything is written); then the photo, already
    cleaned (``photos.clean_photo``), is stored under the submission's id; then :func:`admit` screens
    the story and writes it atomically and durably, or finds it there already. (``gather.py`` runs
    the same three steps for many stories at once: the first two in each caller's thread, one
    :func:`admit` for all.)"""
    ready, values = story_row(config, values, source, now, photo)
    report = admit(config, [(SourceLocation(f"({source})"), "the story", values)], source, now,
                   prepared={"the story": ready})
    return added_from(report, "the story", ready.submission)


@dataclass
class Prepared:
    """A story built from its row and screened on its own (``checks.own_flags``) before it is
    admitted: what needs no lock, done in the caller's thread (``gather.py``)."""

    submission: Submission
    own: checks.OwnFlags


def story_row(config: SiteConfig, values: dict[str, str], source: str, now: datetime,
              photo: CleanPhoto | None) -> tuple[Prepared, dict[str, str]]:
    """:func:`add_story`'s first two steps: the story checked (RowError), its photo stored, and
    screened on its own; the values :func:`admit` takes, with the photo's reference."""
    submission = build_submission(values, source, config, now)
    if photo is not None:
        values = {**values, "photo": store_clean(config.root / config.moderation.submissions_dir, submission.id,
                                                 photo)}
        submission = build_submission(values, source, config, now)  # with the photo's reference, checked
    return Prepared(submission, _own_flags(config, submission, values)), values


def _own_flags(config: SiteConfig, submission: Submission, values: Mapping[str, str]) -> checks.OwnFlags:
    """``checks.own_flags`` with what a story is screened with besides itself: the owner's words,
    the honeypot's answer, the region for telephone numbers, the languages' word lists."""
    return checks.own_flags(submission, config.moderation.profanity, values.get("honeypot") or "",
                            config.moderation.region(config.language), screening_languages(config, submission))


def added_from(report: ImportReport, label: str, submission: Submission) -> Added:
    """What :func:`admit` did with the row ``label`` (of one story, checked as ``submission``)."""
    for problem in report.skipped:  # the same checks passed before; only a photo that vanished ends here
        if problem.message.startswith(f"{label} skipped: "):
            raise RowError(problem.message.split("skipped: ", 1)[-1])
    for new in report.imported:
        if report.labels.get(new.id) == label:
            return Added(new, True, recovered=report.recovered)
    for updated, changed in report.updated:
        if report.labels.get(updated.id) == label:
            return Added(updated, False, changed, report.recovered)
    return Added(submission, False, recovered=report.recovered)


def _earlier_id(values: dict[str, str], sub: Submission) -> str:
    """The id the same row was given before ids stopped depending on the mapping (a hash of every
    answer), so stories imported then — pending, published or rejected — are not imported again."""
    get = {name: (values.get(name) or "").strip() for name in SUBMISSION_COLUMNS}
    return content_id({"name": sub.name, "email": get["email"], "title": " ".join(get["title"].split()),
                       "story": sub.body,
                       "rating": get["rating"], "product": get["product"], "town": get["town"],
                       "photo": get["photo"], "consent": vars(sub.consent), "incentive": get["incentive"],
                       "relationship": get["relationship"],
                       "verification": {"method": sub.verification.method, "reference": sub.verification.reference}})


def _same_story(pending: Iterable[Submission], new: Submission) -> Submission | None:
    """The pending submission that is this story read with another mapping: the same words, and the
    same name or the same arrival time (whichever the first mapping had found)."""
    for old in pending:
        if old.body == new.body and (old.name == new.name or old.received_at == new.received_at or not old.name):
            return old
    return None


def _changes(old: Submission, new: Submission) -> list[str]:
    """The fields a re-import changed; screening flags follow from them and are not counted."""
    before, after = json.loads(old.to_json()), json.loads(new.to_json())
    return [key for key in after if key not in ("id", "flags") and before.get(key) != after[key]]


def screening_languages(config: SiteConfig, submission: Submission) -> tuple[str, ...]:
    """The word lists a story is screened with (beside English's): its own language's, or, when the
    customer's language is not known, every language of the site."""
    return (submission.lang,) if submission.lang else site_tags(config)


def _check(submission: Submission, orders: Orders) -> None:
    """Look the typed reference up in the owner's orders file: only a match is a check."""
    if submission.verification.reference:
        submission.verification.checked = orders.match(submission.verification.reference)


def _note_no_consent_asked(submission: Submission) -> None:
    for flag in submission.flags:
        if flag.code == "no-consent":
            flag.message = (f"{NO_CONSENT_ASKED} — approval is blocked until you ask the customer; if they "
                            "agree, set \"publish\": true under \"consent\" in this file")


def import_file(config: SiteConfig, path: Path, now: datetime | None = None, *, dry_run: bool = False,
                no_consent_column: bool = False) -> ImportReport:
    """``storyforge submissions import FILE [--dry-run] [--no-consent-column]``."""
    export = read_export(path, config)
    if "consent_publish" not in export.mapping.columns and not no_consent_column and not dry_run:
        raise ModerationError(
            "no column holds the customers' permission to publish, so every story would be blocked. Map it in "
            "site.yaml, for example:\nmoderation:\n  columns:\n    consent_publish: \"Can we share your story?\"\n"
            "or, if the form never asked, import with --no-consent-column (each story then waits until you "
            f"have asked its author); the columns are: {', '.join(export.table.headers)}", SourceLocation(
                path.as_posix(), 1))
    source = "json" if export.table.delimiter == "json" else "csv"
    report = admit(config, export.rows, source, now or datetime.now(config.tz), dry_run=dry_run,
                   no_consent_asked=no_consent_column or "consent_publish" not in export.mapping.columns)
    report.export = export
    return report


def story_refused(problem: RowError) -> UsageError:
    """How ``submissions add`` and the desk's Add a story word a story that cannot be taken."""
    return UsageError(f"the story skipped: {problem}")
