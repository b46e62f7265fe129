"""A one-line progress indicator on stderr for builds that take more than a moment."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

#: builds shorter than this show nothing at all
DELAY_SECONDS = 2.0


class Progress:
    """Shows '<stage> <done>/<total>' once a build has run for DELAY_SECONDS, on a terminal only."""

    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic,
                 enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.clock = clock
        self.started = clock()
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.shown = False
        self._last = 0.0

    def update(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started < DELAY_SECONDS or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        self.stream.write(f"\r\033[K{stage} {done:,}/{total:,}")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False
