"""The command line as users script it: new, --version, --help, python -m storyforge."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from storyforge import __version__


@pytest.mark.parametrize(("kind", "folder"), [("testimonial", "testimonials"), ("event", "events"),
                                         ("charity", "charity"), ("page", "pages")])
def test_new_writes_a_file_that_builds(make_site, run, kind, folder, monkeypatch):
    site = make_site()
    monkeypatch.chdir(site)
    result = run("new", kind, "Café Crème & Friends")
    assert result.code == 0, result.err
    assert result.out.strip() == f"content/{folder}/cafe-creme-friends.md"
    text = (site / result.out.strip()).read_text()
    assert text.startswith("---\ntitle: \"Café Crème & Friends\"\n")
    built = run("build", "--drafts")
    assert built.code == 0, built.err
    assert (site / "public" / (folder if kind != "page" else "") / "cafe-creme-friends/index.html").exists()
    assert "1 draft left out" in run("build").out


def test_new_refuses_to_overwrite(make_site, run, monkeypatch):
    site = make_site()
    monkeypatch.chdir(site)
    run("new", "page", "About")
    result = run("new", "page", "About")
    assert result.code == 1
    assert "content/pages/about.md: already exists" in result.err


def test_version_and_help(run):
    result = run("--version")
    assert (result.code, result.out.strip()) == (0, f"storyforge {__version__}")
    for args in (["--help"], ["build", "--help"], ["new", "--help"]):
        shown = run(*args)
        assert shown.code == 0 and "usage: storyforge" in shown.out


def test_python_dash_m_runs_the_same_command(make_site):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n"})
    done = subprocess.run([sys.executable, "-m", "storyforge", "build", "--site", str(site), "-q"],
                          capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert (site / "public/about/index.html").exists()


def test_the_command_prints_everything_before_it_leaves(make_site):
    # the command leaves without tearing the built site down; what it printed must all arrive
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n"})
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    built = subprocess.run([sys.executable, "-m", "storyforge", "build", "--site", str(site), "-v"],
                           capture_output=True, text=True, check=False, env=buffered)
    assert built.returncode == 0
    assert built.stdout.startswith("built ") and built.stdout.endswith("\n")
    assert "  publish " in built.stderr
    (site / "content/pages/broken.md").write_text("---\ntitle: Broken\ncolour: red\n---\nHi\n")
    failed = subprocess.run([sys.executable, "-m", "storyforge", "build", "--site", str(site)],
                            capture_output=True, text=True, check=False, env=buffered)
    assert failed.returncode == 1
    assert failed.stderr.startswith("content/pages/broken.md:3: colour")
    assert failed.stderr.rstrip().endswith("build failed: 1 error in 1 file")


def test_unknown_command_is_a_usage_error(run):
    result = run("bild")
    assert result.code == 2
    assert "invalid choice: 'bild'" in result.err
