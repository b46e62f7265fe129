"""schema.org structured data (JSON-LD) for the pages that have honest things to say.

- the home page: the business as an ``Organization`` (a ``LocalBusiness`` when it has an address),
  from site.yaml: never with a rating or reviews of itself;
- a story: a ``Review`` only when ``product:`` names something the business sells, as
  ``itemReviewed`` (a ``Product``, or a ``Service`` for classes, subscriptions and the like),
  with ``reviewRating`` only when the story shows a rating. A story about the business as a
  whole gets no markup: search engines treat reviews a business publishes about itself as
  self-serving, and ``AggregateRating`` is never emitted;
- an event: an ``Event`` with its start and end (with their UTC offset), place and address,
  offers (sign-up address and price), status and organizer.

The JSON goes inside ``<script type="application/ld+json">`` and holds customer text, so ``<``,
``>`` and ``&`` are written as ``\\u003c`` and so on: no text can close the script element.
"""

from __future__ import annotations

import json
import re
from typing import Any

from markupsafe import Markup

from storyforge.core.config import SiteConfig
from storyforge.core.entries import Event, Testimonial
from storyforge.core.pages import PageSpec

CONTEXT = "https://schema.org"
EVENT_STATUS = {"scheduled": "EventScheduled", "cancelled": "EventCancelled", "postponed": "EventPostponed"}
#: words that make the thing reviewed a service rather than a product
SERVICE_WORDS = frozenset(["class", "classes", "course", "courses", "workshop", "workshops", "lesson", "lessons",
                           "subscription", "subscriptions", "delivery", "catering", "service", "services",
                           "booking", "party", "parties", "event", "events", "hire", "repair", "repairs", "session",
                           "sessions", "membership"])
CURRENCY_OF_SIGN = {"£": "GBP", "€": "EUR", "$": "USD", "¥": "JPY"}
_PRICE = re.compile(r"([£€$¥])\s?(\d+(?:[.,]\d{1,2})?)")


def as_script_text(data: dict[str, Any]) -> Markup:
    """JSON that is safe inside a <script> element (no '<', '>' or '&' in it)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)  # noqa: S704 - escaped above: no '<', '>' or '&' is left


def structured_data(config: SiteConfig, page: PageSpec) -> list[dict[str, Any]]:
    """The JSON-LD blocks of one page (often none)."""
    if page.kind == "home":
        return [business(config)]
    entry = page.context.get("entry")
    if isinstance(entry, Testimonial):
        review = story_review(config, entry)
        return [review] if review else []
    if isinstance(entry, Event):
        return [event_data(config, entry)]
    return []


def _absolute(config: SiteConfig, path: str) -> str:
    return path if "://" in path else config.base_url + path.lstrip("/")


def _organization_ref(config: SiteConfig) -> dict[str, Any]:
    return {"@type": "Organization", "name": config.business.name, "url": config.base_url}


def business(config: SiteConfig) -> dict[str, Any]:
    """The business from site.yaml, with no rating and no reviews of itself."""
    info = config.business
    data: dict[str, Any] = {"@context": CONTEXT, "@type": "LocalBusiness" if info.address else "Organization",
                            "name": info.name, "url": config.base_url}
    if info.tagline or config.description:
        data["description"] = info.tagline or config.description
    if info.logo:
        data["logo"] = config.asset_url(info.logo)
        data["image"] = data["logo"]
    if info.address:
        data["address"] = {"@type": "PostalAddress", "streetAddress": info.address}
    if info.phone:
        data["telephone"] = info.phone
    if info.email:
        data["email"] = info.email
    return data


def _about_the_business(config: SiteConfig, product: str) -> bool:
    name = " ".join(product.lower().split())
    names = {" ".join(n.lower().split()) for n in (config.business.name, config.title) if n}
    return name in names or any(n and (n in name or name in n) for n in names)


def story_review(config: SiteConfig, story: Testimonial) -> dict[str, Any] | None:
    """A Review of the product or service the story names, or None when it names none."""
    if not story.product or _about_the_business(config, story.product):
        return None
    words = set(re.findall(r"[a-z]+", story.product.lower()))
    kind = "Service" if words & SERVICE_WORDS else "Product"
    item: dict[str, Any] = {"@type": kind, "name": story.product}
    item["provider" if kind == "Service" else "brand"] = _organization_ref(config)
    data: dict[str, Any] = {"@context": CONTEXT, "@type": "Review", "name": story.title,
                            "url": _absolute(config, story.url), "itemReviewed": item,
                            "author": {"@type": "Person", "name": story.author},
                            "reviewBody": story.summary, "publisher": _organization_ref(config)}
    if story.date:
        data["datePublished"] = story.date.date().isoformat()
    if story.rating is not None:  # the page shows the stars exactly when there is a rating
        data["reviewRating"] = {"@type": "Rating", "ratingValue": story.rating, "bestRating": 5, "worstRating": 1}
    return data


def _price(cost: str) -> tuple[str, str] | None:
    """('8', 'GBP') from '£8 per child'; ('0', '') from 'Free'; None when it cannot be told."""
    found = _PRICE.search(cost)
    if found:
        return found.group(2).replace(",", "."), CURRENCY_OF_SIGN[found.group(1)]
    if cost.strip().lower().startswith("free"):
        return "0", ""
    return None


def event_data(config: SiteConfig, event: Event) -> dict[str, Any]:
    data: dict[str, Any] = {"@context": CONTEXT, "@type": "Event", "name": event.title,
                            "url": _absolute(config, event.url), "description": event.summary}
    if event.all_day:
        data["startDate"] = event.start.date().isoformat()
        if event.end is not None:
            data["endDate"] = event.end.date().isoformat()
    else:
        data["startDate"] = event.start.astimezone(config.tz).isoformat()
        if event.end is not None:
            data["endDate"] = event.end.astimezone(config.tz).isoformat()
    data["eventStatus"] = f"{CONTEXT}/{EVENT_STATUS[event.status]}"
    data["eventAttendanceMode"] = f"{CONTEXT}/OfflineEventAttendanceMode"
    place: dict[str, Any] = {"@type": "Place", "name": event.location or config.business.name}
    address = event.address or (config.business.address if not event.location else "")
    if address:
        place["address"] = {"@type": "PostalAddress", "streetAddress": address}
    data["location"] = place
    price = _price(event.cost) if event.cost else None
    if event.signup_url or price:
        offer: dict[str, Any] = {"@type": "Offer", "url": _absolute(config, event.signup_url or event.url)}
        if price:
            offer["price"] = price[0]
            if price[1]:
                offer["priceCurrency"] = price[1]
        data["offers"] = offer
    data["organizer"] = _organization_ref(config)
    return data
