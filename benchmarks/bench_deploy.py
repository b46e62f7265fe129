"""`storyforge deploy` of the benchmark site to a local S3 server: a first deploy, then one after a one-story edit.

    python benchmarks/bench_deploy.py                  # 10,000 stories
    python benchmarks/bench_deploy.py --stories 2000

The site is ``corpus.storyforge_site`` (as bench_build.py builds it); the bucket is moto's S3
server, started here on 127.0.0.1 with made-up credentials in this process's environment. For
each deploy it prints the files sent, kept and deleted and the seconds the command took (a
subprocess, as a user runs it; the build is not counted). The second deploy follows an edit of
one story's text and a rebuild; the target is fewer than 30 files sent.
Nothing here is a test: CI times nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import storyforge_site

TARGET = "deploy:\n  targets:\n    bench:\n      type: s3\n      bucket: bench\n      endpoint_url: {endpoint}\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def storyforge(site: Path, *args: str) -> tuple[float, str]:
    """Run a storyforge command in the site; its seconds and its last line."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "storyforge", *args, "--site", str(site)], capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"storyforge {' '.join(args)} failed:\n{done.stderr}")
    return seconds, (done.stdout.strip().splitlines() or [""])[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=10_000)
    args = parser.parse_args()
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        print("needs moto[server] and boto3: pip install -e '.[test]'", file=sys.stderr)
        return 2
    import boto3

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the server's line per request

    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1"})
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    scratch = Path(tempfile.mkdtemp(prefix="storyforge-bench-deploy-"))
    try:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")
        site = storyforge_site(scratch / "site", args.stories)
        with (site / "site.yaml").open("a", encoding="utf-8") as settings:
            settings.write(TARGET.format(endpoint=endpoint))
        storyforge(site, "build", "-q")
        rows = [("first deploy", *storyforge(site, "deploy", "-q"))]
        story = sorted((site / "content/testimonials").glob("*.md"))[len(rows) * 7]
        story.write_text(story.read_text(encoding="utf-8") + "\nEdited for the benchmark.\n", encoding="utf-8")
        storyforge(site, "build", "-q")
        rows.append(("after a one-story edit", *storyforge(site, "deploy", "-q")))
        rows.append(("nothing changed", *storyforge(site, "deploy", "-q")))
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"storyforge deploy, {args.stories:,} stories, to a local S3 server (moto)")
    print(f"  {'':<24} {'sent':>7} {'kept':>7} {'deleted':>7} {'seconds':>8}")
    for name, seconds, summary in rows:
        figures = re.search(r"uploaded (\d+), kept (\d+), deleted (\d+)", summary)
        sent, kept, deleted = figures.groups() if figures else ("?", "?", "?")
        print(f"  {name:<24} {int(sent):>7,} {int(kept):>7,} {int(deleted):>7,} {seconds:>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
