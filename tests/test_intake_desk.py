"""The moderation desk online: `storyforge intake` serves it at /desk/ behind the password set with
`storyforge intake set-password` — real requests to waitress on 127.0.0.1, with a cookie jar as a
browser keeps one, and every refusal changing nothing on disk."""

from __future__ import annotations

import http.client
import io
import json
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from conftest import page_text
from desk_helpers import running_desk
from moderation_helpers import HEADER, MODERATED_SITE, csv_row, decisions, front_matter, inbox, places
from test_desk import state
from test_gates import axe_findings, browser, nu_errors  # noqa: F401 - browser is the gates' fixture

from storyforge.core.config import load_config
from storyforge.intake.app import IntakeApp
from storyforge.intake.login import LOGIN_FILE, Login, store_password
from storyforge.intake.online_desk import LoginLimits, OnlineDesk
from storyforge.intake.server import make_server, stop_server, with_desk

PASSWORD = "correct horse battery staple"  # noqa: S105 - the test's own password
ROWS = (csv_row("2026-03-01 09:00", "Priya Sharma", "Alpha loaf", "A crackling crust and a soft crumb.")
        + csv_row("2026-03-02 09:00", "Tom Wells", "Bravo cake", "The cake came an hour late. Awful.", rating="1"))


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: str


@dataclass
class Browser:
    """Requests to the service as one browser sends them: its Host, Origin and its cookie jar."""

    port: int
    host: str = ""
    jar: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        scheme = "https" if self.extra.get("X-Forwarded-Proto") == "https" else "http"
        return f"{scheme}://{self.host or f'127.0.0.1:{self.port}'}"

    def request(self, method: str, path: str, fields: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": self.host or f"127.0.0.1:{self.port}", **self.extra}
        if self.jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        body = b""
        if method == "POST":
            body = urlencode(fields or {}).encode()
            sent.update({"Origin": self.origin, "Content-Type": "application/x-www-form-urlencoded"})
        sent.update(headers or {})
        connection.request(method, path, body=body, headers={k: v for k, v in sent.items() if v is not None})
        response = connection.getresponse()
        data = response.read().decode("utf-8", "replace")
        cookies = response.headers.get_all("Set-Cookie") or []
        connection.close()
        for line in cookies:
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = morsel.value
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, cookies, data)

    def get(self, path: str, **headers: str) -> Answer:
        return self.request("GET", path, headers=headers)

    def token(self, path: str = "/desk/add") -> str:
        page = self.get(path)
        match = re.search(r'name="token" value="([^"]+)"', page.body)
        assert match, f"no form token on {path}: {page.status} {page.body[:300]}"
        return match.group(1)

    def log_in(self, password: str = PASSWORD) -> Answer:
        return self.request("POST", "/desk/login", {"token": self.token("/desk/login"), "password": password})


@dataclass
class Service:
    site: Path
    port: int
    desk: OnlineDesk

    def browser(self, **kwargs: Any) -> Browser:
        return Browser(self.port, **kwargs)


@contextmanager
def online_desk(site: Path, limits: LoginLimits | None = None, trust_proxy: bool = False) -> Iterator[Service]:
    """`storyforge intake` with its desk, put together as `storyforge intake` does, on 127.0.0.1."""
    wsgi, desk = with_desk(IntakeApp(load_config(site)), trust_proxy, limits)
    server = make_server(wsgi, "127.0.0.1", 0, threads=4, trust_proxy=trust_proxy, asyncore_loop_timeout=0.05)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Service(site, server.effective_port, desk)
    finally:
        stop_server(server, thread)
        desk.close()


def moderated_site(make_site, run, password: str | None = PASSWORD) -> Path:
    site = make_site(site_yaml=MODERATED_SITE)
    (site / "stories.csv").write_text(HEADER + ROWS)
    assert run("submissions", "import", site / "stories.csv", "--site", site).code == 0
    if password:
        store_password(site, password)
    return site


def everything(site: Path) -> dict[str, bytes]:
    """The site's files, the login file included (but not the caches)."""
    return state(site)


def set_password(run, monkeypatch, site: Path, typed: str) -> Any:
    monkeypatch.setattr("sys.stdin", io.StringIO(typed + "\n"))
    return run("intake", "set-password", "--site", site)


# --- the password -------------------------------------------------------------------------------


