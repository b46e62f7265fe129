"""The build pipeline: load settings → discover → load entries → images → model → render → publish.

    site.yaml ─ load settings ─▶ SiteConfig
    content/, static/, theme ─ discover ─▶ SiteInputs           (stat only)
              nothing changed since the last build? stop here   (the no-op build)
    content files ─ load entries ─▶ [Entry]                     (changed files only; all errors collected)
    raster images ─ images ─▶ processed files, ImageInfo         (upright, no metadata, widths; cached by content)
    entries + submissions ─ model ─▶ SiteModel                   (routes, collisions; nothing written yet)
    SiteModel ─ render ─▶ [Output]                                (pages, feeds, cards — in memory)
    [Output] ─ publish ─▶ public/                                 (atomically)

Any error stops the build before anything is written: the last good site stays in place.
What makes a rebuild cheap (``incremental/``) stands beside this, reached through
``IncrementalBuild``; timing and progress are ``Stages``' business (``stages.py``). Heavy
libraries (Markdown, Jinja2, feedgen, Pillow) are imported by the stages that need them, only
when there is work for them, so a build with nothing to do finishes at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from storyforge.core.build_record import RECORD_FILE, BuildRecord, read_record, sources_stamp
from storyforge.core.config import SiteConfig, load_config
from storyforge.core.content import discover
from storyforge.core.entries import Entry, Testimonial
from storyforge.core.inputs import SiteInputs, gather_inputs
from storyforge.core.languages import Language, by_language, link_translations, site_languages
from storyforge.core.model import SiteModel, build_site
from storyforge.core.publication import Selection, scaffold_leftovers, select_published
from storyforge.core.words import translations
from storyforge.errors import ContentError, ErrorCollector, SourceLocation, StoryforgeError
from storyforge.images.store import ProcessedImages, is_raster, process_images
from storyforge.incremental.cache import cache_root, lock_file
from storyforge.incremental.session import IncrementalBuild
from storyforge.moderation.policy import SubmissionIndex, folder_state, gather, load_index
from storyforge.publish.lock import output_lock
from storyforge.publish.output import Publisher, check_output_dir, describe_copied, refuse_clashes
from storyforge.publish.record import write_record
from storyforge.render.outputs import Output, content_hash
from storyforge.render.site import render_site
from storyforge.stages import BuildOptions, BuildResult, Stages, build_now, count_pages


def build(options: BuildOptions) -> BuildResult:
    """Build the site; raises BuildFailed (nothing written) or another StoryforgeError."""
    with Stages(options) as stages:
        config, output_dir = load_settings(options)
        stages.result.output_dir = output_dir
        cache_folder = cache_root(config.root, options.cache_dir)
        with output_lock(lock_file(cache_folder, output_dir),
                         lambda: stages.say("waiting for another build of this site to finish…")):
            inputs = stages.run("discover", discover_inputs, config)
            memory = IncrementalBuild(config, inputs, output_dir, drafts=options.drafts, use_cache=options.use_cache,
                                      cache_root=cache_folder)
            refuse_vanished_folders(memory)
            now, submissions_state = build_now(options), folder_state(config)

            def record() -> BuildRecord:
                return BuildRecord(config.base_url, config.base_path, now.isoformat(),
                                   sources_stamp(config, inputs, submissions_state), options.drafts)

            if memory.nothing_changed(now, submissions_state) and (restored := restore_output(stages, memory)) >= 0:
                refresh_record(output_dir, record, memory.stats_changed)
                memory.remember_stats()
                return stages.finish(unchanged=True, pages_by_section=Counter(memory.summary.get("pages", {})),
                                     files_written=restored)
            store = memory.entries
            stages.mark("load cache")

            errors = ErrorCollector()
            entries = store.load(inputs.sources, inputs.source_stats, errors, stages.reporter("reading content"))
            submissions = load_index(config, errors)  # the submissions folder, read once
            errors.raise_if_any()
            stages.mark("read and render content")

            statics = memory.static_outputs()
            published = stages.run("images", process_site_images, config, statics, entries, cache_folder,
                                   options.use_cache, stages.report)
            models, chosen = stages.run("model", make_models, config, entries, submissions, published.outputs,
                                        published.origins, options, now)
            for model in models:
                model.images = published.images
            publisher = Publisher(output_dir, memory.manifests, memory.objects)
            plan = memory.plan(models[0], now, publisher.live_manifest)
            sizes = {path: stats[1] for path, stats in inputs.static_stats.items()}
            sizes.update({info.path: info.size for info in published.images.values()})
            if len(models) == 1:
                rendered = render_site(config, models[0], plan, inputs.static_files, sizes, stages.report, stages.mark,
                                       widest_files(published))
            else:
                from storyforge.render.languages import render_languages

                plans = [plan, *(memory.language_plan(model) for model in models[1:])]
                rendered = render_languages(site_languages(config), models, plans, inputs.static_files, sizes,
                                            stages.report, stages.mark, widest_files(published))
            outputs = [*rendered.outputs, *published.outputs, *hosting_files(config)]
            refuse_clashes(outputs, config.root)
            report = stages.run("publish", publisher.publish, outputs)
            write_record(output_dir, RECORD_FILE, record().to_bytes())  # what check and deploy read

            pages = count_pages([page for model in models for page in model.pages])
            warnings = [*scaffold_leftovers(chosen.published, config.root),
                        *published.warnings,
                        *memory.save(entries, report, {"pages": dict(pages), "submissions": submissions_state},
                                     (publisher.output_dir, outputs))]
            stages.mark("save cache")
            return stages.finish(pages_by_section=pages, feeds=rendered.feeds, files_written=report.files_written,
                                 pages_rendered=rendered.pages_rendered, site_files=rendered.site_files,
                                 images=len(published.images), images_processed=published.processed,
                                 site_files_made=plan.made, drafts_skipped=chosen.drafts_skipped,
                                 withheld_no_consent=chosen.withheld_no_consent, warnings=warnings,
                                 cards_lacking_glyphs=rendered.cards_lacking_glyphs)


def restore_output(stages: Stages, memory: IncrementalBuild) -> int:
    """A build with nothing to do whose output folder is gone (a fresh clone on a hosting service,
    with the cache folder alone kept) puts the last build's files back from the cache: the files
    written, or -1 when the cache cannot give them all and the build must go on."""
    return stages.run("restore output", memory.restore_output) if memory.output_gone else 0


def refresh_record(output_dir: Path, record: Callable[[], BuildRecord], stats_changed: bool) -> None:
    """After a build with nothing to do: the record still vouches for the sources (a file may have
    been touched, its bytes the same), so check and deploy trust the site that is there. When no
    file's stat changed either, the record of the last build is already right: its stamp (a walk
    over every source) is not worked out again."""
    if (output_dir / RECORD_FILE).exists() and not stats_changed:
        return
    fresh, known = record(), read_record(output_dir)
    if known is None or known.sources != fresh.sources:
        write_record(output_dir, RECORD_FILE, fresh.to_bytes())


def refuse_vanished_folders(memory: IncrementalBuild) -> None:
    """Stop, naming each content folder that held published files last time and is gone now."""
    errors = ErrorCollector()
    for folder, count in memory.vanished_folders():
        errors.add(ContentError(
            f"the folder is gone, and the last build published {count} file{'s' if count != 1 else ''} from it — "
            "restore it; if you removed it on purpose, build once with --no-cache", SourceLocation(folder)))
    errors.raise_if_any()


def hosting_files(config: SiteConfig) -> list[Output]:
    """The ``_headers`` file for a host that reads one (``deploy: hosting:`` in site.yaml)."""
    if not config.deploy.hosting:
        return []
    from storyforge.deploy.headers import HEADERS_FILE, headers_file

    data = headers_file(config)
    return [Output(HEADERS_FILE, content_hash(data), data)]


def load_settings(options: BuildOptions) -> tuple[SiteConfig, Path]:
    """site.yaml (with --base-url) and the output folder, refused if it would harm anything."""
    site_dir = options.site_dir.resolve()
    config = load_config(site_dir)
    if options.base_url:
        config = config.with_base_url(options.base_url)
    output_dir = options.output_dir or (site_dir / config.output_dir)
    output_dir = output_dir if output_dir.is_absolute() else Path.cwd() / output_dir
    check_output_dir(output_dir, site_dir)
    return config, output_dir


def discover_inputs(config: SiteConfig) -> SiteInputs:
    """Every content file, asset, static file and template of the site (stat only for content)."""
    errors = ErrorCollector()
    sources, assets = discover(config, errors)
    errors.raise_if_any()
    return gather_inputs(config, sources, assets)


def process_site_images(config: SiteConfig, statics: list[Output], entries: list[Entry], cache_folder: Path,
                        use_cache: bool, report: Callable[[str, int, int], None]) -> ProcessedImages:
    """Every raster image the site publishes, processed (or taken from the image cache); an image
    that cannot be read is named with the story that shows it."""
    if not any(is_raster(o.path) for o in statics):
        return ProcessedImages(outputs=statics)
    settings = config.images
    if config.share_cards:  # a face is drawn on its story's share card too, at the card's size
        from dataclasses import replace

        from storyforge.render.carddraw import FACE

        settings = replace(settings, face_widths=tuple(sorted({*settings.face_widths, FACE})))
    return process_images(statics, settings, cache_folder / "images", use_cache, report,
                          lambda output: image_reference(config, output, entries), faces_only(config, entries))


def widest_files(published: ProcessedImages) -> dict[str, Output]:
    """Each processed image's widest file (in its own format), by the image's path in the site."""
    files = {output.path: output for output in published.outputs if output.path in published.origins}
    return {path: files[info.path] for path, info in published.images.items() if info.path in files}


def faces_only(config: SiteConfig, entries: list[Entry]) -> set[str]:
    """The site paths of photos shown only as a story's face (its ``avatar``, in the theme's small
    circle): they are made at the face's few widths, not at every width of a page photo. A photo
    a story's text shows too, or the business's logo, keeps every width."""
    avatars = {entry.avatar.lstrip("/") for entry in entries
               if isinstance(entry, Testimonial) and entry.avatar and "://" not in entry.avatar}
    if not avatars:
        return avatars
    avatars.discard(config.business.logo.lstrip("/"))
    import re  # only a site with photos looks for them in the stories' text

    shown = {src.rsplit("/", 1)[-1] for entry in entries for src in re.findall(r'\bsrc="([^"]*)"', entry.html)}
    return {path for path in avatars if path.rsplit("/", 1)[-1] not in shown}


def image_reference(config: SiteConfig, output: Output, entries: list[Entry]) -> SourceLocation:
    """The line of the first story that shows the image, else the image file itself."""
    name = output.path.rsplit("/", 1)[-1]
    for entry in entries:
        if name in entry.html or (isinstance(entry, Testimonial) and entry.avatar.endswith("/" + output.path)):
            lines = (config.root / entry.source).read_text(encoding="utf-8", errors="replace").splitlines()
            line = next((n for n, text in enumerate(lines, 1) if name in text), 1)
            return SourceLocation(entry.source, line)
    return SourceLocation(describe_copied(output, config.root))


def make_models(config: SiteConfig, entries: list[Entry], submissions: SubmissionIndex, statics: list[Output],
                origins: dict[str, Output], options: BuildOptions, now: datetime) -> tuple[list[SiteModel], Selection]:
    """The site as data: what is published, every page and where it goes; clashes refused. One
    model per language (one for a one-language site), the default language's first, each page
    knowing its translations."""
    chosen = select_published(entries, options.drafts, submissions.hides if submissions.any_withdrawn else None)
    errors = ErrorCollector()
    reserved = {o.path: describe_copied(origins.get(o.path, o), config.root) for o in statics}
    languages = site_languages(config) if config.languages else [Language(config.language, config, "")]
    split = by_language(config, chosen.published) if config.languages else {config.language: chosen.published}
    every = by_language(config, entries) if config.languages else {config.language: entries}
    models = []
    for language in languages:  # each language's policy page counts the stories written in it
        policy = gather(config, [e for e in every[language.tag] if isinstance(e, Testimonial)],
                        [e for e in split[language.tag] if isinstance(e, Testimonial)], submissions)
        if language.prefix:  # its pages are in its folder: what the static files put there is in their way
            held = {path[len(language.prefix):]: where for path, where in reserved.items()
                    if path.startswith(language.prefix)}
        else:  # the root: no page of the default language where another language's home page goes
            held = {**reserved, **{f"{other.prefix}index.html": f"the home page in {other.tag}"
                                   for other in languages[1:]}}
        model = build_site(split[language.tag], config.per_page, now, errors, held, policy=policy,
                           share_cards=config.share_cards, unicode_slugs=config.slugs == "unicode",
                           thanks_page=bool(config.moderation.intake_url),
                           words=translations(language.config))
        if language.prefix:  # a host answers every missing address with the root's 404 page
            model.pages = [page for page in model.pages if page.kind != "notfound"]
        models.append(model)
    errors.raise_if_any()
    if len(models) > 1:
        link_translations(languages, models)
    return models, chosen


__all__ = ["BuildOptions", "BuildResult", "StoryforgeError", "build", "build_now"]
