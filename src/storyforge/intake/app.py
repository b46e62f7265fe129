"""The intake service as a WSGI application (Werkzeug): the share-your-story form in, one submission
in the inbox out.

``POST /submit`` takes the form as the default theme renders it (URL-encoded, or multipart with a
photo). Checks run cheapest first, and every refusal happens before anything is written, so a
refused request changes nothing on disk: the body's size, the origin (the site's own address),
the rate limits, the honeypot, the proof of work (``guard.py``), the form's required fields, the
photo (decoded and re-encoded by ``moderation.photos``), then moderation's own checks in
``moderation.intake.add_story`` — the one function ``submissions add`` also calls, which screens
the story and writes it atomically and durably. A story sent twice (a double-click, a resend) is
one submission: its id is a hash of its words and its author.

A browser gets a redirect to the site's thank-you page; a request with ``Accept:
application/json`` (the theme's script) gets ``{"ok": true, ...}`` or ``{"ok": false, "message":
..., "errors": {field: words}}`` and the page keeps everything typed. ``GET /challenge`` hands out
a proof-of-work challenge; ``GET /health`` says the service is up.
"""

from __future__ import annotations

import html
import json
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from storyforge.core.config import SiteConfig
from storyforge.core.languages import prefix_of
from storyforge.errors import ModerationError
from storyforge.intake.form import HONEYPOT, LABELS, FieldErrors, field_of, values_from
from storyforge.intake.guard import ProofOfWork, RateLimit, Refused, check_origin, origin_of
from storyforge.intake.notify import Notifier
from storyforge.moderation.bucket import BucketInbox, send_story
from storyforge.moderation.gather import Gathering
from storyforge.moderation.intake import RowError
from storyforge.moderation.photos import MAX_PHOTO_BYTES, CleanPhoto, PhotoError, clean_photo
from storyforge.moderation.story_languages import story_language

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

MAX_FIELDS_BYTES = 256_000  # every text field together: the longest story is 20,000 characters
MAX_BODY_BYTES = MAX_PHOTO_BYTES + MAX_FIELDS_BYTES
THANKS_PATH = "share-your-story/thanks/"
FORM_PATH = "share-your-story/"
PHOTOS_AT_ONCE = 4
FORM_SCRIPT = Path(__file__).with_name("form.js")  # the theme's form loads it from here


@dataclass
class Limits:
    """How much the service takes: requests per address per hour, per minute overall."""

    per_address_per_hour: int = 20
    overall_per_minute: int = 120


