"""The preview web server: the built site from one folder, plus live reload.

- Files are served only from the folder the preview builds into; a path that leaves it
  (``..`` however encoded, a symbolic link pointing out) or names a hidden file is a 404.
- Every HTML response gets one ``<script>`` tag added on the way out; files on disk are never
  changed, so a ``storyforge build`` has no trace of it.
- Open pages long-poll ``/__storyforge/epoch``. Each rebuild bumps the epoch: pages reload (or
  swap only their stylesheets after a CSS-only change), and when the rebuild failed they show its
  errors in an overlay over the last good site until a good save clears them.
- ``/__storyforge/desk/`` is the moderation desk (``storyforge.desk``, a WSGI application run
  here through ``wsgiref``); previewed pages get a badge linking to it with the pending count.
"""

from __future__ import annotations

import json
import mimetypes
import secrets
import socket
import socketserver
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from storyforge.errors import BuildFailed, StoryforgeError

PREFIX = "/__storyforge/"
DESK_PREFIX = "/__storyforge/desk"
CLIENT_SCRIPT = Path(__file__).with_name("livereload.js")
#: how long a page's request for the next epoch is held open before it asks again
LONG_POLL_SECONDS = 20.0
TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8",
         ".ics": "text/calendar; charset=utf-8", ".json": "application/json; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".txt": "text/plain; charset=utf-8", ".svg": "image/svg+xml", ".webmanifest": "application/manifest+json"}
NOT_BUILT_PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not built yet</title></head>
<body><h1>The site has not been built yet</h1>
<p>Fix the problems listed on this page and save: it reloads by itself.</p></body></html>
"""


@dataclass(frozen=True)
class ShownError:
    """One error as the overlay lists it: where (``file:line``, may be empty) and what."""

    where: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"where": self.where, "message": self.message}


def overlay_errors(error: BaseException) -> list[ShownError]:
    """The errors of a failed build, in the order the terminal lists them."""
    if isinstance(error, BuildFailed):
        return [ShownError(str(e.location or ""), e.message) for e in error.errors]
    if isinstance(error, StoryforgeError):
        return [ShownError(str(error.location or ""), error.message)]
    return [ShownError("", f"internal error: {error!r} (the details are in the terminal)")]


class LiveState:
    """What open pages wait on: the epoch, which epoch last needed a full reload, current errors."""

    def __init__(self) -> None:
        self.server_id = secrets.token_hex(4)  # a restarted server makes every page reload
        self.epoch = 0
        self.full_epoch = 0
        self.errors: list[ShownError] = []
        self._cond = threading.Condition()
        self._closed = False

    def publish(self, errors: list[ShownError], css_only: bool = False) -> int:
        """Record a finished rebuild and wake every waiting page; returns the new epoch.

        A stylesheet-only rebuild lets pages swap their styles; anything else, a failure, or the
        first good build after a failure makes them reload.
        """
        with self._cond:
            self.epoch += 1
            if errors or self.errors or not css_only:
                self.full_epoch = self.epoch
            self.errors = list(errors)
            self._cond.notify_all()
            return self.epoch

    def snapshot(self) -> dict[str, Any]:
        with self._cond:
            return self._snapshot()

    def _snapshot(self) -> dict[str, Any]:
        return {"server": self.server_id, "epoch": self.epoch, "full": self.full_epoch,
                "errors": [e.as_json() for e in self.errors]}

    def wait(self, since: int, timeout: float) -> dict[str, Any]:
        """The state once the epoch differs from ``since`` (at once if it already does), or after
        ``timeout`` seconds, or when the server stops."""
        with self._cond:
            self._cond.wait_for(lambda: self.epoch != since or self._closed, timeout)
            return self._snapshot()

    def close(self) -> None:
        """Release every waiting request (the server is stopping)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def inject_reload(html: bytes, state: LiveState, pending: int | None = None) -> bytes:
    """``html`` with the live-reload script tag before ``</body>`` (appended when there is none),
    and with ``pending`` (not None) the desk's badge."""
    tag = (f'<script async src="{PREFIX}livereload.js" data-epoch="{state.epoch}" '
           f'data-server="{state.server_id}"></script>\n').encode()
    if pending is not None:
        tag = desk_badge(pending) + tag
    lowered = html.lower()
    at = lowered.rfind(b"</body>")
    if at < 0:
        at = lowered.rfind(b"</html>")
    if at < 0:
        return html + b"\n" + tag
    return html[:at] + tag + html[at:]


