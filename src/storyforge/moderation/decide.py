"""A person's decisions: approve (a story in content/), reject (to rejected/), withdraw (to withdrawn/).

Each one holds the folder lock, first finishes anything a killed command left half done,
then runs destination → decision line → removal of the source (see ``store``).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from storyforge.core.config import SiteConfig
from storyforge.core.content import parse_document
from storyforge.core.schema import Validator
from storyforge.core.slugs import slugify
from storyforge.errors import (
    ErrorCollector,
    ModerationError,
    SourceLocation,
    StoryforgeError,
    UsageError,
)
from storyforge.moderation import checks
from storyforge.moderation.approved_photos import photo_beside_story, story_photos
from storyforge.moderation.placement import Placement
from storyforge.moderation.store import (
    REJECTED,
    WITHDRAWN,
    Store,
    fault,
    remove_file,
)
from storyforge.moderation.story_languages import story_dir, story_file
from storyforge.moderation.submission import REASONS, Submission, reason_code, reason_problem, sha256
from storyforge.publish.atomic import write_atomic

KEEP = object()  # approve(rating=KEEP): publish the rating the customer gave


@dataclass
class Outcome:
    """What a decision did, for the command's message."""

    id: str
    message: str
    path: str = ""
    recovered: list[str] | None = None


def find(place: Placement, ident: str) -> str:
    """The full id for ``ident`` (an id or an unambiguous start of one)."""
    ids = place.ids()
    if ident in ids:
        return ident
    matches = sorted(i for i in ids if i.startswith(ident)) if len(ident) >= 4 else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(f"'{ident}' could be {', '.join(matches)} — type more of the id")
    raise ModerationError(f"no submission '{ident}' — see storyforge moderate list (or list --all)")


# --- approve -------------------------------------------------------------------------


def story_front_matter(sub: Submission, config: SiteConfig, title: str, approved: datetime, featured: bool,
                       rating: Any = KEEP, verified: bool = False) -> dict[str, Any]:
    """Normalized front matter: only what the customer consented to, plus the moderation record."""
    received = datetime.fromisoformat(sub.received_at).astimezone(config.tz)
    front: dict[str, Any] = {"title": title, "date": received.date().isoformat(), "author": sub.author}
    if sub.consent.town and sub.location:
        front["location"] = sub.location
    chosen = sub.rating if rating is KEEP else rating
    if chosen is not None:
        front["rating"] = chosen
    if sub.product:
        front["product"] = sub.product
    if sub.consent.photo and sub.photo:
        front["avatar"] = sub.photo
    front["featured"] = featured
    front["consent"] = True
    # a customer-typed reference is not a check: only the owner's records or the owner's word are
    front["verified"] = bool(sub.verification.checked) or verified
    if sub.incentive:
        front["incentive"] = sub.incentive
    if sub.relationship:
        front["relationship"] = sub.relationship
    front["submitted"] = received.strftime("%Y-%m-%d %H:%M")
    front["approved"] = approved.astimezone(config.tz).strftime("%Y-%m-%d %H:%M")
    front["submission"] = sub.id
    return front


#: the submission's fields (as ``checks.other_public_fields`` names them) → their front-matter keys
PUBLISHED_AS = {"name": "author", "town": "location", "product": "product", "incentive": "incentive",
                "relationship": "relationship"}


@dataclass
class Draft:
    """A submission as approval would publish it, and what stands in the way."""

    front: dict[str, Any]
    title: str
    body: str
    personal: list[tuple[str, str]]  # (kind, value) found in what would be shown, before any redaction
    rating_problem: str  # why the rating cannot be published as given, or ''


