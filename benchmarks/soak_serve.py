"""Soak test of `storyforge serve`: many connections at once while the owner keeps saving.

    python benchmarks/soak_serve.py                          # 2,000 stories, 200 connections, 30 s
    python benchmarks/soak_serve.py --pages 500 --connections 50 --seconds 10

A generated site is served by a real `storyforge serve` on loopback. ``--connections`` clients
(asyncio, one thread) each ask, one request after another, for pages of the site — the story
being edited more often than the others — while a story's file is saved once a second with a new
sentence in it. Every answer is checked:

* an error is a failed connection, a status other than 200, a body shorter than its
  Content-Length, or no answer within 10 s;
* a torn page is an HTML page that does not end in ``</html>`` or that shows two different saves
  of the edited story at once.

The report gives the number of requests, errors and torn pages, the latency percentiles, the
slowest request, how many saves were seen by the clients and the rebuild times from the server's
log. The exit status is 1 if any request failed, any page was torn or any took longer than
``--limit`` seconds (default 2). Nothing here is a unit test: it takes a minute and a whole machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_serve import rebuild_seconds, start_serve
from corpus import storyforge_site

EDITED = "content/testimonials/story-00000.md"
EDITED_PAGE = "/testimonials/story-00000/"
SAVE = re.compile(rb"Soak save (\d+)\.")
ANSWER_SECONDS = 10.0


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    torn: list[str] = field(default_factory=list)
    saves_seen: set[int] = field(default_factory=set)
    slowest: tuple[float, str] = (0.0, "")


async def fetch(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def judge(path: str, status: int, headers: dict[str, str], body: bytes, tally: Tally) -> None:
    if status != 200:
        tally.errors.append(f"{path}: status {status}")
        return
    if "content-length" in headers and int(headers["content-length"]) != len(body):
        tally.errors.append(f"{path}: {len(body)} of {headers['content-length']} bytes")
        return
    if path.endswith("/"):
        if not body.rstrip().endswith(b"</html>"):
            tally.torn.append(f"{path}: the page does not end in </html>")
        saves = {int(n) for n in SAVE.findall(body)}
        if len(saves) > 1:
            tally.torn.append(f"{path}: saves {sorted(saves)} in one page")
        tally.saves_seen |= saves


async def client(port: int, paths: list[str], deadline: float, seed: int, tally: Tally) -> None:
    pick = random.Random(seed)  # which page to ask for
    while time.monotonic() < deadline:
        path = EDITED_PAGE if pick.random() < 0.3 else pick.choice(paths)
        started = time.perf_counter()
        try:
            status, headers, body = await asyncio.wait_for(fetch(port, path), ANSWER_SECONDS)
        except (TimeoutError, OSError, ValueError, IndexError) as exc:
            tally.errors.append(f"{path}: {type(exc).__name__} {exc}")
            continue
        took = time.perf_counter() - started
        tally.latencies.append(took)
        if took > tally.slowest[0]:
            tally.slowest = (took, path)
        judge(path, status, headers, body, tally)


def saver(site: Path, stop: threading.Event, saves: list[float]) -> None:
    """Save the edited story once a second, as an editor does (the file rewritten in place)."""
    path = site / EDITED
    original = path.read_text()
    head, _, body = original.partition("\n---\n")
    number = 0
    while not stop.wait(1.0):
        number += 1
        path.write_text(f"{head}\n---\nSoak save {number}.\n\n{body}")
        saves.append(time.time())
    path.write_text(original)


def page_paths(built: Path) -> list[str]:
    pages = sorted("/" + p.parent.relative_to(built).as_posix() + "/" for p in built.rglob("index.html"))
    return [p.replace("/./", "/") for p in pages] + ["/feed.xml", "/sitemap.xml"]


async def load(port: int, paths: list[str], connections: int, seconds: float, tally: Tally) -> None:
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(client(port, paths, deadline, n, tally) for n in range(connections)))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="stories in the generated site (default: 2000)")
    parser.add_argument("--connections", type=int, default=200, help="clients at once (default: 200)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long (default: 30)")
    parser.add_argument("--limit", type=float, default=2.0, help="the longest a request may take (default: 2 s)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="storyforge-soak-") as scratch_name:
        scratch = Path(scratch_name)
        site = storyforge_site(scratch / "site", args.pages)
        log = scratch / "serve.log"
        process, url = start_serve(site, log)
        try:
            port = int(url.rsplit(":", 1)[1].strip("/"))
            paths = page_paths(site / ".storyforge-cache/serve")
            tally, stop, saves = Tally(), threading.Event(), []
            thread = threading.Thread(target=saver, args=(site, stop, saves))
            thread.start()
            started = time.monotonic()
            try:
                asyncio.run(load(port, paths, args.connections, args.seconds, tally))
            finally:
                stop.set()
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            process.terminate()
            process.wait(timeout=30)
        text = log.read_text()
    builds = rebuild_seconds(log) if log.exists() else []
    problems = [line for line in text.splitlines() if "error" in line.lower() or "Traceback" in line]
    if problems:
        (Path(tempfile.gettempdir()) / "storyforge-soak-serve.log").write_text(text)
        print(f"the server's log, with its problems: {Path(tempfile.gettempdir()) / 'storyforge-soak-serve.log'}")
    over = [t for t in tally.latencies if t > args.limit]
    print(f"site: {args.pages:,} stories, {len(paths):,} addresses; {args.connections} connections for "
          f"{elapsed:.0f} s; {len(saves)} saves, {len(tally.saves_seen)} of them seen by the clients")
    print(f"requests: {len(tally.latencies):,} answered ({len(tally.latencies) / elapsed:,.0f}/s), "
          f"{len(tally.errors)} errors, {len(tally.torn)} torn pages, {len(over)} over {args.limit:g} s")
    print(f"latency: p50 {percentile(tally.latencies, 0.5) * 1000:.0f} ms, "
          f"p95 {percentile(tally.latencies, 0.95) * 1000:.0f} ms, "
          f"p99 {percentile(tally.latencies, 0.99) * 1000:.0f} ms, "
          f"max {tally.slowest[0] * 1000:.0f} ms ({tally.slowest[1]})")
    if builds:
        print(f"rebuilds: {len(builds)}, median {statistics.median(builds) * 1000:.0f} ms, "
              f"max {max(builds) * 1000:.0f} ms")
    for line in [*tally.errors[:5], *tally.torn[:5], *problems[:5]]:
        print(f"  {line}")
    return 1 if tally.errors or tally.torn or over or problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
