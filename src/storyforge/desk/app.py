"""The desk as a Werkzeug WSGI application, mounted by the preview server at ``/__storyforge/desk/``.

    request → guard (loopback bind, Host, then for POST: Origin/Referer and the form token)
            → route → a page (GET changes nothing) or an action (POST → the moderation core →
              303 to the page with a notice, or the page again with the core's refusal)

After an action the preview is told which files changed, so it rebuilds at once and every open
page, the desk's included, reloads through the live-reload channel. Pages are Jinja2 templates
with autoescaping on for every file: customer text is always text. Forms work without
JavaScript; ``desk.js`` only keeps a half-typed form from being reloaded away.
"""

from __future__ import annotations

import itertools
import re
import secrets
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Request, Response

from storyforge.core.config import SiteConfig, load_config
from storyforge.core.textpolicy import terminal_safe
from storyforge.desk import actions, guard, views
from storyforge.desk.words import desk_direction, desk_translations
from storyforge.errors import StoryforgeError
from storyforge.publish.atomic import write_atomic

PREFIX = "/__storyforge/desk"
HERE = Path(__file__).parent
#: an upload bigger than this is refused before it is read (a form export is a few hundred kB)
MAX_UPLOAD = 8 * 1024 * 1024
UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".json")
#: the name of the folder an uploaded export waits in until confirmed (nothing else is looked up)
HELD_UPLOAD = r"[0-9a-f]{32}"
STATIC = {"desk.css": "text/css; charset=utf-8", "desk.js": "text/javascript; charset=utf-8"}
#: the desk's pages load nothing from elsewhere, run only its own script, and cannot be framed
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store"}

Changed = Callable[[list[str]], None]
Decorate = Callable[[bytes], bytes]


