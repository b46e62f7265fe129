"""Build benchmark: storyforge's cold, no-op and one-edit builds, and its peers' cold builds.

    python benchmarks/bench_build.py                  # 1,000, 4,000 and 10,000 entries, both corpora
    python benchmarks/bench_build.py --sizes 1000 --runs 3 --corpus rich
    python benchmarks/bench_build.py --sizes 1000 --runs 5 --photo-cost [--baseline OTHER/.venv/bin/python]

Two corpora: ``plain`` (``corpus.py``: plain-prose stories, share cards off) and ``rich``
(``rich_corpus.py``: testimonials, events and charity updates with headings, lists, links,
emphasis and quotes, default settings — share cards on), and ``photos`` (``photo_corpus.py``: the
rich corpus with a customer's photo on one story in ten), each reported in its own table, with
the seconds per phase of one more cold build (``build -v``) and the time of a build in a fresh
clone with the cache (and the output) restored, as a CI service with a kept cache runs it, as a
ratio to a no-op build timed in the same rounds (wall and CPU time of the build's processes).

Every build is timed as a whole process (start-up included), median of --runs. Cold builds
and rebuilds are taken in rounds, each tool once per round in turn, so that a slow spell of the machine
falls on every tool alike.
Peers are measured on the same generated stories when they are installed:
``pelican`` (set PELICAN to its executable), ``hugo``, and Eleventy (set
ELEVENTY to its ``cli.js``, or have ``npx`` find ``@11ty/eleventy``). Figures
are printed as a table with ratios measured in this one run; the machine's
noise hits every column alike. Nothing here is a test: CI times nothing.

``--photo-cost`` measures only what the photos add: cold builds of the rich corpus and of the
photos corpus (the same stories, a photo on one in ten), taken in turn in each round, in CPU
time (user + system of the build and its worker processes: on a shared machine, elapsed time
is mostly the neighbours'), the photos corpus's median as a ratio of the rich one's; with
``--baseline``, the baseline's two builds join the same rounds.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import markdown_site, storyforge_site
from peers import PEERS
from phases import fresh_clone_times, phase_times, print_phases
from photo_corpus import photo_site
from rich_corpus import rich_markdown_site, rich_site

#: corpus name → (how to make the storyforge site, how to make the peers' Markdown)
CORPORA: dict[str, tuple[Callable[[Path, int], Path], Callable[..., Path]]] = {
    "plain": (storyforge_site, markdown_site),
    "rich": (rich_site, rich_markdown_site),
    "photos": (photo_site, rich_markdown_site),  # the rich corpus, a photo on one story in ten
}

#: every command runs as it would for a user: Python may keep its byte-code caches
#: (a shell that sets PYTHONDONTWRITEBYTECODE would make every Python tool compile itself anew)
COMMAND_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    """Seconds and peak resident memory (MB, all processes of the command together)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=COMMAND_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _group_rss_kb(process.pid))
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{process.stderr.read().decode() if process.stderr else ''}")
    return elapsed, peak // 1024


def cpu_timed(command: list[str], cwd: Path) -> float:
    """CPU seconds (user + system) of the command and of every process it started and waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, cwd=cwd, env=COMMAND_ENV, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def photo_cost(count: int, runs: int, scratch: Path, set_aside: SetAside, baseline: str | None) -> None:
    """Cold builds with and without photos, interleaved, in CPU time; prints one table."""
    scratch.mkdir(parents=True, exist_ok=True)
    pythons = [("this", sys.executable)] + ([("baseline", baseline)] if baseline else [])
    builds = [storyforge_cold(count, scratch, set_aside, python, f"{name}-{corpus}", CORPORA[corpus][0])
              for name, python in pythons for corpus in ("rich", "photos")]
    for _ in range(runs):
        for build in builds:
            build.clean()
            os.sync()
            build.times.append(cpu_timed(build.command, build.folder))
    print(f"\n### photos on one story in ten, {count:,} stories: cold builds in CPU seconds, median of {runs}\n")
    print("| storyforge | rich | photos | photos ÷ rich | every run (rich / photos) |")
    print("|---|---:|---:|---:|---|")
    for rich, photos in zip(builds[::2], builds[1::2], strict=True):
        plain, pictured = statistics.median(rich.times), statistics.median(photos.times)
        runs_shown = ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(rich.times, photos.times, strict=True))
        print(f"| {rich.name.split('-')[0]} | {plain:.2f} s | {pictured:.2f} s | {pictured / plain:.2f}× | "
              f"{runs_shown} |")


def _group_rss_kb(group: int) -> int:
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group:  # process group id
                total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    return total


@dataclass
class ColdBuild:
    """One tool's cold build of the corpus: how to start it from nothing, and its timings."""

    name: str
    command: list[str]
    folder: Path
    clean: Callable[[], None]
    times: list[float] = field(default_factory=list)
    peak_mb: int = 0


