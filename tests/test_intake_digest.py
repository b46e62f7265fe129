"""A daily digest instead of one mail per story: `moderation.notify.digest: daily`, and
`storyforge intake digest` (for cron) mailing the stories that came in since the last one to a real
SMTP server (aiosmtpd) on 127.0.0.1 — each story reported once, none lost when the mail fails."""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from moderation_helpers import HEADER, MODERATED_SITE, csv_row
from test_intake import FORM, _free_port, start

from storyforge.intake.server import stop_server


@dataclass
class Mailbox:
    mails: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.mails.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def text(self, n: int = -1) -> str:
        body = self.mails[n].get_body(("plain",))
        assert body is not None
        return str(body.get_content())


@dataclass
class Smtp:
    port: int
    box: Mailbox
    controller: Any
    running: bool = True

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            self.running = False


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    running = Smtp(port, box, controller)
    yield running
    running.stop()


def notify_yaml(port: int, digest: str = "daily") -> str:
    return (f"moderation:\n  intake_url: https://stories.bakery.test\n  notify:\n    email_to: owner@bakery.test\n"
            f"    email_from: intake@bakery.test\n    smtp_host: 127.0.0.1\n    smtp_port: {port}\n"
            f"    smtp_security: none\n    digest: {digest}\n")


def add_stories(run, site: Path, *rows: tuple[str, str, str]) -> None:
    path = site / "stories.csv"
    path.write_text(HEADER + "".join(csv_row(when, "Priya Sharma", title, story) for when, title, story in rows))
    assert run("submissions", "import", path, "--site", site).code == 0


def test_the_digest_lists_each_new_story_once_with_no_link(make_site, run, smtp):
    site = make_site(site_yaml=MODERATED_SITE + notify_yaml(smtp.port))
    add_stories(run, site, ("2026-03-01 09:00", "Alpha loaf", "A crackling crust and a soft crumb."),
                ("2026-03-02 09:00", "Bravo <b>cake</b>", "See http://spam.example for a treat."))
    sent = run("intake", "digest", "--site", site)
    assert sent.code == 0, sent.err
    assert "digest sent to owner@bakery.test: 2 new stories" in sent.out
    [mail] = smtp.box.mails
    assert mail["Subject"] == "2 new stories waiting — Test Bakery"
    text = smtp.box.text()
    assert "2 new stories came in for Test Bakery" in text
    assert text.index("1. Alpha loaf") < text.index("2. Bravo <b>cake</b>")
    assert "Priya S." in text and "Priya Sharma" not in text  # the name as the customer agreed to show it
    assert "screening: spam" in text and "Waiting in all: 2." in text
    assert "spam.example" not in text and "/desk/" in text  # the story is not in it; nothing is a link
    assert "http" not in text and "<a " not in text and mail.get_body(("html",)) is None
    assert sorted(json.loads((site / "submissions/digest.json").read_bytes())["reported"]) == sorted(
        p.stem for p in (site / "submissions/inbox").glob("*.json"))

    again = run("intake", "digest", "--site", site)
    assert again.code == 0 and "nothing new since the last digest (2 waiting); no mail sent" in again.out
    assert len(smtp.box.mails) == 1

    add_stories(run, site, ("2026-03-03 09:00", "Charlie buns", "Sticky buns, still warm."))
    alpha = next(p.stem for p in (site / "submissions/inbox").glob("*.json")
                 if "Alpha loaf" in p.read_text())
    assert run("moderate", "approve", alpha, "--site", site).code == 0
    assert run("intake", "digest", "--site", site).code == 0
    assert smtp.box.mails[-1]["Subject"] == "1 new story waiting — Test Bakery"
    text = smtp.box.text()
    assert "1. Charlie buns" in text and "Alpha loaf" not in text and "Bravo" not in text
    assert "Waiting in all: 2." in text
    assert alpha not in json.loads((site / "submissions/digest.json").read_bytes())["reported"]  # decided: forgotten


def test_a_failed_mail_marks_nothing_and_the_next_digest_has_it_all(make_site, run, smtp):
    site = make_site(site_yaml=MODERATED_SITE + notify_yaml(smtp.port))
    add_stories(run, site, ("2026-03-01 09:00", "Alpha loaf", "A crackling crust and a soft crumb."))
    smtp.stop()
    failed = run("intake", "digest", "--site", site)
    assert failed.code != 0 and "could not email owner@bakery.test" in failed.err
    assert "nothing is marked as reported" in failed.err
    assert not (site / "submissions/digest.json").exists()
    from aiosmtpd.controller import Controller

    back = Controller(smtp.box, hostname="127.0.0.1", port=smtp.port)
    back.start()
    try:
        assert run("intake", "digest", "--site", site).code == 0
    finally:
        back.stop()
    assert "1. Alpha loaf" in smtp.box.text()


def test_with_a_daily_digest_intake_mails_nobody_per_story(make_site, smtp):
    site = make_site(site_yaml=MODERATED_SITE + notify_yaml(smtp.port))
    service, server, thread = start(site, notify=True)
    try:
        assert service.post(FORM).status == 303
    finally:
        stop_server(server, thread)
        service.app.notifier.stop()  # type: ignore[union-attr]
    assert len(service.inbox()) == 1 and smtp.box.mails == []


def test_the_digest_setting_and_command_say_what_is_wrong(make_site, run, smtp):
    weekly = make_site(site_yaml=MODERATED_SITE + notify_yaml(smtp.port, "weekly"))
    built = run("build", "--site", weekly)
    assert built.code != 0 and "expected each (one mail per story) or daily" in built.err
    each = make_site(site_yaml=MODERATED_SITE + notify_yaml(smtp.port, "each"))
    refused = run("intake", "digest", "--site", each)
    assert refused.code != 0 and "set `digest: daily`" in refused.err
    nobody = make_site(site_yaml=MODERATED_SITE)
    assert "no email_to and smtp_host" in run("intake", "digest", "--site", nobody).err
    daily = make_site(site_yaml=MODERATED_SITE + notify_yaml(smtp.port))
    add_stories(run, daily, ("2026-03-01 09:00", "Alpha loaf", "A crackling crust and a soft crumb."))
    shown = run("intake", "digest", "--site", daily, "--dry-run")
    assert shown.code == 0 and "1. Alpha loaf" in shown.out and smtp.box.mails == []
    assert not (daily / "submissions/digest.json").exists()
