"""Small sites on disk, built in-process through the real command line."""

from __future__ import annotations

import os
import shutil
import socket
import textwrap
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path

import pytest

from storyforge.cli import main

REPO = Path(__file__).resolve().parents[1]

#: far above any normal run on a busy machine: hostile-input tests use it to catch a hang or an
#: exponential blow-up (an unbounded alias expansion, a backtracking pattern), not a slow spell
HANG_SECONDS = 60

SITE_YAML = """\
title: Test Bakery
base_url: https://bakery.test/
language: en-GB
timezone: Europe/London
business:
  name: Test Bakery Ltd
"""


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def write_files(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """make_site({'content/pages/about.md': '...'}) → a site folder with a site.yaml."""

    def make(files: dict[str, str] | None = None, site_yaml: str = SITE_YAML) -> Path:
        root = tmp_path / "site"
        root.mkdir(exist_ok=True)
        (root / "site.yaml").write_text(site_yaml, encoding="utf-8")
        write_files(root, files or {})
        return root

    return make


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """run('build', '--site', dir) → exit code and captured output."""

    def invoke(*args: str | Path) -> CliResult:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # --help, --version, argparse errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


def story(title: str = "Lovely bread", author: str = "Sam P.", extra: str = "", body: str = "Great loaf.") -> str:
    return f"---\ntitle: {title}\nauthor: {author}\ndate: 2026-03-01\n{extra}---\n{body}\n"


def copy_example(dest: Path) -> Path:
    """A copy of the repository's example site (its sources only) inside ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "site.yaml", dest / "site.yaml")
    for name in ("content", "themes", "static", "templates"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, dest / name)
    return dest


#: says when and from which file times a site was built: it differs between two builds of equal sources,
#: and is checked by the tests of check and deploy, which read it
BUILD_RECORD = ".storyforge-build.json"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, for 'left exactly as it was' checks (the build record
    aside)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != BUILD_RECORD}


def owner_files(site: Path) -> dict[str, bytes]:
    """``snapshot`` of a site without its caches (``.storyforge-cache/``, rebuilt from the rest at any
    time): what a command that "changes nothing" must leave as it was."""
    return {rel: data for rel, data in snapshot(site).items() if not rel.startswith(".storyforge-cache/")}


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append((tag, name, value))
            if name == "id" and value:
                self.ids.add(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(markup: str | bytes) -> _LinkParser:
    parser = _LinkParser()
    parser.feed(markup.decode() if isinstance(markup, bytes) else markup)
    return parser


def page_text(markup: str | bytes) -> str:
    return " ".join(" ".join(parse_html(markup).text).split())


class _PayloadFinder(HTMLParser):
    """Finds markup a browser would execute: script-like elements, handlers, script URLs."""

    DANGEROUS_TAGS = frozenset({"script", "iframe", "object", "embed", "svg", "math", "frame", "frameset", "base",
                                "form", "meta", "link", "style"})

    def __init__(self, allowed_tags: set[str], theme_scripts: bool = False) -> None:
        super().__init__()
        self.allowed_tags = allowed_tags
        self.theme_scripts = theme_scripts
        self.found: list[str] = []

    def _theme_script(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        """The theme's own: a JSON-LD data block (never run; a payload closing it early shows up as the
        next element) or the embed demo's script file."""
        values = dict(attrs)
        return self.theme_scripts and tag == "script" and (
            values == {"type": "application/ld+json"} or values == {"src": "/embed.js", "defer": None})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.DANGEROUS_TAGS - self.allowed_tags and not self._theme_script(tag, attrs):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            squashed = "".join((value or "").split()).lower()
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name in ("href", "src", "action", "formaction", "srcdoc", "xlink:href") and squashed.startswith(
                    ("javascript:", "data:", "vbscript:")):
                self.found.append(f"{tag} {name}={value}")
            if name == "srcdoc" or (name == "style" and ("url(" in squashed or "expression(" in squashed)):
                self.found.append(f"{tag} {name}={value}")


def executable_payloads(markup: str, page_chrome: bool = False) -> list[str]:
    """What in ``markup`` would run in a browser; ``page_chrome`` allows the theme's own <link>/<meta>
    and its scripts (JSON-LD data, the embed script)."""
    finder = _PayloadFinder({"link", "meta"} if page_chrome else set(), theme_scripts=page_chrome)
    finder.feed(markup)
    return finder.found


_FEED_HTML = ("{http://purl.org/rss/1.0/modules/content/}encoded", "description",
              "{http://www.w3.org/2005/Atom}content", "{http://www.w3.org/2005/Atom}summary")


def feed_html(data: bytes) -> list[str]:
    """The HTML a feed carries in its content, description and summary elements, as a reader gets it:
    XML-decoded and not yet sanitized (untyped Atom text is checked too, to be strict)."""
    root = ET.fromstring(data)
    return [element.text or "" for name in _FEED_HTML for element in root.iter(name)
            if "Atom" not in name or element.get("type") in ("html", None)]


def payloads_in_output(folder: Path) -> list[str]:
    """Everything executable in a built site's pages and in the HTML inside its feeds, as 'path: finding'."""
    found: list[str] = []
    for path, data in snapshot(folder).items():
        if path.endswith(".html"):
            found += [f"{path}: {hit}" for hit in executable_payloads(data.decode(), page_chrome=True)]
        elif path.endswith(".xml") and "sitemap" not in path:
            for html in feed_html(data):
                found += [f"{path}: {hit}" for hit in executable_payloads(html)]
    return found


#: path → (status, headers, body) the photo server answers
Routes = dict[str, tuple[int, dict[str, str], bytes]]


@pytest.fixture
def photo_server() -> Iterator[tuple[str, Routes]]:
    """A server on 127.0.0.1 answering from a table the test fills; its base address."""
    routes: Routes = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = routes.get(self.path, (404, {}, b"not here"))
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", routes
    finally:
        server.shutdown()
        server.server_close()


# --- S3: moto's server on loopback, for `deploy` to a bucket and the intake's bucket inbox ---------

_buckets = count()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1, on a port that was free."""
    moto_server = pytest.importorskip("moto.server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, s3_endpoint: str) -> dict[str, str]:
    """Credentials for the local server only, from the environment as a real deploy reads them; every
    AWS service's address is the local server too, so nothing can reach a real one."""
    values = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
              "AWS_ENDPOINT_URL": s3_endpoint,
              "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
              "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials")}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return values


@pytest.fixture
def bucket(s3_endpoint: str, fake_credentials: dict[str, str]) -> tuple[object, str]:
    """A new, empty bucket and a client for looking into it."""
    boto3 = pytest.importorskip("boto3")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    name = f"site-{os.getpid()}-{next(_buckets)}"
    client.create_bucket(Bucket=name)
    return client, name
