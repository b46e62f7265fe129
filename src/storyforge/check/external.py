"""External links (`storyforge check --external`): asked over HTTP, a few at a time, remembered a day.

Each address is asked once however many pages use it: a HEAD request, then a
GET where the server refuses HEAD. At most ``WORKERS`` requests run at once,
each with a time limit. Addresses that answered well are kept in
``.storyforge-cache/external-links.json`` with the time they were checked and
not asked again for ``CACHE_SECONDS``; broken ones are asked again every run.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request, build_opener

from storyforge import __version__
from storyforge.publish.atomic import write_atomic

WORKERS = 8
TIMEOUT = 10.0
CACHE_SECONDS = 24 * 60 * 60
CACHE_FILE = Path(".storyforge-cache") / "external-links.json"
USER_AGENT = f"storyforge-link-check/{__version__}"
#: answers that mean "this server does not do HEAD", so ask again with GET
RETRY_WITH_GET = {400, 403, 405, 406, 501}


def probe(url: str, timeout: float = TIMEOUT) -> str | None:
    """None when ``url`` answers with a success (after redirects), else what went wrong."""
    problem: str | None = None
    for method in ("HEAD", "GET"):
        problem = _request(url, method, timeout)
        if problem is None or not problem.startswith(tuple(f"HTTP {code}" for code in RETRY_WITH_GET)):
            return problem
    return problem


def _request(url: str, method: str, timeout: float) -> str | None:
    request = Request(url, method=method,  # noqa: S310 - check/pages.py hands over http(s) addresses only
                      headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        with build_opener().open(request, timeout=timeout) as response:
            if method == "GET":
                response.read(1024)
            return None
    except HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}".rstrip()
    except URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            return f"no answer within {timeout:g} s"
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else exc.reason
        return f"cannot connect ({reason})"
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except (http.client.HTTPException, OSError, ValueError) as exc:
        return f"request failed ({exc.__class__.__name__}: {exc})"


def check_links(urls: list[str], cache_file: Path | None, timeout: float = TIMEOUT,
                clock: Callable[[], float] = time.time) -> dict[str, str]:
    """Problems by address for ``urls``; addresses checked well recently are taken from the cache."""
    cache = _load(cache_file)
    now = clock()
    due = [u for u in dict.fromkeys(urls) if now - cache.get(u, {}).get("checked", -CACHE_SECONDS) >= CACHE_SECONDS]
    problems: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for url, problem in zip(due, pool.map(lambda u: probe(u, timeout), due), strict=True):
            if problem is None:
                cache[url] = {"checked": now, "ok": True}
            else:
                problems[url] = problem
                cache.pop(url, None)
    if cache_file is not None:
        _save(cache_file, cache)
    return problems


def _load(cache_file: Path | None) -> dict[str, dict[str, float]]:
    if cache_file is None:
        return {}
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no cache yet, or a damaged one: check everything again
    links = data.get("links") if isinstance(data, dict) else None
    if not isinstance(links, dict):
        return {}
    return {url: entry for url, entry in links.items()
            if isinstance(entry, dict) and isinstance(entry.get("checked"), (int, float))}


def _save(cache_file: Path, cache: dict[str, dict[str, float]]) -> None:
    """Replaced atomically, so a killed run never leaves half a cache (not flushed: it is a cache)."""
    text = json.dumps({"version": 1, "links": dict(sorted(cache.items()))}, indent=1)
    with suppress(OSError):  # a cache that cannot be written only costs time on the next run
        write_atomic(cache_file, text.encode("utf-8"), durable=False)
