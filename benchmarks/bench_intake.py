"""Throughput, latency and memory of `storyforge intake`, on loopback.

    python benchmarks/bench_intake.py                       # 1,000 stories from 50 clients, 200 slow ones
    python benchmarks/bench_intake.py --stories 300 --clients 20 --slow 50
    python benchmarks/bench_intake.py --rate 200                            # customers arriving at 200 a second

A `storyforge intake` runs in a subprocess on a fresh site (rate limits raised out of the way, the
proof of work kept but made cheap, since the browser's solving time is not the server's). Each
client asks for a challenge, solves it, and posts a story (one in ten with a 1600 × 1200 JPEG),
both on the one connection it keeps open, as a browser keeps one for the page's requests; the
latency is the POST's, from sending to the answer. By default every client sends its next story as
soon as it has its answer (the most the service takes, and a latency that is mostly the queue of
the other 49); with ``--rate`` the stories are sent at that pace whatever the answers, and each
latency counts from the moment its story was due (a client still busy with the one before does
not hide the wait). Reported: stories per second over the whole
run, p50 and p99 latency, the server's CPU time per story (user + system: on a machine shared
with other work a steadier figure than the wall clock) and the client's own (this process, on the
same cores: if it neared the server's, the figure would be the client's limit, not the service's),
the server's resident memory at each quarter of the run and its peak, and a check that every
story answered with success is in the inbox exactly once. Then 200 slow clients open connections
and trickle their headers a byte at a time while ordinary customers post again: their latency
says whether they are still served. Nothing here is a test: CI times nothing.

Every story is screened against every pending one (``moderation.checks``): the default stories
draw most of their words from the same few dozen, so nearly every pending story is a candidate
near-duplicate of each new one, and the cost of a story grows slowly with the inbox (the
near-duplicate search's worst case short of ``--same-words``).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import io
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from altcha.v1 import solve_challenge
from corpus import WORDS
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

ORIGIN = "https://bench.test"
SITE_YAML = ("title: Bench Bakery\nbase_url: https://bench.test/\nlanguage: en-GB\nbusiness:\n  name: Bench Bakery\n"
             "moderation:\n  intake_url: https://stories.bench.test/\n")


def memory_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU time the process has used so far: on a busy machine a steadier measure
    of the work per story than the wall clock."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / os.sysconf("SC_CLK_TCK"), int(fields[12]) / os.sysconf("SC_CLK_TCK")


def machine_now(folder: Path) -> str:
    """Two probes of this machine at this moment, for comparing runs: the time to create a small
    file in the benchmark's folder (its file system; every story is one new file) and to run a
    million steps of a Python loop (its processor). On a shared virtual machine both vary from
    one hour to the next, and so does every figure below with them."""
    probe = folder / "probe"
    probe.mkdir()
    start = time.process_time()
    for n in range(200):
        (probe / f"{n}.json").write_bytes(b"{}" * 400)
    per_file = (time.process_time() - start) / 200
    start = time.process_time()
    total = 0
    for n in range(1_000_000):
        total += n
    return (f"this machine now: a small file created in {per_file * 1e6:.0f} µs of CPU; a million Python loop "
            f"steps in {(time.process_time() - start) * 1000:.0f} ms")


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((1600, 1200), 40).convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


#: words customers share (from the build benchmarks' corpus), and rarer ones each story has a few of
COMMON = WORDS
RARE = [a + b + c for a in ("bar", "cel", "dun", "fro", "gim", "hal", "kes", "lom", "mir", "nav", "pol", "rus")
        for b in ("a", "e", "i", "o", "u") for c in ("ck", "ld", "mp", "nt", "st", "sh", "rn", "ve")]


def story_text(n: int, same_words: bool) -> str:
    """Story ``n``: ~40 words, mostly common ones, in its own order; or, with ``same_words``, one
    sentence that differs only in its numbers — every story a near-duplicate of every other, the
    screening's worst case."""
    if same_words:
        return f"Story {n}: the rye loaf was superb and the staff were kind to my kids ({n})."
    rng = random.Random(n)
    words = [rng.choice(COMMON) for _ in range(32)] + [rng.choice(RARE) for _ in range(8)]
    rng.shuffle(words)
    return f"Visit {n}: " + " ".join(words).capitalize() + "."


