"""Everything a build reads besides content, and the cache key derived from it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .cache import environment_key
from .config import CONFIG_FILE, SiteConfig
from .content import Asset, SourceFile
from .theme import static_dirs, template_dirs


@dataclass
class SiteInputs:
    sources: list[SourceFile]
    assets: list[Asset]
    static_files: dict[str, Path] = field(default_factory=dict)  # output path → file
    static_stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # output path → (mtime, size)
    templates: dict[str, bytes] = field(default_factory=dict)  # template path → its bytes


def gather_inputs(config: SiteConfig, sources: list[SourceFile], assets: list[Asset]) -> SiteInputs:
    """Static files (theme, then site, then content assets: later ones win) and templates."""
    inputs = SiteInputs(sources, assets)
    for folder in static_dirs(config):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                inputs.static_files[path.relative_to(folder).as_posix()] = path
    for asset in assets:
        inputs.static_files[asset.url_path] = asset.source
    for rel, path in inputs.static_files.items():
        info = path.stat()
        inputs.static_stats[rel] = (info.st_mtime_ns, info.st_size)
    for number, folder in enumerate(template_dirs(config)):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                inputs.templates[f"{number}:{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return inputs


def cache_key(config: SiteConfig, inputs: SiteInputs, drafts: bool) -> str:
    """Changes whenever cached pages might be wrong: program, settings, options or templates."""
    digest = hashlib.sha256()
    digest.update(environment_key().encode())
    digest.update((config.root / CONFIG_FILE).read_bytes())
    digest.update(f"\0{config.base_url}\0{config.theme}\0drafts={drafts}\0".encode())
    for name, data in inputs.templates.items():
        digest.update(f"\0{name}\0".encode() + data)
    return digest.hexdigest()
