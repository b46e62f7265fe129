"""Command line: parse arguments, call one function, turn errors into messages and exit codes."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path

from storyforge import __version__
from storyforge.arguments import add_site_argument
from storyforge.core.content_types import type_names
from storyforge.errors import BuildFailed, StoryforgeError

Handler = Callable[[argparse.Namespace], int]

#: command → the module that adds it (and its siblings) with ``add_commands(subparsers)``. Each
#: keeps its top-level imports light (the heavy work is imported inside the handler), and only the
#: module of the command being run is imported at all: start-up is most of a build with nothing to do
FEATURE_COMMANDS: dict[str, str] = {"serve": "storyforge.serve.command", "check": "storyforge.check",
                                    "submissions": "storyforge.moderation.commands",
                                    "moderate": "storyforge.moderation.commands", "deploy": "storyforge.deploy",
                                    "intake": "storyforge.intake"}
BUILT_IN_COMMANDS = ("build", "new", "init")


def _build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``command`` alone when it is one we know; else (help, a typo, nothing) for all."""
    parser = argparse.ArgumentParser(
        prog="storyforge",
        description="Build a small business's site from customer stories, events and charity updates.")
    parser.add_argument("--version", action="version", version=f"storyforge {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = commands.add_parser("build", help="build the site into the output folder",
                                description="Build the site into the output folder (public/ by default). "
                                            "The previous output stays in place unless the build succeeds.")
    add_site_argument(build)
    build.add_argument("--output", type=Path, metavar="DIR", help="where to write the site (default: output_dir "
                                                                  "from site.yaml)")
    build.add_argument("--drafts", action="store_true", help="include entries marked draft: true")
    build.add_argument("--base-url", metavar="URL", help="override base_url from site.yaml, e.g. for a staging copy")
    build.add_argument("--no-cache", action="store_true",
                       help="ignore the build cache and render everything (the cache is rebuilt)")
    build.add_argument("--cache-dir", type=Path, metavar="DIR",
                       help="keep the build cache in DIR, e.g. a folder your CI service keeps between builds "
                            "(default: $STORYFORGE_CACHE_DIR, else .storyforge-cache in the site)")
    build.add_argument("--check", action="store_true", help="then check the built site (see storyforge check)")
    build.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    build.add_argument("-v", "--verbose", action="store_true", help="also list what was withheld and why")
    build.set_defaults(handler=_cmd_build)

    new = commands.add_parser("new", help="start a new content file with its front matter filled in",
                              description="Write content/<section>/<slug>.md with front matter to fill in "
                                          "and print its path.")
    add_site_argument(new)
    new.add_argument("kind", choices=type_names(), help="what to create")
    new.add_argument("title", help="the title, in quotes")
    new.add_argument("--lang", default="", help="write it in another of site.yaml's languages: "
                                                "content/<lang>/<section>/ (default: the site's language)")
    new.set_defaults(handler=_cmd_new)

    init = commands.add_parser("init", help="start a new site in a folder (or copy the example site)",
                               description="Make DIR (default: the current folder) a site that builds at once: "
                                           "a commented site.yaml, a sample of each kind of content, an empty "
                                           "submissions/ and a .gitignore. Asks for the business's name, web "
                                           "address, language and time zone when run in a terminal. Never "
                                           "replaces a file; a folder that already holds a site is refused.")
    init.add_argument("folder", nargs="?", type=Path, default=Path("."), metavar="DIR",
                      help="where to make the site (created if missing)")
    init.add_argument("--example", action="store_true",
                      help="copy the full example site (a neighbourhood bakery) instead of a starter site")
    init.add_argument("--name", help="the business's name, e.g. \"Spoke & Sprocket\"")
    init.add_argument("--url", metavar="URL", help="the address the site will be published at")
    init.add_argument("--language", help="the pages' language, e.g. en, en-GB, fr (default: en)")
    init.add_argument("--timezone", help="e.g. Europe/London (default: UTC)")
    init.set_defaults(handler=_cmd_init)
    if command in BUILT_IN_COMMANDS:
        return parser
    wanted = [FEATURE_COMMANDS[command]] if command in FEATURE_COMMANDS else FEATURE_COMMANDS.values()
    for module_name in dict.fromkeys(wanted):
        importlib.import_module(module_name).add_commands(commands)
    return parser


def _cmd_build(args: argparse.Namespace) -> int:
    from storyforge.build import BuildOptions, build
    from storyforge.progress import Progress

    if _leaving_at_once:  # the process ends with the build (see run()): the collector, turned back on
        gc.disable()      # when the build is done, would walk every object it made once more, for nothing
    result = build(BuildOptions(site_dir=args.site, output_dir=args.output, drafts=args.drafts,
                                use_cache=not args.no_cache, progress=None if args.quiet else Progress(),
                                base_url=args.base_url, cache_dir=args.cache_dir))
    if _leaving_at_once:
        _kept_until_exit.append(result)  # see run()
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if args.verbose:
        for source in result.withheld_no_consent:
            print(f"{source}: withheld — consent: false", file=sys.stderr)
        for source in result.cards_lacking_glyphs:
            print(f"{source}: its share card shows � for characters the card font cannot draw", file=sys.stderr)
        for phase, seconds in result.timings.items():
            print(f"  {phase:<24} {seconds:6.3f} s", file=sys.stderr)
        if result.timings:
            print(f"  rendered {result.pages_rendered} of {sum(result.pages_by_section.values())} pages; made "
                  f"{len(result.site_files_made)} of {result.site_files} feeds, calendars and other site-wide files",
                  file=sys.stderr)
        print(f"  processed {result.images_processed} of {result.images} images (the others came from the image "
              "cache)" if result.images else "  processed no image", file=sys.stderr)
    if not args.quiet:
        print(result.summary())
    if args.check:
        from storyforge.check import check_command

        return check_command(args.site, result.output_dir, base_url=args.base_url, quiet=args.quiet)
    return 0


def _cmd_new(args: argparse.Namespace) -> int:
    from storyforge.scaffold import new_entry

    path = new_entry(args.site, args.kind, args.title, args.lang)
    print(path)
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from storyforge.init import init_command

    print(init_command(args.folder, example=args.example, name=args.name, url=args.url, language=args.language,
                       timezone=args.timezone, interactive=sys.stdin.isatty()), end="")
    return 0


_leaving_at_once = False
_kept_until_exit: list[object] = []


def run() -> None:
    """The ``storyforge`` command: ``main``, then leave without freeing what it built.

    Freeing a built site object by object takes the interpreter longer, on a site of 10,000
    stories, than a one-story rebuild's own work; the operating system takes the memory back at
    once. Every command has closed its files by the time ``main`` returns."""
    global _leaving_at_once
    _leaving_at_once = True
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError):  # e.g. the reader of a pipe has gone
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _build_parser(next((arg for arg in argv if not arg.startswith("-")), None))
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except BuildFailed as failure:
        for error in failure.errors:
            print(error, file=sys.stderr)
        print(failure.summary(), file=sys.stderr)
        return failure.exit_code
    except StoryforgeError as error:
        print(f"error: {error}" if error.location is None else str(error), file=sys.stderr)
        if args.command == "build":
            print(BuildFailed([error]).summary(), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # the last net: a system error no stage translated is still one line
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc} — check the file or folder and its permissions, and that the "
              "disk is not full", file=sys.stderr)
        return 1
