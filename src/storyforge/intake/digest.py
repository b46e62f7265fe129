"""``storyforge intake digest``: one email a day instead of one per story (``moderation.notify.digest:
daily``), sent by a command that cron or a systemd timer runs.

The mail lists the stories that came into the inbox since the last digest — how many, and each
one's title, rating, name as it may be shown and screening flags — and, like the per-story mail,
holds no link: nothing in it can act when a mail scanner opens it. What was reported is
remembered in ``submissions/digest.json`` (the ids still waiting, so the file stays as small as
the inbox), written only after the mail server took the mail: a failed send is tried again the
next day with everything in it, and a crash between the two costs at most one repeated line.
"""

from __future__ import annotations

import argparse
import json
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from storyforge.core.config import SiteConfig, load_config
from storyforge.core.textpolicy import terminal_safe
from storyforge.errors import ModerationError, UsageError
from storyforge.intake.notify import send_mail
from storyforge.moderation.store import Store
from storyforge.moderation.submission import Submission
from storyforge.moderation.terminal import cut
from storyforge.publish.atomic import write_atomic

STATE_FILE = "digest.json"


def state_path(config: SiteConfig) -> Path:
    return config.root / config.moderation.submissions_dir / STATE_FILE


def reported(config: SiteConfig) -> set[str]:
    """The ids the last digests already listed."""
    path = state_path(config)
    try:
        data = json.loads(path.read_bytes())
        return {str(sid) for sid in data["reported"]}
    except FileNotFoundError:
        return set()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModerationError(f"{path}: cannot be read ({exc}) — delete it, and the next digest lists every "
                              "waiting story again") from None


def waiting(config: SiteConfig) -> list[Submission]:
    """Every submission waiting for a decision, oldest first."""
    store = Store(config)
    found = [store.read(path)[0] for path in store.placement().pending().values()]
    return sorted(found, key=lambda s: (s.received_at, s.id))


def digest_mail(config: SiteConfig, new: list[Submission], pending: int) -> EmailMessage:
    """The owner's daily mail: the count and the titles of the new stories, plain text, no links."""
    notify = config.moderation.notify
    mail = EmailMessage()
    count = len(new)
    stories = "story" if count == 1 else "stories"
    mail["Subject"] = f"{count} new {stories} waiting — {cut(terminal_safe(config.title), 40)}"
    mail["From"] = notify.email_from or notify.email_to
    mail["To"] = notify.email_to
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="storyforge.invalid")
    verb = "waits" if count == 1 else "wait"
    lines = [f"Since the last digest, {count} new {stories} came in for {config.title} and {verb} for your decision:",
             ""]
    for number, submission in enumerate(new, 1):
        stars = f"{submission.rating} of 5" if submission.rating is not None else "no rating"
        flags = ", ".join(f.code for f in submission.flags) or "nothing found"
        shown = "yes" if submission.consent.publish else "NO permission to publish"
        when = submission.received_at[:16].replace("T", " ")
        lines += [f"  {number}. {cut(terminal_safe(submission.title), 70)}",
                  f"     {stars} · from {terminal_safe(submission.author)} · {when} · id {submission.id}",
                  f"     may show: {shown} · screening: {flags}", ""]
    lines += [f"Waiting in all: {pending}.", "",
              "Nothing is published until you decide: on the moderation desk (/desk/ on your intake service),",
              "or in the site's folder with", "", "  storyforge moderate list", "",
              "(This mail holds no links on purpose: nothing in it can act for you.)"]
    mail.set_content("\n".join(lines) + "\n")
    return mail


def send_digest(config: SiteConfig, dry_run: bool = False) -> str:
    """Send the digest of what is new, remember it, and say what was done."""
    notify = config.moderation.notify
    if not (notify.email_to and notify.smtp_host):
        raise UsageError("moderation.notify has no email_to and smtp_host in site.yaml, so there is nobody to send "
                         "a digest to — add them (see the README's intake section)")
    if notify.digest != "daily":
        raise UsageError("moderation.notify.digest is not daily, so intake already mails each story as it comes — "
                         "set `digest: daily` under moderation.notify to get one mail a day instead")
    before = reported(config)
    pending = waiting(config)
    new = [s for s in pending if s.id not in before]
    if not new:
        return f"nothing new since the last digest ({len(pending)} waiting); no mail sent"
    mail = digest_mail(config, new, len(pending))
    if dry_run:
        return mail.as_string()
    try:
        send_mail(notify, mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise ModerationError(f"could not email {notify.email_to}: {exc} — nothing is marked as reported; the "
                              "next digest lists these stories again") from None
    keep = sorted({s.id for s in pending} & (before | {s.id for s in new}))
    record = {"reported": keep, "sent_at": datetime.now(UTC).isoformat(timespec="seconds")}
    write_atomic(state_path(config), (json.dumps(record, indent=1) + "\n").encode(), durable=True)
    return f"digest sent to {notify.email_to}: {len(new)} new {'story' if len(new) == 1 else 'stories'}"


def cmd_digest(args: argparse.Namespace) -> int:
    print(send_digest(load_config(args.site.resolve()), args.dry_run), flush=True)
    return 0
