"""The progress line: only on a terminal, only after two seconds, erased at the end."""

from __future__ import annotations

import io

from storyforge.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_silent_for_short_builds_and_shown_for_long_ones():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, clock, enabled=True)
    progress.update("rendering pages", 10, 4000)
    assert stream.getvalue() == ""
    clock.now += 2.5
    progress.update("rendering pages", 2000, 4000)
    assert stream.getvalue() == "\r\033[Krendering pages 2,000/4,000"
    progress.finish()
    assert stream.getvalue().endswith("\r\033[K")


def test_never_shown_when_stderr_is_not_a_terminal():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, clock)  # StringIO is not a terminal
    clock.now += 10
    progress.update("rendering pages", 1, 2)
    progress.finish()
    assert stream.getvalue() == ""
