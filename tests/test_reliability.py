"""Publishing where owners really run storyforge: next to a web server, from cron, on a small disk.

Each test is one class of failure: modes that must not change from build to build, an output
folder that is a symbolic link to the web root, two builds at once, a content folder that
vanished, a publish that fails halfway, a cache that cannot be written.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import story

from storyforge.build import BuildOptions, build
from storyforge.publish import output as output_module

STORIES = {f"content/testimonials/s{n}.md": story(f"Story {n}", body=f"Text {n}.") for n in range(4)}


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _edit(site: Path, number: int) -> None:
    path = site / "content/testimonials/s0.md"
    path.write_text(story("Story 0", body=f"Edited {number}."))
    info = path.stat()  # older than the last build: judged by its bytes, like an edit minutes ago
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - 60_000_000_000))


def _modes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix() or ".": stat.S_IMODE(p.stat().st_mode)
            for p in [folder, *folder.rglob("*")]}


def test_published_files_keep_the_usual_modes_on_every_build(make_site, run, usual_umask):
    site = make_site(STORIES)
    seen = []
    for number in range(3):
        _edit(site, number)
        assert run("build", "--site", site).code == 0
        modes = _modes(site / "public")
        seen.append(modes["."])
        for path, mode in modes.items():  # a web server running as another user reads all of it
            wanted = 0o755 if (site / "public" / path).is_dir() else 0o644
            assert mode == wanted, f"{path}: {oct(mode)} after build {number + 1}"
    assert seen == [0o755, 0o755, 0o755]


def test_an_output_folder_linked_to_the_web_root_updates_the_web_root(make_site, run, tmp_path):
    site = make_site(STORIES)
    web_root = tmp_path / "www" / "shop"
    web_root.parent.mkdir()
    assert run("build", "--site", site, "--output", web_root).code == 0  # the web root, made by storyforge
    (site / "public").symlink_to(web_root)
    for number in range(2):
        _edit(site, number)
        result = run("build", "--site", site)
        assert result.code == 0, result.err
        assert (site / "public").is_symlink(), "the link to the web root was replaced by a folder"
        assert f"Edited {number}." in (web_root / "testimonials/s0/index.html").read_text()


def test_a_second_build_of_the_same_site_waits_for_the_first(make_site, monkeypatch):
    site = make_site(STORIES)
    build(BuildOptions(site_dir=site))
    inside = threading.Event()
    release = threading.Event()
    real_publish = output_module.Publisher.publish
    order: list[str] = []

    def slow_publish(self: output_module.Publisher, outputs):  # type: ignore[no-untyped-def]
        order.append("first publishing" if not inside.is_set() else "second publishing")
        if not inside.is_set():
            inside.set()
            release.wait(10)
        return real_publish(self, outputs)

    monkeypatch.setattr(output_module.Publisher, "publish", slow_publish)
    _edit(site, 1)
    first = threading.Thread(target=build, args=(BuildOptions(site_dir=site),))
    first.start()
    assert inside.wait(10)
    _edit(site, 2)
    errors: list[BaseException] = []

    def second_build() -> None:
        try:
            build(BuildOptions(site_dir=site))
            order.append("second done")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    second = threading.Thread(target=second_build)
    second.start()
    time.sleep(0.5)
    assert order == ["first publishing"], "the second build did not wait for the first"
    release.set()
    first.join(10)
    second.join(10)
    assert not errors, errors
    assert "Edited 2." in (site / "public/testimonials/s0/index.html").read_text()


def test_a_vanished_content_folder_stops_the_build_instead_of_emptying_the_site(make_site, run):
    site = make_site({**STORIES, "content/pages/about.md": "---\ntitle: About us\n---\nHello.\n"})
    assert run("build", "--site", site).code == 0
    before = {p.relative_to(site / "public") for p in (site / "public").rglob("*")}
    for folder in (site / "content/testimonials").iterdir():
        folder.unlink()
    (site / "content/testimonials").rmdir()
    result = run("build", "--site", site)
    assert result.code == 1
    assert "content/testimonials/" in result.err and "--no-cache" in result.err
    assert {p.relative_to(site / "public") for p in (site / "public").rglob("*")} == before
    assert run("build", "--site", site, "--no-cache").code == 0  # removed on purpose: said once


def test_a_publish_that_fails_halfway_leaves_no_temporary_files(make_site, run, monkeypatch):
    site = make_site(STORIES)
    assert run("build", "--site", site).code == 0
    _edit(site, 1)
    assert run("build", "--site", site).code == 0  # the shadow copy now exists
    before = (site / "public/testimonials/s0/index.html").read_bytes()
    real_replace = output_module._replace
    calls = []

    def disk_full(root, path, output, live_root):  # type: ignore[no-untyped-def]
        calls.append(path)
        if len(calls) > 1:  # the disk fills up while the new file is being written
            target = root / path
            (target.parent / f".{target.name}.storyforge-tmp").write_bytes(b"half a page")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(root, path, output, live_root)

    monkeypatch.setattr(output_module, "_replace", disk_full)
    for number in range(2, 6):
        (site / f"content/testimonials/s{number}.md").write_text(story(f"New {number}", body="New."))
    _edit(site, 2)
    result = run("build", "--site", site)
    assert result.code == 1
    assert "No space left on device" in result.err
    leftovers = [p for p in site.rglob("*") if "storyforge-tmp" in p.name]
    assert leftovers == []
    assert (site / "public/testimonials/s0/index.html").read_bytes() == before


def test_a_cache_that_cannot_be_written_is_said_once(make_site, run):
    site = make_site(STORIES)
    (site / ".storyforge-cache").write_text("not a folder")  # fails for every user, root too
    result = run("build", "--site", site)
    assert result.code == 0
    assert result.err.count("cannot write the build cache") == 1
    assert "Story 0" in (site / "public/testimonials/s0/index.html").read_text()


def _obeying_modes() -> list[str]:
    """A command prefix under which even root obeys file modes (root is otherwise never refused)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv, which could make root obey file modes")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