class SetAside:
    """Moves a previous build's output out of the way instead of deleting it. Deleting thousands
    of files makes this kind of virtual disk slow for a minute afterwards (the file system tells
    the host which blocks are free), which would land on the next timed build and weigh on
    whichever tool writes the most files. Everything set aside is deleted at the end."""

    def __init__(self, scratch: Path) -> None:
        self.folder = scratch / "set-aside"
        self.count = 0

    def __call__(self, path: Path) -> None:
        if path.exists():
            self.folder.mkdir(exist_ok=True)
            self.count += 1
            os.rename(path, self.folder / str(self.count))


def cold_rounds(tools: list[ColdBuild], runs: int) -> None:
    """Each round times every tool once, in turn: a disk or a neighbour that slows down for a
    while slows every tool alike instead of whichever happened to be measured then."""
    for _ in range(runs):
        for tool in tools:
            tool.clean()
            os.sync()  # what the last build wrote must reach the disk before the next is timed
            seconds, peak = timed(tool.command, tool.folder)
            tool.times.append(seconds)
            tool.peak_mb = max(tool.peak_mb, peak)


def storyforge_cold(count: int, scratch: Path, set_aside: SetAside, python: str = sys.executable,
                    name: str = "storyforge", make: Callable[[Path, int], Path] = storyforge_site) -> ColdBuild:
    site = make(scratch / f"{name}-{count}", count)

    def clean() -> None:
        set_aside(site / "public")
        for leftover in site.glob(".storyforge-*"):  # the cache, the shadow copy, staging folders
            set_aside(leftover)

    return ColdBuild(name, [python, "-m", "storyforge", "build", "-q"], site, clean)


def bench_rebuilds(builds: list[tuple[Path, str]], runs: int, scratch: Path) -> list[dict[str, float]]:
    """No-op and one-edit rebuilds of sites whose last cold build is in place, one (site, python)
    per storyforge measured. Taken in rounds, like the cold builds: each run times every
    storyforge in turn, so that a busy spell of the machine does not fall on one of them alone."""
    commands = [[python, "-m", "storyforge", "build", "-q"] for _, python in builds]
    stories = [sorted((site / "content/testimonials").glob("*.md"))[7] for site, _ in builds]
    originals = [story.read_text() for story in stories]
    for (site, _), command in zip(builds, commands, strict=True):
        timed(command, site)  # a warm cache and output to start from
    noop: list[list[float]] = [[] for _ in builds]
    edit: list[list[float]] = [[] for _ in builds]
    for _ in range(runs):
        for n, (site, _) in enumerate(builds):
            noop[n].append(timed(commands[n], site)[0])
    for attempt in range(runs):
        for n, (site, _) in enumerate(builds):
            stories[n].write_text(originals[n].replace("\n---\n", f"\n---\nEdited for run {attempt}. ", 1))
            edit[n].append(timed(commands[n], site)[0])
    return [{"noop": statistics.median(noop[n]), "edit": statistics.median(edit[n]),
             "identical": _matches_cold_build(site, scratch / f"{site.name}-check", python)}
            for n, (site, python) in enumerate(builds)]


def _matches_cold_build(site: Path, copy: Path, python: str) -> bool:
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("public", ".storyforge-*"))
    subprocess.run([python, "-m", "storyforge", "build", "-q", "--no-cache"], cwd=copy, check=True)
    return _tree(site / "public") == _tree(copy / "public")


