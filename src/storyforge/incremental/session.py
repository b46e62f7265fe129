"""The build cache's side of one build, behind the few calls the pipeline makes.

    memory = IncrementalBuild(config, inputs, output_dir, drafts=…, use_cache=…)
    memory.nothing_changed(now, submissions)  → the whole build can stop here
    memory.entries                            → an EntryStore: cached or freshly read entries
    memory.static_outputs()                   → static files, hashed only when their stat changed
    memory.plan(site, live)                   → what the render stage may keep
    memory.save(…)                            → the index and entry shards for the next build

The cache is keyed on everything that could make a cached result wrong (the program and the
libraries that shape output, site.yaml, the templates, the build's options); inside one key,
sources are judged by stat and then by digest, pages by fingerprints (``plan.py``), and the
output folder by the generation marker the publisher writes. Deleting ``.storyforge-cache`` is
always safe: the next build is cold.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from storyforge.core.config import CONFIG_FILE, SiteConfig
from storyforge.core.entries import Alert, Entry, Event
from storyforge.core.inputs import SiteInputs
from storyforge.core.languages import site_languages
from storyforge.core.model import SiteModel, alert_moments, event_finish
from storyforge.core.theme import catalog_files
from storyforge.incremental.cache import CACHE_DIR, BuildCache, Index, environment_key, stat_is_trustworthy
from storyforge.incremental.entry_store import EntryStore
from storyforge.incremental.plan import CachedPlan
from storyforge.publish.objects import OBJECTS_DIR, ObjectStore
from storyforge.publish.output import Publisher, PublishReport, read_generation
from storyforge.render.outputs import Output, content_hash


def cache_key(config: SiteConfig, inputs: SiteInputs, drafts: bool, memo_folder: Path | None = None) -> str:
    """Changes whenever cached pages might be wrong: program, settings, options or templates.
    ``memo_folder``: where the program's part of the key may be remembered (``environment_key``)."""
    digest = hashlib.sha256()
    digest.update(environment_key(memo_folder).encode())
    digest.update((config.root / CONFIG_FILE).read_bytes())
    digest.update(f"\0{config.base_url}\0{config.theme}\0drafts={drafts}\0".encode())
    for name, data in inputs.templates.items():
        digest.update(f"\0{name}\0".encode() + data)
    # the theme's words in the site's language, and in every other language of a multilingual site;
    # named by language and content, not by where the site or the theme is (a fresh clone keeps its cache)
    for language in site_languages(config):
        for catalog in catalog_files(language.config):
            digest.update(f"\0{language.tag}\0".encode() + catalog.read_bytes())
    return digest.hexdigest()


