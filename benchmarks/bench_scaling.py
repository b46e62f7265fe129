"""Scaling benchmark: does the cost grow with the work, and no faster?

    python benchmarks/bench_scaling.py                       # all three series
    python benchmarks/bench_scaling.py --series tags --runs 3

Three series, each a whole-process time (start-up included), median of --runs:

* ``tags``: a cold build of 100 stories, one of which has N tags (N = 10 → 1,000);
* ``stories``: a cold build of N published stories (N = 1,000 → 50,000 with ``--large``);
* ``inbox``: ``storyforge submissions import`` of one new row into an inbox of N pending
  submissions (N = 100 → 10,000), each a story of its own words; and of 100 new rows;
* ``published``: ``storyforge moderate list`` with an empty inbox on a site of N published
  stories (N = 1,000 → 10,000, 50,000 with ``--large``): the first run, with no cache (the
  submissions index is built), and a later run; then the first import of one row, which files
  every published story's words for the near-duplicate search.

For each step the table shows the wall time and the processor time (the child's user and system
time, which a machine busy with other work does not inflate), and the growth of the processor
time against the previous step beside the growth of the work: linear growth keeps the two close.
Nothing here is a test.
"""

from __future__ import annotations

import argparse
import random
import resource
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


def timed(command: list[str], cwd: Path, prepare: Callable[[], None], runs: int) -> tuple[float, float]:
    """(wall seconds, processor seconds), medians over ``runs``: the processor time (user and
    system, the child's own) is what the work costs, even on a machine busy with other work."""
    walls, cpus = [], []
    for _ in range(runs):
        prepare()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _cold(site: Path) -> Callable[[], None]:
    def clean() -> None:
        shutil.rmtree(site / "public", ignore_errors=True)
        for leftover in site.glob(".storyforge-*"):
            shutil.rmtree(leftover, ignore_errors=True)
    return clean


def tags_series(scratch: Path, runs: int, sizes: list[int]) -> list[tuple[int, tuple[float, float]]]:
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


def stories_series(scratch: Path, runs: int, sizes: list[int]) -> list[tuple[int, tuple[float, float]]]:
    rows = []
    for count in sizes:
        site = storyforge_site(scratch / f"stories-{count}", count)
        rows.append((count, timed([sys.executable, "-m", "storyforge", "build", "-q"], site, _cold(site), runs)))
    return rows


#: words stories are made of: common ones, and a vocabulary of 5,000 rarer ones (names of things, places,
#: people) used as people use words, the n-th most used about 1/n as often as the first (Zipf's law)
COMMON = ("the", "and", "we", "our", "was", "a", "to", "of", "it", "in", "for", "with", "so", "very", "they")
VOCABULARY = tuple(f"{a}{b}{c}" for a in ("bre", "ca", "lo", "pi", "ro", "sco", "coo", "mu", "ba", "pa")
                   for b in ("ad", "ke", "af", "ne", "ll", "ok", "ff", "ge", "st", "ry")
                   for c in ("", "s", "y", "er", "ed", "ing", "ish", "ful", "less", "like", "ery", "ness", "ment",
                             "ist", "ous", "al", "ive", "ic", "ure", "ant", "ent", "ion", "ity", "ism", "ably",
                             "ward", "ling", "hood", "ship", "dom", "ate", "ify", "ize", "en", "ette", "let",
                             "kin", "ier", "iest", "wise", "like", "ade", "age", "ance", "ence", "ory", "ary",
                             "ile", "oid", "um"))
_ZIPF = tuple(1 / rank for rank in range(1, len(VOCABULARY) + 1))


def story_text(number: int) -> str:
    """A story of its own (as customers' stories are): 40 to 80 words, common and rarer ones."""
    pick = random.Random(number)
    count = pick.randint(40, 80)
    rare = pick.choices(VOCABULARY, weights=_ZIPF, k=count)
    return " ".join(pick.choice(COMMON) if pick.random() < 0.45 else rare[n] for n in range(count)) + "."


def _row(number: int) -> str:
    cells = [f"2026-03-01 09:{number % 60:02d}", f"Customer {number}", f"c{number}@example.com", f"Visit {number}",
             story_text(number), "5", "Yes", "first name and initial"]
    return ",".join(f'"{cell}"' for cell in cells) + "\n"


def fill_inbox(site: Path, count: int) -> None:
    """``count`` pending submissions, as weeks of imports would have left them (written directly:
    importing 10,000 rows one by one is the slow path this series measures)."""
    import os
    from datetime import datetime

    from storyforge.core.config import load_config
    from storyforge.moderation.intake import build_submission

    config = load_config(site)
    inbox = site / "submissions/inbox"
    inbox.mkdir(parents=True)
    now = datetime.now(config.tz)
    weeks_ago = time.time() - 3 * 7 * 86400
    for number in range(count):
        values = {"received_at": f"2026-03-01 09:{number % 60:02d}", "name": f"Customer {number}",
                  "email": f"c{number}@example.com", "title": f"Visit {number}", "story": story_text(number),
                  "rating": "5", "consent_publish": "yes", "consent_name": "first-initial"}
        submission = build_submission(values, "csv", config, now)
        path = inbox / f"{submission.id}.json"
        path.write_bytes(submission.to_json())
        os.utime(path, (weeks_ago, weeks_ago))
    os.utime(inbox, (weeks_ago, weeks_ago))  # the last one arrived weeks ago too


