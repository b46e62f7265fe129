"""A folder a web server serves (on this machine or a mounted share), or an rsync destination.

A folder is compared file by file by MD5, like a bucket, and changed one file at a time through
``publish.mirror`` (a new file and a rename, so nothing half-written is ever served). A folder
that is not empty and was not made by a deploy is refused: deleting what the site does not
have would otherwise delete someone else's files.

rsync does its own comparing (``--checksum``) and sending; a dry run of it first gives the plan,
so ``--max-deletes`` and ``--dry-run`` mean the same for it as for every target.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from storyforge.core.deploy_settings import DeployTarget
from storyforge.deploy.plan import PRIVATE_PREFIX, DeployPlan, LocalFile, make_plan, scan
from storyforge.errors import StoryforgeError
from storyforge.publish.mirror import put_file, remove_file

DEPLOYED_MARKER = ".storyforge-deployed"


class FolderStore:
    def __init__(self, target: DeployTarget, site_root: Path, output_dir: Path, force: bool) -> None:
        path = Path(target.text("path")).expanduser()
        self.root = path if path.is_absolute() else site_root / path
        resolved = self.root.resolve()
        if resolved in (site_root.resolve(), output_dir.resolve()) or site_root.resolve().is_relative_to(resolved) \
                or resolved.is_relative_to(output_dir.resolve()):
            raise StoryforgeError(f"deploy.targets.{target.name}.path: {self.root} is the site or its output "
                                  "folder — name the folder your web server serves")
        if self.root.exists() and not self.root.is_dir():
            raise StoryforgeError(f"deploy.targets.{target.name}.path: {self.root} is a file, not a folder")
        if (self.root.is_dir() and any(self.root.iterdir()) and not (self.root / DEPLOYED_MARKER).exists()
                and not force):
            raise StoryforgeError(f"{self.root} holds files that storyforge did not put there — deploying would "
                                  "delete the ones the site does not have; empty it, or deploy with --force")

    def describe(self) -> str:
        return str(self.root)

    def plan(self, local: Mapping[str, LocalFile], force: bool) -> DeployPlan:
        held = scan(self.root) if self.root.is_dir() else {}
        return make_plan(local, {path: file.md5 for path, file in held.items()}, force)

    def apply(self, plan: DeployPlan, uploaded: Callable[[LocalFile], None], deleted: Callable[[str], None]) -> None:
        put_file(self.root, DEPLOYED_MARKER, b"a site deployed by storyforge deploy\n")
        for file in plan.upload:
            put_file(self.root, file.path, file.read())
            uploaded(file)
        for path in plan.delete:
            remove_file(self.root, path)
            deleted(path)


class RsyncStore:
    def __init__(self, target: DeployTarget, output_dir: Path, force: bool) -> None:
        self.force = force  # send every file, whatever rsync's comparison says
        self.folders_deleted = 0
        self.rsync = shutil.which("rsync")
        if self.rsync is None:
            raise StoryforgeError("the rsync target needs the rsync program — install it (e.g. apt install rsync)")
        self.destination = target.text("destination")
        self.output_dir = output_dir

    def describe(self) -> str:
        return self.destination

    def _run(self, *extra: str) -> list[str]:
        assert self.rsync is not None
        command = [self.rsync, "--recursive", "--links", "--times", "--checksum", "--delete-after",
                   "--itemize-changes", "--chmod=D755,F644", f"--exclude=/{PRIVATE_PREFIX}*", *extra,
                   f"{self.output_dir}/", self.destination]
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise StoryforgeError(f"cannot run rsync: {exc}") from None
        if done.returncode != 0:
            message = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            raise StoryforgeError(f"rsync to {self.destination} failed: {message}")
        return done.stdout.splitlines()

    def plan(self, local: Mapping[str, LocalFile], force: bool) -> DeployPlan:
        sent: set[str] = set()
        plan = DeployPlan()
        self.folders_deleted = 0  # rsync's --max-delete counts the folders it removes too
        for line in self._run("--dry-run", *(["--ignore-times"] if self.force else [])):
            if line.startswith("*deleting ") and line.endswith("/"):
                self.folders_deleted += 1
            elif line.startswith("*deleting "):
                plan.delete.append(line.split(maxsplit=1)[1].strip())
            elif line[:2] in (">f", "<f") and " " in line:
                sent.add(line.split(" ", 1)[1])
        plan.upload = [file for path, file in local.items() if path in sent]
        plan.keep = [path for path in local if path not in sent]
        plan.delete.sort()
        return plan

    def apply(self, plan: DeployPlan, uploaded: Callable[[LocalFile], None], deleted: Callable[[str], None]) -> None:
        deletes = len(plan.delete) + self.folders_deleted
        self._run(f"--max-delete={deletes}" if deletes else "--max-delete=0",
                  *(["--ignore-times"] if self.force else []))
        for file in plan.upload:
            uploaded(file)
        for path in plan.delete:
            deleted(path)