def _tree(folder: Path) -> dict[str, bytes]:
    """The built site's files; the build record says when and from which file times it was built, so it
    differs between two builds of the same sources and is left out."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.name != ".storyforge-build.json"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 10000])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure; the median is shown")
    parser.add_argument("--corpus", nargs="+", choices=sorted(CORPORA), default=["plain", "rich"],
                        help="which corpora to measure (default: both)")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--baseline", metavar="PYTHON",
                        help="also measure the storyforge installed for this interpreter (e.g. an earlier "
                             "checkout's .venv/bin/python), in the same rounds, and print the two side by side")
    parser.add_argument("--photo-cost", action="store_true",
                        help="only what photos on one story in ten add to a cold build, in CPU time")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="storyforge-bench-"))
    if args.photo_cost:
        try:
            for count in args.sizes:
                photo_cost(count, args.runs, scratch / f"photo-cost-{count}", SetAside(scratch), args.baseline)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return 0
    tables: dict[str, tuple[list[Row], list[tuple[int, dict[str, float]]]]] = {}
    phases: list[tuple[str, int, dict[str, float]]] = []
    set_aside = SetAside(scratch)
    try:
        for corpus in args.corpus:
            rows, baseline_rows = tables.setdefault(corpus, ([], []))
            for count in args.sizes:
                rows.append(measure(corpus, count, args, scratch / corpus, set_aside, baseline_rows, phases))
                print(f"measured {corpus} corpus, {count} entries", file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for corpus, (rows, baseline_rows) in tables.items():
        print(f"\n### {corpus} corpus\n")
        _print_table(rows)
        if baseline_rows:
            _print_against_baseline(rows, baseline_rows)
    print_phases(phases)
    return 0


Row = tuple[int, dict[str, float], dict[str, float]]


def measure(corpus: str, count: int, args: argparse.Namespace, scratch: Path, set_aside: SetAside,
            baseline_rows: list[tuple[int, dict[str, float]]], phases: list[tuple[str, int, dict[str, float]]]) -> Row:
    """Cold rounds of every tool on one corpus and size, then storyforge's rebuilds, phases and
    fresh-clone builds (and the baseline's rebuilds)."""
    make_site, make_peer_site = CORPORA[corpus]
    scratch.mkdir(parents=True, exist_ok=True)
    tools = [storyforge_cold(count, scratch, set_aside, make=make_site)]
    if args.baseline:
        tools.append(storyforge_cold(count, scratch, set_aside, args.baseline, "baseline", make_site))
    for peer in [] if args.no_peers else PEERS:
        if peer.available():
            folder = peer.prepare(scratch / f"{peer.name}-{count}", count, make_peer_site)
            tools.append(ColdBuild(peer.name, peer.command(folder), folder,
                                   lambda p=peer, f=folder, s=set_aside: p.clean(f, s)))
    cold_rounds(tools, args.runs)
    storyforges = [tool for tool in tools if tool.name in ("storyforge", "baseline")]
    rebuilds = bench_rebuilds([(tool.folder, tool.command[0]) for tool in storyforges], args.runs, scratch)
    mine = {"cold": statistics.median(tools[0].times), "peak_mb": tools[0].peak_mb, **rebuilds[0]}
    command = [sys.executable, "-m", "storyforge", "build", "-q"]
    mine.update(fresh_clone_times(tools[0].folder, args.runs, scratch, command, COMMAND_ENV, set_aside, timed))
    tools[0].clean()
    os.sync()
    phases.append((corpus, count, phase_times([sys.executable, "-m", "storyforge", "build"], tools[0].folder,
                                              COMMAND_ENV)))
    peers = {tool.name: statistics.median(tool.times) for tool in tools[1:] if tool.name != "baseline"}
    baseline_rows.extend(
        (count, {"cold": statistics.median(tool.times), "peak_mb": tool.peak_mb, **made_again})
        for tool, made_again in zip(storyforges[1:], rebuilds[1:], strict=True))
    return count, mine, peers


def _print_against_baseline(rows: list[Row],
                            baseline_rows: list[tuple[int, dict[str, float]]]) -> None:
    """This storyforge beside the baseline's, figure by figure (above 1.00×: this one is slower)."""
    print("\n| stories | figure | baseline | this | this ÷ baseline |")
    print("|---:|---|---:|---:|---:|")
    for (count, mine, _), (_, base) in zip(rows, baseline_rows, strict=True):
        for key, label in (("cold", "cold"), ("noop", "no-op"), ("edit", "one edit")):
            print(f"| {count:,} | {label} | {base[key]:.2f} s | {mine[key]:.2f} s | {mine[key] / base[key]:.2f}× |")
        print(f"| {count:,} | peak MB | {base['peak_mb']:.0f} | {mine['peak_mb']:.0f} | "
              f"{mine['peak_mb'] / base['peak_mb']:.2f}× |")


def _print_table(rows: list[Row]) -> None:
    names = sorted({name for _, _, peers in rows for name in peers})
    header = ["entries", "cold", "no-op", "one edit", "edit = cold?", "clone+cache", "÷ no-op (wall / CPU)",
              "clone+cache+output", "÷ no-op", "peak MB", *[f"{n} cold" for n in names],
              *[f"{n} ÷ storyforge" for n in names]]
    print("| " + " | ".join(header) + " |")
    print("|" + "---:|" * len(header))
    for count, mine, peers in rows:
        cells = [f"{count:,}", f"{mine['cold']:.2f} s", f"{mine['noop']:.2f} s", f"{mine['edit']:.2f} s",
                 "yes" if mine["identical"] else "NO",
                 f"{mine['clone+cache']:.2f} s" + ("" if mine["clone identical"] else " (DIFFERS)"),
                 (f"{mine['clone+cache'] / mine['noop (rounds)']:.2f}× / "
                  f"{mine['clone+cache cpu'] / mine['noop (rounds) cpu']:.2f}×"),
                 f"{mine['clone+cache+output']:.2f} s",
                 f"{mine['clone+cache+output'] / mine['noop (rounds)']:.2f}×",
                 f"{mine['peak_mb']:.0f}"]
        cells += [f"{peers[n]:.2f} s" if n in peers else "—" for n in names]
        cells += [f"{peers[n] / mine['cold']:.2f}×" if n in peers else "—" for n in names]
        print("| " + " | ".join(cells) + " |")
    for (small, mine_small, _), (large, mine_large, _) in pairwise(rows):
        print(f"\ncold-build growth {small:,} → {large:,} stories: "
              f"{mine_large['cold'] / mine_small['cold']:.2f}× the time for {large / small:.1f}× the entries")


if __name__ == "__main__":
    raise SystemExit(main())
