"""The build's image stage: every raster static file (site, theme, content assets) is published
processed (``process.py``) instead of copied, and described for the pages (``ImageInfo``).

Processing is cached by the source's content hash and the settings that shape the result, in
``images/`` in the cache folder: a rebuild — or a build in a fresh clone with the cache restored
— processes only images whose bytes it has not seen. The cache holds each variant as a file
(copied into the site from there, never held in memory) and an ``info.json`` written last, so
an entry without one is not an entry. A cold build spreads the work over the cores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from storyforge.core.config import ImageSettings
from storyforge.errors import ContentError, ErrorCollector, SourceLocation
from storyforge.images.process import (
    HEIC_SUFFIXES,
    PROCESS_VERSION,
    RASTER_SUFFIXES,
    Processed,
    UnreadableImage,
    Variant,
    heic_support,
    load_codecs,
    process,
)
from storyforge.parallel import ordered_map
from storyforge.publish.atomic import write_atomic
from storyforge.render.outputs import Output, content_hash
from storyforge.render.pictures import ImageInfo

Report = Callable[[str, int, int], None]
#: what a file of the image cache says of one variant: width, height, suffix, MIME type, sha, size
Row = tuple[int, int, str, str, str, int]


@dataclass
class ProcessedImages:
    """What the image stage gives the build."""

    outputs: list[Output] = field(default_factory=list)  # every static file, images processed
    images: dict[str, ImageInfo] = field(default_factory=dict)  # source path in the site → its files
    warnings: list[str] = field(default_factory=list)
    processed: int = 0  # images made in this build (not taken from the cache)
    origins: dict[str, Output] = field(default_factory=dict)  # a processed file's path → its source's Output


def is_raster(path: str) -> bool:
    suffix = PurePosixPath(path).suffix.lower()
    return suffix in RASTER_SUFFIXES or (suffix in HEIC_SUFFIXES and heic_support())


def settings_key(settings: ImageSettings, face: bool = False) -> str:
    """What besides the source's bytes shapes the result: the variants asked for (a face's few
    widths or a page photo's) and how they are encoded (the library's version is in the build
    cache's key too, but this cache outlives keys: it is keyed on its own)."""
    from PIL import __version__ as pillow

    widths = f"face={settings.face_widths}" if face else f"widths={settings.widths}"
    text = f"v{PROCESS_VERSION};pillow={pillow};{widths};quality={settings.quality}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def process_images(statics: list[Output], settings: ImageSettings, cache: Path | None, trusted: bool,
                   report: Report, describe: Callable[[Output], SourceLocation],
                   faces: Collection[str] = ()) -> ProcessedImages:
    """The static outputs with each raster image replaced by its processed files. ``cache``: the
    image cache folder (None: none); ``trusted``: whether what it holds may be used;
    ``describe(output)``: the file as the owner names it, for messages; ``faces``: the paths of
    images shown only as a face (made at ``face_widths`` only). Raises BuildFailed for images
    that cannot be read."""
    result = ProcessedImages()
    images = [o for o in statics if o.source is not None and is_raster(o.path)]
    if not images:
        result.outputs = statics
        return result
    keys = {False: settings_key(settings), True: settings_key(settings, face=True)}
    entry = {o.path: f"{o.sha}-{keys[o.path in faces]}" for o in images}
    known: dict[str, list[Row] | None] = {}
    for output in images:
        known[output.path] = _read_entry(cache / entry[output.path]) if cache is not None and trusted else None
    missing = [o for o in images if known[o.path] is None]

    def work(output: Output) -> Processed | str:
        assert output.source is not None
        try:
            face = output.path in faces
            return process(output.source.read_bytes(), PurePosixPath(output.path).suffix.lower(),
                           settings.face_widths if face else settings.widths, settings.quality, cover=face)
        except (UnreadableImage, OSError) as exc:
            return str(exc)

    if missing:
        load_codecs()  # here, not in each worker process
    made = ordered_map(work, missing, lambda done, total: report("images", done, total), min_items=2)
    errors = ErrorCollector()
    fresh: dict[str, Processed] = {}
    for output, outcome in zip(missing, made, strict=True):
        if isinstance(outcome, str):
            errors.add(ContentError(f"cannot read the image /{output.path} ({outcome}) — replace it with a JPEG, "
                                    "PNG or WebP file, or remove it", describe(output)))
            continue
        fresh[output.path] = outcome
        known[output.path] = [(v.width, v.height, v.suffix, v.mime, content_hash(v.data), len(v.data))
                              for v in outcome.variants]
        if cache is not None:
            _write_entry(cache / entry[output.path], outcome, known[output.path] or [])
    errors.raise_if_any()
    result.processed = len(fresh)
    for output in statics:
        rows = known.get(output.path)
        if rows is None:
            result.outputs.append(output)
            continue
        assert output.source is not None
        if output.source.stat().st_size > settings.warn_over_kb * 1024:
            result.warnings.append(
                f"{describe(output)}: warning: /{output.path} is a {output.source.stat().st_size / 1_048_576:.1f} MB "
                "image (over "
                f"images.warn_over_kb: {settings.warn_over_kb}) — it is published smaller, but keep the original "
                "elsewhere to keep the site's folder small")
        info, files = _describe(output.path, rows, output.sha)
        result.images[output.path] = info
        variants = fresh[output.path].variants if output.path in fresh else None
        folder = cache / entry[output.path] if cache is not None else None
        for index, (path, row) in enumerate(files):
            result.origins[path] = output
            if variants is not None:
                result.outputs.append(Output(path, row[4], variants[index].data))
            else:
                assert folder is not None
                result.outputs.append(Output(path, row[4], source=folder / _file_name(row)))
    return result


