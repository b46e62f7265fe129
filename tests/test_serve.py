"""`storyforge serve` in-process: safe paths, the reload script only in served HTML, the error
overlay's data after a broken save, a busy port, and a clean Ctrl-C."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import story

from storyforge.errors import BuildFailed, FrontMatterError, SourceLocation
from storyforge.serve.command import SERVE_DIR, Preview, ServeOptions
from storyforge.serve.http import (
    LiveState,
    PreviewServer,
    ShownError,
    inject_reload,
    overlay_errors,
    resolve_request,
)

SCRIPT_MARK = b"/__storyforge/livereload.js"


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A built-looking folder with a secret file beside it and a symbolic link pointing out."""
    root = tmp_path / "serve"
    (root / "about").mkdir(parents=True)
    (root / "css").mkdir()
    (root / "index.html").write_text("<html><body><p>home</p></body></html>")
    (root / "about/index.html").write_text("<html><body><p>about</p></body></html>")
    (root / "css/style.css").write_text("body { color: red }")
    (root / "404.html").write_text("<html><body><p>lost</p></body></html>")
    (root / ".storyforge-output").write_text("marker")
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/index.html").write_text("secret")
    (root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (root / "leakdir").symlink_to(tmp_path / "outside")
    return root


@pytest.mark.parametrize("raw", [
    "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/about/..%2f..%2fsecret.txt",
    "/about/%252e%252e/%252e%252e/secret.txt", "/..%5csecret.txt", "/%00", "//../secret.txt",
    str(Path("/") / "etc/passwd"), "http://example.com/../secret.txt", "/leak.txt", "/leakdir/",
    "/leakdir/index.html", "/.storyforge-output", "/%2estoryforge-output", "/nothing-here", "/%ff",
    "secret.txt", "",
])
def test_paths_that_leave_the_folder_are_not_found(built, raw):
    assert resolve_request(built, raw).status == 404


@pytest.mark.parametrize(("raw", "file"), [
    ("/", "index.html"), ("/index.html", "index.html"), ("/about/", "about/index.html"),
    ("/about/index.html?x=1#top", "about/index.html"), ("/css/style.css?storyforge=3", "css/style.css"),
    ("/%61bout/", "about/index.html"), ("/about/./", "about/index.html"),
    ("http://127.0.0.1:8000/about/", "about/index.html"),
])
def test_paths_inside_the_folder_are_served(built, raw, file):
    resolved = resolve_request(built, raw)
    assert (resolved.status, resolved.file) == (200, (built / file).resolve())


def test_folders_without_a_slash_redirect_within_the_site(built):
    assert resolve_request(built, "/about").location == "/about/"
    assert resolve_request(built, "//about").location == "/about/"  # never '//host': no open redirect
    assert resolve_request(built, "/about", "/shop/").status == 404
    shop = resolve_request(built, "/shop/about", "/shop/")
    assert (shop.status, shop.location) == (301, "/shop/about/")
    assert resolve_request(built, "/", "/shop/").location == "/shop/"
    assert resolve_request(built, "/shop/", "/shop/").file == (built / "index.html").resolve()


def test_nothing_built_yet_is_503(tmp_path):
    assert resolve_request(tmp_path / "missing", "/").status == 503
    assert resolve_request(tmp_path / "missing", "/%2e%2e/x").status == 404


def test_script_goes_before_the_last_closing_body_tag():
    state = LiveState()
    state.publish([])
    html = b"<html><body><p>a</p></BODY></html>"
    out = inject_reload(html, state)
    assert out.startswith(b"<html><body><p>a</p><script async src=\"/__storyforge/livereload.js\" data-epoch=\"1\"")
    assert out.endswith(b"</script>\n</BODY></html>")
    assert inject_reload(b"<p>fragment</p>", state).startswith(b"<p>fragment</p>\n<script")


def test_epochs_tell_pages_whether_to_reload_or_swap_styles():
    state = LiveState()
    assert state.publish([]) == 1 and state.full_epoch == 1
    state.publish([], css_only=True)
    assert (state.epoch, state.full_epoch) == (2, 1)  # pages at epoch 1 only swap stylesheets
    state.publish([ShownError("content/a.md:2", "bad")], css_only=True)
    assert (state.full_epoch, state.snapshot()["errors"]) == (3, [{"where": "content/a.md:2", "message": "bad"}])
    state.publish([], css_only=True)
    assert state.full_epoch == 4 and state.errors == []  # the first good build after errors reloads


def test_long_poll_answers_at_once_when_behind_and_waits_otherwise():
    state = LiveState()
    state.publish([])
    assert state.wait(-1, timeout=5)["epoch"] == 1
    started = time.monotonic()
    assert state.wait(1, timeout=0.05)["epoch"] == 1
    assert time.monotonic() - started >= 0.04
    threading.Timer(0.05, state.publish, args=([],)).start()
    assert state.wait(1, timeout=5)["epoch"] == 2


def test_overlay_errors_keep_file_line_and_message():
    failure = BuildFailed([FrontMatterError("title: expected text, got <b>x</b>", SourceLocation("content/a.md", 3)),
                           FrontMatterError("missing front matter", SourceLocation("content/b.md", 1))])
    assert overlay_errors(failure) == [ShownError("content/a.md:3", "title: expected text, got <b>x</b>"),
                                       ShownError("content/b.md:1", "missing front matter")]
    assert overlay_errors(KeyError("x"))[0].message.startswith("internal error: KeyError('x')")


def test_the_overlay_sets_text_never_html():
    script = (Path(__file__).parents[1] / "src/storyforge/serve/livereload.js").read_text()
    assert "textContent" in script
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


def request(port: int, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.putrequest(method, path, skip_accept_encoding=True)  # the path exactly as given
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


@pytest.fixture
def server(built):
    state = LiveState()
    state.publish([])
    running = PreviewServer("127.0.0.1", 0, built, state)
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


def test_only_html_responses_get_the_script(server, built):
    port = server.server_address[1]
    status, headers, body = request(port, "/about/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert SCRIPT_MARK in body and int(headers["content-length"]) == len(body)
    assert SCRIPT_MARK not in (built / "about/index.html").read_bytes()
    status, headers, body = request(port, "/css/style.css")
    assert (status, body, headers["content-type"]) == (200, b"body { color: red }", "text/css; charset=utf-8")
    assert headers["cache-control"] == "no-store"
    status, _, body = request(port, "/%2e%2e/secret.txt")
    assert status == 404 and b"lost" in body and SCRIPT_MARK in body  # the site's 404 page
    status, headers, body = request(port, "/about/", "HEAD")
    assert (status, body) == (200, b"") and int(headers["content-length"]) > 0
    status, _, body = request(port, "/__storyforge/livereload.js")
    assert status == 200 and b"textContent" in body
    status, _, body = request(port, "/__storyforge/epoch?since=-1")
    assert json.loads(body)["epoch"] == 1


def wait_for_epoch(port: int, since: int) -> dict:
    status, _, body = request(port, f"/__storyforge/epoch?since={since}")
    assert status == 200
    state = json.loads(body)
    assert state["epoch"] > since, "no rebuild within the long-poll"
    return state


@contextmanager
def running_preview(site: Path) -> Iterator[tuple[Preview, int]]:
    """A started preview serving in a thread, with its port; shut down afterwards."""
    preview = Preview(ServeOptions(site_dir=site, port=0, quiet_seconds=0.02))
    preview.start()
    thread = threading.Thread(target=preview.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield preview, preview.server.server_address[1]
    finally:
        preview.server.shutdown()
        preview.stop()


def test_a_broken_save_keeps_the_last_good_site_and_reports_errors(make_site, run):
    site = make_site({"content/testimonials/maya.md": story("Warm bread", body="First version.")})
    with running_preview(site) as (_, port):
        status, _, body = request(port, "/testimonials/maya/")
        assert status == 200 and b"First version." in body and SCRIPT_MARK in body
        on_disk = site / SERVE_DIR / "testimonials/maya/index.html"
        assert b"First version." in on_disk.read_bytes() and b"__storyforge" not in on_disk.read_bytes()
        assert not (site / "public").exists()

        (site / "content/testimonials/maya.md").write_text("---\ntitle: [unclosed\nauthor: Sam\n---\nBroken.\n")
        state = wait_for_epoch(port, 1)
        assert [e["where"] for e in state["errors"]] == ["content/testimonials/maya.md:3"]  # where YAML notices
        assert b"First version." in request(port, "/testimonials/maya/")[2]  # the last good site

        (site / "content/testimonials/maya.md").write_text(story("Warm bread", body="Second version."))
        state = wait_for_epoch(port, state["epoch"])
        assert state["errors"] == [] and state["full"] == state["epoch"]
        assert b"Second version." in request(port, "/testimonials/maya/")[2]

        assert run("build", "--site", site, "-q").code == 0  # a plain build has no trace of serve
        for page in (site / "public").rglob("*"):
            assert not page.is_file() or b"__storyforge" not in page.read_bytes(), page


def test_drafts_are_shown_by_serve_with_a_badge(make_site):
    site = make_site({"content/pages/soon.md": "---\ntitle: Coming soon\ndraft: true\n---\nHello.\n"})
    preview = Preview(ServeOptions(site_dir=site, port=0))
    try:
        preview.start()
        page = (site / SERVE_DIR / "soon/index.html").read_text()
        assert "Coming soon" in page and "label-draft" in page
    finally:
        preview.stop()


def test_a_busy_port_is_one_line_naming_it(make_site, run):
    site = make_site()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--site", site, "--port", str(port))
    assert result.code == 1
    assert result.err.strip().count("\n") == 0 and "Traceback" not in result.err
    assert f"port {port} is already in use" in result.err and "--port" in result.err


def test_serve_without_a_site_says_so(tmp_path, run):
    result = run("serve", "--site", tmp_path, "--port", "0")
    assert result.code == 1 and "no site.yaml here" in result.err


def test_ctrl_c_stops_cleanly(make_site):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi.\n"})
    process = subprocess.Popen([sys.executable, "-m", "storyforge", "serve", "--site", str(site), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first, line = process.stdout.readline(), process.stdout.readline()
        assert first.startswith("built "), first
        assert line.startswith("serving http://127.0.0.1:") and "drafts shown" in line, line
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err and out.strip().endswith("stopped")
    left = os.listdir(site / ".storyforge-cache")
    assert "serve" in left and not [name for name in left if name.startswith(".storyforge-publish")]


def test_every_save_shows_even_when_size_and_second_are_unchanged(make_site):
    """Saves of the same length within one second: the rebuild must never keep the old text."""
    site = make_site({"content/testimonials/maya.md": story("Warm bread", body="Version 0.")})
    with running_preview(site) as (preview, port):
        for n in range(1, 6):
            epoch = preview.state.epoch
            (site / "content/testimonials/maya.md").write_text(story("Warm bread", body=f"Version {n}."))
            while b"Version %d." % n not in request(port, "/testimonials/maya/")[2]:
                epoch = wait_for_epoch(port, epoch)["epoch"]  # fails if no rebuild brings it


def _with_host(port: int, host: str | None, path: str = "/about/") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    if host is not None:
        connection.putheader("Host", host)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def test_only_requests_for_the_address_it_listens_on_are_answered(server):
    """DNS rebinding: a page on evil.test whose name now points at 127.0.0.1 sends Host: evil.test."""
    port = server.server_address[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST.:{port}", f"[::1]:{port}",
                 f"preview.localhost:{port}"):
        assert _with_host(port, host)[0] == 200, host
    for host in (f"evil.test:{port}", "evil.test", f"127.0.0.1:{port + 1}", "127.0.0.1", f"10.0.0.5:{port}",
                 f"127.0.0.1.evil.test:{port}", f"localhost.evil.test:{port}", "", "[::1", None):
        status, body = _with_host(port, host)
        assert status == 421 and b"only requests for the address it listens on" in body, host
        assert _with_host(port, host, "/__storyforge/epoch?since=-1&wait=0")[0] == 421


def test_a_server_on_every_interface_answers_its_addresses_but_no_other_name(built):
    from storyforge.serve.http import host_allowed

    assert host_allowed("192.168.1.20:8000", "0.0.0.0", 8000)  # noqa: S104 - what the check is about
    assert host_allowed("[fe80::1]:8000", "::", 8000)
    assert not host_allowed("rebind.evil.test:8000", "::", 8000)
    assert host_allowed("mybox.lan:8000", "mybox.lan", 8000)
    assert not host_allowed("192.168.1.20:8000", "127.0.0.1", 8000)


def test_idle_connections_neither_fill_the_queue_nor_stay_forever(built, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from storyforge.serve.http import PreviewHandler

    monkeypatch.setattr(PreviewHandler, "timeout", 1.0)  # the idle limit, shortened for the test
    state = LiveState()
    state.publish([])
    running = PreviewServer("127.0.0.1", 0, built, state)
    threading.Thread(target=running.serve_forever, daemon=True).start()
    port = running.server_address[1]
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(300)]  # never a request
    try:
        def timed_get(_: int) -> tuple[int, float]:
            started = time.perf_counter()
            status, _, _ = request(port, "/")
            return status, time.perf_counter() - started

        with ThreadPoolExecutor(50) as pool:
            results = list(pool.map(timed_get, range(200)))
        assert all(status == 200 for status, _ in results)
        assert max(seconds for _, seconds in results) < 2.0
        time.sleep(1.5)
        idle[0].settimeout(2)
        assert idle[0].recv(1) == b"", "an idle connection was kept open past the limit"
    finally:
        for connection in idle:
            connection.close()
        running.shutdown()
        running.server_close()
