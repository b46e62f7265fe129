"""`storyforge deploy` to a git branch (a local bare repository), a folder and rsync; the `_headers` file."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import SITE_YAML, copy_example, snapshot, story, write_files

STORIES = {f"content/testimonials/story-{n}.md": story(f"Story number {n}", f"Person {n}.") for n in range(4)}
IDENTITY = {"GIT_AUTHOR_NAME": "Site Owner", "GIT_AUTHOR_EMAIL": "owner@bakery.test",
            "GIT_COMMITTER_NAME": "Site Owner", "GIT_COMMITTER_EMAIL": "owner@bakery.test"}


def git(*args: str | Path, cwd: Path) -> str:
    return subprocess.run(["git", *map(str, args)], cwd=cwd, capture_output=True, text=True, check=True).stdout


def site_files(site: Path) -> dict[str, bytes]:
    return {path: data for path, data in snapshot(site / "public").items() if not path.startswith(".storyforge-")}


def listed(out: str, verb: str) -> set[str]:
    return {line.split(" ", 1)[1] for line in out.splitlines() if line.startswith(f"{verb} ")}


def edit_story_and_rebuild(site: Path, run) -> set[str]:
    """Edit one story, rebuild; the files whose bytes changed."""
    before = site_files(site)
    write_files(site, {"content/testimonials/story-1.md": story("Story number 1", "Person 1.", body="Edited!")})
    assert run("build", "--site", site).code == 0
    after = site_files(site)
    return {path for path in after if before.get(path) != after[path]}


# --- git branch ---------------------------------------------------------------------------------------------

@pytest.fixture
def git_site(tmp_path, make_site, run, monkeypatch):
    """A site in its own git repository (committed, with a work tree) and a bare repository to push to."""
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    remote = tmp_path / "remote.git"
    git("init", "--bare", "--quiet", remote, cwd=tmp_path)
    site = make_site(STORIES, site_yaml=SITE_YAML + "deploy:\n  targets:\n    pages:\n      type: git\n"
                                                    "      repository: ../remote.git\n      branch: gh-pages\n")
    (site / ".gitignore").write_text("public/\n.storyforge-cache/\n")
    git("init", "--quiet", "-b", "main", cwd=site)
    git("add", ".", cwd=site)
    git("commit", "--quiet", "-m", "sources", cwd=site)
    assert run("build", "--site", site).code == 0
    return site, remote


def branch_files(remote: Path) -> dict[str, bytes]:
    names = git("ls-tree", "-r", "-z", "--name-only", "gh-pages", cwd=remote).split("\0")
    return {name: subprocess.run(["git", "show", f"gh-pages:{name}"], cwd=remote, capture_output=True,
                                 check=True).stdout for name in names if name}


def test_git_branch_deploy_commits_the_site_and_never_touches_the_work_tree(git_site, run):
    site, remote = git_site
    state_before = (git("status", "--porcelain", "--ignored", cwd=site), git("rev-parse", "HEAD", cwd=site),
                    (site / ".git/index").read_bytes(), git("branch", "--list", cwd=site))
    result = run("deploy", "--site", site)
    assert result.code == 0, result.err
    files = site_files(site)
    assert branch_files(remote) == {**files, ".nojekyll": b"", "CNAME": b"bakery.test\n"}
    assert result.out.splitlines()[-1].startswith(f"deployed to pages ({site.parent / 'remote.git'} branch gh-pages): "
                                                  f"uploaded {len(files) + 2}, kept 0, deleted 0")
    state_after = (git("status", "--porcelain", "--ignored", cwd=site), git("rev-parse", "HEAD", cwd=site),
                   (site / ".git/index").read_bytes(), git("branch", "--list", cwd=site))
    assert state_after == state_before

    changed = edit_story_and_rebuild(site, run)
    second = run("deploy", "--site", site)
    assert second.code == 0, second.err
    assert listed(second.out, "uploaded") == changed and listed(second.out, "deleted") == set()
    assert branch_files(remote) == {**site_files(site), ".nojekyll": b"", "CNAME": b"bakery.test\n"}
    assert git("rev-list", "--count", "gh-pages", cwd=remote).strip() == "2"

    dry = run("deploy", "--site", site, "--dry-run")
    assert "would upload 0, keep" in dry.out
    (site / "content/testimonials/story-2.md").unlink()
    assert run("build", "--site", site).code == 0
    assert "would delete testimonials/story-2/index.html" in run("deploy", "--site", site, "--dry-run").out
    assert git("rev-list", "--count", "gh-pages", cwd=remote).strip() == "2"
    third = run("deploy", "--site", site)
    assert {"testimonials/story-2/index.html", "testimonials/story-2/card.png"} <= listed(third.out, "deleted")
    assert branch_files(remote) == {**site_files(site), ".nojekyll": b"", "CNAME": b"bakery.test\n"}
    assert git("rev-list", "--count", "gh-pages", cwd=remote).strip() == "3"
    assert (git("rev-parse", "HEAD", cwd=site), git("branch", "--list", cwd=site)) == state_before[1::2]


def test_a_project_site_on_the_hosts_domain_gets_no_cname(git_site, run):
    site, remote = git_site
    assert run("build", "--site", site, "--base-url", "https://someone.github.io/spoke/").code == 0
    assert run("deploy", "--site", site).code == 0
    assert "CNAME" not in branch_files(remote) and ".nojekyll" in branch_files(remote)
    assert b'href="/spoke/' in branch_files(remote)["index.html"]


# --- folder and rsync ---------------------------------------------------------------------------------------

def folder_site(make_site, run, kind: str, key: str, where: str) -> Path:
    site = make_site(STORIES, site_yaml=SITE_YAML + f"deploy:\n  targets:\n    box:\n      type: {kind}\n"
                                                    f"      {key}: {where}\n")
    assert run("build", "--site", site).code == 0
    return site


def served(folder: Path) -> dict[str, bytes]:
    return {path: data for path, data in snapshot(folder).items() if not path.startswith(".storyforge-")}


def test_folder_deploy_sends_what_changed_and_removes_what_went(make_site, run, tmp_path):
    site = folder_site(make_site, run, "folder", "path", "../www")
    www = tmp_path / "www"
    first = run("deploy", "--site", site)
    assert first.code == 0, first.err
    assert served(www) == site_files(site)
    changed = edit_story_and_rebuild(site, run)
    second = run("deploy", "--site", site)
    assert listed(second.out, "uploaded") == changed and listed(second.out, "deleted") == set()
    (site / "content/testimonials/story-2.md").unlink()
    assert run("build", "--site", site).code == 0
    third = run("deploy", "--site", site)
    assert {"testimonials/story-2/index.html", "testimonials/story-2/card.png"} <= listed(third.out, "deleted")
    assert served(www) == site_files(site)
    assert not (www / "testimonials/story-2").exists()  # empty folders go too


def test_a_folder_with_someone_elses_files_is_refused(make_site, run, tmp_path):
    site = folder_site(make_site, run, "folder", "path", "../www")
    (tmp_path / "www").mkdir()
    (tmp_path / "www/keep-me.txt").write_text("not the site's")
    result = run("deploy", "--site", site)
    assert result.code == 1 and "holds files that storyforge did not put there" in result.err
    assert (tmp_path / "www/keep-me.txt").read_text() == "not the site's"
    assert sorted(p.name for p in (tmp_path / "www").iterdir()) == ["keep-me.txt"]


@pytest.mark.skipif(shutil.which("rsync") is None, reason="needs the rsync program (installed by .ci/run)")
def test_rsync_deploy_sends_what_changed_and_honours_max_deletes(make_site, run, tmp_path):
    site = folder_site(make_site, run, "rsync", "destination", str(tmp_path / "mirror") + "/")
    first = run("deploy", "--site", site)
    assert first.code == 0, first.err
    assert served(tmp_path / "mirror") == site_files(site)
    assert listed(first.out, "uploaded") == set(site_files(site))
    changed = edit_story_and_rebuild(site, run)
    second = run("deploy", "--site", site)
    assert second.code == 0, second.err
    assert listed(second.out, "uploaded") == changed and listed(second.out, "deleted") == set()
    (site / "content/testimonials/story-2.md").unlink()
    assert run("build", "--site", site).code == 0
    refused = run("deploy", "--site", site, "--max-deletes", "1")
    assert refused.code == 1 and "would delete 2 files, more than --max-deletes 1" in refused.err
    assert (tmp_path / "mirror/testimonials/story-2/index.html").exists()
    assert run("deploy", "--site", site).code == 0
    assert served(tmp_path / "mirror") == site_files(site)


def test_choosing_among_several_targets(make_site, run):
    site = make_site(STORIES, site_yaml=SITE_YAML + "deploy:\n  targets:\n    one:\n      type: folder\n"
                                                    "      path: ../one\n    two:\n      type: folder\n"
                                                    "      path: ../two\n")
    assert run("build", "--site", site).code == 0
    unnamed = run("deploy", "--site", site)
    assert unnamed.code == 2
    assert unnamed.err == "error: site.yaml names 2 deploy targets — choose one with --target: one, two\n"
    misspelt = run("deploy", "--site", site, "--target", "tow")
    assert "--target tow: no such target in site.yaml (did you mean 'two'?)" in misspelt.err
    assert run("deploy", "--site", site, "--target", "two").code == 0
    assert (site.parent / "two/index.html").exists() and not (site.parent / "one").exists()


# --- _headers for hosts that build from git -----------------------------------------------------------------

class _Resources(HTMLParser):
    """What a page asks the browser to load or run, for a Content-Security-Policy."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []  # (directive, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in values:
            if name.startswith("on"):
                self.found.append(("inline-handler", f"{tag} {name}"))
        if tag == "script":
            if values.get("src"):
                self.found.append(("script-src", values["src"] or ""))
            elif values.get("type") != "application/ld+json":
                self.found.append(("inline-script", tag))
        if tag == "link" and values.get("rel") == "stylesheet":
            self.found.append(("style-src", values.get("href") or ""))
        if tag in ("img", "source") and values.get("src"):
            self.found.append(("img-src", values["src"] or ""))
        if tag == "form" and values.get("action"):
            self.found.append(("form-action", values["action"] or ""))
        if tag == "iframe":
            self.found.append(("frame-src", values.get("src") or ""))