def desk_badge(pending: int) -> bytes:
    """The link to the desk on every previewed page (styled inline: it must not depend on the theme)."""
    words = f"{pending} {'story waits' if pending == 1 else 'stories wait'}" if pending else "no story waits"
    return (f'<a id="storyforge-desk" href="{DESK_PREFIX}/" style="position:fixed;left:.75rem;bottom:.75rem;'
            'z-index:2147483646;padding:.35rem .75rem;border-radius:1rem;background:#1f4f82;color:#fff;'
            'font:600 14px/1.4 system-ui,sans-serif;text-decoration:none;box-shadow:0 2px 8px rgba(0,0,0,.35)">'
            f'Moderation: {words}</a>\n').encode()


@dataclass(frozen=True)
class Resolved:
    """Where a request path leads: a file (200), a redirect (301), not found (404), or nothing
    built yet (503)."""

    status: int
    file: Path | None = None
    location: str | None = None


def resolve_request(root: Path, raw_path: str, base_path: str = "/") -> Resolved:
    """Map a request target to a file inside ``root``; anything that would leave it is a 404.

    ``base_path`` is the path of the site's base_url ('/' or e.g. '/shop/'): the site is served
    under it, as it will be when published.
    """
    missing = Resolved(HTTPStatus.NOT_FOUND)
    if raw_path.startswith(("http://", "https://")):  # absolute-form request target
        target = urlsplit(raw_path).path or "/"
    else:
        target = raw_path.split("?", 1)[0].split("#", 1)[0]
    decoded = unquote(target, errors="replace")
    if not decoded.startswith("/") or "\x00" in decoded or "\\" in decoded or "\ufffd" in decoded:
        return missing
    if not decoded.startswith(base_path):
        if decoded in ("/", base_path.rstrip("/")):  # the server's root leads to the site's
            return Resolved(HTTPStatus.MOVED_PERMANENTLY, location=base_path)
        return missing
    parts = [p for p in decoded[len(base_path):].split("/") if p not in ("", ".")]
    if any(p.startswith(".") for p in parts):  # '..' in any spelling, and hidden files
        return missing
    try:
        real_root = root.resolve(strict=True)
    except (OSError, RuntimeError):
        return Resolved(HTTPStatus.SERVICE_UNAVAILABLE)  # nothing built yet
    try:
        real = root.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):
        return missing
    if not real.is_relative_to(real_root):
        return missing
    if real.is_dir():
        if not decoded.endswith("/"):
            location = base_path + "".join(quote(p) + "/" for p in parts)
            return Resolved(HTTPStatus.MOVED_PERMANENTLY, location=location)
        real = real / "index.html"
    return Resolved(HTTPStatus.OK, file=real) if real.is_file() else missing


LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def host_allowed(header: str | None, bound: str, port: int) -> bool:
    """Whether a request's Host header names this server: the port it listens on, and the address
    it is bound to or a localhost form of it. A server bound to every interface also answers any
    IP address (rebinding needs a name the attacker controls, never a bare address)."""
    if not header:
        return False
    try:
        parts = urlsplit(f"//{header.strip()}")
        name, given_port = (parts.hostname or "").rstrip(".").lower(), parts.port or 80
    except ValueError:  # a malformed port or address
        return False
    if given_port != port:
        return False
    if name == bound.lower() or name in LOCAL_NAMES or name.endswith(".localhost"):
        return True
    return _is_address(bound, unspecified=True) and _is_address(name)


def _is_address(text: str, unspecified: bool = False) -> bool:
    """Whether ``text`` is an IP address (with ``unspecified``: the every-interface one)."""
    import ipaddress

    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return address.is_unspecified or not unspecified


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in TYPES:
        return TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


class PreviewServer(ThreadingHTTPServer):
    """A threaded HTTP server for one built site; bind errors surface as OSError from the constructor."""

    daemon_threads = True
    request_queue_size = 1024  # connections waiting to be accepted (the default, 5, made a busy preview stall)
    allow_reuse_address = True  # a previous run's connections in TIME_WAIT, not a live server
    allow_reuse_port = False  # a second server on the same port must fail, not share it

    def __init__(self, bind: str, port: int, root: Path, state: LiveState, base_path: str = "/") -> None:
        self.address_family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self.root = root
        self.state = state
        self.base_path = base_path
        self.desk: Any = None  # the desk's WSGI application, when the preview has one
        self.pending: int | None = None  # the badge's count (None: no badge)
        super().__init__((bind, port), PreviewHandler)

    def server_bind(self) -> None:
        # no reverse DNS lookup of the address (http.server's getfqdn can stall for seconds)
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return  # the browser went away (a reload, a closed tab)
        super().handle_error(request, client_address)