class IncrementalBuild:
    """What the last build left, and what this one leaves for the next."""

    def __init__(self, config: SiteConfig, inputs: SiteInputs, output_dir: Path, *, drafts: bool,
                 use_cache: bool, cache_root: Path | None = None) -> None:
        self.config, self.inputs, self.output_dir = config, inputs, output_dir
        self.cache = BuildCache(config.root, trusted=use_cache, output_dir=output_dir, root=cache_root)
        self.cache_root = cache_root if cache_root is not None else config.root / CACHE_DIR
        self.key = cache_key(config, inputs, drafts=drafts, memo_folder=self.cache_root if use_cache else None)
        self._restat = False  # sources' stats changed but not their bytes: the index learns the new stats
        self.index = self.cache.load_index(self.key)
        self.objects = ObjectStore(self.cache.folder / OBJECTS_DIR, self.index.objects)
        self._restore: dict[str, str] | None = None  # the live site's manifest, when the output folder is gone
        self._store: EntryStore | None = None
        self._plan: CachedPlan | None = None
        self._statics: list[Output] = []

    @property
    def summary(self) -> dict[str, Any]:
        """What the last build said of itself (its page counts), for a build that stops early."""
        return self.index.summary

    def nothing_changed(self, now: datetime, submissions: str) -> bool:
        """True when sources, settings, templates, the submissions folder (``submissions``: its
        state) and the clock's effect are all as last time, and the output is what was written."""
        index, inputs, config = self.index, self.inputs, self.config
        if not index.live_generation or index.key == "" or index.summary.get("submissions") != submissions:
            return False
        if read_generation(self.output_dir) != index.live_generation and not self._restorable():
            return False
        if inputs.source_stats.keys() != index.source_stats.keys() or \
                inputs.static_stats.keys() != index.statics.keys():
            return False  # a file added or removed
        moment = now.timestamp()
        if any(min(index.built_at, moment) < change <= max(index.built_at, moment) for change in index.clock_moments):
            return False  # an event moved from upcoming to past, an alert into or out of the banner (or back)
        if index.uses_build_day and now.astimezone(config.tz).date().isoformat() != index.built_day:
            return False
        return self._same_bytes()

    def _same_bytes(self) -> bool:
        """Whether every source and static file holds the bytes the last build read. Files whose
        stat is as recorded (and not too close to the last save to be trusted) are not opened; the
        others — all of them in a fresh clone, where every file has a new modification time — are
        compared by the digest of their bytes, so a restored cache stays a no-op."""
        index, inputs = self.index, self.inputs
        for source in inputs.sources:
            path = source.rel_path
            if index.source_stats[path] == (source.mtime_ns, source.size) and \
                    stat_is_trustworthy(source.mtime_ns, index.saved_at_ns):
                continue
            try:
                with open(source.path, "rb") as handle:
                    data = handle.read()
            except OSError:
                return False  # the full build reports it
            if content_hash(data) != index.source_digests.get(path):
                return False
            self._restat = True
        for path, stats in inputs.static_stats.items():
            known = index.statics[path]
            if known[:2] == stats and stat_is_trustworthy(stats[0], index.saved_at_ns):
                continue
            try:
                data = inputs.static_files[path].read_bytes()
            except OSError:
                return False
            if content_hash(data) != known[2]:
                return False
            self._restat = True
        return True

    def _restorable(self) -> bool:
        """Whether the output folder is gone (no generation marker: removed, or a fresh clone with
        the cache alone restored) and the store holds every file the last build published."""
        manifest = self.index.manifests.get(self.index.live_generation)
        if manifest is None or read_generation(self.output_dir) is not None or \
                not self.objects.holds_all(manifest.values()):
            return False
        self._restore = manifest
        return True

    @property
    def output_gone(self) -> bool:
        """After ``nothing_changed``: the output folder must be restored from the store."""
        return self._restore is not None

    def restore_output(self) -> int:
        """After ``nothing_changed``: the output folder made again from the store when it is gone;
        the number of files written, or -1 when the store cannot give them all (a missing or
        damaged object: the build goes on and renders what it must)."""
        manifest = self._restore
        if manifest is None:
            return 0
        publisher = Publisher(self.output_dir, self.manifests, self.objects)
        try:
            return publisher.restore(manifest, self.index.live_generation)
        except OSError:
            for sha in set(manifest.values()):
                self.objects.usable(sha)  # which ones failed: those are linked anew when the cache is saved
            return -1

    @property
    def stats_changed(self) -> bool:
        """After ``nothing_changed``: whether some file's stat differed from the index (its bytes the same)."""
        return self._restat

    def remember_stats(self) -> None:
        """After a build that found nothing changed: when some files' stats differed from the
        index (bytes the same), record the new stats, so the next build need not read them again."""
        if not self._restat:
            return
        index = self.index
        index.source_stats = dict(self.inputs.source_stats)
        index.statics = {path: (*stats, index.statics[path][2]) for path, stats in self.inputs.static_stats.items()}
        self.cache.save_index(index)

    def vanished_folders(self) -> list[tuple[str, int]]:
        """Content folders the last build read files from that are gone now, with how many files
        each held: a folder that vanished (an unmounted disk, a bad sync) must not empty the site."""
        content = self.config.root / "content"
        held: dict[str, int] = self.index.summary.get("folders") or folder_counts(self.index.source_stats)
        return [(f"content/{folder}/", count) for folder, count in sorted(held.items())
                if not (content / folder).is_dir()]

    @property
    def entries(self) -> EntryStore:
        """The entry store, with the entries the last build kept."""
        if self._store is None:
            self._store = EntryStore(self.config, self.index, self.cache.load_entries(self.key))
        return self._store

    def static_outputs(self) -> list[Output]:
        """Theme and site static files and content assets, hashed only when their stat changed."""
        outputs = []
        index, inputs = self.index, self.inputs
        for path, source in inputs.static_files.items():
            stats = inputs.static_stats[path]
            known = index.statics.get(path)
            sha = known[2] if known and known[:2] == stats and stat_is_trustworthy(stats[0], index.saved_at_ns) \
                else content_hash(source.read_bytes())
            outputs.append(Output(path, sha, source=source))
        self._statics = outputs
        return outputs

    @property
    def manifests(self) -> dict[str, dict[str, str]]:
        """What the trees beside the output folder hold, as the last build left them."""
        return self.index.manifests

    def plan(self, model: SiteModel, now: datetime, live: Mapping[str, str] | None) -> CachedPlan:
        """What the render stage may keep of the last build, given what is live on disk."""
        current = Index(key=self.key, built_at=now.timestamp(),
                        built_day=now.astimezone(self.config.tz).date().isoformat())
        self._plan = CachedPlan(model, self.index, live, current, self.entries, self.cache.folder, self.cache.trusted,
                                self.objects)
        return self._plan

    def language_plan(self, model: SiteModel) -> CachedPlan:
        """After ``plan``: the plan of another language of a multilingual site, whose pages read
        that language's collections; what it keeps and makes is recorded with the first's."""
        first = self._plan
        assert first is not None
        plan = CachedPlan(model, self.index, first.live, first.current, self.entries, self.cache.folder,
                          self.cache.trusted, self.objects)
        plan.made = first.made  # one list of the site-wide files made, for the summary
        return plan

    def save(self, entries: list[Entry], report: PublishReport, summary: dict[str, Any],
             published: tuple[Path, list[Output]]) -> list[str]:
        """Leave for the next build what this one saw and wrote (``published``: the folder the
        site is in and what it holds); warnings for the owner."""
        assert self._plan is not None and self._store is not None
        index, sources = self._plan.current, self.inputs.sources
        index.source_stats = self.inputs.source_stats
        index.source_digests = dict(self._store.digests)
        index.statics = {o.path: self.inputs.static_stats[o.path] + (o.sha,) for o in self._statics}
        index.manifests = report.manifests
        index.live_generation = report.generation
        index.clock_moments = clock_moments(entries)
        index.uses_build_day = any("now" in reads for reads in index.page_reads.values())
        index.summary = {**summary, "folders": folder_counts(index.source_stats)}
        index.objects = self._keep_objects(report.manifests[report.generation], *published)
        self.cache.save(index, self._store.kept_entries(sources, entries), previous=self.index)
        if self.cache.unwritable is None:
            return []
        return [(f"warning: cannot write the build cache ({self.cache.unwritable}) — every build will render "
                 "everything again until it can; check the folder's owner and permissions")]


    def _keep_objects(self, manifest: dict[str, str], tree: Path, outputs: list[Output]) -> dict[str, int]:
        """The store brought to the site just published; a processed image is linked from the
        image cache and a share card from the card cache (so a saved cache folder holds their bytes
        once), every other file from the site."""
        cache = self.cache_root  # the image cache is there, shared by every output folder's cache
        sources = {o.path: kept for o in outputs if (kept := o.source or o.kept_at) is not None
                   and kept.is_relative_to(cache) and (o.kept_at is None or kept.exists())}
        try:
            return self.objects.keep(tree, manifest, sources)
        except OSError as exc:
            self.cache.unwritable = f"{self.objects.root}: {exc.strerror or exc}"
            return {}


def folder_counts(source_stats: Mapping[str, object]) -> dict[str, int]:
    """How many content files each folder of ``content/`` holds (counted once, when the index is saved)."""
    return dict(Counter(path.split("/", 2)[1] for path in source_stats if path.count("/") >= 2))


def clock_moments(entries: list[Entry]) -> tuple[float, ...]:
    """When the passing of time alone changes the site: events end, alerts start and expire."""
    moments = [event_finish(e) for e in entries if isinstance(e, Event)]
    moments += [m for e in entries if isinstance(e, Alert) for m in alert_moments(e)]
    return tuple(m.timestamp() for m in moments)
