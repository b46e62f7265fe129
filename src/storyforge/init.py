"""`storyforge init`: a new site folder that builds at once, or a copy of the example site.

A new user's first minute decides whether they stay: an empty folder should become a site with
one command, the site.yaml should explain itself, and nothing that is already there may be lost
(every file is created exclusively; a folder that already holds a site is refused before
anything is written). The samples come from the content-type registry, so a registered type gets
one too; the example site is shipped inside the package, so this works from an installed wheel.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from storyforge.core.config import CONFIG_FILE, checked_setting
from storyforge.core.content_types import DRAFT_LINE, PLACEHOLDER_VALUES, ContentType, all_types
from storyforge.errors import OutputError, UsageError
from storyforge.publish.atomic import make_folders, write_atomic

#: the example site inside an installed package (see pyproject's force-include) …
PACKAGE_EXAMPLE = Path(__file__).parent / "example"
#: … and in a source checkout, where it is the top of the repository
CHECKOUT_EXAMPLE = Path(__file__).resolve().parents[2]
#: what the example site is made of (its theme is the package's own)
EXAMPLE_PARTS = (CONFIG_FILE, "content", "static", "submissions")

GITIGNORE = """\
# made by storyforge build; rebuilt from the files here at any time
/public/
/.storyforge-cache/
.storyforge-*/
# customers' submissions hold names and e-mail addresses: keep them out of shared history
/submissions/
"""


@dataclass(frozen=True)
class Answers:
    """What a new site.yaml needs to know."""

    name: str
    url: str
    language: str = "en"
    timezone: str = "UTC"


Ask = Callable[[str], str]


def gather_answers(folder: Path, name: str | None, url: str | None, language: str | None,
                   timezone: str | None, ask: Ask | None) -> Answers:
    """The options given, the rest asked for when ``ask`` is set (a terminal), else defaults.

    Each answer is checked as the build would check it, so a typo is caught here, with the fix,
    rather than at the first build."""
    given = {"name": name, "url": url, "language": language, "timezone": timezone}
    defaults = {"name": folder.resolve().name.replace("-", " ").replace("_", " ").title() or "My business",
                "url": "https://www.example.com/", "language": "en", "timezone": "UTC"}
    questions = {"name": "Business name", "url": "Web address the site will live at",
                 "language": "Language (e.g. en, en-GB, fr)", "timezone": "Time zone (e.g. Europe/London)"}
    chosen: dict[str, str] = {}
    for key, value in given.items():
        while True:
            if value is None and ask is not None:
                value = ask(f"{questions[key]} [{defaults[key]}]: ").strip() or defaults[key]
            try:
                chosen[key] = _checked(key, defaults[key] if value is None else value)
                break
            except ValueError as exc:
                if ask is None or given[key] is not None:
                    raise UsageError(f"--{key}: {exc}") from None
                print(f"  {exc}", file=sys.stderr)
                value = None
    return Answers(**chosen)


def _checked(key: str, value: str) -> str:
    if key == "name":
        if not value.strip():
            raise ValueError("the business name cannot be empty")
        return value.strip()
    setting = {"url": "base_url", "language": "language", "timezone": "timezone"}[key]
    return str(checked_setting(setting, value))


def site_yaml(answers: Answers) -> str:
    """A commented site.yaml: enough to build, and a word on each setting a business changes first."""
    quoted = {key: json.dumps(value, ensure_ascii=False) for key, value in vars(answers).items()}
    return f"""\
# site.yaml: your site's settings. Only title and base_url are required; the rest is optional.
# Change a value, then run `storyforge build` (or keep `storyforge serve` running to see it at once).

title: {quoted["name"]}
{f"base_url: {quoted['url']}":<40}# the address the site is published at
{f"language: {quoted['language']}":<40}# the language of your pages, e.g. en, en-GB, fr, de
{f"timezone: {quoted['timezone']}":<40}# dates in your files without a zone are read in this one
# description: One or two sentences about the business, shown on the home page and to search engines.

business:
  name: {quoted["name"]}
  # tagline: A few words under the name
  # address: 1 High Street, Town, Postcode
  # phone: "01234 567 890"
  # email: hello@example.com
  # opening_hours: Mon–Fri 9:00–17:00
  # logo: /images/logo.svg        # a file in static/images/
  # what_customers_buy: a repair, a service or a new bike   # examples on the share-your-story form

# Your look, over the theme's (every setting optional). Colours are checked for readable contrast.
# branding:
#   colors: {{accent: "#1f5f8b"}}          # links and buttons; also background and text. Quote them.
#   dark_colors: {{accent: "#8cc8ff"}}     # the same for visitors who prefer a dark screen
#   font: Georgia, serif                  # the system's own fonts by default
#   hero_image: /images/shopfront.jpg     # a file in static/, at the top of the home page
#   custom_css: /css/site.css             # a file in static/, added after the theme's CSS
# The navigation shows the sections you have entries in and pages with `menu: true`; to choose it:
# menu:
#   - {{title: Events, url: /events/}}

# Customers' stories wait in submissions/ (never published) until a person approves them.
# See `storyforge moderate --help`.
moderation:
  submissions_dir: submissions
