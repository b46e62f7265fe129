"""The site a build writes for the benchmark's rich corpus (48 stories, events and charity updates
with headings, lists, links, quotes; share cards on) is the one the code before the build cache
kept the published files wrote, file for file: ``tests/data/rich-48-output.json`` holds the SHA-256 of each file
that code wrote, and of each share card's pixels (a card's PNG bytes may change with its encoder
while a person sees the same picture). A change that is meant to change what the site shows
regenerates the file: ``python tests/test_same_output_as_before.py > tests/data/rich-48-output.json``."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest
from PIL import Image

from storyforge.build import BuildOptions, build

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
from rich_corpus import rich_site  # the benchmark's corpus, found beside the tests

EXPECTED = Path(__file__).parent / "data" / "rich-48-output.json"
NOW = "1780000000"


def written(site: Path) -> dict[str, str]:
    """Each file of the built site (the build's own marker and record aside) → SHA-256 of its
    bytes, or of its pixels for a share card."""
    digests = {}
    for path in sorted((site / "public").rglob("*")):
        if not path.is_file() or path.name.startswith(".storyforge-"):
            continue
        if path.name == "card.png":
            with Image.open(path) as card:
                digests[path.relative_to(site / "public").as_posix()] = \
                    "pixels:" + hashlib.sha256(card.convert("RGB").tobytes()).hexdigest()
        else:
            digests[path.relative_to(site / "public").as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def test_the_rich_corpus_builds_as_it_did_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", NOW)
    site = rich_site(tmp_path / "site", 48)
    build(BuildOptions(site_dir=site, use_cache=False))
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    now = written(site)
    assert now.keys() == expected.keys()
    assert [path for path in expected if now[path] != expected[path]] == []


if __name__ == "__main__":
    import tempfile

    os.environ["SOURCE_DATE_EPOCH"] = NOW
    with tempfile.TemporaryDirectory() as scratch:
        built = rich_site(Path(scratch) / "site", 48)
        build(BuildOptions(site_dir=built, use_cache=False))
        print(json.dumps(written(built), indent=0, sort_keys=True))
