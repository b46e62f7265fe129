"""`storyforge check`: prove a built site is unbroken before anyone else finds out it is not.

Every internal link and #anchor resolves; every image exists and has alt text;
every page can be reached from the home page; feeds are well-formed with
absolute addresses, unique GUIDs and valid dates; the sitemap lists exactly the
HTML pages; with ``--external``, links to other sites answer over HTTP. One
line per problem, then a summary; exit status 1 when anything is wrong.

Only the command line lives here, so ``storyforge --help`` stays fast; the
checks are imported when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from storyforge.arguments import add_site_argument


def add_commands(subparsers: Any) -> None:
    """Add `storyforge check` to the command line."""
    parser = subparsers.add_parser(
        "check", help="check a built site for broken links, missing alt text, orphans, bad feeds",
        description="Check the built site: internal links and #anchors, images and their alt text, pages "
                    "nothing links to, feeds (well-formed, absolute URLs, unique GUIDs, valid dates) and "
                    "the sitemap. Prints one line per problem and a summary; exit status 1 when there are "
                    "problems.")
    add_site_argument(parser)
    parser.add_argument("--output", type=Path, metavar="DIR",
                        help="the built site to check (default: output_dir from site.yaml)")
    parser.add_argument("--external", action="store_true",
                        help="also check links to other sites over HTTP (answers that worked are "
                             "remembered for a day in .storyforge-cache/)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="how long to wait for each external site (default: 10)")
    parser.set_defaults(handler=_cmd_check)


def _cmd_check(args: argparse.Namespace) -> int:
    return check_command(args.site, args.output, external=args.external, timeout=args.timeout)


def check_command(site_dir: Path, output_dir: Path | None = None, *, base_url: str | None = None,
                  external: bool = False, timeout: float = 10.0, quiet: bool = False) -> int:
    """Check a built site and print the report; the exit status (also used by `build --check`).

    ``quiet`` prints nothing when there is nothing wrong. The site is checked against the address
    it was built for (its build record), so a ``--base-url`` sub-path build checks clean.
    """
    from storyforge.check.external import CACHE_FILE
    from storyforge.check.report import shown_folder
    from storyforge.check.site import CheckOptions, check_site
    from storyforge.core.build_record import read_record
    from storyforge.core.config import load_config

    config = load_config(site_dir.resolve())
    folder = output_dir or config.root / config.output_dir
    folder = folder if folder.is_absolute() else Path.cwd() / folder
    record = read_record(folder)  # the address the site was built for, e.g. by build --base-url
    if base_url or record:
        config = config.with_base_url(base_url or (record.base_url if record else config.base_url))
    report = check_site(CheckOptions(
        output_dir=folder, base_url=config.base_url, shown=shown_folder(folder, config.root),
        external=external, cache_file=config.root / CACHE_FILE, timeout=timeout))
    for line in report.lines() if report.problems or not quiet else []:
        print(line)
    sys.stdout.flush()
    return 1 if report.problems else 0
