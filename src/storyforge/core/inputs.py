"""Everything a build reads besides content: static files (theme, site, content assets) and templates."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from storyforge.core.config import SiteConfig
from storyforge.core.content import Asset, SourceFile
from storyforge.core.theme import static_dirs, template_dirs
from storyforge.errors import ContentError, ErrorCollector, SourceLocation, TemplateError


@dataclass
class SiteInputs:
    sources: list[SourceFile]
    assets: list[Asset]
    static_files: dict[str, Path] = field(default_factory=dict)  # output path → file
    static_stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # output path → (mtime, size)
    templates: dict[str, bytes] = field(default_factory=dict)  # template path → its bytes
    source_stats: dict[str, tuple[int, int]] = field(init=False)  # content path → (mtime, size)

    def __post_init__(self) -> None:
        self.source_stats = {s.rel_path: (s.mtime_ns, s.size) for s in self.sources}


def gather_inputs(config: SiteConfig, sources: list[SourceFile], assets: list[Asset]) -> SiteInputs:
    """Static files (theme, then site, then content assets: later ones win) and templates."""
    inputs = SiteInputs(sources, assets)
    errors = ErrorCollector()
    for folder in static_dirs(config):
        for path in _every_path(folder, config.root, errors):
            if path.name.startswith(".") or (path.is_dir() and not path.is_symlink()):
                continue
            if path.is_symlink() and path.is_dir():
                errors.add(ContentError("symbolic links to folders are not followed — use a real folder",
                                        SourceLocation(_shown(path, config.root))))
                continue
            problem = _static_problem(path, folder)
            if problem:
                errors.add(ContentError(problem, SourceLocation(_shown(path, config.root))))
                continue
            inputs.static_files[path.relative_to(folder).as_posix()] = path
    errors.raise_if_any()
    for asset in assets:
        inputs.static_files[asset.url_path] = asset.source
    for rel, path in inputs.static_files.items():
        info = path.stat()
        inputs.static_stats[rel] = (info.st_mtime_ns, info.st_size)
    for number, folder in enumerate(template_dirs(config)):
        for path in _every_path(folder, config.root, errors):
            if path.is_file():
                try:
                    inputs.templates[f"{number}:{path.relative_to(folder).as_posix()}"] = path.read_bytes()
                except OSError as exc:
                    errors.add(TemplateError(f"cannot read: {exc.strerror or exc} — check its permissions",
                                             SourceLocation(_shown(path, config.root))))
    errors.raise_if_any()
    return inputs


def _every_path(folder: Path, root: Path, errors: ErrorCollector) -> list[Path]:
    """Every file and folder under ``folder``, sorted; an unreadable folder is an error, never
    skipped (``Path.rglob`` passes over what it cannot list without a word)."""
    found: list[Path] = []

    def unreadable(exc: OSError) -> None:
        where = _shown(Path(exc.filename), root) if exc.filename else _shown(folder, root)
        errors.add(ContentError(f"cannot read this folder: {exc.strerror or exc} — check its permissions",
                                SourceLocation(where)))

    for current, folders, files in os.walk(folder, onerror=unreadable):
        base = Path(current)
        found += [base / name for name in folders if (base / name).is_symlink()]  # links to folders: refused
        found += [base / name for name in files]
    return sorted(found)


def _static_problem(path: Path, folder: Path) -> str | None:
    """Static files are copied as they are: only regular files inside their own folder."""
    try:
        info = path.stat()
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if path.is_symlink() and not path.resolve().is_relative_to(folder.resolve()):
        return "symbolic link to a file outside the static folder — copy the file in instead"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a pipe, socket or device) — remove it"
    return None


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
