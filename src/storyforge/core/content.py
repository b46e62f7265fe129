"""Find the content files of a site and split each into front matter and body.

Nothing here knows what the keys mean (that is ``schema``); this module only
turns files into ``Document`` values that remember where every key came from.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from storyforge.core.config import SiteConfig
from storyforge.core.content_types import ContentType, all_types, by_folder
from storyforge.core.textpolicy import first_forbidden, normalise, refusal
from storyforge.core.yaml_source import YamlMapping, load_mapping
from storyforge.errors import (
    ContentError,
    ErrorCollector,
    FrontMatterError,
    SourceLocation,
    did_you_mean,
)

CONTENT_DIR = "content"
MARKDOWN_SUFFIXES = (".md", ".markdown")
FENCE = "---"


@dataclass(frozen=True)
class Document:
    """One content file: its front matter (with key lines) and its Markdown body."""

    rel_path: str  # relative to the site folder, with forward slashes
    content_type: str
    front: YamlMapping
    body: str
    body_line: int
    digest: str = ""

    def where(self, *key: str) -> SourceLocation:
        """The file and line of a front-matter key (the fence line if it is absent)."""
        return SourceLocation(self.rel_path, self.front.line_of(*key) if key else 1)


@dataclass(frozen=True)
class Asset:
    """A non-Markdown file under content/, copied to the same place in the output."""

    source: Path
    rel_path: str  # relative to the site folder
    url_path: str  # where it lands in the output, e.g. 'testimonials/maya.jpg'


class SourceFile(NamedTuple):  # a tuple: a site has thousands, made on every build
    """A file found under content/, before it is read, with what stat said of it."""

    path: str  # where to read it (a plain string: a site has thousands)
    rel_path: str
    content_type: str | None
    mtime_ns: int = 0
    size: int = 0


def _ignored(name: str) -> bool:
    return name.startswith((".", "_", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp"))


def discover(config: SiteConfig, errors: ErrorCollector) -> tuple[list[SourceFile], list[Asset]]:
    """Walk content/ in a stable order; refuse what cannot be content, never skip silently.

    Written with os.scandir and plain strings: on a site of 10,000 stories this walk is most of
    what a build that has nothing to do costs.
    """
    content_root = config.root / CONTENT_DIR
    sources: list[SourceFile] = []
    assets: list[Asset] = []
    if not content_root.is_dir():
        return sources, assets
    real_root = os.path.realpath(content_root)
    refused: set[str] = set()  # folders of unlisted languages, each named once
    pending: list[tuple[str, tuple[str, ...]]] = [(str(content_root), ())]
    while pending:
        folder, parts = pending.pop()
        prefix = "/".join((CONTENT_DIR, *parts)) + "/"
        try:
            with os.scandir(folder) as listing:
                found = sorted(listing, key=lambda item: item.name)
        except OSError as exc:
            errors.add(ContentError(f"cannot read this folder: {exc.strerror or exc} — check its permissions",
                                    SourceLocation(prefix)))
            continue
        content_type = _folder_type(config, parts)  # Markdown here is content
        section = content_type.name if content_type is not None else None
        for item in found:
            name = item.name
            if _ignored(name):
                continue
            rel = prefix + name
            if item.is_dir(follow_symlinks=False):
                pending.append((item.path, (*parts, name)))
                continue
            problem, info = _file_problem(item, real_root)
            if problem or info is None:
                errors.add(ContentError(problem or "cannot read", SourceLocation(rel)))
                continue
            if not name.lower().endswith(MARKDOWN_SUFFIXES):
                assets.append(Asset(Path(item.path), rel, rel[len(CONTENT_DIR) + 1:]))
            elif section is not None:
                sources.append(SourceFile(item.path, rel, section, info.st_mtime_ns, info.st_size))
            elif parts and (unlisted := _unlisted_language(config, parts[0])) is not None:
                if unlisted not in refused:
                    refused.add(unlisted)
                    errors.add(ContentError(
                        f"a folder for the language {unlisted}, which site.yaml does not list — add it to "
                        f"languages: (e.g. languages: [{', '.join(config.languages or (config.language,))}, "
                        f"{unlisted}]), or move its files into content/", SourceLocation(f"{CONTENT_DIR}/{parts[0]}/")))
            else:
                folder_name = parts[0] if parts else ""
                folders = [row.folder for row in all_types()]
                hint = did_you_mean(folder_name, folders) if folder_name else ""
                errors.add(ContentError(
                    f"a story must be in one of the folders content/{'/, content/'.join(folders)}/"
                    f"{hint} — move the file there",
                    SourceLocation(rel)))
    sources.sort(key=lambda source: source.rel_path)
    assets.sort(key=lambda asset: asset.rel_path)
    return sources, assets


def _folder_type(config: SiteConfig, parts: tuple[str, ...]) -> ContentType | None:
    """The content type whose files a folder holds: content/<type>/, or content/<lang>/<type>/
    for a language of a multilingual site (``core.languages``)."""
    if len(parts) == 1:
        return by_folder(parts[0])
    if len(parts) == 2 and config.languages and parts[0].lower() in {t.lower() for t in config.languages}:
        return by_folder(parts[1])
    return None


def _unlisted_language(config: SiteConfig, folder: str) -> str | None:
    """The language a content folder is named for when site.yaml does not list it (content/de/)."""
    from storyforge.core.language import bcp47

    if folder.lower() in {tag.lower() for tag in config.languages} or len(folder) > 12:
        return None
    try:
        tag = bcp47(folder)
    except ValueError:
        return None
    return None if tag == config.language else tag  # content/en-GB/ of an en-GB site: the usual message


def _file_problem(item: os.DirEntry[str], real_root: str) -> tuple[str | None, os.stat_result | None]:
    try:
        info = item.stat()
    except OSError as exc:  # broken or looping symlink, permissions
        return f"cannot read: {exc.strerror or exc}", None
    if stat.S_ISREG(info.st_mode) and not item.is_symlink():
        return None, info  # the common case, first
    if item.is_symlink():
        inside = os.path.realpath(item.path).startswith(real_root + os.sep)
        if stat.S_ISDIR(info.st_mode):
            return ("symbolic links to folders are not followed — use a real folder" if inside else
                    "symbolic link to a folder outside content/ — move the files into content/"), None
        if not inside:
            return "symbolic link to a file outside content/ — copy the file in instead", None
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a pipe, socket or device) — remove it from content/", None
    return None, info


def read_source(source: SourceFile) -> bytes:
    """The bytes of a content file; raises a ContentError naming it."""
    try:
        with open(source.path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise ContentError(f"cannot read: {exc.strerror or exc}", SourceLocation(source.rel_path)) from None


def read_document(source: SourceFile, config: SiteConfig) -> Document:
    """Read one Markdown file and split its front matter; raises a ContentError."""
    data = read_source(source)
    return parse_document(data, source.rel_path, source.content_type or "page", config.max_body_bytes)


def decode_text(data: bytes, rel_path: str) -> str:
    """UTF-8 (with or without BOM) → text with '\\n' line endings; clear errors otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ContentError("the file is saved as UTF-16 — save it as UTF-8", SourceLocation(rel_path, 1))
    if b"\x00" in data:
        raise ContentError("this is a binary file, not Markdown text — remove it or rename it",
                           SourceLocation(rel_path, data[: data.index(b"\x00")].count(b"\n") + 1))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(
            f"not valid UTF-8 text (byte 0x{data[exc.start]:02x}) — save the file as UTF-8",
            SourceLocation(rel_path, line)) from None
    text = normalise(text)
    bad = first_forbidden(text)
    if bad is not None:
        line = text.count("\n", 0, bad) + 1
        raise ContentError(f"{_field_at(text, line)}: {refusal(text[bad])}", SourceLocation(rel_path, line))
    return text