def test_set_password_keeps_only_an_argon2_hash_owner_only(make_site, run, monkeypatch):
    site = moderated_site(make_site, run, password=None)
    done = set_password(run, monkeypatch, site, PASSWORD)
    assert done.code == 0, done.err
    assert "desk password set" in done.out and "logged out" in done.out
    path = site / LOGIN_FILE
    stored = path.read_bytes()
    assert PASSWORD.encode() not in stored and b"horse" not in stored
    data = json.loads(stored)
    assert data["hash"].startswith("$argon2id$")
    from argon2 import PasswordHasher

    assert PasswordHasher().verify(data["hash"], PASSWORD)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # a git-ignored folder in every site storyforge makes, and in the example
    assert ".storyforge-*/" in (Path(__file__).parents[1] / ".gitignore").read_text()
    # a short password is refused in words, and the stored one stays
    short = set_password(run, monkeypatch, site, "short")
    assert short.code != 0 and "use at least 10" in short.err
    assert path.read_bytes() == stored
    # setting it again makes a new session key: every device is logged out
    assert set_password(run, monkeypatch, site, PASSWORD + "!").code == 0
    assert json.loads(path.read_bytes())["key"] != data["key"]
    # --site before the action works too
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    monkeypatch.chdir(site.parent)
    assert run("intake", "--site", site, "set-password").code == 0
    assert PasswordHasher().verify(json.loads(path.read_bytes())["hash"], PASSWORD)


def test_without_a_password_the_desk_is_closed_and_intake_says_so(make_site, run, tmp_path):
    site = moderated_site(make_site, run, password=None)
    before = everything(site)
    with online_desk(site) as service:
        answer = service.browser().get("/desk/")
        assert answer.status == 403 and "has no password yet" in page_text(answer.body)
        assert "set-password" in page_text(answer.body)
        assert service.browser().request("POST", "/desk/approve", {"id": "x"}).status == 403
    assert everything(site) == before
    out = tmp_path / "intake.out"
    with out.open("wb") as stdout:
        process = subprocess.Popen([sys.executable, "-m", "storyforge", "intake", "--site", str(site), "--port", "0"],
                                   stdout=stdout, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while b"desk" not in out.read_bytes():
            assert process.poll() is None and time.monotonic() < deadline, out.read_text()
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "no desk password is set, so the moderation desk (/desk/) is closed" in out.read_text()


# --- logging in ---------------------------------------------------------------------------------


def test_a_wrong_password_is_refused_in_words_and_the_right_one_opens_the_desk(make_site, run):
    site = moderated_site(make_site, run)
    with online_desk(site) as service:
        owner = service.browser()
        wrong = owner.log_in("not the password at all")
        assert wrong.status == 403 and not wrong.cookies
        assert "That password is not the desk's password" in page_text(wrong.body)
        right = owner.log_in()
        assert right.status == 303 and right.headers["location"] == "/desk/"
        [cookie] = right.cookies
        flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"httponly", "max-age", "path"} <= flags and "samesite=strict" in cookie.lower()
        assert "Max-Age=43200" in cookie and "Path=/desk/" in cookie
        assert "secure" not in flags  # plain http between loopback addresses: a browser would drop a Secure one
        inbox_page = owner.get("/desk/")
        assert inbox_page.status == 200 and "Alpha loaf" in page_text(inbox_page.body)
        assert "Log out" in page_text(inbox_page.body)
        assert owner.get("/desk/login").headers.get("location") == "/desk/"  # logged in already
        for token in ("", "forged", Login("x", "00" * 32).login_token()):  # none, made up, or another key's
            stale = service.browser().request("POST", "/desk/login", {"token": token, "password": PASSWORD})
            assert stale.status == 403 and not stale.cookies
            assert "Type the password again" in page_text(stale.body)


def test_behind_a_tls_proxy_the_cookie_is_secure_and_plain_http_takes_no_password(make_site, run):
    site = moderated_site(make_site, run)
    before = everything(site)
    with online_desk(site, trust_proxy=True) as service:
        owner = service.browser(host="stories.bakery.test", extra={"X-Forwarded-Proto": "https",
                                                                   "X-Forwarded-For": "203.0.113.9"})
        done = owner.log_in()
        assert done.status == 303
        [cookie] = done.cookies
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert owner.get("/desk/").status == 200
        # the customer's browser came over plain http: the desk does not take a password that way
        clear = service.browser(host="stories.bakery.test", extra={"X-Forwarded-Proto": "http",
                                                                   "X-Forwarded-For": "203.0.113.9"})
        page = clear.get("/desk/login")
        assert page.status == 403 and "only over HTTPS" in page_text(page.body)
        assert clear.request("POST", "/desk/login", {"password": PASSWORD}).cookies == []
    with online_desk(site) as service:  # behind a proxy, but --trust-proxy forgotten: says so
        page = service.browser(host="stories.bakery.test").get("/desk/login")
        assert page.status == 403 and "--trust-proxy" in page_text(page.body)
    assert everything(site) == before