"""


def sample_file(row: ContentType, now: datetime) -> tuple[str, str]:
    """(path, text) of the sample for one content type: its own `storyforge new` front matter.

    A sample whose front matter still needs a person's facts (a customer's name, a campaign)
    stays a draft, so nothing invented is ever published; the others are published, marked as
    samples in their titles and bodies, so the first build shows every section."""
    rel = f"content/{row.folder}/sample-{row.name}.md"
    front = row.new_front_matter(f"Sample {row.name}", now)
    needs_facts = any(f"{key}: {value}" in front for key, value in PLACEHOLDER_VALUES.items())
    if needs_facts:
        note = (f"This sample {row.name} is a draft: fill in the lines marked FILL IN with what really "
                "happened, then set draft: false")
    else:
        front = front.replace(DRAFT_LINE, "draft: false   # a sample from storyforge init: edit or delete it\n")
        note = f"This is a sample {row.name}, made by `storyforge init` to show where {row.title.lower()} appear"
    body = f"{note}. Edit `{rel}` or delete it.\n"
    return rel, f"---\n{front}---\n{body}"


def starter_files(answers: Answers, now: datetime) -> Iterator[tuple[str, bytes]]:
    """Every file of a new site: site.yaml, .gitignore and one sample per registered content type."""
    yield CONFIG_FILE, site_yaml(answers).encode("utf-8")
    yield ".gitignore", GITIGNORE.encode("utf-8")
    for row in all_types():
        rel, text = sample_file(row, now)
        yield rel, text.encode("utf-8")


def example_dir() -> Path:
    """The example site shipped with storyforge: inside the package, or a source checkout's top."""
    for candidate in (PACKAGE_EXAMPLE, CHECKOUT_EXAMPLE):
        if (candidate / CONFIG_FILE).is_file() and (candidate / "content").is_dir():
            return candidate
    raise UsageError("this installation has no example site — reinstall storyforge")


def example_files() -> Iterator[tuple[str, bytes]]:
    """Every file of the example site, as (path inside the site, bytes)."""
    source = example_dir()
    for part in EXAMPLE_PARTS:
        path = source / part
        if path.is_file():
            yield part, path.read_bytes()
            continue
        for file in sorted(path.rglob("*")) if path.is_dir() else []:
            if file.is_file() and not file.name.startswith("."):
                yield file.relative_to(source).as_posix(), file.read_bytes()


def create_site(folder: Path, files: list[tuple[str, bytes]]) -> None:
    """Write ``files`` into ``folder`` (made if missing) with an empty submissions/, never replacing a file.

    A folder that already holds a site, or any of these files, is refused before anything is
    written; a file that appears meanwhile stops the run with what was written so far kept."""
    if (folder / CONFIG_FILE).exists() or (folder / "content").exists():
        raise UsageError(f"{folder}: already holds a site ({CONFIG_FILE} or content/) — choose an empty or new "
                         "folder; nothing was changed")
    clashes = [rel for rel, _ in files if (folder / rel).exists()]
    if clashes:
        raise UsageError(f"{folder / clashes[0]}: already exists — choose an empty or new folder; nothing was changed")
    written: list[Path] = []
    current = folder
    try:
        for rel, data in files:
            current = folder / rel
            try:
                write_atomic(folder / rel, data, durable=True, exclusive=True)
            except FileExistsError:
                raise UsageError(f"{folder / rel}: appeared while the site was being made — left as it was") from None
            written.append(folder / rel)
        make_folders(folder / "submissions", durable=True)
    except OSError as exc:  # a full disk, a folder we may not write to: take back what this run wrote
        for path in reversed(written):
            with contextlib.suppress(OSError):
                path.unlink()
        for rel_name, _ in files:  # and the folders it made, now empty, so init can run here again
            for parent in (folder / rel_name).parents:
                if parent == folder.parent or not parent.is_relative_to(folder):
                    break
                with contextlib.suppress(OSError):
                    parent.rmdir()
        where = exc.filename or current
        raise OutputError(f"{where}: cannot write: {exc.strerror or exc} — nothing was kept; free some space or "
                          "choose a folder you may write to, then run storyforge init again") from None


def next_steps(folder: Path) -> str:
    """The three commands that take a new site from files to a page in the browser and a finished site."""
    shown = folder.as_posix()
    return (f"Your site is ready in {shown}/. Next:\n"
            f"  cd {shown}\n"
            "  storyforge serve    # see it at http://127.0.0.1:8000/ while you edit content/ and site.yaml\n"
            "  storyforge build    # write the finished site to public/, ready to upload\n")


def init_command(folder: Path, *, example: bool, name: str | None, url: str | None, language: str | None,
                 timezone: str | None, interactive: bool) -> str:
    """Make the site and return what to print: where it is and the next commands."""
    if example:
        if any(value is not None for value in (name, url, language, timezone)):
            raise UsageError("--example copies the example site as it is; leave out --name, --url, --language "
                             "and --timezone (change its site.yaml afterwards)")
        files = [*example_files(), (".gitignore", GITIGNORE.encode("utf-8"))]
    else:
        answers = gather_answers(folder, name, url, language, timezone, input if interactive else None)
        files = list(starter_files(answers, datetime.now(tz=ZoneInfo(answers.timezone))))
    create_site(folder, files)
    return next_steps(folder)