def inbox_series(scratch: Path, runs: int, sizes: list[int], new_rows: int) -> list[tuple[int, tuple[float, float]]]:
    rows = []
    for count in sizes:
        site = scratch / f"inbox-{count}-{new_rows}"
        site.mkdir()
        (site / "site.yaml").write_text(SITE_YAML)
        fill_inbox(site, count)
        # one import first, as on a site in use: whatever it keeps beside the inbox is there (the
        # near-duplicate search's filing of every text included; the published series measures that)
        primer = site / "primer.csv"
        primer.write_text(HEADER + _row(10 * count + 7))
        subprocess.run([sys.executable, "-m", "storyforge", "submissions", "import", str(primer)], cwd=site,
                       check=True, stdout=subprocess.DEVNULL)
        batch = site / "batch.csv"
        pristine = site / "pristine"
        kept = [name for name in ("submissions", ".storyforge-cache") if (site / name).exists()]
        for name in kept:  # the site as it was, caches included, before each run
            shutil.copytree(site / name, pristine / name)

        def reset(site: Path = site, pristine: Path = pristine, batch: Path = batch, count: int = count,
                  kept: list[str] = kept) -> None:
            for name in kept:
                shutil.rmtree(site / name)
                shutil.copytree(pristine / name, site / name)
            batch.write_text(HEADER + "".join(_row(count + 1 + n) for n in range(new_rows)))

        rows.append((count, timed([sys.executable, "-m", "storyforge", "submissions", "import", str(batch)], site,
                                  reset, runs)))
    return rows


def published_series(scratch: Path, runs: int, sizes: list[int]) -> dict[str, list[tuple[int, tuple[float, float]]]]:
    """``moderate list`` with no cache, the same again, and a first import, on N published stories."""
    rows: dict[str, list[tuple[int, tuple[float, float]]]] = {"first": [], "later": [], "import": []}
    for count in sizes:
        site = storyforge_site(scratch / f"published-{count}", count)
        (site / "submissions/inbox").mkdir(parents=True)
        listing = [sys.executable, "-m", "storyforge", "moderate", "list"]
        rows["first"].append((count, timed(listing, site, _cold(site), runs)))
        rows["later"].append((count, timed(listing, site, lambda: None, runs)))
        batch = site / "batch.csv"
        pristine = site / "pristine"

        def reset(site: Path = site, pristine: Path = pristine, batch: Path = batch, count: int = count) -> None:
            if not pristine.exists():  # the site as the listing left it, index included
                shutil.copytree(site / ".storyforge-cache", pristine / ".storyforge-cache")
                shutil.copytree(site / "submissions", pristine / "submissions")
            for name in (".storyforge-cache", "submissions"):
                shutil.rmtree(site / name)
                shutil.copytree(pristine / name, site / name)
            batch.write_text(HEADER + _row(count + 1))

        rows["import"].append((count, timed([sys.executable, "-m", "storyforge", "submissions", "import",
                                             str(batch)], site, reset, runs)))
    return rows


def _print(name: str, unit: str, rows: list[tuple[int, tuple[float, float]]]) -> None:
    print(f"\n| {unit} | {name}: wall | processor | processor growth | work growth |")
    print("|---:|---:|---:|---:|---:|")
    previous: tuple[int, float] | None = None
    for count, (wall, cpu) in rows:
        growth = f"{cpu / previous[1]:.2f}×" if previous else "—"
        work = f"{count / previous[0]:.1f}×" if previous else "—"
        print(f"| {count:,} | {wall:.2f} s | {cpu:.2f} s | {growth} | {work} |", flush=True)
        previous = (count, cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", choices=["tags", "stories", "inbox", "published"], nargs="+",
                        default=["tags", "stories", "inbox", "published"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="stories up to 50,000 (slow)")
    parser.add_argument("--published", type=int, nargs="+", default=None,
                        help="site sizes of the published series (default: 1000 10000, and 50000 with --large)")
    parser.add_argument("--inbox", type=int, nargs="+", default=[100, 1000, 10000],
                        help="inbox sizes of the inbox series (default: 100 1000 10000)")
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 100],
                        help="rows per import in the inbox series (default: 1 100)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="storyforge-scaling-"))
    try:
        if "tags" in args.series:
            _print("cold build", "tags on one story", tags_series(scratch, args.runs, [10, 100, 1000]))
        if "stories" in args.series:
            sizes = [1000, 4000, 10000, 50000] if args.large else [1000, 4000, 10000]
            _print("cold build", "published stories", stories_series(scratch, args.runs, sizes))
        if "inbox" in args.series:
            for new_rows in args.rows:
                _print(f"import {new_rows} row{'s' if new_rows > 1 else ''}", "pending submissions",
                       inbox_series(scratch, args.runs, args.inbox, new_rows))
        if "published" in args.series:
            sizes = args.published or ([1000, 10000, 50000] if args.large else [1000, 10000])
            found = published_series(scratch, args.runs, sizes)
            _print("moderate list, first run (no cache)", "published stories", found["first"])
            _print("moderate list, later run", "published stories", found["later"])
            _print("import 1 row, first after the listing", "published stories", found["import"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