def test_a_logged_out_request_to_any_desk_url_goes_to_the_login(make_site, run):
    site = moderated_site(make_site, run)
    sid = inbox(site)["Alpha loaf"]["id"]
    before = everything(site)
    with online_desk(site) as service:
        stranger = service.browser()
        for path in ("/desk/", "/desk/published", "/desk/add", "/desk/import", f"/desk/edit/{sid}", "/desk/nowhere"):
            answer = stranger.get(path)
            assert (answer.status, answer.headers["location"]) == (303, "/desk/login"), path
        for path, fields in (("/desk/approve", {"id": sid}), ("/desk/reject", {"id": sid, "reason": "fake"}),
                             ("/desk/add", {"story": "Spam."}), ("/desk/logout", {})):
            answer = stranger.request("POST", path, fields)
            assert (answer.status, answer.headers["location"]) == (303, "/desk/login"), path
        forged = Browser(service.port, jar={"storyforge_desk": "e30.forged.cookie"})
        assert forged.get("/desk/").headers["location"] == "/desk/login?expired=1"
        assert stranger.get("/desk/static/desk.css").status == 200  # the login page's own style
        assert stranger.get("/desk/login").status == 200
    assert everything(site) == before


def test_forms_without_the_sessions_token_are_refused_and_change_nothing(make_site, run):
    site = moderated_site(make_site, run)
    sid = inbox(site)["Alpha loaf"]["id"]
    before = everything(site)
    with online_desk(site) as service:
        owner, other = service.browser(), service.browser()
        assert owner.log_in().status == 303 and other.log_in().status == 303
        theirs = other.token()
        assert theirs != owner.token()
        for token, headers in ((None, {}), ("", {}), ("0" * 64, {}), (theirs, {}),
                               ("auto", {"Origin": "https://evil.test"}), ("auto", {"Origin": None})):
            fields = {"id": sid, "feature": "0"}
            if token is not None:
                fields["token"] = owner.token() if token == "auto" else token  # noqa: S105 - a marker
            answer = owner.request("POST", "/desk/approve", fields, headers=headers)
            assert answer.status == 403 and "nothing was changed" in answer.body, (token, headers)
            assert "token is missing or out of date" in answer.body or "did not come from the desk" in answer.body
        assert owner.request("POST", "/desk/logout", {"token": theirs}).status == 403
        assert owner.get("/desk/").status == 200  # still logged in
    assert everything(site) == before


def test_a_login_brute_force_is_rate_limited_in_words_and_changes_nothing(make_site, run):
    site = moderated_site(make_site, run)
    before = everything(site)
    with online_desk(site, LoginLimits(per_address=5)) as service:  # each wrong try costs an argon2 check
        robot = service.browser()
        answers = [robot.log_in(f"guess number {n}") for n in range(20)]
        assert [a.status for a in answers] == [403] * 5 + [429] * 15
        busy = answers[-1]
        assert busy.headers["retry-after"] == "900"
        assert "too many tries to log in. Please wait 15 minutes" in page_text(busy.body)
        assert robot.log_in().status == 429  # even the right password waits: the guesses cannot go on
        assert not any(a.cookies for a in answers)
    with online_desk(site, LoginLimits(per_address=100, overall=3), trust_proxy=True) as service:
        tries = [service.browser(host="stories.bakery.test", extra={
            "X-Forwarded-For": f"198.51.100.{n}", "X-Forwarded-Proto": "https"}).log_in("wrong guess 123")
                 for n in range(6)]  # from many addresses: the overall limit holds
        assert [a.status for a in tries] == [403] * 3 + [429] * 3
    assert everything(site) == before


def test_logging_out_and_a_new_password_end_sessions(make_site, run, monkeypatch):
    site = moderated_site(make_site, run)
    with online_desk(site) as service:
        owner = service.browser()
        assert owner.log_in().status == 303
        kept = dict(owner.jar)
        out = owner.request("POST", "/desk/logout", {"token": owner.token()})
        assert (out.status, out.headers["location"]) == (303, "/desk/login?bye=1")
        assert "Max-Age=0" in out.cookies[0] and not owner.jar
        assert "You are logged out" in page_text(owner.get("/desk/login?bye=1").body)
        assert Browser(service.port, jar=kept).get("/desk/").status == 303  # the old cookie no longer opens it
        phone = service.browser()
        assert phone.log_in().status == 303 and phone.get("/desk/").status == 200
        assert set_password(run, monkeypatch, site, "a brand new password").code == 0
        assert phone.get("/desk/").headers["location"] == "/desk/login?expired=1"
        assert "password was changed" in page_text(phone.get("/desk/login?expired=1").body)
        assert phone.log_in().status == 403 and phone.log_in("a brand new password").status == 303


