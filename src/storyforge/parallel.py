"""Spread independent per-item work over the machine's cores, with results in input order.

Workers are forked after the build has loaded what they need, so nothing large
is sent to them: each receives a range of indices and returns its results.
Output is identical to a serial run; ``STORYFORGE_WORKERS=1`` forces one.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: below this many items the cost of forking outweighs the gain
MIN_ITEMS_PER_WORKER = 150

_job: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def worker_count(items: int, min_items: int = MIN_ITEMS_PER_WORKER) -> int:
    """How many processes to use for ``items`` pieces of work (1 means: stay in this process);
    ``min_items``: how many items make forking one more worker worth it (a few photos do)."""
    if items < 2 * min_items:  # too little to spread: multiprocessing is not even imported
        return 1
    import multiprocessing

    configured = os.environ.get("STORYFORGE_WORKERS", "").strip()
    cores = int(configured) if configured.isdigit() and int(configured) > 0 else (os.cpu_count() or 1)
    if cores <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if threading.active_count() > 1:  # forking a threaded process (e.g. the dev server) is unsafe
        return 1
    return max(1, min(cores, items // min_items))


Report = Callable[[int, int], None]
#: the signals held back while workers are forked (see _forked_pool)
_HELD = {signal.SIGINT, signal.SIGTERM}


def ordered_map(func: Callable[[T], R], items: Sequence[T], report: Report | None = None,
                min_items: int = MIN_ITEMS_PER_WORKER) -> list[R]:
    """``[func(x) for x in items]``, in forked worker processes when that pays off.

    ``report(done, total)`` is called as pieces of the work finish; ``min_items``: see ``worker_count``.
    """
    workers = worker_count(len(items), min_items)
    if workers == 1:
        results = []
        for number, item in enumerate(items, start=1):
            results.append(func(item))
            if report and number % 50 == 0:
                report(number, len(items))
        return results
    import multiprocessing

    global _job
    _job = (func, items)
    parts: list[list[Any]] = []
    try:
        chunk = -(-len(items) // (workers * 8))
        ranges = [(start, min(start + chunk, len(items))) for start in range(0, len(items), chunk)]
        with _forked_pool(multiprocessing.get_context("fork"), workers) as pool:
            for part in pool.imap(_run_range, ranges, chunksize=1):
                parts.append(part)
                if report:
                    report(sum(len(p) for p in parts), len(items))
    finally:
        _job = None
    return [result for part in parts for result in part]


@contextmanager
def _forked_pool(context: Any, workers: int) -> Iterator[Any]:
    """A pool whose workers ignore Ctrl-C from birth: it reaches every process of the terminal's
    group, and the parent alone stops the pool and says 'interrupted' (instead of a traceback from
    every worker). Ctrl-C and SIGTERM are blocked, not ignored, while forking: workers are born
    unable to receive them and set their own handling first thing, and the parent receives one that
    came meanwhile as soon as the pool is in its hands, so the pool is stopped with the build."""
    signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        pool = context.Pool(workers, initializer=_worker_signals)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
        raise
    with pool:  # stopped on the way out, however the way out is reached
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)  # a Ctrl-C of the start arrives here
        yield pool


def _worker_signals() -> None:
    """In each worker, before anything else: Ctrl-C is the parent's to handle, and SIGTERM (which
    the pool sends its workers when it closes) ends the worker quietly instead of running a handler
    inherited from the parent (the preview's turns SIGTERM into Ctrl-C and would print a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)


def _run_range(bounds: tuple[int, int]) -> list[Any]:
    assert _job is not None
    func, items = _job
    return [func(items[index]) for index in range(*bounds)]