def published_form(sub: Submission, config: SiteConfig, moment: datetime, *, redact: bool = False,
                   feature: bool = False, rating: Any = KEEP, verified: bool = False) -> Draft:
    """The story exactly as ``approve`` would write it: the one place that decides what is shown.

    ``approve`` refuses on what the draft reports; ``moderate show`` and the desk preview it."""
    title, body = sub.title, sub.body
    region = config.moderation.region(config.language)
    others = checks.other_public_fields(sub)  # the name as shown, the town if shown, the labels
    personal = [item for found in checks.personal_data_by_field(
        {"text": f"{title}\n{body}", **others}, region).values() for item in found]
    if personal and redact:
        title, body = checks.redact(title, region), checks.redact(body, region)
        others = {name: checks.redact(text, region) for name, text in others.items()}
    problem = ""
    if rating is KEEP and (sub.rating_given or (sub.rating is not None and not 1 <= sub.rating <= 5)):
        given = sub.rating_given or sub.rating
        problem = (f"{sub.id}: the rating '{given}' is not a whole number from 1 to 5 — "
                   "approve with --rating N as the customer meant it, or --rating none")
    front = story_front_matter(sub, config, title, moment, feature, rating, verified)
    front.update({key: others[name] for name, key in PUBLISHED_AS.items() if front.get(key)})
    return Draft(front, title, body, personal, problem)


def story_text(front: dict[str, Any], body: str) -> str:
    """A Markdown file; customer text reaches the front matter only through yaml.safe_dump."""
    dumped = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return f"---\n{dumped}---\n{body.strip()}\n"


def validate_story(text: str, rel: str, config: SiteConfig, sid: str) -> None:
    """The build's own checks; raises BuildFailed('approve') listing every problem."""
    errors = ErrorCollector()
    try:
        document = parse_document(text.encode("utf-8"), rel, "testimonial", config.max_body_bytes)
    except StoryforgeError as exc:
        errors.add(exc)
    else:
        entry = Validator(config, errors).validate(document)
        if entry is not None and getattr(entry, "submission", "") != sid:
            errors.add(ModerationError(f"submission: must stay '{sid}' — it is how a withdrawal finds the story",
                                       document.where("submission")))
    errors.raise_if_any("approve")


def story_path(place: Placement, store: Store, date: str, title: str, sid: str, lang: str = "") -> str:
    """content/testimonials/<date>-<slug>.md (<lang>/ after content/ for another language), numbered if taken."""
    withdrawn_paths = {str(store.read_json(p).get("story_file", "")) for p in place.withdrawn.values()}
    base = f"{date}-{slugify(title, unicode=store.config.slugs == 'unicode') or 'story-' + sid}"[:90].rstrip("-")
    for n in range(1, 1000):
        stem = base if n == 1 else f"{base}-{n}"
        rel = f"{story_dir(store.config, lang)}/{stem}.md"
        if rel not in place.story_paths and rel not in withdrawn_paths and stem not in place.story_slugs \
                and not (store.site / rel).exists():
            return rel
    raise ModerationError(f"too many stories named {base}")  # pragma: no cover


Editor = Callable[[Path], None]
Retry = Callable[[StoryforgeError], bool]


def approve(config: SiteConfig, ident: str, *, redact: bool = False, keep_personal_data: bool = False,
            feature: bool = False, rating: Any = KEEP, verified: bool = False, editor: Editor | None = None,
            retry: Retry | None = None, now: datetime | None = None, without_photo: bool = False) -> Outcome:
    """Write the story into content/ (validated first), log the decision, then empty the inbox slot.

    ``verified`` is the owner saying they checked the story against their records by hand;
    ``without_photo``: publish it without the customer's photo (one that cannot be fetched)."""
    store = Store(config)
    with store.lock():
        recovered, place = store.settle()
        sid = find(place, ident)
        where = place.where(sid)
        if where == "content":
            path = place.stories[sid].rel_path
            return Outcome(sid, f"{sid} is already approved: {path}", path, recovered)
        if where != "inbox":
            raise ModerationError(f"{sid} was {where} — only a pending submission can be approved "
                                  f"(see storyforge moderate show {sid})")
        source = place.inbox[sid]
        sub, raw = store.read(source)
        if not sub.consent.publish:
            raise ModerationError(f"cannot approve {sid}: the customer did not agree to publication. Ask them; "
                                  "if they agree, set \"publish\": true under \"consent\" in this file and approve "
                                  "again, else reject it with --reason no-consent", SourceLocation(store.rel(source)))
        moment = now or datetime.now(config.tz)
        draft = published_form(sub, config, moment, redact=redact, feature=feature, rating=rating,
                               verified=verified)
        if draft.personal and not redact and not keep_personal_data:
            shown = ", ".join(f"{kind} '{value}'" for kind, value in draft.personal)
            raise ModerationError(f"{sid} contains personal data ({shown}) — approve with --redact to publish "
                                  "it with the data replaced by a note, or --keep-personal-data if it may be "
                                  "shown")
        if draft.rating_problem:
            raise ModerationError(draft.rating_problem)
        front, title, body = draft.front, draft.title, draft.body
        rel = story_path(place, store, front["date"], title, sid, sub.lang)
        photo = None if without_photo else photo_beside_story(store, sub, rel, store.rel(source))
        if without_photo:
            front.pop("avatar", None)
        if photo is not None:
            front["avatar"] = "/" + photo[0].removeprefix("content/")
            front["avatar_alt"] = front["author"]  # what the photo shows: the customer, by the name they chose
        text = story_text(front, body)
        validate_story(text, rel, config, sid)
        if editor is not None:
            text = _edit(store, sid, text, rel, config, editor, retry)
        if photo is not None:  # before the story that shows it: a crash leaves a photo no page shows
            store.save(store.site / photo[0], photo[1])
        store.save(store.site / rel, text.encode("utf-8"))
        fault("approve:after-story-written")
        checked = {"verified": sub.verification.checked or "by hand"} if front["verified"] else {}
        store.log(store.record(sid, "approved", sha256(raw), when=moment, story=rel, **checked))
        fault("approve:after-decision-logged")
        remove_file(source)
    return Outcome(sid, f"approved {sid} → {rel}", rel, recovered)


