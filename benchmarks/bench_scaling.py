"""Scaling benchmark: does the cost grow with the work, and no faster?

    python benchmarks/bench_scaling.py                       # all three series
    python benchmarks/bench_scaling.py --series tags --runs 3

Three series, each a whole-process time (start-up included), median of --runs:

* ``tags``: a cold build of 100 stories, one of which has N tags (N = 10 → 1,000);
* ``stories``: a cold build of N published stories (N = 1,000 → 50,000 with ``--large``);
* ``inbox``: ``storyforge submissions import`` of one new row into an inbox of N pending
  submissions (N = 100 → 10,000).

For each step the table shows the time, and the growth against the previous step beside the
growth of the work: linear growth keeps the two close. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import storyforge_site

SITE_YAML = "title: Scaling\nbase_url: https://scaling.test/\nbusiness:\n  name: Scaling\nshare_cards: false\n"
HEADER = "Timestamp,Your name,Email address,Story title,Your story,Rating,May we publish your story?,Show my name as\n"


def timed(command: list[str], cwd: Path, prepare: Callable[[], None], runs: int) -> float:
    times = []
    for _ in range(runs):
        prepare()
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _cold(site: Path) -> Callable[[], None]:
    def clean() -> None:
        shutil.rmtree(site / "public", ignore_errors=True)
        for leftover in site.glob(".storyforge-*"):
            shutil.rmtree(leftover, ignore_errors=True)
    return clean


def tags_series(scratch: Path, runs: int, sizes: list[int]) -> list[tuple[int, float]]:
    rows = []
    for count in sizes:
        site = storyforge_site(scratch / f"tags-{count}", 100)
        story = site / "content/testimonials/story-00001.md"
        tags = ", ".join(f"topic {n}" for n in range(count))
        lines = [line for line in story.read_text().split("\n") if not line.startswith("tags:")]
        lines.insert(1, f"tags: [{tags}]")
        story.write_text("\n".join(lines))
        rows.append((count, timed([sys.executable, "-m", "storyforge", "build", "-q"], site, _cold(site), runs)))
    return rows


def stories_series(scratch: Path, runs: int, sizes: list[int]) -> list[tuple[int, float]]:
    rows = []
    for count in sizes:
        site = storyforge_site(scratch / f"stories-{count}", count)
        rows.append((count, timed([sys.executable, "-m", "storyforge", "build", "-q"], site, _cold(site), runs)))
    return rows


def _row(number: int) -> str:
    cells = [f"2026-03-01 09:{number % 60:02d}", f"Customer {number}", f"c{number}@example.com", f"Visit {number}",
             f"Story number {number}: the visit, the welcome and what we bought, in our own words.", "5", "Yes",
             "first name and initial"]
    return ",".join(f'"{cell}"' for cell in cells) + "\n"


def inbox_series(scratch: Path, runs: int, sizes: list[int]) -> list[tuple[int, float]]:
    rows = []
    for count in sizes:
        site = scratch / f"inbox-{count}"
        site.mkdir()
        (site / "site.yaml").write_text(SITE_YAML)
        bulk = site / "bulk.csv"
        bulk.write_text(HEADER + "".join(_row(n) for n in range(count)))
        subprocess.run([sys.executable, "-m", "storyforge", "submissions", "import", str(bulk)], cwd=site,
                       check=True, stdout=subprocess.DEVNULL)
        one = site / "one.csv"
        pristine = site / "pristine"
        shutil.copytree(site / "submissions", pristine)

        def reset(site: Path = site, pristine: Path = pristine, one: Path = one, count: int = count) -> None:
            shutil.rmtree(site / "submissions")
            shutil.copytree(pristine, site / "submissions")
            one.write_text(HEADER + _row(count + 1))

        rows.append((count, timed([sys.executable, "-m", "storyforge", "submissions", "import", str(one)], site,
                                  reset, runs)))
    return rows


def _print(name: str, unit: str, rows: list[tuple[int, float]]) -> None:
    print(f"\n| {unit} | {name} | time growth | work growth |")
    print("|---:|---:|---:|---:|")
    previous: tuple[int, float] | None = None
    for count, seconds in rows:
        growth = f"{seconds / previous[1]:.2f}×" if previous else "—"
        work = f"{count / previous[0]:.1f}×" if previous else "—"
        print(f"| {count:,} | {seconds:.2f} s | {growth} | {work} |")
        previous = (count, seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", choices=["tags", "stories", "inbox"], nargs="+",
                        default=["tags", "stories", "inbox"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="stories up to 50,000 (slow)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="storyforge-scaling-"))
    try:
        if "tags" in args.series:
            _print("cold build", "tags on one story", tags_series(scratch, args.runs, [10, 100, 1000]))
        if "stories" in args.series:
            sizes = [1000, 4000, 10000, 50000] if args.large else [1000, 4000, 10000]
            _print("cold build", "published stories", stories_series(scratch, args.runs, sizes))
        if "inbox" in args.series:
            _print("import one row", "pending submissions", inbox_series(scratch, args.runs, [100, 1000, 10000]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
