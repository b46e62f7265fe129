"""``storyforge submissions pull``: the stories waiting in the bucket (``moderation.inbox``, see
``bucket.py``) brought into the local ``submissions/inbox/``.

Each object goes through :func:`intake.add_story`, the one way a story enters the inbox — checked,
screened against everything the site holds, written atomically and fsynced — and only then is it
deleted from the bucket. The order is what makes a kill harmless:

- killed before the local write is complete: nothing local (the temporary file is cleared by the
  next command), the object is still in the bucket, and the next pull brings it;
- killed after the local write, before the delete: the story is in the inbox *and* in the bucket;
  the next pull finds it already there (same id, same words) or already decided, writes nothing,
  and deletes the object.

So a pull run twice brings nothing twice, a story decided meanwhile is not brought back, and no
story is ever only in memory. Two pulls at once are safe too: ``add_story`` holds the
submissions lock, and deleting an object that another pull deleted first is no error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storyforge.core.config import SiteConfig
from storyforge.errors import ModerationError, UsageError
from storyforge.moderation.bucket import BucketInbox, Parcel, StrangeObject
from storyforge.moderation.intake import RowError, add_story
from storyforge.moderation.photos import PhotoError, clean_photo
from storyforge.moderation.store import fault
from storyforge.moderation.submission import Submission


@dataclass
class PullReport:
    """What a pull did: the new submissions, the stories that were here already, what it left."""

    source: str = ""
    brought: list[Submission] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # one line per object left in the bucket, with why
    recovered: list[str] = field(default_factory=list)


def pull(config: SiteConfig, inbox: BucketInbox | None = None) -> PullReport:
    """Bring every story waiting in the bucket into the local inbox (see the module's docstring)."""
    if not config.moderation.inbox:
        raise UsageError("moderation.inbox is not a bucket in site.yaml, so there is nothing to pull — "
                         "storyforge intake writes into the local inbox itself")
    inbox = inbox or BucketInbox(config)
    inbox.check()
    report = PullReport(inbox.describe())
    for name in inbox.names():
        where = inbox.describe() + name
        try:
            data = inbox.read(name)
            if data is None:  # another pull took it meanwhile
                continue
            parcel = Parcel.from_bytes(data, where)
            # the bucket is trusted no more than a customer: the photo is cleaned again on the way in
            photo = clean_photo(parcel.photo.data) if parcel.photo is not None else None
            added = add_story(config, parcel.values, parcel.source, parcel.received, photo)
        except (RowError, PhotoError) as exc:
            report.left.append(f"{where}: left in the bucket: {exc}")
            continue
        except StrangeObject as exc:  # any other ModerationError (the local inbox cannot be written) stops the pull
            report.left.append(exc.message)
            continue
        except OSError as exc:  # the photo could not be written
            raise ModerationError(f"{where}: cannot write its photo into the inbox: {exc.strerror or exc}") from None
        report.recovered += added.recovered
        fault("pull:after-local-write")
        inbox.remove(name)  # only now: the story is durable in the local inbox (or was there already)
        if added.new:
            report.brought.append(added.submission)
        elif added.changed:
            report.updated.append(added.submission.id)
        else:
            report.already.append(added.submission.id)
    return report


def command(config: SiteConfig) -> int:
    """``storyforge submissions pull``: what came in, one line each, and a summary."""
    from storyforge.moderation.terminal import FLAG_MARK, cut, say

    report = pull(config)
    for line in report.recovered:
        say(line)
    for sub in report.brought:
        say(f"pulled {sub.id}: {cut(sub.title, 60)}")
        for flag in sub.flags:
            say(f"  {FLAG_MARK[flag.blocks]}{flag.code}: {flag.message}")
    for line in report.left:
        say(line)
    extra = f", {len(report.updated)} updated" if report.updated else ""
    say(f"pulled {len(report.brought)} new from {report.source} ({len(report.already)} already here{extra}; "
        f"{len(report.left)} left in the bucket)")
    return 1 if report.left else 0