def test_hosting_netlify_writes_headers_the_default_theme_satisfies(tmp_path, run):
    site = copy_example(tmp_path / "example")
    yaml = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(yaml + "\ndeploy:\n  hosting: netlify\n", encoding="utf-8")
    assert run("build", "--site", site).code == 0
    headers = (site / "public/_headers").read_text(encoding="utf-8")
    rules = re.split(r"\n(?=/)", headers.split("\n", 1)[1])  # after the comment: a pattern, then its headers
    blocks = {rule.splitlines()[0]: rule.splitlines()[1:] for rule in rules}
    assert blocks["/testimonials.json"] == ["  Access-Control-Allow-Origin: *"]
    assert "  Access-Control-Allow-Origin: *" in blocks["/embed.js"]
    assert "  X-Content-Type-Options: nosniff" in blocks["/*"]
    assert "  Referrer-Policy: strict-origin-when-cross-origin" in blocks["/*"]
    assert not any("Cache-Control" in line for line in blocks["/*"])  # the hosts join every matching rule
    assert blocks["/*.html"] == ["  Cache-Control: public, max-age=300, must-revalidate"]
    csp_line = next(line for line in blocks["/*"] if "Content-Security-Policy" in line)
    csp = {part.split()[0]: part.split()[1:] for part in csp_line.split(": ", 1)[1].split("; ")}
    assert csp["script-src"] == ["'self'"] and csp["object-src"] == ["'none'"]

    own = urlsplit("https://hearthandcrumb.example/")
    for page in (site / "public").rglob("*.html"):
        parser = _Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        for directive, value in parser.found:
            assert directive not in ("inline-handler", "inline-script", "frame-src"), (page, value)
            target = urlsplit(value)
            if target.scheme in ("", "http", "https") and target.netloc in ("", own.netloc):
                continue
            allowed = csp[directive]
            assert f"{target.scheme}://{target.netloc}" in allowed or (target.scheme + ":") in allowed, (page, value)
    assert run("check", "--site", site).code == 0  # _headers is no page, and the sitemap does not list it


def test_a_wrong_deploy_section_is_reported_with_lines_and_hints(make_site, run):
    site = make_site(site_yaml=SITE_YAML + "deploy:\n  hosting: vercel\n  tragets: {}\n  targets:\n"
                                           "    pages:\n      type: gti\n    box:\n      type: folder\n")
    result = run("build", "--site", site)
    assert result.code == 1
    assert result.err.splitlines() == [
        "site.yaml:8: deploy.hosting: expected one of netlify, cloudflare, got 'vercel'",
        "site.yaml:9: deploy.tragets: unknown setting (did you mean 'targets'?); known here: hosting, targets",
        ("site.yaml:12: deploy.targets.pages.type: expected one of s3, git, folder, rsync (did you mean 'git'?), "
         "got 'gti'"),
        "site.yaml:13: deploy.targets.box: a target of type folder needs path:",
        "configuration failed: 4 errors in 1 file",
    ]


def test_deploy_without_targets_says_where_to_start(make_site, run):
    site = make_site(STORIES)
    assert run("build", "--site", site).code == 0
    result = run("deploy", "--site", site)
    assert (result.code, result.out) == (2, "")
    assert result.err == ("error: site.yaml has no deploy targets — add deploy: targets: (see the README, "
                          "'Publish it')\n")