class Desk:
    """One desk per preview: its form token, its notices and the uploads waiting for confirmation
    live as long as the process.

    ``prefix`` is where it is mounted. The preview's desk trusts the loopback address alone; the
    online desk of ``storyforge intake`` (``intake/online_desk.py``) overrides the four checks below
    (``enabled``, ``host_refusal``, ``origin_for``, ``token_for``) to stand behind its login instead.
    """

    online = False  # whether the pages show Log out (the online desk) or not (the preview's)
    site_url = "/"  # where "The site" in the menu goes

    def __init__(self, site_dir: Path, bind: str, port: int, changed: Changed | None = None,
                 decorate: Decorate | None = None, prefix: str = PREFIX) -> None:
        self.site_dir = site_dir
        self.prefix = prefix
        self.bind, self.port = bind, port
        self.origin = guard.origin_of(bind, port)
        self.token = guard.Token()
        self.changed = changed or (lambda paths: None)
        self.decorate = decorate or (lambda html: html)
        self.notices: OrderedDict[str, str] = OrderedDict()  # the last messages, for the page after a redirect
        self._serial = itertools.count(1)
        self._uploads = Path(tempfile.mkdtemp(prefix="storyforge-desk-"))
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, extensions=["jinja2.ext.i18n"],
            finalize=_shown, undefined=jinja2.StrictUndefined)
        self.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
        self._language = ""  # the language whose words are installed
        self.routes = Map([
            Rule("/", endpoint="inbox", methods=["GET"]), Rule("/published", endpoint="published", methods=["GET"]),
            Rule("/add", endpoint="add", methods=["GET", "POST"]),
            Rule("/import", endpoint="import_", methods=["GET", "POST"]),
            Rule("/import/confirm", endpoint="confirm", methods=["POST"]),
            Rule("/edit/<sid>", endpoint="edit", methods=["GET"]),
            *(Rule(f"/{name}", endpoint=name, methods=["POST"]) for name in ("approve", "reject", "withdraw", "reply")),
            Rule("/static/<name>", endpoint="static", methods=["GET"])])

    @property
    def enabled(self) -> bool:
        return guard.is_loopback(self.bind)

    def close(self) -> None:
        shutil.rmtree(self._uploads, ignore_errors=True)

    def pending_count(self) -> int | None:
        """How many submissions wait for a decision, for the badge; None when the desk is off or
        the site cannot be read."""
        if not self.enabled:
            return None
        from storyforge.moderation.store import Store

        try:
            return len(Store(load_config(self.site_dir)).placement().pending())
        except (StoryforgeError, OSError):
            return None

    # --- WSGI ------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_UPLOAD
        try:
            response = self.handle(request)
        finally:
            request.close()  # the upload's spooled temporary files
        response.headers.update(SECURITY_HEADERS)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        if not self.enabled:
            return self.page("off.html", status=403, title="The desk is off", bind=self.bind, port=self.port)
        host_refused = self.host_refusal(request)
        if host_refused is not None:
            return host_refused
        try:
            endpoint, args = self.routes.bind_to_environ(request.environ).match()
        except HTTPException as exc:
            return _plain(exc.code or 404, f"{exc.name}: {exc.description or ''}\n")
        if request.method == "POST":
            refusal = self.refusal(request)
            if refusal:
                return _plain(403, refusal + "\n")
        handler: Callable[..., Response] = getattr(self, f"on_{endpoint}")
        try:
            return handler(request, **args)
        except StoryforgeError as exc:  # site.yaml broken since the page was opened: say so, as the build does
            return self.page("off.html", status=500, title="The site cannot be read", problem=_said(exc),
                             bind=self.bind, port=self.port)

    def host_refusal(self, request: Request) -> Response | None:
        """The answer to a request for another address than the preview's own (DNS rebinding), else None."""
        if guard.host_matches(request.headers.get("Host"), self.bind, self.port):
            return None
        return _plain(421, f"the desk answers only at {self.origin}{self.prefix}/ — open that address\n")

    def origin_for(self, request: Request) -> str:
        """The one origin a POST may come from."""
        return self.origin

    def token_for(self, request: Request | None) -> str:
        """The form token the pages carry and every POST must send back."""
        return self.token.value

    def refusal(self, request: Request) -> str:
        """Why a POST is not from the desk's own page, or '' when it is."""
        origin = self.origin_for(request)
        if not guard.same_origin(request.headers.get("Origin"), request.headers.get("Referer"), origin):
            return (f"refused: this request did not come from the desk's own page (its origin is not "
                    f"{origin}); nothing was changed")
        try:
            given = request.form.get("token")
        except HTTPException:
            return "refused: the form could not be read; nothing was changed"
        if not guard.tokens_match(given, self.token_for(request)):
            return ("refused: the form's token is missing or out of date (the preview restarted, or you logged out?) — "
                    "reload the desk and try again; nothing was changed")
        return ""

    # --- pages ----------------------------------------------------------------------------

    def page(self, template: str, status: int = 200, request: Request | None = None, **values: Any) -> Response:
        values.setdefault("problem", "")
        values.setdefault("notice", "")
        values.setdefault("hold", False)
        language = self._site_language(values.get("config"))
        if language != self._language:  # the desk speaks the site's language (site.yaml may change)
            self.env.install_gettext_translations(desk_translations(language), newstyle=True)  # type: ignore[attr-defined]
            self._language = language
        html = self.env.get_template(template).render(prefix=self.prefix, token=self.token_for(request),
                                                      online=self.online, site_url=self.site_url, language=language,
                                                      direction=desk_direction(language), **values)
        return Response(self.decorate(html.encode("utf-8")), status=status, content_type="text/html; charset=utf-8")

    def _site_language(self, config: SiteConfig | None) -> str:
        """The site's language; English when site.yaml cannot be read (the page then says why)."""
        if config is None:
            try:
                config = load_config(self.site_dir)
            except StoryforgeError:
                return "en"
        return config.language

    def site_page(self, template: str, request: Request, status: int = 200, **values: Any) -> Response:
        """A page that reads the site: its settings, the pending count for the menu, a notice."""
        try:
            config = load_config(self.site_dir)
        except StoryforgeError as exc:
            return self.page("off.html", status=500, title="site.yaml cannot be read", problem=_said(exc),
                             bind=self.bind, port=self.port)
        values.setdefault("notice", self.notices.get(request.args.get("notice", ""), ""))
        values.setdefault("hold", request.method == "POST")  # reloading the answer to a POST would send it again
        values.setdefault("languages", views.language_choices(config))
        return self.page(template, status=status, request=request, config=config, current=template,
                         pending=self.pending_count() or 0, **values)

    def on_inbox(self, request: Request, status: int = 200, problem: str = "") -> Response:
        config = load_config(self.site_dir)
        items, broken, recovered = views.cards(config, datetime.now(config.tz))
        from storyforge.moderation.policy import report

        try:
            stats: Any = report(config)
        except StoryforgeError as exc:
            stats, broken = None, [*broken, _said(exc)]
        return self.site_page("inbox.html", request, status=status, title="Inbox", cards=items, broken=broken,
                              recovered=recovered, stats=stats, reasons=views.REASON_CHOICES, problem=problem)

    def on_published(self, request: Request, status: int = 200, problem: str = "") -> Response:
        config = load_config(self.site_dir)
        return self.site_page("published.html", request, status=status, title="Published stories",
                              stories=views.published(config), problem=problem)

    def on_edit(self, request: Request, sid: str, status: int = 200, problem: str = "",
                form: dict[str, str] | None = None) -> Response:
        config = load_config(self.site_dir)
        items, _, _ = views.cards(config, datetime.now(config.tz))
        found = next((c for c in items if c.id == sid), None)
        if found is None:
            return self.site_page("edit.html", request, status=404, title="Edit", card=None, form={},
                                  problem=f"no pending submission '{sid}' — it may have been decided already")
        return self.site_page("edit.html", request, status=status, title="Edit before approving", card=found,
                              form=form or {}, problem=problem)

    def on_static(self, request: Request, name: str) -> Response:
        if name not in STATIC:
            return _plain(404, "404 not found\n")
        return Response((HERE / "static" / name).read_bytes(), content_type=STATIC[name])

    # --- actions --------------------------------------------------------------------------

    def act(self, request: Request, work: Callable[[SiteConfig], tuple[str, list[str]]], back: str,
            on_refusal: Callable[[str], Response]) -> Response:
        """Run one action; on success remember its message, start the rebuild and redirect back
        (POST-redirect-GET); on a refusal show the page again with the core's words."""
        try:
            message, paths = work(load_config(self.site_dir))
        except StoryforgeError as exc:
            return on_refusal(_said(exc))
        key = f"{next(self._serial)}"
        self.notices[key] = message
        while len(self.notices) > 50:
            self.notices.popitem(last=False)
        self.changed([p for p in paths if p])
        return Response(status=303, headers={"Location": f"{self.prefix}{back}?notice={key}"})

    def on_approve(self, request: Request) -> Response:
        form = request.form.to_dict()
        sid = form.get("id", "")
        if form.get("edited") == "1":
            return self.act(request, lambda c: actions.do_approve(c, form), "/",
                            lambda why: self.on_edit(request, sid, 422, why, form))
        return self.act(request, lambda c: actions.do_approve(c, form), "/",
                        lambda why: self.on_inbox(request, 422, why))

    def on_reject(self, request: Request) -> Response:
        form = request.form.to_dict()
        return self.act(request, lambda c: actions.do_reject(c, form), "/",
                        lambda why: self.on_inbox(request, 422, why))

    def on_withdraw(self, request: Request) -> Response:
        form = request.form.to_dict()
        return self.act(request, lambda c: actions.do_withdraw(c, form), "/published",
                        lambda why: self.on_published(request, 422, why))

    def on_reply(self, request: Request) -> Response:
        form = request.form.to_dict()
        return self.act(request, lambda c: actions.do_reply(c, form), "/published",
                        lambda why: self.on_published(request, 422, why))

    def on_add(self, request: Request) -> Response:
        if request.method == "GET":
            return self.site_page("add.html", request, title="Add a story", form={})
        form = request.form.to_dict()
        return self.act(request, lambda c: actions.do_add(c, form, datetime.now(c.tz)), "/",
                        lambda why: self.site_page("add.html", request, 422, title="Add a story", form=form,
                                                   problem=why))

    def on_import_(self, request: Request) -> Response:
        if request.method == "GET":
            return self.site_page("import.html", request, title="Import", mapping=None, upload="", name="")
        upload = request.files.get("export")
        name = secure_filename(upload.filename or "") if upload is not None else ""
        if upload is None or not name:
            return self.import_problem(request, "choose the export file to upload first")
        if not name.lower().endswith(UPLOAD_SUFFIXES):
            return self.import_problem(request, f"{name}: expected a .csv, .xlsx or .json export of a story form")
        folder = self._uploads / secrets.token_hex(16)  # the page hands back exactly this name
        folder.mkdir(mode=0o700)
        path = folder / name
        write_atomic(path, upload.read(), durable=False)  # held until confirmed, in this process's own folder
        try:
            report = actions.preview_import(load_config(self.site_dir), path)
        except StoryforgeError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return self.import_problem(request, _said(exc))
        return self.site_page("import.html", request, title="Import", mapping=views.mapping(report),
                              upload=folder.name, name=name)

    def on_confirm(self, request: Request) -> Response:
        held = request.form.get("upload", "")
        folder = self._uploads / held
        name = secure_filename(request.form.get("name", ""))
        path = folder / name
        if not re.fullmatch(HELD_UPLOAD, held) or not name or not path.is_file():
            return self.import_problem(request, "that upload is gone (imported already, or the preview was "
                                                "restarted) — upload the file again")

        def work(config: SiteConfig) -> tuple[str, list[str]]:
            done = actions.do_import(config, path, request.form.get("no_consent_column") == "1")
            shutil.rmtree(folder, ignore_errors=True)
            return done

        return self.act(request, work, "/", lambda why: self.import_problem(request, why))

    def import_problem(self, request: Request, why: str) -> Response:
        return self.site_page("import.html", request, 422, title="Import", mapping=None, upload="", name="",
                              problem=why)


def _said(error: StoryforgeError) -> str:
    """A refusal in the words the command line prints (its ``file:line:`` when it has one)."""
    return f"error: {error}" if error.location is None else str(error)


def _shown(value: Any) -> Any:
    """Every value a template prints: None as nothing, and in text the control characters a
    customer may have slipped in shown as escapes (autoescaping then makes it HTML text)."""
    if value is None:
        return ""
    if isinstance(value, Markup):  # already escaped (a translated sentence with its values in it)
        return Markup(terminal_safe(str(value)))  # noqa: S704 - the escapes added are plain ASCII, no markup
    return terminal_safe(value) if isinstance(value, str) else value


def _plain(status: int, text: str) -> Response:
    return Response(text, status=status, content_type="text/plain; charset=utf-8")
