"""Save-to-reload latency of `storyforge serve`, measured in a real headless Chromium.

    python benchmarks/bench_serve.py                   # the example site and 2,000 generated stories
    python benchmarks/bench_serve.py --saves 20 --pages 2000

For each site a `storyforge serve` runs in a subprocess and Chromium (Debian's ``chromium`` through
``chromium-driver``) shows one story page. Each save rewrites that story's file with a new
sentence; the latency is from the moment the write returns to the moment the reloaded page has
the new text (its DOMContentLoaded, taken from the browser's navigation timing on the same clock),
so how often the script looks at the page does not count. Median of --saves saves per site.
Nothing here is a test: CI times nothing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from corpus import storyforge_site

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import CHROMEDRIVER, CHROMIUM, start_chromium

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_STORY = "content/testimonials/a-year-of-friday-loaves.md"
PAUSE_BETWEEN_SAVES = 0.3  # so saves are not merged into one rebuild


def example_site(dest: Path) -> tuple[Path, str, str]:
    """A copy of the repository's example site; returns (site, story file, its page)."""
    dest.mkdir(parents=True)
    shutil.copy(REPO / "site.yaml", dest / "site.yaml")
    for name in ("content", "themes", "static", "templates"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, dest / name)
    return dest, EXAMPLE_STORY, "testimonials/a-year-of-friday-loaves/"


def generated_site(dest: Path, pages: int) -> tuple[Path, str, str]:
    storyforge_site(dest, pages)
    return dest, "content/testimonials/story-00000.md", "testimonials/story-00000/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_browser(profile: Path) -> Any:
    return start_chromium(profile)


def start_serve(site: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "storyforge", "serve", "--site", str(site),
                                    "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if b"serving http://" in log.read_bytes():
            return process, f"http://127.0.0.1:{port}/"
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise SystemExit(f"storyforge serve did not start:\n{log.read_text()}")


NAVIGATION_DONE = """
const nav = performance.getEntriesByType('navigation')[0];
return nav && nav.domContentLoadedEventEnd > 0 && document.body.innerText.includes(arguments[0])
    ? performance.timeOrigin + nav.domContentLoadedEventEnd : null;
"""


def measure(driver: Any, site: Path, story_file: str, page: str, url: str, saves: int) -> list[float]:
    """Milliseconds from each save to the page showing it."""
    from selenium.webdriver.support.ui import WebDriverWait

    path = site / story_file
    original = path.read_text()
    head, _, body = original.partition("\n---\n")
    driver.get(url + page)
    latencies = []
    for n in range(saves):
        marker = f"Benchmark save {n} at {time.time_ns()}."
        path.write_text(f"{head}\n---\n{marker}\n\n{body}")
        written = time.time() * 1000
        shown = WebDriverWait(driver, 30, poll_frequency=0.01).until(
            lambda d, m=marker: d.execute_script(NAVIGATION_DONE, m))
        latencies.append(float(shown) - written)
        time.sleep(PAUSE_BETWEEN_SAVES)
    path.write_text(original)
    return latencies


def rebuild_seconds(log: Path) -> list[float]:
    """The server's own rebuild times, from its 'built N pages in X s after …' lines."""
    return [float(s) for s in re.findall(r"built \d+ pages in ([\d.]+) s after", log.read_text())]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--saves", type=int, default=20, help="saves per site (default: 20)")
    parser.add_argument("--pages", type=int, default=2000, help="stories in the generated site (default: 2000)")
    args = parser.parse_args(argv)
    for program in (CHROMIUM, CHROMEDRIVER):
        if not program.exists():
            raise SystemExit(f"{program} is missing: apt-get install chromium chromium-driver")

    rows = []
    with tempfile.TemporaryDirectory(prefix="storyforge-bench-serve-") as scratch_name:
        scratch = Path(scratch_name)
        driver = start_browser(scratch / "profile")
        try:
            for label, (site, story_file, page) in (
                    ("example site", example_site(scratch / "example")),
                    (f"{args.pages:,} generated stories", generated_site(scratch / "generated", args.pages))):
                log = scratch / f"{site.name}.log"
                process, url = start_serve(site, log)
                try:
                    latencies = measure(driver, site, story_file, page, url, args.saves)
                finally:
                    process.terminate()
                    process.wait(timeout=30)
                pages = re.search(r"built (\d+) pages", log.read_text())
                builds = rebuild_seconds(log)
                rows.append((label, pages.group(1) if pages else "?", len(latencies), statistics.median(latencies),
                             min(latencies), max(latencies), statistics.median(builds) * 1000 if builds else 0.0))
        finally:
            driver.quit()

    header = ("site", "pages", "saves", "median ms", "min ms", "max ms", "rebuild ms (median)")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for label, pages_built, count, median, low, high, build_ms in rows:
        print(f"| {label} | {pages_built} | {count} | {median:.0f} | {low:.0f} | {high:.0f} | {build_ms:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
