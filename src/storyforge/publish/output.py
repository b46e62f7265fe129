"""The one module that writes the built site to disk, atomically.

Readers only ever see a complete site, and a failed or killed build leaves the
previous one exactly as it was, because the output folder is replaced in one
step (``renameat2(RENAME_EXCHANGE)`` on Linux) by a folder prepared beside it:

* a **cold** publish writes every file into a fresh staging folder;
* an **incremental** publish brings a *shadow* copy — the site as it was one
  build ago, kept beside the output folder — up to date by replacing only the
  files that differ, then swaps it in. The old site becomes the next shadow.

Each tree carries a marker file naming its *generation* (a hash of its
manifest), so the build cache knows exactly what every tree holds.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storyforge.errors import ErrorCollector, OutputError, SourceLocation
from storyforge.publish.fsbatch import in_threads, make_folders
from storyforge.publish.objects import ObjectStore, link_or_copy_into
from storyforge.render.outputs import Output

MARKER = ".storyforge-output"
STAGING_PREFIX = ".storyforge-publish-"
SHADOW_PREFIX = ".storyforge-shadow-"
DIRTY = "dirty"

Manifest = dict[str, str]  # path inside the output folder → content hash


def generation_of(manifest: Mapping[str, str]) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for path in sorted(manifest):
        digest.update(f"{path}\0{manifest[path]}\n".encode())
    return digest.hexdigest()


def check_output_dir(output_dir: Path, site_dir: Path) -> None:
    """Refuse output folders that would replace the site's own files or someone else's folder."""
    out = output_dir.resolve()
    site = site_dir.resolve()
    if out == site or site.is_relative_to(out):
        raise OutputError(f"output folder {output_dir} would replace the site itself — choose another, e.g. public")
    for own in ("content", "themes", "templates", "static", "submissions"):
        if out == site / own or out.is_relative_to(site / own):
            raise OutputError(f"output folder {output_dir} is inside the site's {own}/ — choose another, e.g. public")
    if out.exists() and not out.is_dir():
        raise OutputError(f"output folder {output_dir} is a file — remove it or choose another folder")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"output folder {output_dir} would be inside {parent}, which is a file — "
                                  "choose another folder")
            break
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise OutputError(f"{output_dir} exists and was not made by storyforge — empty it or choose another "
                          "folder with --output")


def safe_relative(path: str) -> str:
    """The normal form of a path that stays inside the output folder, or an OutputError."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if (not parts or path.startswith("/") or ".." in parts or "\\" in path or "\x00" in path
            or (len(parts[0]) > 1 and parts[0][1] == ":")):
        raise OutputError(f"refusing to write outside the output folder: {path!r}", SourceLocation(path))
    return "/".join(parts)


def read_generation(tree: Path) -> str | None:
    """The generation a tree holds, or None when it is missing, foreign or half-updated."""
    try:
        text = (tree / MARKER).read_text(encoding="utf-8").split()
    except OSError:
        return None
    return text[-1] if len(text) >= 2 and text[-1] != DIRTY else None


def shadow_dir(output_dir: Path) -> Path:
    return output_dir.with_name(SHADOW_PREFIX + output_dir.name)


@dataclass
class PublishReport:
    generation: str
    files_written: int
    manifests: dict[str, Manifest]  # the generations now on disk: the live site and its shadow


