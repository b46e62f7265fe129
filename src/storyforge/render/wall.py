"""``/testimonials.json``: the published stories as data, for the embeddable wall (``/embed.js``).

Only what the story pages themselves show goes in: the name as the customer agreed to show it
(with the role, company and town they agreed to), the rating when they gave one, the summary,
and the labels that must travel with a story (verified, disclosure of an incentive, connection
to the business, hand-picked). Never contact details, never drafts or stories without consent.
Addresses are absolute, since the wall is shown on other sites. The embed script inserts every
string as text, never as HTML.

A site in another language than English (or with its own catalog) also gives the wall its words,
``words``: the English of each thing the script writes → the site's, so the labels read in the
language the stories are written in. An English site's document has none and the script's English.

Each story's JSON is kept with the story in the build cache, beside what it was made from, so a
site of thousands of stories writes the document again without encoding every story again.
"""

from __future__ import annotations

import gettext
import json
from collections.abc import Callable, MutableMapping
from typing import Any

from storyforge.core.config import SiteConfig
from storyforge.core.entries import Testimonial
from storyforge.core.model import SiteModel
from storyforge.core.slugs import slugify
from storyforge.core.words import N_, translations

WALL_FILE = "testimonials.json"
FORMAT_VERSION = 1
#: what embed.js writes around the stories, in its own English (the keys of ``words``)
EMBED_WORDS = (
    N_("Rated %(rating)s out of 5"), N_("Verified customer"), N_("Disclosure:"), N_("Connection:"),
    N_("Hand-picked by the business"), N_("About this story"), N_("Read the full story"),
    N_("Previous stories"), N_("Next stories"), N_("Customer stories"), N_("Customer stories about %(business)s"),
    N_("No stories to show yet."),
    N_("Stories sent by customers of %(business)s and read by a person before publishing."),
    N_("this business"), N_("How stories are checked"),
)


def wall_bytes(config: SiteConfig, model: SiteModel,
               fragments: Callable[[str], MutableMapping[str, tuple[str, bytes]]] | None = None) -> bytes:
    """The JSON document: newest stories first, the same bytes for the same content.

    ``fragments(source)``: pieces kept from earlier builds for one story (its JSON, with the
    card it was made with), which this reuses and fills in."""
    cards = {page.context["entry"].slug: page.output_path("png") for page in model.outputs("png")}
    stories: list[bytes] = []
    for story in model.testimonials:
        if story.draft or not story.consent:
            continue
        card = cards.get(story.slug, "") if cards else ""
        photo = model.images.get(_site_path(story.avatar)) if story.avatar else None
        # made from the story (its file, name and the site's settings: what its cache entry is
        # kept for), its card and its photo as processed
        made_from = f"{card}|{photo!r}"
        pieces = fragments(story.source) if fragments is not None else {}
        kept = pieces.get("wall")
        if kept is None or kept[0] != made_from:
            kept = pieces["wall"] = (made_from, _dumps(_story(config, story, card, photo)).encode())
        stories.append(kept[1])
    business = {"name": config.business.name, "url": config.base_url, "policy": config.base_url + "reviews-policy/"}
    words = translations(config)
    said = f',"words":{_dumps({text: words.gettext(text) for text in EMBED_WORDS})}' if _translates(words) else ""
    head = f'{{"version":{FORMAT_VERSION},"business":{_dumps(business)}{said},"stories":['.encode()
    return head + b",".join(stories) + b"]}\n"


def _site_path(address: str) -> str:
    return "" if "://" in address else address.lstrip("/")


def _story(config: SiteConfig, story: Testimonial, card: str, photo: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "url": config.base_url + story.url.lstrip("/"),
        "title": story.title,
        "text": story.summary,
        "author": story.author,
        "byline": story.byline,
        "rating": story.rating,
        "date": story.date.date().isoformat() if story.date else None,
        "product": story.product or None,
        "tags": [slugify(tag, unicode=config.slugs == "unicode") for tag in story.tags],
        "labels": {"verified": story.verified, "featured": story.featured,
                   "incentive": story.incentive or None, "relationship": story.relationship or None},
    }
    if card:
        item["image"] = config.base_url + card
    if story.avatar:  # set only when the customer agreed to show their photo
        item["photo"] = _photo(config, story.avatar, story.avatar_alt, photo)
    if story.logo:
        item["logo"] = config.asset_url(story.logo)
    return item


def _photo(config: SiteConfig, avatar: str, alt: str, info: Any) -> dict[str, Any]:
    """The photo's address, and with a processed one its widths (WebP) and size."""
    if info is None:
        return {"url": config.asset_url(avatar), "alt": alt}
    return {"url": config.asset_url(info.path), "alt": alt, "width": info.width, "height": info.height,
            "srcset": ", ".join(f"{config.root_url}{path} {width}w" for width, path in info.modern)}


def _translates(words: gettext.NullTranslations) -> bool:
    """Whether the site has catalogs at all (an English site without its own has none)."""
    return type(words) is not gettext.NullTranslations


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