def test_a_read_only_output_folder_does_not_break_later_builds(make_site):
    site = make_site(STORIES)
    prefix = _obeying_modes()

    def build_obeying_modes() -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, sys.executable, "-m", "storyforge", "build", "-q", "--site", str(site)],
                              capture_output=True, text=True, check=False)

    assert build_obeying_modes().returncode == 0
    subprocess.run(["chmod", "-R", "a-w", str(site / "public")], check=True)  # as an owner might, once
    for number in (1, 2, 3):
        _edit(site, number)
        result = build_obeying_modes()
        assert result.returncode == 0, result.stderr
        assert f"Edited {number}." in (site / "public/testimonials/s0/index.html").read_text()
    assert [p.name for p in site.iterdir() if p.name.startswith(".storyforge-publish")] == []


def _build_obeying_modes(site: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_obeying_modes(), sys.executable, "-m", "storyforge", "build", "-q", "--site", str(site),
                           *extra], capture_output=True, text=True, check=False)


def _one_line_error(result: subprocess.CompletedProcess[str], *names: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    first = result.stderr.splitlines()[0]
    for name in names:
        assert name in first, result.stderr


def test_an_output_folder_inside_a_file_is_one_line(make_site):
    site = make_site(STORIES)
    (site / "notes.txt").write_text("a file, not a folder")
    _one_line_error(_build_obeying_modes(site, "--output", str(site / "notes.txt" / "out")), "notes.txt")


@pytest.mark.parametrize(("unreadable", "named"), [
    ("content/testimonials", "content/testimonials"),
    ("static/images", "static/images"),
    ("templates/page.html", "templates/page.html"),
])
def test_unreadable_sources_are_one_line_naming_them(make_site, unreadable, named):
    site = make_site({**STORIES, "static/images/logo.png": "png", "templates/page.html": "{{ page.title }}"})
    (site / unreadable).chmod(0)
    try:
        _one_line_error(_build_obeying_modes(site), named)
    finally:
        (site / unreadable).chmod(0o755)


def test_ctrl_c_during_a_build_is_one_line(tmp_path):
    import signal

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from corpus import storyforge_site

    site = storyforge_site(tmp_path / "big", 1500)
    process = subprocess.Popen([sys.executable, "-m", "storyforge", "build", "-q"], cwd=site, text=True,
                               stderr=subprocess.PIPE, env={**os.environ, "STORYFORGE_WORKERS": "2"},
                               start_new_session=True)
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None and len(children.read_text().split()) < 2:
        time.sleep(0.01)  # until both worker processes are there
    assert process.poll() is None, "the build ended before it had workers to interrupt"
    time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole group
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err, err
    assert err.strip() == "interrupted"


@pytest.mark.parametrize("step", ["import", "approve", "reject"])
def test_a_full_disk_during_moderation_is_one_line_and_loses_nothing(make_site, run, monkeypatch, step, tmp_path):
    from moderation_helpers import HEADER, MODERATED_SITE, csv_row, places

    site = make_site(site_yaml=MODERATED_SITE)
    export = tmp_path / "export.csv"
    export.write_text(HEADER + csv_row("2026-03-01 09:12", "Priya Shah", "Sourdough", "The best loaf in town."))
    if step != "import":
        assert run("submissions", "import", export, "--site", site).code == 0
    before = places(site)
    real_write = os.write

    def disk_full(fd: int, data: bytes) -> int:  # a write of any size finds the disk full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    if step == "import":
        result = run("submissions", "import", export, "--site", site)
    else:
        (sid,) = before
        result = run("moderate", step, sid, *(["--reason", "unrelated"] if step == "reject" else []), "--site", site)
    monkeypatch.setattr(os, "write", real_write)
    assert result.code != 0, result.out
    assert "Traceback" not in result.err
    assert "No space left on device" in result.err
    assert places(site) == before  # every submission still in exactly one place
    assert [p.name for p in site.rglob(".storyforge-tmp*")] == []


@pytest.mark.parametrize("front", [
    "submission: 'abc123'\n", "submission: abc123\nslug: my-story\n", "slug: \"my-story\"  # kept\n", "",
    "slug: 'a''b'\n", "slug: \"a\\u00e9\"\n", "submission: |\n  abc\n", "submission: [a]\n", "slug: a b\n",
    "submission: 1e3\n", "slug: 'x'\nslug: 'y'\n", "extra:\n  submission: nested\n", "submission:\n",
    "submission: yes\n", "submission: 0123\n", "slug: null\n", "submission: 0x1f\n", "slug: 1_000\n",
    "submission: ~\n", "slug: 12\n",
])
def test_moderation_reads_a_story_s_id_and_slug_as_yaml_would(front, tmp_path):
    """Every moderation step lists the published stories' submission ids and slugs; reading them
    without a YAML parse must agree with the parse, or leave the file to it."""
    import yaml

    from storyforge.moderation.story_keys import _plain_keys

    data = f"---\ntitle: A story\nauthor: Sam\n{front}---\nText.\n".encode()
    fast = _plain_keys(data)
    try:
        parsed = yaml.safe_load(data.decode().split("---\n")[1]) or {}
    except yaml.YAMLError:
        assert fast is None or fast == ("", "")  # broken front matter: the build reports it
        return
    if fast is not None:
        assert fast == (str(parsed.get("submission") or ""), str(parsed.get("slug") or ""))
    else:
        assert front, "plain front matter is read without YAML"


def test_ctrl_c_while_the_worker_pool_starts_is_not_lost():
    """A Ctrl-C that lands while the build forks its workers must still stop the build (it used to
    be ignored then: the build went on to the end, and the test above timed out on a busy machine),
    and the workers already started must be stopped with it. Run in a process of its own: a signal
    sent to a process with other threads (a test's server) may be taken by one of them."""
    script = """
import multiprocessing, os, signal, sys, time
from storyforge.parallel import _forked_pool
made = []
class InterruptedWhileForking:
    def Pool(self, *args, **kwargs):
        made.append(multiprocessing.get_context("fork").Pool(*args, **kwargs))
        os.kill(os.getpid(), signal.SIGINT)  # the terminal's Ctrl-C, mid-start
        time.sleep(0.05)
        return made[-1]
try:
    with _forked_pool(InterruptedWhileForking(), 2):
        time.sleep(5)  # not reached: the interrupt is delivered as soon as the start is over
    print("not interrupted")
except KeyboardInterrupt:
    for worker in made[0]._pool:
        worker.join(5)
    print("interrupted; workers alive:", sum(worker.is_alive() for worker in made[0]._pool))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "interrupted; workers alive: 0", (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
