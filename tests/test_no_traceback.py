"""Every command, on a full disk, in a folder it may not write to, with a file in another encoding
or interrupted: one line naming the file and what to do, a non-zero exit, nothing half made.

The full disk is simulated at the lowest level Python writes through (``os.write``), so every
writer meets it as it would meet a full file system; permissions are tested as a user who obeys
file modes (root does not, so as root the commands run with those privileges dropped).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SITE_YAML, story
from moderation_helpers import HEADER, MODERATED_SITE, csv_row, places
from test_reliability import _obeying_modes

real_write = os.write


def _disk_full(fd: int, data: bytes) -> int:
    if fd > 2:  # files; the terminal still gets the message
        raise OSError(errno.ENOSPC, "No space left on device")
    return real_write(fd, data)


def _one_line(code: int, err: str, *names: str) -> str:
    assert code not in (0, None), err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    first = lines[0]
    for name in names:
        assert name in first, err
    return first


@pytest.mark.parametrize("command", ["new", "init", "submissions add", "import", "approve", "withdraw"])
def test_a_full_disk_is_one_line_naming_the_file_and_leaves_nothing_half_made(make_site, run, monkeypatch,
                                                                              tmp_path, command):
    site = make_site({"content/testimonials/kept.md": story("Kept")}, site_yaml=MODERATED_SITE)
    export = tmp_path / "export.csv"
    export.write_text(HEADER + csv_row("2026-03-01 09:12", "Priya Shah", "Sourdough", "The best loaf in town."))
    sid = ""
    if command in ("approve", "withdraw"):
        assert run("submissions", "import", export, "--site", site).code == 0
        (sid,) = places(site)
        if command == "withdraw":
            assert run("moderate", "approve", sid, "--site", site).code == 0
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                    if p.is_file() and ".storyforge-cache" not in p.parts)
    where_before = places(site)
    arguments = {
        "new": ["new", "testimonial", "A new one", "--site", site],
        "init": ["init", tmp_path / "fresh"],
        "submissions add": ["submissions", "add", "--story", "Lovely bread.", "--name", "Ann", "--consent",
                            "--site", site],
        "import": ["submissions", "import", export, "--site", site],
        "approve": ["moderate", "approve", sid, "--site", site],
        "withdraw": ["moderate", "withdraw", sid, "--site", site],
    }[command]
    monkeypatch.setattr(os, "write", _disk_full)
    result = run(*arguments)
    monkeypatch.setattr(os, "write", real_write)
    first = _one_line(result.code, result.err, "No space left on device")
    assert any(part in first for part in (".md", ".json", ".yaml", ".jsonl", "fresh")), first
    after = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                   if p.is_file() and ".storyforge-cache" not in p.parts)
    assert after == before  # no file or temporary file left half made (an empty folder may be)
    assert places(site) == where_before


def test_a_site_yaml_in_another_encoding_names_the_line_and_the_fix(tmp_path, run):
    (tmp_path / "site.yaml").write_bytes(SITE_YAML.encode() + "tagline: Café au lait\n".encode("latin-1"))
    result = run("build", "--site", tmp_path)
    line = SITE_YAML.count("\n") + 1
    first = _one_line(result.code, result.err, f"site.yaml:{line}:", "UTF-8")
    assert "save the file as UTF-8" in first


@pytest.mark.parametrize("command", ["new", "init", "import"])
def test_a_folder_that_cannot_be_written_is_one_line(make_site, tmp_path, command):
    prefix = _obeying_modes()
    site = make_site({"content/testimonials/kept.md": story("Kept")}, site_yaml=MODERATED_SITE)
    export = tmp_path / "export.csv"
    export.write_text(HEADER + csv_row("2026-03-01 09:12", "Priya Shah", "Sourdough", "The best loaf in town."))
    locked = {"new": site / "content/testimonials", "init": tmp_path / "locked",
              "import": site / "submissions"}[command]
    locked.mkdir(parents=True, exist_ok=True)
    arguments = {"new": ["new", "testimonial", "A new one", "--site", str(site)],
                 "init": ["init", str(locked / "fresh")],
                 "import": ["submissions", "import", str(export), "--site", str(site)]}[command]
    locked.chmod(0o555)
    try:
        done = subprocess.run([*prefix, sys.executable, "-m", "storyforge", *arguments], capture_output=True,
                              text=True, check=False)
    finally:
        locked.chmod(0o755)
    first = _one_line(done.returncode, done.stderr, "Permission denied")
    assert locked.name in first or "submissions/" in first, first
    assert not (locked / "fresh").exists()


def test_ctrl_c_during_an_import_is_one_line_and_loses_nothing(make_site, tmp_path):
    site = make_site(site_yaml=MODERATED_SITE)
    rows = "".join(csv_row(f"2026-03-01 09:{n % 60:02d}", f"Person {n}", f"Story {n}",
                           f"Story number {n} about bread and the bakery {n * 7919}.") for n in range(3000))
    export = tmp_path / "export.csv"
    export.write_text(HEADER + rows)
    process = subprocess.Popen([sys.executable, "-m", "storyforge", "submissions", "import", str(export), "--site",
                                str(site)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    inbox = site / "submissions/inbox"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None and len(list(inbox.glob("*.json"))) < 20:
        time.sleep(0.02)
    assert process.poll() is None, "the import ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip() == "interrupted"
    assert not list(site.rglob(".storyforge-tmp*"))
    again = subprocess.run([sys.executable, "-m", "storyforge", "submissions", "import", str(export), "--site",
                            str(site)], capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert len(list(inbox.glob("*.json"))) == 3000  # every row once: none lost, none doubled


def test_worker_processes_end_quietly_under_a_preview_s_sigterm_handler():
    """The preview turns SIGTERM into Ctrl-C; a build's worker pool, closed with SIGTERM, must not
    inherit that and print a traceback from every worker (seen on every rebuild of a large site)."""
    script = (
        "import signal\n"
        "from storyforge.parallel import ordered_map\n"
        "def interrupt(signum, frame):\n"
        "    raise KeyboardInterrupt\n"
        "signal.signal(signal.SIGTERM, interrupt)\n"
        "for _ in range(3):\n"
        "    assert ordered_map(abs, list(range(-3000, 0))) == list(range(3000, 0, -1))\n"
        "print('done')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120,
                          env={**os.environ, "STORYFORGE_WORKERS": "2"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr


@pytest.fixture
def small_disk(tmp_path):
    """A real 4 MB file system (tmpfs), for a disk that really fills up; root only."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
                                           capture_output=True, check=False).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    for chunk in (b"x" * 4096, b"x"):  # then byte by byte: no room left in the last block either
        with filler.open("ab", buffering=0) as out, contextlib.suppress(OSError):
            while out.write(chunk):
                pass
    return filler