# --- deciding -----------------------------------------------------------------------------------


def test_an_approval_on_the_online_desk_is_the_preview_desks_approval(make_site, run, tmp_path):
    site = moderated_site(make_site, run)
    twin = tmp_path / "twin"
    shutil.copytree(site, twin)
    sid = inbox(site)["Alpha loaf"]["id"]
    with running_desk(twin) as preview:
        assert preview.post("/approve", {"id": sid, "feature": "1"}).status == 303
    with online_desk(site) as service:
        owner = service.browser()
        assert owner.log_in().status == 303
        done = owner.request("POST", "/desk/approve", {"id": sid, "feature": "1", "token": owner.token()})
        assert done.status == 303 and done.headers["location"].startswith("/desk/?notice=")
        shown = page_text(owner.get(done.headers["location"]).body)
        assert f"approved {sid} → content/testimonials/2026-03-01-alpha-loaf.md" in shown
    [ours], [theirs] = (list((s / "content/testimonials").glob("*.md")) for s in (site, twin))
    assert ours.name == theirs.name
    mine, preview_made = front_matter(ours), front_matter(theirs)
    assert mine.pop("approved") and preview_made.pop("approved")
    assert (mine, ours.read_text().split("---\n")[2]) == (preview_made, theirs.read_text().split("---\n")[2])
    [line], [preview_line] = decisions(site)[-1:], decisions(twin)[-1:]
    assert {k: v for k, v in line.items() if k != "when"} == {k: v for k, v in preview_line.items() if k != "when"}
    assert places(site) == places(twin)
    assert run("build", "--site", site).code == 0
    assert "A crackling crust" in page_text((site / "public/testimonials/index.html").read_bytes())


@pytest.mark.parametrize("path", ["/desk/", "/desk/login"])
def test_the_online_desk_pages_keep_the_desks_security_headers(make_site, run, path):
    site = moderated_site(make_site, run)
    with online_desk(site) as service:
        owner = service.browser()
        assert owner.log_in().status == 303
        page = owner.get(path) if path == "/desk/" else service.browser().get(path)
    assert page.status == 200
    assert page.headers["x-frame-options"] == "DENY" and "form-action 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


@pytest.mark.gate
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_gate_the_login_page_and_the_online_inbox_pass_nu_and_axe(make_site, run, browser, scheme, tmp_path):  # noqa: F811
    site = moderated_site(make_site, run)
    with online_desk(site) as service:
        owner = service.browser()
        pages = {"login": owner.get("/desk/login").body}
        pages["wrong"] = owner.log_in("not the password").body
        assert owner.log_in().status == 303
        pages["inbox"] = owner.get("/desk/").body  # with its Log out button
        if scheme == "light":  # the HTML is the same in both
            for name, html in pages.items():
                (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
            assert nu_errors(tmp_path)[tmp_path] == []
        failing, _ = axe_findings(browser, f"http://127.0.0.1:{service.port}", tmp_path, ["/desk/login"], scheme)
        assert failing == []


def test_at_a_terminal_the_password_is_typed_twice_unseen(make_site, run, monkeypatch):
    site = moderated_site(make_site, run, password=None)
    typed = iter(["first try password", "first try passwort"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    differ = run("intake", "set-password", "--site", site)
    assert differ.code != 0 and "the two passwords differ; nothing was changed" in differ.err
    assert not (site / LOGIN_FILE).exists()
    typed = iter(["same password twice"] * 2)
    assert run("intake", "set-password", "--site", site).code == 0
    assert json.loads((site / LOGIN_FILE).read_bytes())["hash"].startswith("$argon2id$")


def test_a_damaged_login_file_closes_the_desk_in_words_until_the_password_is_set_again(make_site, run, monkeypatch,
                                                                                       capsys):
    site = moderated_site(make_site, run)
    (site / LOGIN_FILE).write_text("{not json")
    with online_desk(site) as service:
        answer = service.browser().get("/desk/")
        assert answer.status == 503 and "cannot read its login file" in answer.body
        assert str(site) not in answer.body  # the server's folders are the owner's business
        assert "set the password again with `storyforge intake set-password`" in capsys.readouterr().err
        assert set_password(run, monkeypatch, site, PASSWORD).code == 0
        assert service.browser().log_in().status == 303
