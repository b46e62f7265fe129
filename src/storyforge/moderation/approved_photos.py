"""A customer's uploaded photo on its way into the site, and out again.

The intake service (or the desk) keeps an upload in the submissions folder as ``photos/<file>``,
already re-encoded without metadata. Approval copies it beside the story it belongs to — only
when the customer agreed to show a photo — where the build processes it like every image of
the site (upright, no metadata, widths, WebP). A withdrawal removes it with the story; the next
build drops its variants from the site. A photo given as an https address (a form export's
upload link) is fetched at approval (``photo_fetch``: https only, never a private or local
address, limits on time, bytes and pixels), re-encoded without metadata and then goes the same
way; when it cannot be fetched the approval is refused, and nothing moves.
"""

from __future__ import annotations

from pathlib import Path

from storyforge.errors import ModerationError
from storyforge.moderation.store import Store
from storyforge.moderation.submission import Submission


def photo_beside_story(store: Store, sub: Submission, story_rel: str, where: str) -> tuple[str, bytes] | None:
    """The customer's photo (``photos/<file>`` in the submissions folder, or an https address,
    fetched now) as it goes into the site — beside the story, named after it — when they agreed
    to show it; else None. The build strips and resizes it like every image. ``where``: the
    submission's file, for messages."""
    if not sub.consent.photo or not sub.photo:
        return None
    if "://" in sub.photo:
        return _fetched(sub, story_rel, where)
    if not sub.photo.startswith("photos/"):
        return None
    name = sub.photo.removeprefix("photos/")
    suffix = Path(name).suffix.lower()
    if "/" in name or "\\" in name or name.startswith(".") or suffix not in PHOTO_SUFFIXES:
        raise ModerationError(f"{sub.id}: photo: expected photos/<file>.jpg, .png or .webp made by storyforge, "
                              f"got {sub.photo!r} — correct the submission file")
    try:
        data = (store.root / "photos" / name).read_bytes()
    except OSError as exc:
        raise ModerationError(f"{sub.id}: cannot read its photo: {exc.strerror or exc} — restore "
                              f"{store.rel(store.root / 'photos' / name)} or remove the photo from the "
                              "submission") from None
    return f"{story_rel.removesuffix('.md')}{'.jpg' if suffix == '.jpeg' else suffix}", data


def _fetched(sub: Submission, story_rel: str, where: str) -> tuple[str, bytes]:
    """The photo at the submission's address, cleaned; ModerationError naming the submission, the
    address and what to do when it cannot be fetched."""
    from storyforge.moderation.photo_fetch import FetchError, fetch_photo
    from storyforge.moderation.photos import PhotoError

    try:
        photo = fetch_photo(sub.photo)
    except (FetchError, PhotoError) as exc:
        raise ModerationError(f"cannot approve {sub.id}: its photo {sub.photo!r} could not be fetched ({exc}) — "
                              f"approve with --without-photo to publish the story without it, or correct \"photo\" "
                              f"in {where} and approve again") from None
    return f"{story_rel.removesuffix('.md')}.{photo.extension}", photo.data


#: the formats an uploaded photo is stored in (``moderation/photos.py`` re-encodes every upload)
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def story_photos(site: Path, story_rel: str) -> list[Path]:
    """The photos approval put beside a story (same name, an image suffix)."""
    stem = site / story_rel.removesuffix(".md")
    return [stem.with_name(stem.name + suffix) for suffix in (".jpg", ".png", ".webp")
            if stem.with_name(stem.name + suffix).exists()]
