"""`deploy`, `serve` and `intake` meeting what a user meets: a port in use, a store that refuses or
is not there, wrong credentials, a repository that is missing, unreachable or has the branch checked
out. Each is one line naming what and the fix, a non-zero exit, no traceback, and nothing touched."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SITE_YAML, story

STORIES = {f"content/testimonials/story-{n}.md": story(f"Story number {n}", f"Person {n}.") for n in range(2)}


def _closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _one_line_error(result, *words: str) -> str:
    assert result.code != 0, result.out
    assert "Traceback" not in result.err + result.out
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _built(make_site, run, target: str) -> Path:
    site = make_site(STORIES, site_yaml=SITE_YAML + "deploy:\n  targets:\n    live:\n" + target)
    assert run("build", "--site", site).code == 0
    return site


def _git(*args: str | Path, cwd: Path) -> str:
    return subprocess.run(["git", *map(str, args)], cwd=cwd, capture_output=True, text=True, check=True).stdout


# --- git branch ------------------------------------------------------------------------------------


def test_a_missing_repository_names_the_setting(make_site, run):
    site = _built(make_site, run, "      type: git\n      repository: ../nowhere.git\n")
    _one_line_error(run("deploy", "--site", site), "no repository at", "deploy.targets.live.repository")


def test_an_unreachable_repository_names_the_address_and_the_setting(make_site, run):
    address = f"https://127.0.0.1:{_closed_port()}/site.git"
    site = _built(make_site, run, f"      type: git\n      repository: {address}\n")
    _one_line_error(run("deploy", "--site", site), f"cannot reach {address}", "deploy.targets.live.repository")


def test_a_branch_checked_out_in_a_working_repository_is_left_alone(make_site, run, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    _git("init", "--quiet", "-b", "site", cwd=work)
    (work / "notes.txt").write_text("mine")
    _git("add", ".", cwd=work)
    _git("-c", "user.name=Owner", "-c", "user.email=owner@example.com", "commit", "--quiet", "-m", "mine", cwd=work)
    (work / "draft.txt").write_text("not committed")  # a dirty working tree
    before = (_git("rev-parse", "HEAD", cwd=work), _git("status", "--porcelain", cwd=work))
    site = _built(make_site, run, f"      type: git\n      repository: {work}\n      branch: site\n")
    _one_line_error(run("deploy", "--site", site), "checked out", "deploy.targets.live.branch")
    assert (_git("rev-parse", "HEAD", cwd=work), _git("status", "--porcelain", cwd=work)) == before
    assert (work / "draft.txt").read_text() == "not committed"


def test_no_built_site_says_build_first(make_site, run):
    site = make_site(STORIES, site_yaml=SITE_YAML + "deploy:\n  targets:\n    live:\n      type: folder\n"
                                                    "      path: ../www\n")
    _one_line_error(run("deploy", "--site", site), "storyforge build")


# --- S3-compatible storage ------------------------------------------------------------------------


class _Refusing(http.server.BaseHTTPRequestHandler):
    """A store that answers every request with one S3 error (set on the server)."""

    def _answer(self) -> None:
        status, code = self.server.error  # type: ignore[attr-defined]
        body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>refused by the test'
                "</Message></Error>").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer  # noqa: N815 - the names http.server calls

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def refusing_store() -> Iterator[http.server.ThreadingHTTPServer]:
    pytest.importorskip("boto3")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _s3(endpoint: str, extra: str = "") -> str:
    return f"      type: s3\n      bucket: shop-site\n      region: us-east-1\n      endpoint_url: {endpoint}\n" + extra


@pytest.fixture
def credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTTESTTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


@pytest.mark.parametrize(("status", "code", "words"), [
    (404, "NoSuchBucket", ("no such bucket", "deploy.targets.live.bucket")),
    (403, "InvalidAccessKeyId", ("AWS_ACCESS_KEY_ID",)),
    (403, "SignatureDoesNotMatch", ("AWS_SECRET_ACCESS_KEY",)),
    (403, "AccessDenied", ("rights on the bucket",)),
])
def test_a_store_that_refuses_says_why_and_what_to_do(make_site, run, refusing_store, credentials, status, code,
                                                      words):
    refusing_store.error = (status, code)  # type: ignore[attr-defined]
    site = _built(make_site, run, _s3(f"http://127.0.0.1:{refusing_store.server_address[1]}"))
    _one_line_error(run("deploy", "--site", site), "s3://shop-site/", *words)


def test_an_endpoint_that_does_not_answer_names_the_setting(make_site, run, credentials):
    pytest.importorskip("boto3")
    port = _closed_port()
    site = _built(make_site, run, _s3(f"http://127.0.0.1:{port}"))
    _one_line_error(run("deploy", "--site", site), f"cannot connect to http://127.0.0.1:{port}",
                    "deploy.targets.live.endpoint_url")


def test_a_profile_that_does_not_exist_names_the_setting(make_site, run, credentials, tmp_path, monkeypatch):
    pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    site = _built(make_site, run, _s3(f"http://127.0.0.1:{_closed_port()}", "      profile: shop\n"))
    _one_line_error(run("deploy", "--site", site), "shop", "deploy.targets.live.profile")


# --- a port in use --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["serve", "intake"])
def test_a_port_in_use_is_one_line_naming_it(make_site, command):
    site = make_site(STORIES, site_yaml=SITE_YAML)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "storyforge", command, "--site", str(site), "--port", str(port)],
                              capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(port) in lines[0] and "--port" in lines[0], done.stderr