_KEY_LINE = re.compile(r"\s*([^\s:#'\"-][^:]*?)\s*:(\s|$)")


def _field_at(text: str, line: int) -> str:
    """The front-matter key whose value holds ``line`` (the nearest key at or above it), or 'body'."""
    lines = text.split("\n", line)[:line]
    if not lines or lines[0].rstrip() != FENCE:
        return "body"
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == FENCE), None)
    if closing is not None and closing < line - 1:
        return "body"
    for candidate in reversed(lines[1:line]):
        found = _KEY_LINE.match(candidate)
        if found:
            return found.group(1)
    return "front matter"


def parse_document(data: bytes, rel_path: str, content_type: str, max_body_bytes: int) -> Document:
    """Split ``---`` fenced YAML front matter from the Markdown body."""
    if len(data) > max_body_bytes:
        raise ContentError(
            f"file is {len(data):,} bytes, over the limit of {max_body_bytes:,} "
            f"(markdown.max_body_bytes in site.yaml)", SourceLocation(rel_path))
    text = decode_text(data, rel_path)
    lines = text.split("\n")
    if not text.strip():
        raise FrontMatterError("the file is empty — it needs front matter between '---' lines and a body",
                               SourceLocation(rel_path, 1))
    if lines[0].rstrip() != FENCE:
        raise FrontMatterError(
            "missing front matter — the file must start with a line '---', then keys such as "
            "'title: ...', then a closing '---'", SourceLocation(rel_path, 1))
    for index in range(1, len(lines)):
        if lines[index].rstrip() == FENCE:
            closing = index
            break
    else:
        raise FrontMatterError("front matter is not closed — add a line '---' after the last key",
                               SourceLocation(rel_path, 1))
    front = load_mapping("\n".join(lines[1:closing]), rel_path, FrontMatterError, first_line=2)
    body = "\n".join(lines[closing + 1:])
    return Document(rel_path, content_type, front, body, closing + 2)
