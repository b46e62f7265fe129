"""`storyforge intake`: the real service (waitress, on loopback) taking the share-your-story form as
the theme renders it, with each abuse case refused in words and nothing written."""

from __future__ import annotations

import base64
import http.client
import http.server
import io
import json
import logging
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from altcha.v1 import solve_challenge
from PIL import ExifTags, Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from storyforge.core.config import load_config
from storyforge.intake import guard
from storyforge.intake.app import IntakeApp, Limits
from storyforge.intake.guard import ProofOfWork
from storyforge.intake.notify import Notifier
from storyforge.intake.server import make_server, stop_server, with_desk
from tests.conftest import SITE_YAML, CliResult, page_text, snapshot

SITE = "https://bakery.test"
INTAKE_SITE = SITE_YAML + "moderation:\n  intake_url: https://stories.bakery.test\n"
FORM = {"story": "The sourdough class was a delight. Our loaf rose beautifully.", "title": "", "rating": "5",
        "product": "sourdough class", "name": "Maya Green", "email": "maya@example.com", "town": "Eastbridge",
        "order": "", "incentive": "", "relationship": "", "consent_publish": "yes", "consent_name": "first-initial",
        "consent_town": "yes", "website": ""}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.body)
        return data


@dataclass
class Service:
    site: Path
    port: int
    app: IntakeApp

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def solved(self) -> str:
        challenge = self.request("GET", "/challenge").json
        solution = solve_challenge(str(challenge["challenge"]), str(challenge["salt"]), "SHA-256",
                                   int(str(challenge["maxnumber"])))
        assert solution is not None
        return base64.b64encode(json.dumps({
            "algorithm": "SHA-256", "challenge": challenge["challenge"], "number": solution.number,
            "salt": challenge["salt"], "signature": challenge["signature"]}).encode()).decode()

    def post(self, fields: dict[str, str], *, photo: bytes | None = None, origin: str = SITE, as_json: bool = False,
             altcha: str | None = None, headers: dict[str, str] | None = None) -> Answer:
        form = {**fields, "altcha": self.solved() if altcha is None else altcha}
        sent = {"Origin": origin, "Accept": "application/json" if as_json else "text/html,*/*;q=0.8",
                **(headers or {})}
        if photo is None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            boundary, body = encode_multipart(
                {**form, "photo": FileStorage(io.BytesIO(photo), "IMG_0042.jpg", content_type="image/jpeg")})
            sent["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        return self.request("POST", "/submit", body, sent)

    def inbox(self) -> list[dict[str, object]]:
        return [json.loads(p.read_bytes()) for p in sorted((self.site / "submissions/inbox").glob("*.json"))]


def start(site: Path, limits: Limits | None = None, notify: bool = False) -> tuple[Service, object, threading.Thread]:
    config = load_config(site)
    notifier = Notifier(config) if notify else None
    if notifier is not None:
        notifier.start()
    app = IntakeApp(config, limits=limits or Limits(), proof=ProofOfWork(max_number=2000), notifier=notifier)
    server = make_server(app, "127.0.0.1", 0, threads=4, asyncore_loop_timeout=0.05)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return Service(site, server.effective_port, app), server, thread


@pytest.fixture
def intake(make_site) -> Iterator[Service]:
    site = make_site(site_yaml=INTAKE_SITE)
    service, server, thread = start(site)
    yield service
    stop_server(server, thread)


def assert_as_submissions_add_writes(data: dict[str, Any], run: Callable[..., CliResult], other: Path) -> None:
    """``data`` (FORM, as a service wrote it) is what `submissions add` writes for the same story in
    the new site ``other``: the same schema and the same id, the arrival time aside."""
    other.mkdir()
    (other / "site.yaml").write_text(SITE_YAML)
    added = run("submissions", "add", "--site", other, "--source", "form", "--story", FORM["story"], "--name",
                FORM["name"], "--email", FORM["email"], "--rating", "5", "--product", FORM["product"], "--town",
                FORM["town"], "--consent", "--show-name", "first-initial", "--show-town")
    assert added.code == 0, added.err
    [by_hand] = [json.loads(p.read_bytes()) for p in (other / "submissions/inbox").glob("*.json")]
    assert {k: v for k, v in by_hand.items() if k != "received_at"} == {
        k: v for k, v in data.items() if k != "received_at"}


def test_a_form_post_writes_one_submission_as_submissions_add_would(intake, make_site, run, tmp_path):
    sent = intake.post(FORM)
    assert sent.status == 303 and sent.headers["location"] == "https://bakery.test/share-your-story/thanks/"
    [data] = intake.inbox()
    assert (data["source"], data["name"], data["contact_email"], data["rating"]) == ("form", "Maya Green",
                                                                                    "maya@example.com", 5)
    assert data["consent"] == {"publish": True, "name": "first-initial", "town": True, "photo": False}
    # the same story through `submissions add`, in another site: the same schema and the same id
    assert_as_submissions_add_writes(data, run, tmp_path / "other")
    # a double-click, a resend: still one submission; JSON for the page's script
    again = intake.post(FORM, as_json=True)
    assert again.status == 200 and again.json == {"ok": True, "id": data["id"], "new": False,
                                                  "thanks": "https://bakery.test/share-your-story/thanks/"}
    assert again.headers["access-control-allow-origin"] == SITE
    assert len(intake.inbox()) == 1


def test_field_errors_name_the_field_and_write_nothing(intake):
    before = snapshot(intake.site)
    answer = intake.post({**FORM, "name": "", "email": "maya at home"}, as_json=True)
    assert answer.status == 400 and answer.json["ok"] is False
    errors = answer.json["errors"]
    assert isinstance(errors, dict)
    assert errors["name"] == "please give your name"
    assert "“maya at home” is not an email address" in errors["email"]
    long_story = intake.post({**FORM, "story": "x" * 20_001}, as_json=True)
    assert long_story.status == 400
    assert long_story.json["errors"] == {"story": "the story is 20,001 characters, over the limit of 20,000"}
    page = intake.post({**FORM, "consent_publish": ""})  # a browser without the script: a page in words
    assert page.status == 400 and "text/html" in page.headers["content-type"]
    text = page_text(page.body)
    assert "I agree that we may publish my story: please tick the box" in text
    assert FORM["story"] in text  # what they typed, kept for them
    assert snapshot(intake.site) == before


@pytest.mark.parametrize(("case", "status", "words"), [
    ("honeypot", 400, "the form was filled in by a program"),
    ("no proof of work", 403, "the form came without the anti-robot check"),
    ("wrong proof of work", 403, "the anti-robot check did not pass"),
    ("replayed proof of work", 403, "this anti-robot check was used already"),
    ("foreign origin", 403, "stories are taken only from this business's own website, not from https://evil.test"),
    ("oversize body", 413, "the form is over 256 kB"),
    ("oversize multipart body", 413, "the form with its photo is over 10 MB"),
    ("photo bomb", 400, "the photo has far more pixels than the limit of 40 megapixels"),
    ("large photo", 400, "the photo is 8,000 × 6,000 pixels; the limit is 40 megapixels"),
    ("not a photo", 400, "this file is not a photo storyforge can read"),
])
def test_each_abuse_is_refused_in_words_and_changes_nothing(intake, case, status, words):
    if case == "replayed proof of work":
        token = intake.solved()
        assert intake.post(FORM, altcha=token).status == 303
    before = snapshot(intake.site)
    other = {**FORM, "story": "Another story entirely, about the cakes."}
    if case == "honeypot":
        answer = intake.post({**other, "website": "http://spam.test"}, as_json=True)
    elif case == "no proof of work":
        answer = intake.post(other, altcha="", as_json=True)
    elif case == "wrong proof of work":
        answer = intake.post(other, altcha=base64.b64encode(b'{"algorithm":"SHA-256","challenge":"ab","number":1,'
                                                            b'"salt":"x","signature":"cd"}').decode(), as_json=True)
    elif case == "replayed proof of work":
        answer = intake.post(other, altcha=token, as_json=True)
    elif case == "foreign origin":
        answer = intake.post(other, origin="https://evil.test", as_json=True)
    elif case == "oversize body":
        answer = intake.post({**other, "story": "y" * 300_000}, as_json=True)
    elif case == "oversize multipart body":
        answer = intake.post(other, photo=b"\xff\xd8" + b"0" * 10_300_000, as_json=True)
    elif case == "photo bomb":
        answer = intake.post(other, photo=_png_header(20_000, 20_000), as_json=True)
    elif case == "large photo":
        answer = intake.post(other, photo=_png_header(8_000, 6_000), as_json=True)
    else:
        answer = intake.post(other, photo=b"GIF89a not really", as_json=True)
    assert answer.status == status, answer.body
    assert answer.json["ok"] is False and words in str(answer.json["message"]) + str(answer.json["errors"])
    assert snapshot(intake.site) == before


def test_rate_limits_per_address_and_overall(make_site):
    site = make_site(site_yaml=INTAKE_SITE)
    service, server, thread = start(site, Limits(per_address_per_hour=2, overall_per_minute=100))
    try:
        for n in range(2):
            assert service.post({**FORM, "story": f"Story number {n} about bread."}).status == 303
        before = snapshot(site)
        over = service.post({**FORM, "story": "A third story about bread."}, as_json=True)
        assert over.status == 429 and over.headers["retry-after"] == "60"
        assert "you have sent a lot of stories in the last hour" in str(over.json["message"])
        assert snapshot(site) == before
        service.app.per_address = type(service.app.per_address)(100, 3600.0)
        service.app.overall = type(service.app.overall)(0 + 1, 60.0)
        assert service.post({**FORM, "story": "A fourth story about bread."}).status == 303
        flood = service.post({**FORM, "story": "A fifth story about bread."}, as_json=True)
        assert flood.status == 429 and "we are receiving a lot of stories right now" in str(flood.json["message"])
    finally:
        stop_server(server, thread)


def test_a_used_solution_is_refused_until_it_expires_then_forgotten(monkeypatch):
    """Replays are refused for the challenge's lifetime; after it the solution is forgotten (it
    would fail as expired anyway), so the service's memory stays flat however many stories come."""
    proof = ProofOfWork(max_number=2000)
    clock = [1000.0]
    monkeypatch.setattr(guard.time, "monotonic", lambda: clock[0])

    def solved() -> str:
        challenge = proof.challenge()
        solution = solve_challenge(str(challenge["challenge"]), str(challenge["salt"]), "SHA-256", 2000)
        assert solution is not None
        return base64.b64encode(json.dumps({
            "algorithm": "SHA-256", "challenge": challenge["challenge"], "number": solution.number,
            "salt": challenge["salt"], "signature": challenge["signature"]}).encode()).decode()

    first = solved()
    proof.check(first)
    clock[0] += 60
    with pytest.raises(guard.Refused, match="used already"):
        proof.check(first)
    second = solved()
    proof.check(second)
    clock[0] += guard.CHALLENGE_LIFETIME.total_seconds() - 30  # the first has expired, the second not
    proof.check(solved())
    assert first not in proof._used and second in proof._used and len(proof._used) == 2
    with pytest.raises(guard.Refused, match="used already"):
        proof.check(second)


def test_behind_a_proxy_the_limit_counts_each_customers_address(make_site):
    """With --trust-proxy every request comes from the proxy's address: the per-address limit must
    count the customer's, from X-Forwarded-For (which waitress drops unless told to keep it)."""
    site = make_site(site_yaml=INTAKE_SITE)
    app = IntakeApp(load_config(site), limits=Limits(per_address_per_hour=1), proof=ProofOfWork(max_number=2000))
    wsgi, desk = with_desk(app, trust_proxy=True)
    server = make_server(wsgi, "127.0.0.1", 0, threads=4, trust_proxy=True, asyncore_loop_timeout=0.05)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    service = Service(site, server.effective_port, app)
    try:
        for n, customer in enumerate(("203.0.113.7", "203.0.113.8")):
            sent = service.post({**FORM, "story": f"Story number {n} about bread."},
                                headers={"X-Forwarded-For": customer, "X-Forwarded-Proto": "https"})
            assert sent.status == 303, sent.body
        again = service.post({**FORM, "story": "Another story about bread."}, as_json=True,
                             headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
        assert again.status == 429
    finally:
        stop_server(server, thread)
        desk.close()
    assert len(service.inbox()) == 2


def test_a_photo_is_stored_upright_with_no_exif_or_gps(intake):
    raw = Image.new("RGB", (40, 20), "blue")
    raw.paste((255, 0, 0), (0, 0, 20, 20))  # the left half red: upright (orientation 6), the top
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.0)
    sent = io.BytesIO()
    raw.save(sent, "JPEG", exif=exif, quality=95)
    with Image.open(io.BytesIO(sent.getvalue())) as original:  # the test's own check: GPS is there to remove
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    answer = intake.post({**FORM, "consent_photo": "yes"}, photo=sent.getvalue(), as_json=True)
    assert answer.status == 200, answer.body
    [data] = intake.inbox()
    assert data["photo"] == f"photos/{data['id']}.jpg" and data["consent"]["photo"] is True
    stored_path = intake.site / "submissions" / str(data["photo"])
    assert stored_path.stat().st_mode & 0o077 == 0  # the owner's only
    with Image.open(stored_path) as stored:
        assert stored.size == (20, 40)  # upright
        assert not stored.getexif() and "exif" not in stored.info and "icc_profile" not in stored.info
        assert b"PhoneCo" not in stored_path.read_bytes() and b"Exif" not in stored_path.read_bytes()
        top, bottom = stored.convert("RGB").getpixel((10, 5)), stored.convert("RGB").getpixel((10, 35))
        assert top[0] > 200 and top[2] < 60 and bottom[2] > 200  # red on top, blue below
    assert list((intake.site / "submissions").rglob("IMG_0042*")) == []  # never the customer's file name


def _png_header(width: int, height: int) -> bytes:
    """A few hundred bytes that say 'I am width × height pixels': a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 2501 * 4)) + chunk(b"IEND", b""))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_owner_gets_one_mail_per_new_story_with_no_link(make_site, monkeypatch):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.mails: list[bytes] = []
            self.logins: list[tuple[str, str]] = []

        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
            self.mails.append(envelope.content)
            return "250 OK"

    port = _free_port()
    mailbox = Inbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    site = make_site(site_yaml=INTAKE_SITE + (
        f"  notify:\n    email_to: owner@bakery.test\n    email_from: intake@bakery.test\n"
        f"    smtp_host: 127.0.0.1\n    smtp_port: {port}\n    smtp_security: none\n"))
    service, server, thread = start(site, notify=True)
    try:
        assert service.post(FORM).status == 303
        assert service.post(FORM).status == 303  # a resend: no second mail
        assert service.post({**FORM, "story": "Second story: the birthday cake was perfect.",
                             "title": "Cake"}).status == 303
        deadline = time.monotonic() + 10
        while len(mailbox.mails) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop_server(server, thread)
        assert service.app.notifier is not None
        service.app.notifier.stop()
        controller.stop()
    assert len(mailbox.mails) == 2
    first, second = (m.decode() for m in mailbox.mails)
    ids = [str(d["id"]) for d in service.inbox()]
    assert "Subject: New story waiting: The sourdough class was a delight" in first
    assert "To: owner@bakery.test" in first and any(f"storyforge moderate show {i}" in first for i in ids)
    assert "Subject: New story waiting: Cake" in second
    assert "http" not in first.lower() and "maya@example.com" not in first  # nothing that acts, no contact


def test_the_built_form_points_at_the_intake_and_the_thanks_page_is_built(make_site, run):
    site = make_site(site_yaml=INTAKE_SITE)
    assert run("build", "--site", site).code == 0
    form = (site / "public/share-your-story/index.html").read_text()
    assert 'action="https://stories.bakery.test/submit"' in form and 'enctype="multipart/form-data"' in form
    assert '<script src="https://stories.bakery.test/form.js" defer></script>' in form
    assert 'name="photo" type="file"' in form and 'name="altcha"' in form and 'name="website"' in form
    thanks = page_text((site / "public/share-your-story/thanks/index.html").read_bytes())
    assert "Your story has reached us" in thanks
    assert run("check", "--site", site).code == 0
    plain = make_site(site_yaml=SITE_YAML)
    assert run("build", "--site", plain).code == 0
    assert not (plain / "public/share-your-story/thanks").exists()


def test_a_password_in_site_yaml_is_refused(make_site, run):
    site = make_site(site_yaml=INTAKE_SITE + "  notify:\n    smtp_password: hunter2\n")
    result = run("build", "--site", site)
    assert result.code == 1
    assert "moderation.notify.smtp_password: a password is never kept in site.yaml" in result.err
    assert "STORYFORGE_SMTP_PASSWORD" in result.err


def test_the_command_serves_and_a_kill_9_loses_no_answered_story(make_site, run):
    import re
    import signal
    import subprocess
    import sys

    site = make_site(site_yaml=INTAKE_SITE)

    def launch() -> tuple[subprocess.Popen[str], Service]:
        process = subprocess.Popen(
            [sys.executable, "-m", "storyforge", "intake", "--site", str(site), "--port", "0", "--work", "1000",
             "--per-address", "100000", "--per-minute", "100000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"at http://127\.0\.0\.1:(\d+)/", line)
        assert found, line + process.stderr.read() if process.stderr else line
        return process, Service(site, int(found.group(1)), None)  # type: ignore[arg-type]

    process, service = launch()
    answered: list[str] = []
    stop = threading.Event()

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                answer = service.post({**FORM, "story": f"Client {n} story {i}: the rye loaf was superb."},
                                      as_json=True)
            except (OSError, http.client.HTTPException, ValueError):
                return  # the service is gone, perhaps in the middle of an answer (cut off, or its JSON half sent)
            if answer.status == 200:
                answered.append(str(answer.json["id"]))

    clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in clients:
        thread.start()
    deadline = time.monotonic() + 10
    while len(answered) < 12 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.kill()  # SIGKILL, in the middle of the burst
    process.communicate(timeout=10)
    stop.set()
    for thread in clients:
        thread.join(timeout=10)
    assert len(answered) >= 12
    inbox = {p.stem: json.loads(p.read_bytes()) for p in (site / "submissions/inbox").glob("*.json")}
    assert set(answered) <= set(inbox)  # every story answered with success is there, whole
    assert len(inbox) == len({(d["body"], d["name"]) for d in inbox.values()})  # and once
    listed = run("moderate", "list", "--site", site)
    assert f"{len(inbox)} waiting" in listed.out
    assert [p.name for p in (site / "submissions").rglob("*") if p.name.startswith(".storyforge-tmp")] == []
    # started again, it serves; SIGTERM (as systemd stops it) ends it cleanly
    process, service = launch()
    assert service.request("GET", "/health").status == 200
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0 and "intake: stopped" in out, err


def test_the_webhook_gets_a_note_without_the_story_or_contact(make_site):
    received: list[dict[str, object]] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    site = make_site(site_yaml=INTAKE_SITE + f"  notify:\n    webhook: http://127.0.0.1:{hook.server_port}/new\n")
    service, server, thread = start(site, notify=True)
    try:
        assert service.post(FORM).status == 303
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop_server(server, thread)
        assert service.app.notifier is not None
        service.app.notifier.stop()
        hook.shutdown()
        hook.server_close()
    [note] = received
    [saved] = service.inbox()
    assert note["event"] == "submission" and note["id"] == saved["id"] and note["rating"] == 5
    assert "maya@example.com" not in json.dumps(note) and FORM["story"] not in json.dumps(note)


def test_waitress_queue_warnings_are_logged_once_a_minute_with_a_count(make_site, caplog, monkeypatch):
    """Under a burst waitress warns of its queue for every request that waits for a thread; the
    service's log keeps one such line a minute, saying how many it held back."""
    from storyforge.intake import server

    clock = [1000.0]
    monkeypatch.setattr(server.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(server, "QUEUE_WARNINGS", server.OncePerMinute())
    monkeypatch.setattr(logging.getLogger("waitress.queue"), "filters", [])  # a server made before, by another test
    site = make_site(site_yaml=INTAKE_SITE)
    app = IntakeApp(load_config(site), proof=ProofOfWork(max_number=1000))
    made = make_server(app, "127.0.0.1", 0)
    try:
        queue = logging.getLogger("waitress.queue")
        with caplog.at_level(logging.WARNING, logger="waitress.queue"):
            for depth in range(1, 501):
                queue.warning("Task queue depth is %d", depth)
                clock[0] += 0.25  # 500 warnings over 125 seconds
        lines = [record.getMessage() for record in caplog.records if record.name == "waitress.queue"]
        held = "(and 239 such warnings in the minute before)"
        assert lines == ["Task queue depth is 1", f"Task queue depth is 241 {held}", f"Task queue depth is 481 {held}"]
    finally:
        made.close()
