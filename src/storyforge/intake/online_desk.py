"""The moderation desk served by ``storyforge intake`` at ``/desk/``, behind a password, so the owner
can decide from a phone.

It is the preview's desk (``storyforge.desk``: the same pages, the same actions, the same calls of
the moderation core), with the preview's loopback-only rules replaced by a login:

    request → HTTPS? (or plain http between loopback addresses: tests, an SSH tunnel) else refused
            → /static/… served; no password set → "closed" page
            → /login (rate-limited per address and overall; Origin and a signed form token checked;
              argon2) → a session cookie (Secure, HttpOnly, SameSite=Strict, 12 hours)
            → /logout (a POST with the form token) → cookie removed
            → any other URL without a valid session → 303 to /login, nothing done
            → the desk, whose POSTs must come from this origin and carry the session's form token

The cookie is Secure whenever the request came over HTTPS — with ``--trust-proxy`` that is the
proxy's ``X-Forwarded-Proto`` — and the password is never taken over plain http except between
loopback addresses (where there is no network to cross, and a browser would not store a Secure
cookie from ``http://127.0.0.1``). Behind a proxy without ``--trust-proxy`` the desk says so
instead of taking the password.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from storyforge.core.config import SiteConfig
from storyforge.core.textpolicy import terminal_safe
from storyforge.desk import guard
from storyforge.desk.app import SECURITY_HEADERS, Desk
from storyforge.errors import StoryforgeError
from storyforge.intake.guard import RateLimit
from storyforge.intake.login import SESSION_LIFETIME, Login, login_path, read_login

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

DESK_PREFIX = "/desk"
COOKIE = "storyforge_desk"
SESSION_KEY = "storyforge.desk.session"  # where the gate leaves the session number for the desk's pages


@dataclass(frozen=True)
class LoginLimits:
    """Tries at the password: per client address and from everyone together, per ``window`` seconds."""

    per_address: int = 10
    overall: int = 60
    window: float = 900.0


class OnlineDesk(Desk):
    """The desk as ``storyforge intake`` mounts it at ``/desk/``: enabled on any address, guarded by
    the login instead of the loopback bind."""

    online = True

    def __init__(self, config: SiteConfig, limits: LoginLimits | None = None) -> None:
        super().__init__(config.root, "127.0.0.1", 0, changed=_log_changes, prefix=DESK_PREFIX)
        self.site_url = config.base_url
        self.limits = limits or LoginLimits()
        self.per_address = RateLimit(self.limits.per_address, self.limits.window)
        self.overall = RateLimit(self.limits.overall, self.limits.window)
        self._login: tuple[tuple[int, int, int], Login | None] | None = None
        self._login_lock = threading.Lock()
        self._ended: dict[str, float] = {}  # sessions logged out here, until their cookies expire anyway

    # --- the preview's checks, replaced ---------------------------------------------------

    @property
    def enabled(self) -> bool:
        return True

    def host_refusal(self, request: Request) -> Response | None:
        return None  # the session cookie belongs to the host it was set for: another name has none

    def origin_for(self, request: Request) -> str:
        return f"{request.scheme}://{request.host}".lower()

    def token_for(self, request: Request | None) -> str:
        login = self.login()
        if request is None or login is None:
            return ""
        session = request.environ.get(SESSION_KEY)
        return login.form_token(session) if session else login.login_token()

    # --- the gate ---------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = 64_000  # a login form is a few hundred bytes
        try:
            response = self.gate(request)
        except HTTPException as exc:  # a login form over its size limit
            response = _plain(exc.code or 400, f"{exc.name}: {exc.description or ''}\n")
        if response is None:  # logged in (or the desk's CSS and script): the desk itself answers
            return super().__call__(environ, start_response)
        request.close()
        response.headers.update(SECURITY_HEADERS)
        answer: Iterable[bytes] = response(environ, start_response)
        return answer

    def gate(self, request: Request) -> Response | None:
        """The answer for a request the desk itself must not see, or None to let it through."""
        path = request.path  # below the mount point (/desk is the script root)
        if path.startswith("/static/"):
            return None
        if not self.transport_ok(request):
            return self.login_page(request, "plain-http", 403)
        try:
            login = self.login()
        except StoryforgeError as exc:  # a damaged login file: the owner reads why in the log, not the public
            print(f"intake: desk: {exc}", file=sys.stderr, flush=True)
            return _plain(503, "the desk cannot read its login file just now — its owner can see why in the "
                               "service's log\n")
        if login is None:
            return self.login_page(request, "no-password", 403)
        cookie = request.cookies.get(COOKIE)
        session = login.session_of(cookie)
        if session in self._ended:
            session = None
        if path == "/login":
            if request.method == "POST":
                return self.on_login(request, login)
            if session is not None:
                return _redirect(f"{self.prefix}/")
            return self.login_page(request, "expired" if request.args.get("expired") else
                                   "logged-out" if request.args.get("bye") else "", 200)
        if session is None:
            return _redirect(f"{self.prefix}/login" + ("?expired=1" if cookie else ""))
        if path == "/logout":
            return self.on_logout(request, login, session)
        request.environ[SESSION_KEY] = session
        return None

    def transport_ok(self, request: Request) -> bool:
        """HTTPS, or plain http from and to a loopback address."""
        if request.scheme == "https":
            return True
        return _is_loopback(urlsplit(f"//{request.host}").hostname or "") and _is_loopback(request.remote_addr or "")

    def on_login(self, request: Request, login: Login) -> Response:
        address = request.remote_addr or "unknown"
        if not self.per_address.take(address) or not self.overall.take("all"):
            minutes = max(1, round(self.limits.window / 60))
            answer = self.login_page(request, "busy", 429, minutes=minutes)
            answer.headers["Retry-After"] = str(int(self.limits.window))
            return answer
        if not guard.same_origin(request.headers.get("Origin"), request.headers.get("Referer"),
                                 self.origin_for(request)):
            return _plain(403, "refused: this login did not come from the desk's own login page; nothing was done")
        if not login.login_token_ok(request.form.get("token")):
            return self.login_page(request, "stale", 403)
        if not login.verify(request.form.get("password", "")):
            print(f"intake: desk: a wrong password from {terminal_safe(address)}", file=sys.stderr, flush=True)
            return self.login_page(request, "wrong", 403)
        answer = _redirect(f"{self.prefix}/")
        answer.set_cookie(COOKIE, login.new_session(), max_age=SESSION_LIFETIME, path=f"{self.prefix}/",
                          secure=request.scheme == "https", httponly=True, samesite="Strict")
        return answer

    def on_logout(self, request: Request, login: Login, session: str) -> Response:
        if request.method != "POST":
            return _plain(405, "log out with the desk's Log out button\n")
        if not guard.same_origin(request.headers.get("Origin"), request.headers.get("Referer"),
                                 self.origin_for(request)) \
                or not guard.tokens_match(request.form.get("token"), login.form_token(session)):
            return _plain(403, "refused: this request did not come from the desk's own page; nothing was done\n")
        now = time.monotonic()
        with self._login_lock:
            self._ended = {s: t for s, t in self._ended.items() if now - t < SESSION_LIFETIME}
            self._ended[session] = now
        answer = _redirect(f"{self.prefix}/login?bye=1")
        answer.delete_cookie(COOKIE, path=f"{self.prefix}/", secure=request.scheme == "https", httponly=True,
                             samesite="Strict")
        return answer

    def login_page(self, request: Request, refusal: str, status: int, minutes: int = 0) -> Response:
        return self.page("login.html", status=status, request=request, title="Log in", refusal=refusal,
                         minutes=minutes)

    def login(self) -> Login | None:
        """The stored login, read again when its file changes (``set-password`` while intake runs)."""
        path = login_path(self.site_dir)
        try:
            found = os.stat(path)
            stamp = (found.st_ino, found.st_mtime_ns, found.st_size)
        except FileNotFoundError:
            stamp = (0, 0, 0)
        with self._login_lock:
            if self._login is None or self._login[0] != stamp:
                self._login = (stamp, read_login(self.site_dir) if stamp != (0, 0, 0) else None)
            return self._login[1]


def desk_status(site_dir: Path) -> str:
    """What ``storyforge intake`` says at start about its desk."""
    if login_path(site_dir).is_file():
        return f"the moderation desk is at {DESK_PREFIX}/ behind its password"
    return (f"note — no desk password is set, so the moderation desk ({DESK_PREFIX}/) is closed; set one with "
            "`storyforge intake set-password`")


def _log_changes(paths: list[str]) -> None:
    """A desk action wrote these files: say so in the service's log (the site is rebuilt elsewhere)."""
    print(f"intake: desk: changed {', '.join(terminal_safe(p) for p in paths)}", flush=True)


def _is_loopback(name: str) -> bool:
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def _redirect(location: str) -> Response:
    return Response(status=303, headers={"Location": location})


def _plain(status: int, text: str) -> Response:
    return Response(text, status=status, content_type="text/plain; charset=utf-8")
