"""Safe YAML loading that remembers the line of every key.

Used for ``site.yaml`` and for front matter alike, so both report errors the
same way. The loader:

* is a safe loader (libyaml's C loader when present, the pure-Python one
  otherwise): tags such as ``!!python/object`` are errors;
* keeps dates as text, so the schema can parse them and say what is wrong
  with ``2025-02-30`` instead of failing inside the YAML library;
* refuses duplicate keys and anchors/aliases (the latter rule also stops
  "billion laughs" alias bombs before anything is expanded);
* refuses, at their line, what would fail later without one: nesting deeper than
  ``MAX_DEPTH``, numbers too long for Python to read, and characters the text policy
  (``textpolicy``) refuses, even when written as escapes such as ``"\\x0b"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from storyforge.core.textpolicy import first_forbidden, refusal
from storyforge.errors import SourceLocation, StoryforgeError

try:  # libyaml is about ten times faster; results are identical (tested).
    from yaml import CSafeLoader as _BaseLoader

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

    HAVE_LIBYAML = False

KeyPath = tuple[str, ...]
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
MAX_DEPTH = 50
_INT_TAG = "tag:yaml.org,2002:int"
#: Python refuses to turn longer digit strings into numbers (its int-string limit is 4,300)
MAX_DIGITS = 4000


def _loader_class(base: type[yaml.resolver.BaseResolver]) -> type:
    """A safe loader that leaves ISO dates as plain strings."""
    resolvers = {
        first: [(tag, rx) for tag, rx in entries if tag != _TIMESTAMP_TAG]
        for first, entries in base.yaml_implicit_resolvers.items()
    }
    return type("StoryforgeLoader", (base,), {"yaml_implicit_resolvers": resolvers})


_Loader = _loader_class(_BaseLoader)
_PureLoader = _loader_class(yaml.SafeLoader)


@dataclass
class YamlMapping:
    """A loaded YAML mapping plus the file line and raw text of each key."""

    data: dict[str, Any]
    lines: dict[KeyPath, int] = field(default_factory=dict)
    raw: dict[KeyPath, str] = field(default_factory=dict)
    first_line: int = 1

    def line_of(self, *path: str) -> int:
        """The line of the deepest known key on ``path`` (or the mapping's first line)."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return self.first_line


ErrorFactory = Callable[[str, SourceLocation], StoryforgeError]

_HINTS = {
    "mapping values are not allowed": (
        "a value contains ': ' — put the whole value in quotes"
    ),
    "found character '\\t' that cannot start any token": (
        "YAML does not allow tabs for indentation — use spaces"
    ),
    "could not find expected ':'": "each line needs 'key: value' — check the line above for a missing colon or quote",
    "found undefined alias": "anchors and aliases are not supported — write the value out",
    "could not determine a constructor for the tag": (
        "YAML tags such as !!python/object are not allowed — write plain values"
    ),
}


def load_mapping(
    text: str,
    path: str,
    make_error: ErrorFactory,
    first_line: int = 1,
    pure_python: bool = False,
) -> YamlMapping:
    """Parse ``text`` as a YAML mapping; ``first_line`` is the file line of its first line.

    Raises the error built by ``make_error`` with the file and line of the problem.
    """
    loader = (_PureLoader if pure_python else _Loader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlMapping({}, first_line=first_line)
        lines, raw = _inspect(node, path, make_error, first_line)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise _translate(exc, path, make_error, first_line) from None
    except yaml.YAMLError as exc:
        raise make_error(f"invalid YAML: {exc}", SourceLocation(path, first_line)) from None
    except RecursionError:
        raise make_error(
            "YAML is nested too deeply", SourceLocation(path, first_line)
        ) from None
    except ValueError as exc:  # a value the YAML library cannot build, e.g. an overlong number
        raise make_error(f"invalid YAML: {exc}", SourceLocation(path, first_line)) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        got = type(data).__name__ if data is not None else "nothing"
        raise make_error(
            f"expected 'key: value' lines, got {_describe(got)}",
            SourceLocation(path, first_line),
        )
    return YamlMapping(data, lines, raw, first_line)


def _describe(type_name: str) -> str:
    return {"list": "a list", "str": "plain text", "int": "a number"}.get(type_name, type_name)


def _translate(
    exc: yaml.MarkedYAMLError, path: str, make_error: ErrorFactory, first_line: int
) -> StoryforgeError:
    mark = exc.problem_mark or exc.context_mark
    line = first_line + mark.line if mark is not None else first_line
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    message = f"invalid YAML: {problem}"
    for needle, hint in _HINTS.items():
        if needle in problem or (exc.context and needle in exc.context):
            message += f" ({hint})"
            break
    return make_error(message, SourceLocation(path, line))


def _inspect(
    root: yaml.Node, path: str, make_error: ErrorFactory, first_line: int
) -> tuple[dict[KeyPath, int], dict[KeyPath, str]]:
    """Walk the node tree once: key lines, raw scalars, duplicates, aliases, depth."""
    lines: dict[KeyPath, int] = {}
    raw: dict[KeyPath, str] = {}
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, KeyPath, int]] = [(root, (), 0)]
    while stack:
        node, key_path, depth = stack.pop()
        here = SourceLocation(path, first_line + node.start_mark.line)
        if id(node) in seen:
            raise make_error(
                "YAML anchors and aliases (&name, *name) are not supported — write the value out",
                here,
            )
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise make_error(f"YAML is nested more than {MAX_DEPTH} levels deep", here)
        if isinstance(node, yaml.ScalarNode):
            _check_scalar(node, key_path, here, make_error)
        elif isinstance(node, yaml.MappingNode):
            keys_here: dict[str, int] = {}
            for key_node, value_node in node.value:
                key_line = first_line + key_node.start_mark.line
                if not isinstance(key_node, yaml.ScalarNode):
                    raise make_error("a key must be plain text", SourceLocation(path, key_line))
                _check_scalar(key_node, key_path, SourceLocation(path, key_line), make_error)
                key = key_node.value
                if key in keys_here:
                    raise make_error(
                        f"duplicate key '{key}' (first on line {keys_here[key]}) — keep only one",
                        SourceLocation(path, key_line),
                    )
                keys_here[key] = key_line
                child_path = (*key_path, key)
                lines[child_path] = key_line
                if isinstance(value_node, yaml.ScalarNode):
                    raw[child_path] = value_node.value
                stack.append((value_node, child_path, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                stack.append((item, (*key_path, str(index)), depth + 1))
    return lines, raw


def _check_scalar(node: yaml.ScalarNode, key_path: KeyPath, here: SourceLocation, make_error: ErrorFactory) -> None:
    """Refuse a value no output can carry, or a number Python cannot read, at its line."""
    name = ".".join(part for part in key_path if not part.isdigit()) or "front matter"
    bad = first_forbidden(node.value)
    if bad is not None:
        raise make_error(f"{name}: {refusal(node.value[bad])}", here)
    if node.tag == _INT_TAG and len(node.value) > MAX_DIGITS:
        raise make_error(f"{name}: a number of {len(node.value):,} digits is too long to read — "
                         "put it in quotes if it is text", here)
