"""What a cold build spends its time on, and what a CI service's build in a fresh clone costs.

``phase_times`` runs one cold ``build -v`` and reads the seconds per phase it prints.
``fresh_clone_times`` copies a built site the way a CI service checks it out (another folder,
every file written anew) with the build cache restored — and, in a second figure, the output
folder too — and times the build there, beside a no-op build taken in the same rounds.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
from collections.abc import Callable
from pathlib import Path

#: ``build -v`` prints each phase as two spaces, its name, and its seconds
PHASE_LINE = re.compile(r"^  (?P<name>\S.*?)\s+(?P<seconds>\d+\.\d+) s$")


def phase_times(command: list[str], site: Path, env: dict[str, str]) -> dict[str, float]:
    """Seconds per phase of one build of ``site`` (``command`` without ``-v``)."""
    done = subprocess.run([*command, "-v"], cwd=site, env=env, capture_output=True, text=True, check=True)
    return {m["name"]: float(m["seconds"]) for line in done.stderr.splitlines() if (m := PHASE_LINE.match(line))}


def _copy_fresh(source: Path, dest: Path, ignore: Callable[..., set[str]] | None = None) -> None:
    """A copy with every file written now, as a checkout or a cache restore gives them."""
    shutil.copytree(source, dest, ignore=ignore, copy_function=shutil.copy)


def fresh_clone_times(site: Path, runs: int, scratch: Path, command: list[str], env: dict[str, str],
                      set_aside: Callable[[Path], None],
                      timed: Callable[[list[str], Path], tuple[float, int]]) -> dict[str, float]:
    """Median seconds (wall, and CPU of the build's processes) of a build in a fresh clone of
    ``site`` (whose last build is in place) with the cache folder alone restored (``clone+cache``,
    what the README's recipes keep) and with the cache and the output restored
    (``clone+cache+output``), each round also timing a no-op build of ``site`` (``noop (rounds)``),
    so that the ratios are taken in the same spell of the machine; ``clone identical`` says whether
    the first wrote what ``site`` holds."""
    labels = ("clone+cache", "clone+cache+output", "noop (rounds)")
    wall: dict[str, list[float]] = {label: [] for label in labels}
    cpu: dict[str, list[float]] = {label: [] for label in labels}
    identical = True
    for attempt in range(runs):
        for label in labels:
            folder = site
            if label != "noop (rounds)":
                folder = scratch / f"{site.name}-clone-{attempt}-{label}"
                _copy_fresh(site, folder, shutil.ignore_patterns("public", ".storyforge-*"))
                _copy_fresh(site / ".storyforge-cache", folder / ".storyforge-cache")
                if label == "clone+cache+output":
                    _copy_fresh(site / "public", folder / "public")
                os.sync()  # the copy must reach the disk before the build is timed
            before = _children_cpu()
            seconds, _ = timed(command, folder)
            cpu[label].append(_children_cpu() - before)
            wall[label].append(seconds)
            if label == "clone+cache" and attempt == 0:
                identical = _tree(site / "public") == _tree(folder / "public")
            if folder != site:
                set_aside(folder)
    figures = {label: statistics.median(times) for label, times in wall.items()}
    figures |= {f"{label} cpu": statistics.median(times) for label, times in cpu.items()}
    return {**figures, "clone identical": float(identical)}


def _children_cpu() -> float:
    """User and system seconds of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree(folder: Path) -> dict[str, bytes]:
    """The built site's files but the build record (which names the file times it was built from)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.name != ".storyforge-build.json"}


def print_phases(rows: list[tuple[str, int, dict[str, float]]]) -> None:
    """One column per corpus and size, one row per phase, in the order the build runs them."""
    order: list[str] = []
    for _, _, phases in rows:
        order += [name for name in phases if name not in order]
    columns = " | ".join(f"{corpus} {count:,}" for corpus, count, _ in rows)
    print(f"\n| phase (cold build, `build -v`) | {columns} |")
    print("|---|" + "---:|" * len(rows))
    for name in order:
        cells = [f"{phases[name]:.2f} s" if name in phases else "—" for _, _, phases in rows]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("| **sum of phases** | " + " | ".join(f"{sum(p.values()):.2f} s" for _, _, p in rows) + " |")
