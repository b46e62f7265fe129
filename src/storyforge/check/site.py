"""Run every check over one built site and collect the problems in a Report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storyforge.check import external as external_links
from storyforge.check.feeds import check_feeds, check_sitemap
from storyforge.check.pages import SitePages, check_orphans, check_pages
from storyforge.check.report import Report
from storyforge.errors import StoryforgeError


@dataclass
class CheckOptions:
    output_dir: Path  # the built site
    base_url: str  # where it is published, from site.yaml (or --base-url)
    shown: str = "public"  # the output folder as messages name it
    external: bool = False
    cache_file: Path | None = None  # for --external; None keeps no cache
    timeout: float = external_links.TIMEOUT


def check_site(options: CheckOptions) -> Report:
    """Check the site in ``options.output_dir``; raises StoryforgeError when there is no site to check."""
    root = options.output_dir
    if not root.is_dir():
        raise StoryforgeError(f"no built site in {options.shown}/ — run storyforge build first")
    report = Report(options.shown)
    pages = SitePages(root, options.base_url)
    report.pages = len(pages.files)
    used_externally = check_pages(pages, report)
    check_orphans(pages, report)
    check_feeds(root, report)
    check_sitemap(root, pages, report)
    if options.external and used_externally:
        broken = external_links.check_links(list(used_externally), options.cache_file, options.timeout)
        for url, problem in broken.items():
            for page, what in used_externally[url]:
                report.add(page, what, f"external link broken: {problem}")
    return report