def _edit(store: Store, sid: str, text: str, rel: str, config: SiteConfig, editor: Editor,
          retry: Retry | None) -> str:
    """Let a person change the generated file; it must still pass the build's checks."""
    draft = store.root / f".storyforge-edit-{sid}.md"
    # scratch space for the editor, removed afterwards: the inbox file is what must not be lost
    write_atomic(draft, text.encode("utf-8"), durable=False)
    try:
        while True:
            editor(draft)
            edited = draft.read_text(encoding="utf-8")
            try:
                validate_story(edited, rel, config, sid)
                return edited
            except StoryforgeError as problem:
                if retry is None or not retry(problem):
                    raise
    finally:
        draft.unlink(missing_ok=True)


def terminal_editor() -> Editor | None:
    """$VISUAL or $EDITOR when both ends are a terminal; None means --edit cannot run here."""
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not command or not (os.isatty(0) and os.isatty(1)):
        return None

    def run(path: Path) -> None:
        done = subprocess.run([*shlex.split(command), str(path)], check=False)
        if done.returncode != 0:
            raise ModerationError(f"the editor ({command}) exited with status {done.returncode}; nothing written")

    return run


# --- reject and withdraw -----------------------------------------------------------------


def reject(config: SiteConfig, ident: str, code: str, note: str = "", now: datetime | None = None) -> Outcome:
    """Move a pending submission to rejected/ for a lawful reason, and log it."""
    problem = reason_problem(code)
    if problem:
        raise ModerationError(problem)
    code = reason_code(code)
    store = Store(config)
    with store.lock():
        recovered, place = store.settle()
        sid = find(place, ident)
        where = place.where(sid)
        if where == "rejected":
            return Outcome(sid, f"{sid} is already rejected", store.rel(place.rejected[sid]), recovered)
        if where != "inbox":
            hint = " — use storyforge moderate withdraw to take a published story down" if where == "content" else ""
            raise ModerationError(f"{sid} was {'published' if where == 'content' else where}{hint}")
        source = place.inbox[sid]
        sub, raw = store.read(source)
        sub.decision = store.record(sid, "rejected", sha256(raw), code, note, now)
        copy = store.write(REJECTED, sid, sub.to_json())
        fault("reject:after-copy-written")
        store.log(sub.decision)
        fault("reject:after-decision-logged")
        remove_file(source)
    return Outcome(sid, f"rejected {sid} ({code}: {REASONS[code]}) → {store.rel(copy)}", store.rel(copy), recovered)


