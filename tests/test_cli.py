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


def test_new_testimonial_leaves_rating_and_consent_to_a_person(make_site, run, monkeypatch):
    site = make_site()
    monkeypatch.chdir(site)
    path = site / run("new", "testimonial", "Fixed my wheel").out.strip()
    lines = path.read_text().splitlines()
    rating = next(line for line in lines if line.startswith("rating:"))
    consent = next(line for line in lines if line.startswith("consent:"))
    assert rating.split("#")[0].strip() == "rating:" and "FILL IN" in rating
    assert consent.split("#")[0].strip() == "consent:" and "FILL IN" in consent and "agreed" in consent
    # published without a word on consent: refused at the consent line, nothing built
    path.write_text(path.read_text().replace("draft: true", "draft: false"))
    built = run("build")
    assert built.code == 1
    assert (f"content/testimonials/fixed-my-wheel.md:{lines.index(consent) + 1}: consent: empty — write true only "
            "if the customer agreed to publication") in built.err
    assert not (site / "public").exists()


def test_a_published_file_with_placeholders_builds_with_a_warning_at_each_line(make_site, run, monkeypatch):
    site = make_site()
    monkeypatch.chdir(site)
    path = site / run("new", "testimonial", "Fixed my wheel").out.strip()
    text = path.read_text().replace("draft: true", "draft: false").replace("consent:", "consent: true")
    path.write_text(text)
    lines = text.splitlines()
    built = run("build")
    assert built.code == 0, built.err
    author_line = lines.index(next(x for x in lines if x.startswith("author:"))) + 1
    assert built.err.splitlines() == [
        (f"content/testimonials/fixed-my-wheel.md:{author_line}: warning: author: still the placeholder "
         "'Customer name' from storyforge new — write the real author, or set draft: true"),
        (f"content/testimonials/fixed-my-wheel.md:{len(lines)}: warning: still the placeholder text "
         "'Write the story here, in Markdown.' from storyforge new — write the text, or set draft: true"),
    ]
    path.write_text(text.replace("Customer name", "Jo B.").replace("Write the story here, in Markdown.", "Great."))
    again = run("build")
    assert (again.code, again.err) == (0, "")


def test_new_page_is_listed_in_the_navigation(make_site, run, monkeypatch):
    site = make_site()
    monkeypatch.chdir(site)
    path = site / run("new", "page", "Opening hours").out.strip()
    path.write_text(path.read_text().replace("draft: true", "draft: false")
                    .replace("Write the story here, in Markdown.", "Mon–Fri."))
    assert run("build").code == 0
    nav = (site / "public/index.html").read_text().split('aria-label="Main"')[1].split("</nav>")[0]
    assert 'href="/opening-hours/"' in nav
