"""The pipeline's stages stand on their own: the render stage, given a plan that remembers
nothing, makes exactly the site a cold build publishes — the cache is beside the pipeline,
never inside it."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import copy_example, snapshot

from storyforge.build import (
    BuildOptions,
    build,
    discover_inputs,
    load_settings,
    make_models,
    process_site_images,
    widest_files,
)
from storyforge.core.languages import site_languages
from storyforge.core.reading import EntryReader
from storyforge.errors import ErrorCollector
from storyforge.incremental.session import IncrementalBuild
from storyforge.moderation.policy import load_index
from storyforge.render.languages import render_languages
from storyforge.render.site import MakeEverything, render_site
from storyforge.stages import build_now


@pytest.mark.parametrize("languages", ["two languages", "one language"])
def test_the_render_stage_without_a_cache_makes_what_a_cold_build_publishes(tmp_path, monkeypatch, languages):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    site_dir = copy_example(tmp_path / "site")
    if languages == "one language":  # the example in English alone
        shutil.rmtree(site_dir / "content" / "fr")
        settings = site_dir / "site.yaml"
        settings.write_text(re.sub(r"\nlanguages: .*", "", settings.read_text(encoding="utf-8")), encoding="utf-8")
    options = BuildOptions(site_dir=site_dir, use_cache=False)
    build(options)
    published = snapshot(site_dir / "public")

    config, output_dir = load_settings(options)
    inputs = discover_inputs(config)
    reader = EntryReader(config)
    entries = []
    for source in inputs.sources:
        with open(source.path, "rb") as handle:
            entries.append(reader.read(handle.read(), source.rel_path, source.content_type or "page"))
    sources = IncrementalBuild(config, inputs, output_dir, drafts=False, use_cache=False).static_outputs()
    images = process_site_images(config, sources, entries, tmp_path / "cache", False, lambda *progress: None)
    statics = images.outputs
    models, _ = make_models(config, entries, load_index(config, ErrorCollector()), statics, images.origins,
                            options, build_now(options))
    assert len(models) == (2 if languages == "two languages" else 1)
    for model in models:
        model.images = images.images
    plans = [MakeEverything() for _ in models]
    sizes = {path: stats[1] for path, stats in inputs.static_stats.items()}
    sizes.update({info.path: info.size for info in images.images.values()})
    if len(models) == 1:
        rendered = render_site(config, models[0], plans[0], inputs.static_files, sizes, lambda *progress: None,
                               lambda phase: None, widest_files(images))
    else:
        rendered = render_languages(site_languages(config), models, plans, inputs.static_files, sizes,
                                    lambda *progress: None, lambda phase: None, widest_files(images))

    made = {output.path: output.data for output in rendered.outputs}
    assert made, "the render stage made nothing"
    for path, data in made.items():
        assert data == published[path], f"{path} differs from the published site"
    assert set(published) - {".storyforge-output", ".storyforge-build.json"} == set(made) | {o.path for o in statics}
    # every feed, calendar and site-wide file was made
    assert sum(len(plan.made) for plan in plans) == rendered.site_files