class Publisher:
    """Publishes one build's outputs into ``output_dir``, knowing earlier generations' manifests."""

    def __init__(self, output_dir: Path, known: Mapping[str, Manifest], objects: ObjectStore | None = None) -> None:
        # an output folder that is a link (to a web server's root, say) is published where it
        # points: the tree there is replaced in one step and the link stays as it is
        self.output_dir = Path(os.path.realpath(output_dir)) if output_dir.is_symlink() else output_dir
        self.shadow = shadow_dir(output_dir)
        self.known = dict(known)
        self.live_generation = read_generation(output_dir)
        self.objects = objects  # the build cache's store of published files (``publish.objects``)

    @property
    def live_manifest(self) -> Manifest | None:
        """What the live site holds, when known: unchanged files need not be rendered again."""
        return self.known.get(self.live_generation or "")

    def publish(self, outputs: Iterable[Output]) -> PublishReport:
        files = {safe_relative(o.path): o for o in outputs}
        manifest = {path: o.sha for path, o in files.items()}
        generation = generation_of(manifest)
        parent = self.output_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(parent)
        live = self.live_manifest
        try:
            if generation == self.live_generation:
                return PublishReport(generation, 0, self._kept(generation, manifest))
            written = None
            if live is not None:
                try:
                    written = self._incremental(files, manifest, live, generation)
                except PermissionError:  # the live tree was made read-only (chmod -R a-w public):
                    # a fresh tree beside it, with the usual modes, takes its place; what did not
                    # change is copied from the live site
                    files = {path: o if o.data is not None or o.source is not None
                             else Output(o.path, o.sha, source=self.output_dir / path) for path, o in files.items()}
            if written is None:
                written = self._cold(files, generation)
        except OSError as exc:
            raise OutputError(f"cannot write the output folder {self.output_dir}: {exc.strerror or exc}") from None
        return PublishReport(generation, written, self._kept(generation, manifest))

    def restore(self, manifest: Manifest, generation: str) -> int:
        """The output folder made again from the build cache's store, as the last build left it
        (a build with nothing to do whose output folder is gone: a fresh clone with the cache alone
        restored). A missing object, or one of another size, raises ``OSError``; nothing is left."""
        import tempfile

        assert self.objects is not None
        parent = self.output_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(parent)
        staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent)
        try:
            os.chmod(staging, usual_folder_mode())
            self.objects.materialise(staging, manifest)
            _write_marker(Path(staging), generation)
            if self.output_dir.exists():
                _swap(Path(staging), self.output_dir)  # an empty folder, or one without a marker
            else:
                os.rename(staging, self.output_dir)
        finally:
            force_remove(Path(staging))
        return len(manifest)

    def _kept(self, generation: str, manifest: Manifest) -> dict[str, Manifest]:
        kept = {generation: manifest}
        shadow_generation = read_generation(self.shadow)
        if shadow_generation in self.known:
            kept[shadow_generation] = self.known[shadow_generation]
        return kept

    # --- cold: everything into a fresh folder --------------------------------------

    def _cold(self, files: dict[str, Output], generation: str) -> int:
        import tempfile  # imported when a build writes: one with nothing to do never does

        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.output_dir.parent))
        try:
            os.chmod(staging, usual_folder_mode())  # made private by mkdtemp; published to all
            for path, output in files.items():
                if output.data is None and output.source is None:
                    raise OutputError(f"internal: no content for {path} in a full publish")
            make_folders(staging, files, {staging})
            in_threads(lambda item: _write_new(staging / item[0], item[1], self.objects), files.items())
            _write_marker(staging, generation)
            if not self.output_dir.exists():
                os.rename(staging, self.output_dir)
                return len(files)
            _swap(staging, self.output_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        # staging now holds the previous site: keep it as the shadow when we know what it holds
        # and can write to it
        force_remove(self.shadow)
        if read_generation(staging) in self.known and os.access(staging, os.W_OK):
            os.rename(staging, self.shadow)
        else:
            force_remove(staging)
        return len(files)

    # --- incremental: bring the shadow up to date, then swap it in -------------------

    def _incremental(self, files: dict[str, Output], manifest: Manifest, live: Manifest, generation: str) -> int:
        try:
            return self._update_shadow(files, manifest, live, generation)
        except BaseException:
            force_remove(self.shadow)  # half updated: its space back at once
            raise

    def _update_shadow(self, files: dict[str, Output], manifest: Manifest, live: Manifest, generation: str) -> int:
        shadow_generation = read_generation(self.shadow)
        before = self.known.get(shadow_generation or "")
        if before is None:
            shutil.rmtree(self.shadow, ignore_errors=True)
            _link_tree(self.output_dir, self.shadow, live)
            before = live
        _write_marker(self.shadow, DIRTY)
        changed = [(path, output) for path, output in files.items() if before.get(path) != output.sha]
        for path, output in changed:
            if output.data is None and output.source is None and live.get(path) != output.sha:
                raise OutputError(f"internal: {path} changed but was not rendered")
        make_folders(self.shadow, [path for path, _ in changed if path not in before], {self.shadow})
        in_threads(lambda item: _replace(self.shadow, item[0], item[1], self.output_dir), changed)
        written = len(changed)
        for path in before.keys() - files.keys():
            _remove(self.shadow, path)
        _write_marker(self.shadow, generation)
        os.chmod(self.shadow, usual_folder_mode())  # whatever mode an older tree was left with
        _swap(self.shadow, self.output_dir)
        return written


def force_remove(tree: Path) -> None:
    """Remove one of our own trees, also where its folders were made read-only."""

    def writable_then_retry(function: Any, path: str, _: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o700)
            function(path)

    if tree.exists():
        shutil.rmtree(tree, onerror=writable_then_retry)


def usual_folder_mode() -> int:
    """The mode a new folder gets from this process's umask (e.g. 0755): what a web server
    running as another user needs to read the site, the same on every build."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def _write_new(target: Path, output: Output, objects: ObjectStore | None) -> None:
    """A file of a fresh tree (its folder exists); one kept in the build cache's store is linked."""
    if output.source is not None and objects is not None and output.source.parent.parent == objects.root:
        link_or_copy_into(output.source, target)
    elif output.source is not None:
        shutil.copyfile(output.source, target)
    else:
        target.write_bytes(output.data or b"")


def _replace(root: Path, path: str, output: Output, live_root: Path) -> None:
    """Replace one file of an existing tree by a new file and a rename, never in place."""
    target = root / path
    temporary = target.parent / f".{target.name}.storyforge-tmp"
    if output.data is not None:
        temporary.write_bytes(output.data)
    elif output.source is not None:
        shutil.copyfile(output.source, temporary)
    else:  # unchanged since the live site: share its file (never written in place)
        os.link(live_root / path, temporary)
    os.replace(temporary, target)


def _remove(root: Path, path: str) -> None:
    target = root / path
    target.unlink(missing_ok=True)
    prune_empty_folders(target.parent, root)


def prune_empty_folders(folder: Path, root: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``root`` while they are empty."""
    while folder != root:
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent


def _link_tree(source: Path, target: Path, manifest: Manifest) -> None:
    """A copy of ``source`` made of hard links (files are only ever replaced, so sharing is safe)."""
    target.mkdir()
    make_folders(target, manifest, {target})
    in_threads(lambda path: os.link(source / path, target / path), manifest)
    shutil.copyfile(source / MARKER, target / MARKER)


def _write_marker(tree: Path, generation: str) -> None:
    temporary = tree / (MARKER + ".tmp")
    temporary.write_text(f"storyforge-output {generation}\n", encoding="utf-8")
    os.replace(temporary, tree / MARKER)


def _swap(new: Path, live: Path) -> None:
    """Exchange two folders in one step; where the system cannot, two renames."""
    if _exchange(new, live):
        return
    old = new.with_name(new.name + "-old")
    os.rename(live, old)
    try:
        os.rename(new, live)
    except OSError:
        os.rename(old, live)
        raise
    os.rename(old, new)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux renameat2); False where the system cannot."""
    import ctypes

    renameat2 = _libc_function("renameat2")
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not supported here
        return False
    raise OSError(errno, os.strerror(errno))


@functools.cache
def _libc_function(name: str) -> Any:
    """A function of the C library, or None. The running interpreter's own symbols come first:
    finding libc by name runs ldconfig in a subprocess, a cost paid on every build otherwise."""
    import ctypes

    function = getattr(ctypes.CDLL(None, use_errno=True), name, None)
    if function is None:
        from ctypes.util import find_library

        libc_name = find_library("c")
        function = getattr(ctypes.CDLL(libc_name, use_errno=True), name, None) if libc_name else None
    return function


def _remove_leftovers(parent: Path) -> None:
    """Staging folders of a build that was killed; the output folder itself is never touched."""
    for leftover in parent.glob(STAGING_PREFIX + "*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


def refuse_clashes(outputs: list[Output], site_dir: Path) -> None:
    """A file under static/ or content/ must not take the place of one the build writes itself."""
    errors = ErrorCollector()
    seen: dict[str, Output] = {}
    for output in outputs:
        earlier = seen.setdefault(output.path, output)
        if earlier is output:
            continue
        copied = [o for o in (earlier, output) if o.source is not None]
        where = describe_copied(copied[0], site_dir) if copied else output.path
        errors.add(OutputError(f"two sources for one address /{output.path}: {where} and the file the build "
                               f"writes there itself — rename or remove {where}", SourceLocation(where)))
    errors.raise_if_any()


def describe_copied(output: Output, site_dir: Path) -> str:
    """Where a copied file comes from, as a user would name it."""
    assert output.source is not None
    try:
        return output.source.relative_to(site_dir).as_posix()
    except ValueError:
        return f"the theme's static/{output.path}"
