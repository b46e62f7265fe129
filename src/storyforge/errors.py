"""The error hierarchy: every problem a user can act on carries where it happened.

One display format for the whole program::

    content/events/fun-run.md:4: start: expected a date like 2025-05-01, got '05/01/25'

Third-party exceptions (YAML, Jinja2, OS) are translated into these at the
boundary of the module that calls the library; nothing else is shown to users.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in a user's file: a path relative to the site folder and a 1-based line."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class StoryforgeError(Exception):
    """Base of every error storyforge reports to a user; knows its exit code."""

    exit_code = 1

    def __init__(self, message: str, location: SourceLocation | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    def __reduce__(self) -> tuple[type, tuple[str, SourceLocation | None]]:
        # errors travel back from worker processes intact, location included
        return (type(self), (self.message, self.location))


class ConfigError(StoryforgeError):
    """site.yaml is missing, malformed or holds a value of the wrong kind."""


class ContentError(StoryforgeError):
    """A content file cannot be read or used."""


class FrontMatterError(ContentError):
    """The YAML front matter of a content file is missing or malformed."""


class SchemaError(ContentError):
    """A front-matter value is unknown, missing or of the wrong type."""


class TemplateError(StoryforgeError):
    """A theme or site template failed to load or render."""


class OutputError(StoryforgeError):
    """The output folder could not be written, or two sources claim one URL."""


class ModerationError(StoryforgeError):
    """A moderation step was refused or could not be completed."""


class UsageError(StoryforgeError):
    """The command line asked for something that cannot be done."""

    exit_code = 2


class BuildFailed(StoryforgeError):
    """Many errors found in one run, reported together."""

    def __init__(self, errors: Iterable[StoryforgeError], action: str = "build") -> None:
        self.errors = sorted(errors, key=_sort_key)
        self.action = action
        super().__init__(self.summary())

    def __reduce__(self) -> tuple[type, tuple[list[StoryforgeError], str]]:  # type: ignore[override]
        return (type(self), (self.errors, self.action))

    def summary(self) -> str:
        files = {e.location.path for e in self.errors if e.location}
        n = len(self.errors)
        noun = "error" if n == 1 else "errors"
        where = f" in {len(files)} file{'s' if len(files) != 1 else ''}" if files else ""
        return f"{self.action} failed: {n} {noun}{where}"

    def __str__(self) -> str:
        return "\n".join([*(str(e) for e in self.errors), self.summary()])


def _sort_key(error: StoryforgeError) -> tuple[str, int, str]:
    loc = error.location
    return (loc.path if loc else "", (loc.line or 0) if loc else 0, error.message)


class ErrorCollector:
    """Gathers errors across a whole phase so they can be reported together."""

    def __init__(self) -> None:
        self.errors: list[StoryforgeError] = []

    def add(self, error: StoryforgeError) -> None:
        if isinstance(error, BuildFailed):
            self.errors.extend(error.errors)
        else:
            self.errors.append(error)

    def raise_if_any(self, action: str = "build") -> None:
        if self.errors:
            raise BuildFailed(self.errors, action)

    def __bool__(self) -> bool:
        return bool(self.errors)


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'rating'?)' for a near miss, else '' (a hint for messages about a misspelt name)."""
    import difflib  # only when a message is being made

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
