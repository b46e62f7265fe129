"""One deploy: choose the target, refuse a stale site, plan, check the plan, carry it out, report."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from storyforge.core.build_record import read_record
from storyforge.core.config import SiteConfig, load_config
from storyforge.core.deploy_settings import DeployTarget
from storyforge.deploy.plan import DeployPlan, LocalFile, refuse_stale, scan
from storyforge.errors import StoryforgeError, UsageError
from storyforge.progress import Progress


@dataclass
class DeployOptions:
    site_dir: Path
    output_dir: Path | None = None
    target: str | None = None
    dry_run: bool = False
    max_deletes: int = 256
    force: bool = False
    quiet: bool = False


class Store(Protocol):
    """What every target does: say what a deploy would change, then change it."""

    def describe(self) -> str: ...

    def plan(self, local: dict[str, LocalFile], force: bool) -> DeployPlan: ...

    def apply(self, plan: DeployPlan, uploaded: Callable[[LocalFile], None],
              deleted: Callable[[str], None]) -> None: ...


def deploy(options: DeployOptions) -> int:
    """Run `storyforge deploy`; the exit status."""
    started = time.monotonic()
    config = load_config(options.site_dir.resolve())
    folder = options.output_dir or config.root / config.output_dir
    folder = folder if folder.is_absolute() else Path.cwd() / folder
    shown = options.output_dir.as_posix() if options.output_dir else config.output_dir
    target = choose_target(config, options.target)
    if options.force:
        if not folder.is_dir():
            raise StoryforgeError(f"no built site in {shown}/ — run storyforge build first")
    else:
        refuse_stale(config, folder, shown)
    if options.max_deletes < 0:
        raise UsageError("--max-deletes: expected 0 or more")
    store = open_store(config, target, folder, options.force)
    plan = store.plan(scan(folder), options.force)
    if len(plan.delete) > options.max_deletes:
        raise StoryforgeError(
            f"{store.describe()}: this deploy would delete {len(plan.delete)} files, more than --max-deletes "
            f"{options.max_deletes}; nothing was changed — check that {shown}/ holds the whole site, then run "
            f"again with --max-deletes {len(plan.delete)}")
    out = sys.stdout
    if options.dry_run:
        if not options.quiet:
            for file in plan.upload:
                print(f"would upload {file.path}", file=out)
            for path in plan.delete:
                print(f"would delete {path}", file=out)
        print(f"dry run, {target.name} ({store.describe()}): would upload {len(plan.upload)}, keep {len(plan.keep)}, "
              f"delete {len(plan.delete)}; nothing was changed", file=out)
        return 0
    progress = Progress()
    total, done = len(plan.upload) + len(plan.delete), 0

    def tell(line: str) -> None:
        nonlocal done
        done += 1
        progress.update("deploying", done, total)
        if not options.quiet:
            progress.finish()
            print(line, file=out, flush=True)

    store.apply(plan, lambda file: tell(f"uploaded {file.path}"), lambda path: tell(f"deleted {path}"))
    progress.finish()
    invalidation = _invalidate(store, plan, folder, config)
    print(f"deployed to {target.name} ({store.describe()}): uploaded {len(plan.upload)}, kept {len(plan.keep)}, "
          f"deleted {len(plan.delete)} in {time.monotonic() - started:.1f} s{invalidation}", file=out)
    return 0


def choose_target(config: SiteConfig, name: str | None) -> DeployTarget:
    targets = config.deploy.targets
    if not targets:
        raise UsageError("site.yaml has no deploy targets — add deploy: targets: (see the README, 'Publish it')")
    if name is None:
        if len(targets) > 1:
            raise UsageError(f"site.yaml names {len(targets)} deploy targets — choose one with --target: "
                             f"{', '.join(targets)}")
        return next(iter(targets.values()))
    if name not in targets:
        from storyforge.errors import did_you_mean

        raise UsageError(f"--target {name}: no such target in site.yaml{did_you_mean(name, list(targets))}; "
                         f"known: {', '.join(targets)}")
    return targets[name]


def open_store(config: SiteConfig, target: DeployTarget, folder: Path, force: bool) -> Store:
    if target.type == "s3":
        from storyforge.deploy.s3 import S3Store

        return S3Store(target)
    if target.type == "git":
        from storyforge.deploy.git_branch import GitBranchStore
        from storyforge.incremental.cache import CACHE_DIR

        record = read_record(folder)
        return GitBranchStore(target, config.root, config.root / CACHE_DIR,
                              record.base_url if record else config.base_url)
    if target.type == "rsync":
        from storyforge.deploy.folder import RsyncStore

        return RsyncStore(target, folder, force)
    from storyforge.deploy.folder import FolderStore

    return FolderStore(target, config.root, folder, force)


def _invalidate(store: Store, plan: DeployPlan, folder: Path, config: SiteConfig) -> str:
    from storyforge.deploy.s3 import S3Store

    if not isinstance(store, S3Store):
        return ""
    record = read_record(folder)
    changed = [file.path for file in plan.upload] + plan.delete
    ident = store.invalidate(changed, record.base_path if record else config.base_path)
    return f"; CloudFront invalidation {ident} for {len(changed)} paths" if ident else ""
