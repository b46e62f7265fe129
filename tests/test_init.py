"""`storyforge init`: a new folder becomes a site that builds and passes `storyforge check`, from the
options or from answers typed at a terminal; nothing that is already there is ever replaced;
`--example` copies the example site."""

from __future__ import annotations

import builtins
import io
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import REPO, CliResult, page_text, snapshot

Run = Callable[..., CliResult]


def test_init_makes_a_site_that_builds_and_checks_clean(tmp_path: Path, run: Run,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    made = run("init", "shop", "--name", "Spoke & Sprocket", "--url", "https://spoke.example",
               "--language", "en-GB", "--timezone", "Europe/London")
    assert made.code == 0, made.err
    assert made.out.splitlines() == [
        "Your site is ready in shop/. Next:",
        "  cd shop",
        "  storyforge serve    # see it at http://127.0.0.1:8000/ while you edit content/ and site.yaml",
        "  storyforge build    # write the finished site to public/, ready to upload",
    ]
    site = tmp_path / "shop"
    settings = yaml.safe_load((site / "site.yaml").read_text())
    assert settings["title"] == settings["business"]["name"] == "Spoke & Sprocket"
    assert (settings["base_url"], settings["language"], settings["timezone"]) == (
        "https://spoke.example/", "en-GB", "Europe/London")
    assert "# description:" in (site / "site.yaml").read_text()  # the optional settings are explained
    assert (site / "submissions").is_dir() and not list((site / "submissions").iterdir())
    assert "/public/" in (site / ".gitignore").read_text().splitlines()
    samples = sorted(p.relative_to(site).as_posix() for p in (site / "content").rglob("*.md"))
    assert samples == ["content/alerts/sample-alert.md", "content/charity/sample-charity.md",
                       "content/events/sample-event.md", "content/pages/sample-page.md",
                       "content/testimonials/sample-testimonial.md"]

    built = run("build", "--site", site, "--check")
    assert built.code == 0, built.err
    assert "check: no problems" in built.out
    assert built.err == ""  # no placeholder is published, so no warning either
    home = page_text((site / "public/index.html").read_bytes())
    assert "Spoke & Sprocket" in home and "Sample event" in home
    # a sample that would need invented facts (a customer's name and consent) is never published
    assert not (site / "public/testimonials/sample-testimonial").exists()
    assert "2 drafts left out" in built.out


def test_init_refuses_a_folder_that_holds_a_site(tmp_path: Path, run: Run) -> None:
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "content/keep.md").write_text("mine")
    before = snapshot(site)
    result = run("init", site, "--name", "X", "--url", "https://x.example/")
    assert result.code == 2
    assert "already holds a site (site.yaml or content/)" in result.err and "nothing was changed" in result.err
    assert snapshot(site) == before


def test_init_never_replaces_a_file(tmp_path: Path, run: Run) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / ".gitignore").write_text("mine\n")
    result = run("init", site, "--name", "X", "--url", "https://x.example/")
    assert result.code == 2
    assert f"{site / '.gitignore'}: already exists" in result.err
    assert [p.name for p in site.iterdir()] == [".gitignore"]
    assert (site / ".gitignore").read_text() == "mine\n"


def test_a_bad_option_is_refused_with_the_fix_and_nothing_written(tmp_path: Path, run: Run) -> None:
    result = run("init", tmp_path / "site", "--name", "X", "--url", "spoke.example", "--timezone", "UTC")
    assert result.code == 2
    assert "--url: expected an absolute http(s) address like https://www.example.com/" in result.err
    assert not (tmp_path / "site").exists()


def test_in_a_terminal_init_asks_and_asks_again_after_a_bad_answer(tmp_path: Path, run: Run,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["Spoke & Sprocket", "https://spoke.example/", "", "Mars/Base", "Europe/Paris"])
    asked: list[str] = []

    def answer(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr(builtins, "input", answer)
    monkeypatch.setattr("sys.stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    result = run("init", tmp_path / "bikes")
    assert result.code == 0, result.err
    assert asked[0] == "Business name [Bikes]: "
    assert asked[2] == "Language (e.g. en, en-GB, fr) [en]: "
    assert asked.count("Time zone (e.g. Europe/London) [UTC]: ") == 2
    assert "unknown time zone 'Mars/Base'" in result.err
    settings = yaml.safe_load((tmp_path / "bikes/site.yaml").read_text())
    assert (settings["title"], settings["language"], settings["timezone"]) == (
        "Spoke & Sprocket", "en", "Europe/Paris")


def test_without_a_terminal_init_asks_nothing_and_uses_defaults(tmp_path: Path, run: Run,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    result = run("init", tmp_path / "corner-shop")
    assert result.code == 0, result.err
    settings = yaml.safe_load((tmp_path / "corner-shop/site.yaml").read_text())
    assert (settings["title"], settings["base_url"]) == ("Corner Shop", "https://www.example.com/")


def test_init_example_copies_the_example_site_which_builds(tmp_path: Path, run: Run) -> None:
    site = tmp_path / "bakery"
    result = run("init", "--example", site)
    assert result.code == 0, result.err
    assert (site / "site.yaml").read_bytes() == (REPO / "site.yaml").read_bytes()
    stories = sorted(p.name for p in (site / "content/testimonials").iterdir())
    assert stories == sorted(p.name for p in (REPO / "content/testimonials").iterdir())
    assert (site / "static/images/logo.svg").is_file() and (site / "submissions/inbox").is_dir()
    assert "/public/" in (site / ".gitignore").read_text().splitlines()
    built = run("build", "--site", site)
    assert built.code == 0, built.err
    assert "Hearth & Crumb" in page_text((site / "public/index.html").read_bytes())
    again = run("init", "--example", site)
    assert again.code == 2 and "already holds a site" in again.err


def test_build_outside_a_site_points_to_init(tmp_path: Path, run: Run) -> None:
    result = run("build", "--site", tmp_path)
    assert result.code == 1
    assert "run `storyforge init` to start a new site" in result.err
