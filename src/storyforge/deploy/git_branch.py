"""A branch of a git repository that a host publishes (GitHub Pages, Codeberg Pages, GitLab).

The commit is made with git's plumbing in a bare repository of our own under
``.storyforge-cache/deploy/`` — objects from ``hash-object``, a tree from a temporary index
(``GIT_INDEX_FILE``, ``update-index``, ``write-tree``), a commit on top of the branch as the
remote has it (``commit-tree``, ``update-ref``), then ``git push``. The site's own repository,
its working tree, index and branches are never touched; deleting the cache only costs one
fuller fetch.

The branch gets ``.nojekyll`` (GitHub Pages would otherwise hide files starting with ``_`` and
run Jekyll) and, for a site at the root of its own domain, ``CNAME`` from ``base_url``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from storyforge.core.deploy_settings import DeployTarget
from storyforge.deploy.plan import DeployPlan, LocalFile
from storyforge.errors import StoryforgeError

#: hosts whose own names need no CNAME file (a project or user site on the host's domain)
HOST_DOMAINS = (".github.io", ".gitlab.io", ".codeberg.page", ".pages.dev", ".netlify.app")
DEPLOY_REF = "refs/storyforge/deploy"


class GitBranchStore:
    def __init__(self, target: DeployTarget, site_root: Path, cache_dir: Path, base_url: str) -> None:
        repository = target.text("repository")
        local = site_root / Path(repository).expanduser()  # a path is relative to the site, like every path
        self.repository = str(local.resolve()) if "://" not in repository and local.exists() else repository
        self.name = target.name
        self.branch = target.text("branch", "gh-pages")
        self.message = target.text("message", "Deploy the site with storyforge")
        self.git_dir = cache_dir / "deploy" / f"{target.name}.git"
        host = urlsplit(base_url).hostname or ""
        wants_cname = target.options.get("cname", True)
        self.cname = host if wants_cname and urlsplit(base_url).path in ("", "/") and host \
            and not host.endswith(HOST_DOMAINS) else ""
        self.parent: str | None = None
        self.entries: dict[str, str] = {}  # path → blob id of the tree to commit

    def describe(self) -> str:
        return f"{self.repository} branch {self.branch}"

    def _git(self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None) -> str:
        environment = {**os.environ, "GIT_DIR": str(self.git_dir), "GIT_TERMINAL_PROMPT": "0", **(env or {})}
        try:
            done = subprocess.run([_git_program(), *args], input=stdin, capture_output=True, env=environment,
                                  check=False)
        except OSError as exc:
            raise StoryforgeError(f"cannot run git: {exc}") from None
        if done.returncode != 0:
            raise StoryforgeError(f"git {args[0]} for {self.describe()} failed: "
                                  f"{_explained(done.stderr.decode(errors='replace'), self.name, self.repository)}")
        return done.stdout.decode()

    def _fetch(self) -> dict[str, str]:
        """The branch as the remote has it now → its files and blob ids (empty when there is none yet)."""
        if not (self.git_dir / "HEAD").exists():
            self.git_dir.parent.mkdir(parents=True, exist_ok=True)
            self._git("init", "--bare", "--quiet")
        if not self._git("ls-remote", "--heads", self.repository, f"refs/heads/{self.branch}").strip():
            return {}
        self._git("fetch", "--quiet", "--no-tags", self.repository, f"+refs/heads/{self.branch}:{DEPLOY_REF}")
        self.parent = self._git("rev-parse", DEPLOY_REF).strip()
        held: dict[str, str] = {}
        for item in self._git("ls-tree", "-r", "-z", self.parent).split("\0"):
            if item:
                meta, path = item.split("\t", 1)
                held[path] = meta.split()[2]
        return held

    def plan(self, local: Mapping[str, LocalFile], force: bool) -> DeployPlan:
        held = self._fetch()
        files = dict(local)
        for path, data in ((".nojekyll", b""), ("CNAME", f"{self.cname}\n".encode() if self.cname else None)):
            if data is not None:
                digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
                files[path] = LocalFile(path, None, len(data), digest, data)
        on_disk = [file for file in files.values() if file.file is not None]
        ids = self._git("hash-object", "-w", "--stdin-paths",
                        stdin="".join(f"{file.file}\n" for file in on_disk).encode()).split()
        self.entries = {file.path: blob for file, blob in zip(on_disk, ids, strict=True)}
        for file in files.values():
            if file.file is None:
                self.entries[file.path] = self._git("hash-object", "-w", "--stdin", stdin=file.read()).strip()
        plan = DeployPlan(delete=sorted(held.keys() - files.keys()))
        for path in sorted(files):
            if not force and held.get(path) == self.entries[path]:
                plan.keep.append(path)
            else:
                plan.upload.append(files[path])
        return plan

    def apply(self, plan: DeployPlan, uploaded: Callable[[LocalFile], None], deleted: Callable[[str], None]) -> None:
        if not plan.upload and not plan.delete:
            return
        with tempfile.TemporaryDirectory(prefix="storyforge-index-") as scratch:
            index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            listing = "".join(f"100644 {blob}\t{path}\0" for path, blob in sorted(self.entries.items()))
            self._git("update-index", "--add", "-z", "--index-info", stdin=listing.encode(), env=index)
            tree = self._git("write-tree", env=index).strip()
        commit = self._git("commit-tree", tree, *(["-p", self.parent] if self.parent else []), "-m", self.message,
                           env=_identity()).strip()
        self._git("update-ref", DEPLOY_REF, commit)
        self._git("push", "--quiet", self.repository, f"{commit}:refs/heads/{self.branch}")
        for file in plan.upload:
            uploaded(file)
        for path in plan.delete:
            deleted(path)


#: what git says (part of the line) → what to do, for the failures a user can cause
_GIT_FIXES = (
    ("refusing to update checked out branch", ("that branch is checked out in {repository} — publish to a bare "
     "repository, or to another branch (deploy.targets.{name}.branch)")),
    ("[rejected]", "the branch changed while deploying (someone else pushed) — deploy again"),
    ("non-fast-forward", "the branch changed while deploying (someone else pushed) — deploy again"),
    ("does not appear to be a git repository", ("there is no repository at {repository} — create it, or correct "
     "deploy.targets.{name}.repository in site.yaml")),
    ("repository not found", ("there is no repository at {repository} — create it, or correct "
     "deploy.targets.{name}.repository in site.yaml")),
    ("permission denied", "you may not push to {repository} — check your ssh key or credentials for it"),
    ("authentication failed", "you may not push to {repository} — check your ssh key or credentials for it"),
    ("could not read username", "{repository} asks for a login — set up an ssh key or a credential helper for it"),
    ("unable to access", ("cannot reach {repository} — check the address (deploy.targets.{name}.repository) and "
     "the network, then deploy again")),
    ("could not resolve host", ("cannot reach {repository} — check the address (deploy.targets.{name}.repository) "
     "and the network, then deploy again")),
)


def _explained(stderr: str, name: str, repository: str) -> str:
    """git's complaint as one line that says what to do: git prints several, the telling one first
    (``fatal:``, a refusal) and advice after it, so its last line is no summary."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    lowered = stderr.lower()
    for clue, fix in _GIT_FIXES:
        if clue in lowered:
            return fix.format(repository=repository, name=name)
    telling = next((line for line in lines if line.startswith(("fatal:", "error:", "remote: error:"))),
                   lines[0] if lines else "no message")
    return f"{telling} — run git with that repository by hand to see why, then deploy again"


def _git_program() -> str:
    found = shutil.which("git")
    if found is None:
        raise StoryforgeError("the git target needs the git program — install git")
    return found


def _identity() -> dict[str, str]:
    """The user's own name on the commit when git knows it; otherwise a stated one, not a failure."""
    known = subprocess.run([_git_program(), "config", "--get", "user.email"], capture_output=True, check=False)
    if known.returncode == 0 or "GIT_AUTHOR_EMAIL" in os.environ:
        return {}
    return {"GIT_AUTHOR_NAME": "storyforge deploy", "GIT_AUTHOR_EMAIL": "deploy@storyforge.invalid",
            "GIT_COMMITTER_NAME": "storyforge deploy", "GIT_COMMITTER_EMAIL": "deploy@storyforge.invalid"}