class Client:
    """Customers' browsers: each client thread keeps one connection open (HTTP/1.1 keep-alive, as a
    browser does for the challenge and the post of one page), opened again if the service closed it."""

    def __init__(self, port: int, same_words: bool = False) -> None:
        self.port = port
        self.same_words = same_words
        self.local = threading.local()

    def call(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
             ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                conn.request(method, path, body=body, headers=headers or {})
                answer = conn.getresponse()
                status, raw = answer.status, answer.read()
            except (http.client.RemoteDisconnected, ConnectionError, http.client.CannotSendRequest):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise
                continue
            if answer.will_close:
                conn.close()
                self.local.conn = None
            return status, raw
        raise AssertionError("unreachable")

    def post_story(self, n: int, photo: bytes | None, send_at: float | None = None) -> tuple[int, float, str]:
        """Story ``n``: its challenge fetched and solved, then sent, at ``send_at`` (a
        ``perf_counter`` time) if given: the latency counts from then, even when this client only
        got to it later, so a slow service cannot hide its queue by slowing the clients down."""
        status, raw = self.call("GET", "/challenge")
        challenge = json.loads(raw)
        solution = solve_challenge(challenge["challenge"], challenge["salt"], "SHA-256", challenge["maxnumber"])
        assert solution is not None
        token = base64.b64encode(json.dumps({"algorithm": "SHA-256", "challenge": challenge["challenge"],
                                             "number": solution.number, "salt": challenge["salt"],
                                             "signature": challenge["signature"]}).encode()).decode()
        form = {"story": story_text(n, self.same_words),
                "name": f"Customer {n}", "email": f"c{n}@example.com", "rating": str(n % 5 + 1),
                "consent_publish": "yes", "consent_name": "first-initial", "website": "", "altcha": token}
        headers = {"Origin": ORIGIN, "Accept": "application/json"}
        if photo is None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            boundary, body = encode_multipart({**form, "photo": FileStorage(io.BytesIO(photo), "p.jpg",
                                                                            content_type="image/jpeg")})
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        start = time.perf_counter()
        if send_at is not None:
            time.sleep(max(0.0, send_at - start))
            start = send_at
        status, raw = self.call("POST", "/submit", body, headers)
        took = time.perf_counter() - start
        return status, took, json.loads(raw).get("id", "") if status == 200 else raw.decode()[:200]


def burst(client: Client, numbers: list[int], clients: int, photo: bytes, photo_every: int,
          on_done: Callable[[int], None] | None = None, rate: float = 0.0
          ) -> tuple[list[float], list[str], list[str], float]:
    """Every story of ``numbers`` sent by ``clients`` threads: each as soon as a client is free,
    or with ``rate``, the i-th at i / ``rate`` seconds from the start (customers arriving at that
    pace, whatever the service's speed)."""
    latencies: list[float] = []
    accepted: list[str] = []
    failed: list[str] = []
    lock = threading.Lock()
    queue = list(reversed(numbers))

    def work() -> None:
        while True:
            with lock:
                if not queue:
                    return
                n = queue.pop()
                send_at = start + (len(numbers) - len(queue) - 1) / rate if rate else None
            status, took, what = client.post_story(n, photo if photo_every and n % photo_every == 0 else None,
                                                   send_at)
            with lock:
                latencies.append(took)
                (accepted if status == 200 else failed).append(what if status == 200 else f"{status} {what}")
                if on_done is not None:
                    on_done(len(latencies))

    start = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, accepted, failed, time.perf_counter() - start


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def trickle(port: int, count: int, stop: threading.Event) -> list[socket.socket]:
    """``count`` connections that send their request line and headers a byte every half second."""
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        sockets.append(s)
    request = b"POST /submit HTTP/1.1\r\nHost: x\r\nOrigin: " + ORIGIN.encode() + b"\r\nContent-Length: 10\r\n"

    def drip() -> None:
        for i in range(len(request)):
            if stop.is_set():
                return
            for s in sockets:
                with contextlib.suppress(OSError):
                    s.send(request[i:i + 1])
            time.sleep(0.5)

    threading.Thread(target=drip, daemon=True).start()
    return sockets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--photo-every", type=int, default=10, help="one story in N carries a photo (0: none)")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="send the stories at this many per second (customers arriving at that pace; the "
                             "latency then counts from each one's moment) instead of as fast as the clients go")
    parser.add_argument("--threads", type=int, default=64, help="the service's worker threads (its default)")
    parser.add_argument("--same-words", action="store_true",
                        help="every story the same sentence but for its numbers (the near-duplicate check's worst "
                             "case) instead of varied stories")
    parser.add_argument("--src", type=Path, default=None,
                        help="run the service from this copy of src/ (e.g. an older commit's, for before/after)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storyforge-bench-intake-") as tmp:
        site = Path(tmp)
        (site / "site.yaml").write_text(SITE_YAML)
        process = subprocess.Popen(
            [sys.executable, "-m", "storyforge", "intake", "--site", str(site), "--port", "0", "--work", "1000",
             "--per-address", "1000000", "--per-minute", "1000000", "--threads", str(args.threads)],
            # its log goes to a file: a pipe nobody reads would stop the service once it is full
            stdout=subprocess.PIPE, stderr=(site / "intake.log").open("w"), text=True,
            env={**os.environ, **({"PYTHONPATH": str(args.src.resolve())} if args.src else {})})
        assert process.stdout is not None
        found = re.search(r":(\d+)/", process.stdout.readline())
        assert found, "the service did not start"
        client = Client(int(found.group(1)), args.same_words)
        print(machine_now(site))
        photo = photo_bytes()
        memory: list[int] = []
        quarter = max(1, args.stories // 4)

        def sample(done: int) -> None:
            if done % quarter == 0:
                memory.append(memory_kb(process.pid))

        try:
            cpu_before, client_before = cpu_seconds(process.pid), time.process_time()
            latencies, accepted, failed, wall = burst(client, list(range(args.stories)), args.clients, photo,
                                                      args.photo_every, sample, args.rate)
            user, system = (after - before for after, before in zip(cpu_seconds(process.pid), cpu_before,
                                                                     strict=True))
            cpu = user + system
            client_cpu = time.process_time() - client_before
            inbox = [p.stem for p in (site / "submissions/inbox").glob("*.json")]
            pace = f" sent at {args.rate:.0f}/s" if args.rate else " as fast as they go"
            print(f"{len(accepted)} stories accepted of {args.stories} from {args.clients} clients{pace} "
                  f"in {wall:.1f} s: "
                  f"{len(accepted) / wall:.0f} stories/s; POST latency p50 {percentile(latencies, 50) * 1000:.0f} ms, "
                  f"p99 {percentile(latencies, 99) * 1000:.0f} ms")
            print(f"server CPU time (user + system): {cpu:.2f} s, {cpu / max(1, len(accepted)) * 1000:.2f} ms per "
                  f"story (challenge and post; {system / max(cpu, 1e-9):.0%} of it in the system)")
            print(f"client CPU time (this process, solving and posting): {client_cpu:.2f} s, "
                  f"{client_cpu / max(1, len(accepted)) * 1000:.2f} ms per story, on the same "
                  f"{os.cpu_count()} cores as the server")
            print(f"server memory (RSS) at each quarter: {', '.join(f'{m / 1024:.0f} MB' for m in memory)}; "
                  f"peak {memory_kb(process.pid, 'VmHWM') / 1024:.0f} MB")
            missing = set(accepted) - set(inbox)
            print(f"inbox: {len(inbox)} files for {len(set(accepted))} accepted ids; missing {len(missing)}, "
                  f"duplicated {len(accepted) - len(set(accepted))}, refused {len(failed)}"
                  + (f" (first: {failed[0]})" if failed else ""))
            if args.slow:
                stop = threading.Event()
                slow = trickle(client.port, args.slow, stop)
                time.sleep(1.0)
                base = args.stories + 1
                latencies, accepted, failed, wall = burst(client, list(range(base, base + 100)), 10, photo, 0)
                stop.set()
                for s in slow:
                    s.close()
                print(f"with {args.slow} slow clients trickling headers: {len(accepted)} of 100 ordinary stories "
                      f"accepted; p50 {percentile(latencies, 50) * 1000:.0f} ms, "
                      f"p99 {percentile(latencies, 99) * 1000:.0f} ms")
        finally:
            process.terminate()
            process.communicate(timeout=30)
            log = (site / "intake.log").read_text().splitlines()
            if log:
                print(f"the service's log: {len(log)} lines, e.g. {log[-1][:120]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