def _describe(source_path: str, rows: list[Row], sha: str) -> tuple[ImageInfo, list[tuple[str, Row]]]:
    """The image as pages show it, and the site path of each of its files (in ``rows``' order).
    The widest file in the source's format takes the source's own path; the others are named
    ``<name>-<width>w.<suffix>`` beside it."""
    source = PurePosixPath(source_path)
    own_suffix = source.suffix.lower().lstrip(".")
    fallback_suffix = rows[0][2] if all(r[2] == rows[0][2] for r in rows) else \
        next(r[2] for r in rows if r[2] != "webp")
    widest = max(r[0] for r in rows)
    files: list[tuple[str, Row]] = []
    for row in rows:
        if row[2] == fallback_suffix and row[0] == widest and own_suffix in (fallback_suffix, "jpeg"):
            path = source_path
        else:
            path = str(source.with_name(f"{source.stem}-{row[0]}w.{row[2]}"))
        files.append((path, row))
    fallback = tuple((r[0], p) for p, r in files if r[2] == fallback_suffix)
    modern = tuple((r[0], p) for p, r in files if r[2] == "webp")
    main = next(p for p, r in files if r[2] == fallback_suffix and r[0] == widest)
    top = next(r for r in rows if r[2] == fallback_suffix and r[0] == widest)
    info = ImageInfo(main, top[0], top[1], fallback, modern, top[3], top[5], sha)
    return info, files


def _file_name(row: Row) -> str:
    return f"{row[0]}.{row[2]}"


def _read_entry(folder: Path) -> list[Row] | None:
    """The rows of a cached image, or None when it is missing, damaged or a file is gone."""
    try:
        import json  # only a build with images reads or writes their cache

        rows = [tuple(row) for row in json.loads((folder / "info.json").read_bytes())]
        if all((folder / _file_name(row)).stat().st_size == row[5] for row in rows):
            return rows
    except (OSError, ValueError, TypeError, IndexError):
        return None
    return None


def _write_entry(folder: Path, processed: Processed, rows: list[Row]) -> None:
    """The variants, then the description that makes them an entry (a cache: atomic, not flushed)."""
    variant: Variant
    try:
        for variant, row in zip(processed.variants, rows, strict=True):
            write_atomic(folder / _file_name(row), variant.data, durable=False)
        import json

        write_atomic(folder / "info.json", json.dumps(rows).encode(), durable=False)
    except OSError:
        return  # an unwritable cache: the next build processes the image again
