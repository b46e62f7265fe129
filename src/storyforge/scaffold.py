"""`storyforge new`: start a content file whose front matter already validates."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from storyforge.core.config import SiteConfig, load_config
from storyforge.core.content import parse_document
from storyforge.core.content_types import PLACEHOLDER_BODY, by_name
from storyforge.core.schema import Validator
from storyforge.core.slugs import slugify
from storyforge.errors import ContentError, ErrorCollector, OutputError, SourceLocation, UsageError
from storyforge.publish.atomic import write_atomic


def new_entry(site_dir: Path, kind: str, title: str, lang: str = "") -> Path:
    """Write content/<folder>/<slug>.md for ``kind`` (a registered content type) and return its path;
    with ``lang`` another language of the site, content/<lang>/<folder>/<slug>.md."""
    content_type = by_name(kind)
    config = load_config(site_dir.resolve())
    slug = slugify(title, unicode=config.slugs == "unicode")
    if not slug:
        raise UsageError(f"cannot make a file name from the title {title!r} — use some letters or digits")
    rel = f"content/{language_folder(config, lang)}{content_type.folder}/{slug}.md"
    path = config.root / rel
    if path.exists():
        raise ContentError("already exists — choose another title or edit that file", SourceLocation(rel))
    now = datetime.now(tz=config.tz).replace(second=0, microsecond=0)
    text = f"---\n{content_type.new_front_matter(title, now)}---\n{PLACEHOLDER_BODY}\n"
    errors = ErrorCollector()
    entry = Validator(config, errors).validate(parse_document(text.encode(), rel, kind, config.max_body_bytes))
    errors.raise_if_any("new")
    assert entry is not None
    try:  # durable, as moderation's stories are; exclusive: a file made meanwhile is never replaced
        write_atomic(path, text.encode("utf-8"), durable=True, exclusive=True)
    except FileExistsError:
        raise ContentError("already exists — choose another title or edit that file", SourceLocation(rel)) from None
    except OSError as exc:  # a full disk, a folder we may not write to: nothing was written
        raise OutputError(f"cannot write: {exc.strerror or exc} — nothing was written; free some space or make "
                          f"{Path(rel).parent.as_posix()}/ writable, then run storyforge new again",
                          SourceLocation(rel)) from None
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def language_folder(config: SiteConfig, lang: str) -> str:
    """The folder of content/ that ``lang``'s files go in: '' for the default language (its content
    stays where a one-language site keeps it), '<lang>/' for another one ``languages:`` lists, spelled
    as site.yaml spells it; UsageError, in words, for a language the site does not have."""
    if not lang:
        return ""
    listed = config.languages or (config.language,)
    wanted = lang.strip().replace("_", "-").casefold()
    found = next((tag for tag in listed if tag.casefold() == wanted), None)
    if found is None:
        hint = ("use one of them, or add it to languages: in site.yaml" if config.languages else
                f"list it in site.yaml first, e.g. languages: [{config.language}, {lang.strip()}]")
        raise UsageError(f"--lang: '{lang.strip()}' is not one of this site's languages ({', '.join(listed)}) — {hint}")
    return "" if found == config.language else f"{found}/"
