"""`storyforge deploy`: publish the built site, sending only what changed.

Targets are named in site.yaml under ``deploy.targets``: S3-compatible object storage
(``s3``), a branch of a git repository (``git``), a folder a web server serves (``folder``) or
an rsync destination (``rsync``). Every target is first asked what it holds; the plan
(``plan.py``) says what to upload, keep and delete, and only then is anything changed.

Only the command line lives here, so ``storyforge --help`` stays fast; boto3 and the targets
are imported when the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from storyforge.arguments import add_site_argument

DEFAULT_MAX_DELETES = 256  # more than this is usually a half-built site, not a tidy-up


def add_commands(subparsers: Any) -> None:
    """Add `storyforge deploy` to the command line."""
    parser = subparsers.add_parser(
        "deploy", help="publish the built site to a bucket, a git branch, a folder or an rsync target",
        description="Publish the built site to a target named in site.yaml (deploy.targets): uploads only the "
                    "files that differ, then deletes those the site no longer has. Refuses a site that is "
                    "older than its sources (build first).")
    add_site_argument(parser)
    parser.add_argument("--output", type=Path, metavar="DIR",
                        help="the built site to publish (default: output_dir from site.yaml)")
    parser.add_argument("--target", metavar="NAME", help="which of deploy.targets (needed when there are several)")
    parser.add_argument("--dry-run", action="store_true", help="print what would be sent and deleted; change nothing")
    parser.add_argument("--max-deletes", type=int, default=DEFAULT_MAX_DELETES, metavar="N",
                        help=f"stop before changing anything if more than N files would be deleted "
                             f"(default: {DEFAULT_MAX_DELETES})")
    parser.add_argument("--force", action="store_true",
                        help="send every file, and deploy even a site older than its sources")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    parser.set_defaults(handler=_cmd_deploy)


def _cmd_deploy(args: argparse.Namespace) -> int:
    from storyforge.deploy.command import DeployOptions, deploy

    return deploy(DeployOptions(site_dir=args.site, output_dir=args.output, target=args.target,
                                dry_run=args.dry_run, max_deletes=args.max_deletes, force=args.force,
                                quiet=args.quiet))