@pytest.mark.parametrize("command", ["build", "import", "approve", "reject"])
def test_a_disk_that_really_fills_up_is_one_line_and_loses_nothing(small_disk, command):
    from conftest import snapshot

    site = small_disk / "site"
    site.mkdir()
    (site / "site.yaml").write_text(MODERATED_SITE)
    (site / "content/testimonials").mkdir(parents=True)
    (site / "content/testimonials/kept.md").write_text(story("Kept"))
    export = small_disk / "export.csv"
    export.write_text(HEADER + csv_row("2026-03-01 09:12", "Priya Shah", "Sourdough", "The best loaf in town."))

    def storyforge(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "storyforge", *arguments, "--site", str(site)],
                              capture_output=True, text=True, check=False)

    if command in ("approve", "reject"):
        assert storyforge("submissions", "import", str(export)).returncode == 0
    assert storyforge("build").returncode == 0
    (site / "content/testimonials/kept.md").write_text(story("Kept, edited", body="Edited on a full disk."))
    site_before, where_before = snapshot(site / "public"), places(site)
    filler = _fill(small_disk)
    arguments = {"build": ["build"], "import": ["submissions", "import", str(export)],
                 "approve": ["moderate", "approve", next(iter(where_before), "")],
                 "reject": ["moderate", "reject", next(iter(where_before), ""), "--reason", "fake"]}[command]
    result = storyforge(*arguments)
    if command in ("approve", "reject") and result.returncode == 0:
        # a decision appends one short line and moves a file, and may free room first (the cache's
        # index is rebuilt): on a full disk it can still fit. Then it must have been made whole.
        assert "Traceback" not in result.stderr
        assert places(site) == {sid: ["content" if command == "approve" else "rejected"] for sid in where_before}
        return
    _one_line(result.returncode, result.stderr, "No space left on device")
    assert snapshot(site / "public") == site_before  # the last good site, as it was
    assert places(site) == where_before
    assert not list(site.rglob(".storyforge-tmp*"))
    filler.unlink()  # room again: the same command now succeeds
    assert storyforge(*arguments).returncode == 0