@dataclass
class IntakeApp:
    """The WSGI application; one per site, shared by waitress's worker threads."""

    config: SiteConfig
    allowed_origins: frozenset[str] = frozenset()
    limits: Limits = field(default_factory=Limits)
    proof: ProofOfWork = field(default_factory=ProofOfWork)
    notifier: Notifier | None = None
    #: moderation.inbox as a bucket: stories go there (``moderation.bucket``), not into the local inbox
    bucket: BucketInbox | None = None

    def __post_init__(self) -> None:
        self.allowed_origins = frozenset({origin_of(self.config.base_url), *self.allowed_origins})
        self.per_address = RateLimit(self.limits.per_address_per_hour, 3600.0)
        self.overall = RateLimit(self.limits.overall_per_minute, 60.0)
        self.challenges = RateLimit(self.limits.per_address_per_hour * 5, 3600.0)
        self.gathering = Gathering(self.config)  # stories that arrive together are written together
        # decoding a photo can take a few hundred MB (40 megapixels): a few at once, however many threads
        self.photo_slots = threading.BoundedSemaphore(PHOTOS_AT_ONCE)
        self.urls = Map([Rule("/", endpoint="index", methods=["GET"]),
                         Rule("/health", endpoint="health", methods=["GET"]),
                         Rule("/challenge", endpoint="challenge", methods=["GET"]),
                         Rule("/form.js", endpoint="script", methods=["GET"]),
                         Rule("/submit", endpoint="submit", methods=["POST", "OPTIONS"])])

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        request.max_form_memory_size = MAX_FIELDS_BYTES
        request.max_form_parts = 40
        try:
            endpoint, _ = self.urls.bind_to_environ(environ).match()
            response = getattr(self, f"on_{endpoint}")(request)
        except HTTPException as exc:
            response = exc.get_response(environ)
        finally:
            request.close()  # the upload's spooled temporary file, at once
        self._cors(request, response)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Content-Type-Options"] = "nosniff"
        answer: Iterable[bytes] = response(environ, start_response)
        return answer

    # --- endpoints -----------------------------------------------------------------------

    def on_index(self, request: Request) -> Response:
        return Response(f"storyforge intake for {self.config.title}: the share-your-story form posts to /submit.\n",
                        mimetype="text/plain")

    def on_health(self, request: Request) -> Response:
        return Response('{"ok": true}\n', mimetype="application/json")

    def on_script(self, request: Request) -> Response:
        response = Response(FORM_SCRIPT.read_bytes(), mimetype="text/javascript")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    def on_challenge(self, request: Request) -> Response:
        if not self.challenges.take(request.remote_addr or "unknown"):
            return _json({"ok": False, "message": "too many requests — please wait a minute"}, 429)
        return _json(self.proof.challenge(), 200)

    def on_submit(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status=204, headers={"Access-Control-Allow-Methods": "POST",
                                                 "Access-Control-Allow-Headers": "Accept, Content-Type"})
        try:
            result = self._take(request)
        except Refused as exc:
            return self._refusal(request, exc.status, exc.message, {exc.field: exc.message} if exc.field else {})
        except FieldErrors as exc:
            return self._refusal(request, 400, "please check the fields marked below — nothing was sent yet",
                                 exc.errors)
        return result

    # --- the work --------------------------------------------------------------------------

    def _take(self, request: Request) -> Response:
        multipart = (request.mimetype or "") == "multipart/form-data"
        limit = MAX_BODY_BYTES if multipart else MAX_FIELDS_BYTES
        if request.content_length is not None and request.content_length > limit:
            raise Refused(413, _too_big(multipart))
        check_origin(request.headers.get("Origin"), request.headers.get("Referer"), self.allowed_origins)
        address = request.remote_addr or "unknown"
        if not self.per_address.take(address):
            raise Refused(429, "you have sent a lot of stories in the last hour — please try again later")
        if not self.overall.take("all"):
            raise Refused(429, "we are receiving a lot of stories right now — please try again in a minute")
        request.max_content_length = limit
        try:
            form = request.form
            upload = request.files.get("photo")
        except RequestEntityTooLarge:
            raise Refused(413, _too_big(multipart)) from None
        if form.get(HONEYPOT, "").strip():
            raise Refused(400, "the form was filled in by a program, not a person (a hidden field has text in "
                               "it) — nothing was sent")
        self.proof.check(form.get("altcha", ""))
        values = values_from(form)
        photo = self._photo(upload.stream.read(MAX_PHOTO_BYTES + 1) if upload and upload.filename else b"")
        now = datetime.now(self.config.tz)
        try:
            if self.bucket is not None:
                added = send_story(self.config, self.bucket, values, "form", now, photo)
            else:
                added = self.gathering.add_story(values, "form", now, photo)
        except RowError as exc:
            message = str(exc)
            raise FieldErrors({field_of(message) or "story": message}) from None
        except ModerationError as exc:
            print(f"intake: {exc}", file=sys.stderr, flush=True)
            raise Refused(503, "your story could not be saved just now — please send it again in a minute") from None
        if added.new and self.notifier is not None:
            self.notifier.tell(added.submission)
        thanks = page_url(self.config, added.submission.lang, THANKS_PATH)
        if _wants_json(request):
            return _json({"ok": True, "id": added.submission.id, "new": added.new, "thanks": thanks}, 200)
        return Response(status=303, headers={"Location": thanks})

    def _photo(self, data: bytes) -> CleanPhoto | None:
        if not data:
            return None
        try:
            with self.photo_slots:
                return clean_photo(data)
        except PhotoError as exc:
            raise FieldErrors({"photo": str(exc)}) from None

    # --- answers ---------------------------------------------------------------------------

    def _cors(self, request: Request, response: Response) -> None:
        origin = (request.headers.get("Origin") or "").lower()
        if origin in self.allowed_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
        response.headers.add("Vary", "Origin")

    def _refusal(self, request: Request, status: int, message: str, errors: dict[str, str]) -> Response:
        if _wants_json(request):
            body: dict[str, Any] = {"ok": False, "message": message, "errors": errors}
            response = _json(body, status)
        else:
            response = Response(_error_page(self.config, message, errors, request), status=status,
                                mimetype="text/html")
        if status == 429:
            response.headers["Retry-After"] = "60"
        return response


def page_url(config: SiteConfig, lang: str, path: str) -> str:
    """A page of the site in the language the customer wrote in (the French form thanks in French,
    at /fr/share-your-story/thanks/); the default language's at the root."""
    if lang and lang != config.language:
        return config.base_url + prefix_of(lang) + path
    return config.base_url + path


def _form_language(config: SiteConfig, request: Request) -> str:
    """The language of the form a refused request came from, if it said one this site has."""
    try:
        return story_language(config, str(request.form.get("lang", "")))
    except (HTTPException, RowError):
        return ""


def _wants_json(request: Request) -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _json(data: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(data, ensure_ascii=False) + "\n", status=status, mimetype="application/json")


def _too_big(multipart: bool) -> str:
    if multipart:
        return f"the form with its photo is over {MAX_BODY_BYTES // 1_000_000} MB — please send a smaller photo"
    return f"the form is over {MAX_FIELDS_BYTES // 1000} kB — please shorten your story"


def _error_page(config: SiteConfig, message: str, errors: dict[str, str], request: Request) -> str:
    """A plain page for a browser without the theme's script: what is wrong, field by field, and the
    story as typed, so nothing is lost."""
    esc = html.escape
    items = "".join(f"<li><strong>{esc(LABELS.get(name, name))}:</strong> {esc(text)}</li>"
                    for name, text in errors.items() if name in LABELS)
    try:
        story = request.form.get("story", "")
    except HTTPException:
        story = ""
    kept = (f"<p>Your story as you wrote it — copy it before going back:</p>"
            "<textarea readonly rows=\"10\" cols=\"70\" aria-label=\"Your story as you wrote it\">"
            f"{esc(story)}</textarea>") if story.strip() else ""
    return (f"<!doctype html><html lang=\"{esc(config.language)}\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" "
            f"content=\"noindex\"><title>Your story was not sent yet — {esc(config.title)}</title></head><body>"
            f"<h1>Your story was not sent yet</h1><p>{esc(message[:1].upper() + message[1:])}.</p>"
            f"{'<ul>' + items + '</ul>' if items else ''}{kept}"
            f"<p><a href=\"{esc(page_url(config, _form_language(config, request), FORM_PATH))}\">Back to the form</a>"
            "</p></body></html>")