def withdraw(config: SiteConfig, ident: str, note: str = "", now: datetime | None = None) -> Outcome:
    """Take a story down at its author's request (published or pending), keeping a record."""
    store = Store(config)
    with store.lock():
        recovered, place = store.settle()
        story_file, sid = _withdrawal_target(store, place, ident)
        if sid in place.withdrawn:
            return Outcome(sid, f"{sid} is already withdrawn", store.rel(place.withdrawn[sid]), recovered)
        if story_file:
            source = store.site / story_file
            raw = source.read_bytes()
            text = raw.decode("utf-8", "replace")
            try:
                rating = parse_document(raw, story_file, "testimonial", len(raw) + 1).front.data.get("rating")
            except StoryforgeError:
                rating = None
            saved: dict[str, Any] = {"id": sid, "story_file": story_file, "rating": rating, "story": text}
        else:
            source = place.inbox[sid]
            sub, raw = store.read(source)
            saved = {"id": sid, "story_file": "", "rating": sub.rating, "submission": json.loads(sub.to_json())}
        decision = store.record(sid, "withdrawn", sha256(raw), "withdrawn-by-author", note, now)
        if story_file:
            decision["story"] = story_file
        saved["decision"] = decision
        copy = store.folder(WITHDRAWN) / f"{sid}.json"
        store.save(copy, _dump(saved))
        fault("withdraw:after-copy-written")
        store.log(decision)
        fault("withdraw:after-decision-logged")
        remove_file(source)
        if story_file:
            for photo in story_photos(store.site, story_file):  # the next build drops its variants
                remove_file(photo)
    where = f"{story_file} removed" if story_file else "taken out of the inbox"
    return Outcome(sid, f"withdrew {sid}: {where}; kept in {store.rel(copy)}", store.rel(copy), recovered)


def _withdrawal_target(store: Store, place: Placement, ident: str) -> tuple[str, str]:
    """(story file or '', id) for an id, an id's start, or a testimonial file without an id."""
    candidate = ident.replace("\\", "/").removeprefix("./")
    if candidate.endswith(".md"):
        rel = story_file(candidate, place.story_paths, store.config)
        if rel not in place.story_paths:
            for sid, path in place.withdrawn.items():
                if store.read_json(path).get("story_file") == rel:
                    return "", sid
            raise ModerationError(f"no story {rel}")
        owner = next((s for s in place.stories.values() if s.rel_path == rel), None)
        if owner is not None:
            return rel, owner.submission
        return rel, "story-" + sha256(rel.encode("utf-8"))[:12]
    sid = find(place, ident)
    where = place.where(sid)
    if where == "content":
        return place.stories[sid].rel_path, sid
    if where == "inbox":
        return "", sid
    if where == "withdrawn":
        return "", sid
    raise ModerationError(f"{sid} was rejected, so it is not on the site — nothing to withdraw")


def _dump(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def load_pending(config: SiteConfig) -> tuple[list[Submission], list[ModerationError], list[str]]:
    """Pending submissions (oldest first), unreadable files, and what recovery finished."""
    store = Store(config)
    with store.lock():
        recovered, place = store.settle()
    subs, broken = [], []
    for path in place.pending().values():
        try:
            subs.append(store.read(path)[0])
        except ModerationError as exc:
            broken.append(exc)
    return sorted(subs, key=lambda s: (s.received_at, s.id)), broken, recovered


def load_any(config: SiteConfig, ident: str) -> tuple[str, Submission | None, dict[str, Any] | None]:
    """(state, submission if there is one, the saved record for withdrawn/published ones)."""
    store = Store(config)
    with store.lock():
        _, place = store.settle()
    sid = find(place, ident)
    where = place.where(sid) or ""
    if where in ("inbox", "rejected"):
        return where, store.read((place.inbox if where == "inbox" else place.rejected)[sid])[0], None
    if where == "withdrawn":
        saved = store.read_json(place.withdrawn[sid])
        sub = None
        if isinstance(saved.get("submission"), dict):
            sub = Submission.from_json(json.dumps(saved["submission"]).encode(), store.rel(place.withdrawn[sid]))
        return where, sub, saved
    return where, None, {"story_file": place.stories[sid].rel_path}


__all__ = ["KEEP", "Outcome", "approve", "find", "load_any", "load_pending", "reject", "terminal_editor", "withdraw"]
