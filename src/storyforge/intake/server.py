"""``storyforge intake``: the application (``app.py``) served by waitress, a production WSGI
server — its own bounded request buffering, slow-client handling and thread pool, so no HTTP is
hand-rolled here.

The service reads site.yaml once, at start (restart it after changing ``moderation``). It stops
cleanly on Ctrl-C or SIGTERM (as systemd stops it): waitress closes its sockets, then the owner's
pending mails are sent. A story is safe on disk before its customer hears "thank you", so even
``kill -9`` loses nothing that was answered.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

from storyforge.core.config import load_config
from storyforge.errors import UsageError
from storyforge.intake.app import MAX_BODY_BYTES, IntakeApp, Limits
from storyforge.intake.guard import ProofOfWork, origin_of
from storyforge.intake.notify import Notifier
from storyforge.intake.online_desk import DESK_PREFIX, LoginLimits, OnlineDesk, desk_status


class OncePerMinute(logging.Filter):
    """Lets one record through a minute, telling how many it held back since. Waitress warns "Task
    queue depth is N" for every request that waits for a free thread: under a burst, two lines a
    story (thousands a minute in the service's journal) saying one thing, and each written costs
    the service time it is short of."""

    def __init__(self, every: float = 60.0) -> None:
        super().__init__()
        self.every = every
        self._last = -every
        self._held = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.every:
                self._held += 1
                return False
            if self._held:
                record.msg = f"{record.msg} (and {self._held} such warnings in the minute before)"
            self._last, self._held = now, 0
            return True


QUEUE_WARNINGS = OncePerMinute()


def make_server(app: Any, host: str, port: int, threads: int = 64, trust_proxy: bool = False, **more: Any) -> Any:
    """A waitress server for ``app`` on ``host:port`` (port 0: a free one; ``effective_port`` says
    which). Its own body limit is a little above the application's, so a body just over gets the
    application's answer in words; one far over is cut off by waitress before it is buffered.
    Waitress drops the proxy's ``X-Forwarded-*`` headers unless ``trust_proxy`` (then the
    application's ``ProxyFix`` reads them: see ``with_desk``)."""
    from waitress.server import create_server

    queue = logging.getLogger("waitress.queue")
    if QUEUE_WARNINGS not in queue.filters:
        queue.addFilter(QUEUE_WARNINGS)
    return create_server(app, host=host, port=port, threads=threads, ident="storyforge-intake",
                         max_request_body_size=MAX_BODY_BYTES + 1_000_000, max_request_header_size=64_000,
                         channel_timeout=30, connection_limit=500, clear_untrusted_proxy_headers=not trust_proxy,
                         **more)


def stop_server(server: Any, thread: threading.Thread) -> None:
    """Stop a server whose ``run()`` is in ``thread`` (the tests', the benchmark's): its sockets are
    closed from inside its own loop, through its trigger, so the loop never polls a closed one."""
    from waitress import wasyncore

    try:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    except OSError:  # the loop already closed its trigger (a handler's error closes its channel)
        wasyncore.close_all(server._map)
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()


def build_app(args: argparse.Namespace) -> tuple[IntakeApp, Notifier]:
    config = load_config(args.site.resolve())
    for origin in args.allow_origin:
        if not origin.startswith(("http://", "https://")):
            raise UsageError(f"--allow-origin: expected an address like http://127.0.0.1:8000, got {origin!r}")
    bucket = None
    if config.moderation.inbox:  # several instances share one bucket: check it opens before taking stories
        from storyforge.moderation.bucket import BucketInbox

        bucket = BucketInbox(config)
        bucket.check()
    notifier = Notifier(config)
    app = IntakeApp(config, frozenset(origin_of(o) for o in args.allow_origin),
                    Limits(args.per_address, args.per_minute), ProofOfWork(max_number=args.work), notifier=notifier,
                    bucket=bucket)
    return app, notifier


def with_desk(app: IntakeApp, trust_proxy: bool = False, limits: LoginLimits | None = None) -> tuple[Any, OnlineDesk]:
    """The service as it runs: the intake application with the moderation desk mounted at ``/desk/``
    (behind its login), and with ``trust_proxy`` the client's address, scheme and host taken from the
    proxy's ``X-Forwarded-For``, ``-Proto`` and ``-Host`` (one proxy in front)."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.middleware.proxy_fix import ProxyFix

    desk = OnlineDesk(app.config, limits)
    wsgi: Any = DispatcherMiddleware(app, {DESK_PREFIX: desk})
    if trust_proxy:
        wsgi = ProxyFix(wsgi, x_for=1, x_proto=1, x_host=1)
    return wsgi, desk


def run(args: argparse.Namespace) -> int:
    app, notifier = build_app(args)
    wsgi, desk = with_desk(app, args.trust_proxy)
    try:
        server = make_server(wsgi, args.bind, args.port, args.threads, trust_proxy=args.trust_proxy)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.bind}:{args.port}: {exc.strerror or exc} — is another program "
                         "using the port? Pass --port N") from None
    notifier.start()
    config = app.config
    goes_to = (f"{app.bucket.describe()} (storyforge submissions pull brings them in)" if app.bucket else
               f"{config.moderation.submissions_dir}/inbox/")
    print(f"intake: taking stories for {config.title} at http://{args.bind}:{server.effective_port}/ "
          f"(from {', '.join(sorted(app.allowed_origins))}); new ones go to "
          f"{goes_to}", flush=True)
    if not config.moderation.intake_url:
        print("intake: note — moderation.intake_url is not set in site.yaml, so the built form does not post "
              "here yet", file=sys.stderr, flush=True)
    print(f"intake: {desk_status(config.root)}", flush=True)
    if not notifier.enabled:
        print("intake: note — moderation.notify is not set in site.yaml, so nobody is told about new stories",
              file=sys.stderr, flush=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        notifier.stop()
        desk.close()
    print("intake: stopped", flush=True)
    return 0