class PreviewHandler(BaseHTTPRequestHandler):
    """GET/HEAD for the site's files and the live-reload endpoints."""

    server: PreviewServer
    server_version = "storyforge-preview"
    #: seconds a connection may stay silent before it is closed, so idle connections cannot pile up
    #: until the preview has no threads or descriptors left (long-polls answer well within it)
    timeout = LONG_POLL_SECONDS + 10

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def do_POST(self) -> None:
        if self.server.desk is not None and self.path.startswith(DESK_PREFIX + "/"):
            self._run_desk()
            return
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"the preview only answers GET and HEAD here\n",
                   "text/plain; charset=utf-8", True, {"Allow": "GET, HEAD"})

    def _run_desk(self) -> None:
        """Hand the request to the desk's WSGI application (which checks Host, origin and token)."""
        import sys
        from wsgiref.handlers import SimpleHandler

        target = self.path.split("#", 1)[0]
        path, _, query = target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command, "SCRIPT_NAME": DESK_PREFIX,
            "PATH_INFO": unquote(path[len(DESK_PREFIX):], encoding="latin-1"), "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": self.headers.get("Content-Length", ""),
            "SERVER_NAME": self.server.server_name, "SERVER_PORT": str(self.server.server_port),
            "SERVER_PROTOCOL": self.request_version, "REMOTE_ADDR": self.client_address[0]}
        for name in {name.lower() for name in self.headers}:
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = ",".join(self.headers.get_all(name) or [])
        handler = SimpleHandler(self.rfile, self.wfile, sys.stderr, environ,  # type: ignore[arg-type]
                                multithread=True, multiprocess=False)
        handler.server_software = self.server_version
        handler.run(self.server.desk)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # one line per rebuild is printed instead of one per request

    def _respond(self, send_body: bool) -> None:
        if not host_allowed(self.headers.get("Host"), self.server.server_name, self.server.server_port):
            # a page on another site reaching the preview through DNS rebinding names its own host
            self._send(HTTPStatus.MISDIRECTED_REQUEST,
                       b"this preview answers only requests for the address it listens on\n",
                       "text/plain; charset=utf-8", send_body)
            return
        if self.server.desk is not None and (self.path + "/").startswith(DESK_PREFIX + "/"):
            self._run_desk()
            return
        if self.path.startswith(PREFIX):
            self._live_endpoint(send_body)
            return
        state = self.server.state
        resolved = resolve_request(self.server.root, self.path, self.server.base_path)
        if resolved.location is not None:
            self._send(resolved.status, b"", "text/plain; charset=utf-8", send_body,
                       {"Location": resolved.location})
            return
        if resolved.file is None:
            if resolved.status == HTTPStatus.SERVICE_UNAVAILABLE:  # the first build failed
                self._send(HTTPStatus.SERVICE_UNAVAILABLE, inject_reload(NOT_BUILT_PAGE, state),
                           TYPES[".html"], send_body)
                return
            self._not_found(send_body)
            return
        try:
            data = resolved.file.read_bytes()
        except OSError:  # replaced by a rebuild between resolving and reading
            self._not_found(send_body)
            return
        kind = content_type(resolved.file)
        if kind.startswith("text/html"):
            data = inject_reload(data, state, self.server.pending)
        self._send(HTTPStatus.OK, data, kind, send_body)

    def _not_found(self, send_body: bool) -> None:
        page = self.server.root / "404.html"
        try:
            data = inject_reload(page.read_bytes(), self.server.state)
            kind = TYPES[".html"]
        except OSError:
            data, kind = b"404 not found\n", "text/plain; charset=utf-8"
        self._send(HTTPStatus.NOT_FOUND, data, kind, send_body)

    def _live_endpoint(self, send_body: bool) -> None:
        parts = urlsplit(self.path)
        name = parts.path[len(PREFIX):]
        if name == "livereload.js":
            self._send(HTTPStatus.OK, CLIENT_SCRIPT.read_bytes(), TYPES[".js"], send_body)
            return
        if name != "epoch":
            self._send(HTTPStatus.NOT_FOUND, b"404 not found\n", "text/plain; charset=utf-8", send_body)
            return
        query = parse_qs(parts.query)
        try:
            since = int(query.get("since", ["-1"])[0])
        except ValueError:
            since = -1
        wait = query.get("wait", ["1"])[0] != "0"
        state = self.server.state
        snapshot = state.wait(since, LONG_POLL_SECONDS) if wait else state.snapshot()
        self._send(HTTPStatus.OK, json.dumps(snapshot).encode(), TYPES[".json"], send_body)

    def _send(self, status: int, data: bytes, kind: str, send_body: bool,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(data)
