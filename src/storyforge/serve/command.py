"""`storyforge serve`: build into the cache folder, serve it, rebuild on every save.

    bind the port → first build → watch → (save → debounce → build → bump the epoch) … → Ctrl-C

This module registers the command and wires the pieces together: ``watch`` notices saves,
``build`` does the work (a full build into ``.storyforge-cache/serve/``, never ``public/``),
``serve`` answers the browser. Its top-level imports stay light because the command line
imports it on every run; the server, the watcher and the build are imported when serving starts.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyforge.arguments import add_site_argument, port_number
from storyforge.errors import ConfigError, SourceLocation, StoryforgeError

if TYPE_CHECKING:  # pragma: no cover
    from storyforge.desk.app import Desk
    from storyforge.serve.http import LiveState, PreviewServer, ShownError
    from storyforge.serve.watch import Change, Debouncer, Watcher, WatchPlan

SERVE_DIR = Path(".storyforge-cache") / "serve"


@dataclass(frozen=True)
class ServeOptions:
    """What `storyforge serve` was asked for."""

    site_dir: Path = Path(".")
    port: int = 8000
    bind: str = "127.0.0.1"
    drafts: bool = True
    poll: bool = False
    open_browser: bool = False
    quiet_seconds: float = 0.05  # how long saving must pause before a rebuild starts


def add_commands(subparsers: Any) -> None:
    """Add ``serve`` to the command line."""
    serve = subparsers.add_parser(
        "serve", help="preview the site in a browser, rebuilding on every save",
        description="Build the site into .storyforge-cache/serve/, serve it on this computer and rebuild "
                    "whenever a file in content/, templates/, static/, the theme or site.yaml changes. Open "
                    "pages reload by themselves; a save that does not build shows its errors on the page.")
    add_site_argument(serve)
    serve.add_argument("--port", type=port_number, default=8000, help="the port to listen on (default: 8000)")
    serve.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                       help="the address to listen on (default: 127.0.0.1, this computer only; "
                            "0.0.0.0 lets other devices on the network see the preview)")
    serve.add_argument("--drafts", action=argparse.BooleanOptionalAction, default=True,
                       help="show entries marked draft: true, with a draft badge (the default; "
                            "--no-drafts hides them as a build does)")
    serve.add_argument("--poll", action="store_true",
                       help="check for changes by polling, for network drives, WSL and containers "
                            "where saves send no file events")
    serve.add_argument("--open", action="store_true", help="open the site in the web browser")
    serve.set_defaults(handler=_cmd_serve)


def _cmd_serve(args: argparse.Namespace) -> int:
    options = ServeOptions(site_dir=args.site, port=args.port, bind=args.bind, drafts=args.drafts,
                           poll=args.poll, open_browser=args.open)
    return run(options)


def run(options: ServeOptions) -> int:
    """Serve until Ctrl-C (or SIGTERM); returns the exit code. Bind errors raise StoryforgeError."""
    preview = Preview(options)
    previous = _exit_on_sigterm()
    try:
        preview.start()
        preview.announce()
        preview.server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        with suppress(KeyboardInterrupt):  # a second Ctrl-C while stopping: stop waiting, still no traceback
            preview.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("stopped", flush=True)
    return 0


def _exit_on_sigterm() -> Any:
    """Make SIGTERM stop the server the way Ctrl-C does (only possible on the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


class Preview:
    """One running preview: the server, the watcher, and the rebuild each batch of saves causes."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self.site_dir = options.site_dir.resolve()
        self.output_dir = self.site_dir / SERVE_DIR
        self._server: PreviewServer | None = None
        self._watcher: Watcher | None = None
        self._debouncer: Debouncer | None = None
        self._state: LiveState | None = None
        self._plan: WatchPlan | None = None
        self.desk: Desk | None = None
        self.builds = 0
        self.good_builds = 0
        self._started = 0  # builds started; with ``builds`` (finished) it says when a change is built
        self._built = threading.Condition()

    @property
    def server(self) -> PreviewServer:
        assert self._server is not None, "start() first"
        return self._server

    @property
    def state(self) -> LiveState:
        assert self._state is not None, "start() first"
        return self._state

    @property
    def url(self) -> str:
        host, port = self.server.server_name, self.server.server_port
        shown = ("127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else  # noqa: S104 - a comparison
                 f"[{host}]" if ":" in host else host)
        return f"http://{shown}:{port}{self.server.base_path}"

    def start(self) -> None:
        """Bind the port, build once, start watching; raises StoryforgeError if it cannot serve."""
        from storyforge.core.config import NO_SITE_HERE
        from storyforge.serve.http import LiveState, PreviewServer
        from storyforge.serve.watch import Debouncer, Watcher

        if not (self.site_dir / "site.yaml").is_file():
            raise ConfigError(NO_SITE_HERE,
                              SourceLocation(str(self.options.site_dir / "site.yaml")))
        self._state = LiveState()
        plan, base_path = self._read_plan()
        try:
            self._server = PreviewServer(self.options.bind, self.options.port, self.output_dir, self._state,
                                         base_path)
        except OSError as exc:
            raise StoryforgeError(_bind_problem(exc, self.options)) from None
        self._start_desk()
        self._rebuild([])
        self._debouncer = Debouncer(self._rebuild, quiet=self.options.quiet_seconds)
        self._watcher = Watcher(self._plan or plan, self._debouncer.add, poll=self.options.poll)
        self._debouncer.start()
        self._watcher.start()

    def _start_desk(self) -> None:
        """Mount the moderation desk; it answers only when the preview is bound to loopback."""
        from storyforge.desk.app import Desk
        from storyforge.serve.http import inject_reload

        state = self.state
        self.desk = Desk(self.site_dir, self.server.server_name, self.server.server_port, self._desk_changed,
                         lambda html: inject_reload(html, state))
        self.server.desk = self.desk

    def _desk_changed(self, paths: list[str], timeout: float = 60.0) -> None:
        """A desk action wrote these files (relative to the site): rebuild now, not when the watcher
        gets round to it, and return once that rebuild is done, so the page the desk answers with
        already shows the rebuilt state and has no reason to reload under the moderator."""
        from storyforge.serve.watch import Change, ChangeKind

        if self._debouncer is None or self._plan is None:
            return
        with self._built:
            started = self._started
        for path in paths or ["submissions"]:
            self._debouncer.add(self._plan.classify(self.site_dir / path) or Change(ChangeKind.CONTENT, path))
        with self._built:  # a build that started after the change was queued has finished
            self._built.wait_for(lambda: self.builds > started, timeout)

    def announce(self) -> None:
        """Say where the site is served, and open it when --open asked for that."""
        drafts = "drafts shown" if self.options.drafts else "drafts hidden"
        how = "polling" if self.options.poll else "watching"
        assert self._watcher is not None
        watched = ", ".join(_shown(folder, self.site_dir) for folder in self._watcher.watched()
                            if folder != self.site_dir)
        print(f"serving {self.url} ({drafts}); {how} {watched}, site.yaml — press Ctrl-C to stop", flush=True)
        if self.desk is not None and self.desk.enabled:
            print(f"moderation desk: {self.desk.origin}/__storyforge/desk/", flush=True)
        else:
            print(f"the moderation desk is off: this preview listens on {self.options.bind}, not only on this "
                  "computer (serve without --bind to use it)", flush=True)
        if self.options.open_browser:
            import webbrowser

            threading.Thread(target=webbrowser.open, args=(self.url,), daemon=True).start()

    def stop(self) -> None:
        """Stop watching, finish a rebuild under way, release waiting pages, close the port."""
        if self._watcher is not None:
            self._watcher.stop()
        if self._debouncer is not None:
            self._debouncer.stop()
        if self._state is not None:
            self._state.close()
        if self._server is not None:
            self._server.server_close()
        if self.desk is not None:
            self.desk.close()

    def _read_plan(self) -> tuple[WatchPlan, str]:
        """What to watch and the site's base path, from site.yaml; the last known ones if it is broken."""
        from storyforge.core.config import load_config
        from storyforge.core.theme import theme_dir
        from storyforge.serve.watch import WatchPlan

        try:
            config = load_config(self.site_dir)
            submissions = self.site_dir / config.moderation.submissions_dir
            plan, base_path = WatchPlan(self.site_dir, theme_dir(config), submissions), config.base_path
        except StoryforgeError:
            if self._plan is not None and self._server is not None:
                return self._plan, self._server.base_path
            plan, base_path = WatchPlan(self.site_dir), "/"
        self._plan = plan
        return plan, base_path

    def _rebuild(self, changes: Sequence[Change]) -> None:
        """Build the whole site into the serve folder and tell open pages how it went."""
        from storyforge.build import BuildOptions, build
        from storyforge.serve.http import overlay_errors
        from storyforge.serve.watch import css_only, describe

        with self._built:
            self._started += 1
        plan, base_path = self._read_plan()
        self.server.base_path = base_path
        started = time.perf_counter()
        errors: list[ShownError] = []
        pages = 0
        try:
            result = build(BuildOptions(site_dir=self.site_dir, output_dir=self.output_dir,
                                        drafts=self.options.drafts, base_url=self.url))
            pages = sum(result.pages_by_section.values())
        except StoryforgeError as exc:
            errors = overlay_errors(exc)
        except Exception as exc:  # noqa: BLE001 - a bug in a build step must not stop the preview
            traceback.print_exc()
            errors = overlay_errors(exc)
        seconds = time.perf_counter() - started
        if self.desk is not None:
            self.server.pending = self.desk.pending_count()  # the badge, as fresh as the pages it is on
        self.state.publish(errors, css_only=css_only(changes))
        with self._built:
            self.builds += 1
            self._built.notify_all()
        if self._watcher is not None:
            self._watcher.sync(plan)
        after = f" after {describe(changes)}" if changes else ""
        if errors:
            for error in errors:
                print(f"{error.where}: {error.message}" if error.where else error.message, file=sys.stderr)
            count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
            shown = "still serving the last good site" if self.good_builds else "nothing to serve until it builds"
            print(f"build failed{after}: {count} — {shown}", file=sys.stderr, flush=True)
        else:
            self.good_builds += 1
            print(f"built {pages} pages in {seconds:.2f} s{after}", flush=True)


def _bind_problem(exc: OSError, options: ServeOptions) -> str:
    """One line saying why the port could not be opened and what to try."""
    if exc.errno == errno.EADDRINUSE:
        return (f"port {options.port} is already in use (another storyforge serve?) — stop it or choose "
                f"another port with --port {options.port + 1 if options.port < 65535 else 8000}")
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {options.port} — choose a port above 1023 with --port 8000"
    return f"cannot listen on {options.bind}:{options.port} ({exc.strerror or exc}) — check --bind and --port"


def _shown(folder: Path, site_dir: Path) -> str:
    try:
        return folder.relative_to(site_dir).as_posix() + "/"
    except ValueError:
        return folder.as_posix() + "/"
