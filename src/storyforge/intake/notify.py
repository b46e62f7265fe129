"""Telling the owner a story arrived: one email per new submission over SMTP, and optionally a
webhook, sent from a worker thread so the customer never waits for a mail server.

The mail says what came in (the title, the rating, the screening flags, who sent it) and what to
run to read it; it holds no link, so nothing in it acts when a mail scanner or a preview fetches
it. Settings are ``moderation.notify`` in site.yaml; the password only ever comes from the
environment (``STORYFORGE_SMTP_PASSWORD``). A failed mail is reported on standard error and the
submission stays safe in the inbox: telling is best effort, keeping is not. With ``digest: daily``
no mail goes per story (the webhook still does): ``digest.py`` sends one a day instead.
"""

from __future__ import annotations

import json
import os
import queue
import smtplib
import ssl
import sys
import threading
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from storyforge.core.config import Notify, SiteConfig
from storyforge.core.textpolicy import terminal_safe
from storyforge.moderation.submission import Submission
from storyforge.moderation.terminal import cut

PASSWORD_VARIABLE = "STORYFORGE_SMTP_PASSWORD"  # noqa: S105 - the variable's name, not a secret
PORTS = {"starttls": 587, "tls": 465, "none": 25}
TIMEOUT = 20


def message_for(config: SiteConfig, submission: Submission) -> EmailMessage:
    """The owner's mail about one new submission: plain text, no links."""
    notify = config.moderation.notify
    mail = EmailMessage()
    mail["Subject"] = f"New story waiting: {cut(terminal_safe(submission.title), 60)}"
    mail["From"] = notify.email_from or notify.email_to
    mail["To"] = notify.email_to
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="storyforge.invalid")
    stars = f"{submission.rating} of 5" if submission.rating is not None else (submission.rating_given or "none")
    flags = [f"  {'!' if f.blocks else '-'} {f.code}: {terminal_safe(f.message)}" for f in submission.flags]
    lines = [
        f"A customer sent a story through {config.title}'s share-your-story form.",
        "",
        f"  Title:     {terminal_safe(submission.title)}",
        f"  From:      {terminal_safe(submission.name) or '(no name)'}",
        f"  Rating:    {stars}",
        f"  May show:  {'yes' if submission.consent.publish else 'NO permission to publish'}",
        f"  Photo:     {'yes' if submission.photo else 'none'}",
        f"  Id:        {submission.id}",
        "",
        *(["It waits in the shared inbox; storyforge submissions pull brings it in and screens it."]
          if config.moderation.inbox else ["Screening found:" if flags else "Screening found nothing to look at.",
                                           *flags]),
        "",
        "Nothing is published until you decide. To read it and decide, in the site's folder run:",
        "",
        *(["  storyforge submissions pull"] if config.moderation.inbox else []),
        f"  storyforge moderate show {submission.id}",
        "",
        "(This mail holds no links on purpose: nothing in it can act for you.)",
    ]
    mail.set_content("\n".join(lines) + "\n")
    return mail


def send_mail(notify: Notify, mail: EmailMessage) -> None:
    """Hand ``mail`` to the configured SMTP server (TLS verified as the system trusts it)."""
    port = notify.smtp_port or PORTS[notify.smtp_security]
    password = os.environ.get(PASSWORD_VARIABLE, "")
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if notify.smtp_security == "tls":
        smtp = smtplib.SMTP_SSL(notify.smtp_host, port, timeout=TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(notify.smtp_host, port, timeout=TIMEOUT)
    with smtp:
        if notify.smtp_security == "starttls":
            smtp.starttls(context=context)
        if notify.smtp_user:
            smtp.login(notify.smtp_user, password)
        smtp.send_message(mail)


def post_webhook(url: str, submission: Submission) -> None:
    """POST a small JSON note (no story text, no contact details) to the owner's webhook."""
    body = json.dumps({"event": "submission", "id": submission.id, "title": submission.title,
                       "received_at": submission.received_at, "rating": submission.rating,
                       "flags": [f.code for f in submission.flags]}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})  # noqa: S310 - http(s) only, checked in site.yaml
    with urllib.request.urlopen(request, timeout=TIMEOUT):  # noqa: S310 - as above
        pass


class Notifier:
    """A worker thread that tells the owner about each new submission, in order."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.notify = config.moderation.notify
        self._queue: queue.Queue[Submission | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return bool((self.notify.email_to and self.notify.smtp_host) or self.notify.webhook)

    def start(self) -> None:
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="storyforge-notify", daemon=True)
            self._thread.start()

    def tell(self, submission: Submission) -> None:
        if self._thread is not None:
            self._queue.put(submission)

    def stop(self) -> None:
        """Send what is queued, then end the worker."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=TIMEOUT * 2)
            self._thread = None

    def _run(self) -> None:
        while (submission := self._queue.get()) is not None:
            if self.notify.email_to and self.notify.smtp_host and self.notify.digest != "daily":
                try:
                    send_mail(self.notify, message_for(self.config, submission))
                except (OSError, smtplib.SMTPException) as exc:
                    print(f"intake: could not email {self.notify.email_to} about {submission.id}: {exc} — the "
                          "story is safe in the inbox", file=sys.stderr, flush=True)
            if self.notify.webhook:
                try:
                    post_webhook(self.notify.webhook, submission)
                except (OSError, ValueError) as exc:
                    print(f"intake: the webhook failed for {submission.id}: {exc}", file=sys.stderr, flush=True)
