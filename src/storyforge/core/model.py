"""The site as data: collections, tags, campaigns and the route table (its pages are
``core/pages.PageSpec`` records).

``build_site`` decides every page the site will have and where it goes, and
refuses two sources for one address, before anything is rendered.
"""

from __future__ import annotations

import gettext
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from storyforge.core.content_types import all_types, by_name
from storyforge.core.entries import (
    Alert,
    CharityUpdate,
    Entry,
    Event,
    Page,
    Testimonial,
)
from storyforge.core.pages import FEED_FORMATS, PageSpec, Paginator
from storyforge.core.slugs import RESERVED_NAMES, slugify
from storyforge.errors import ErrorCollector, OutputError, SourceLocation

CAMPAIGNS_URL = "/charity/campaigns/"  # + <slug>/: never an update's address, which is /charity/<slug>/
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
HOME_FEATURED = 3
HOME_UPCOMING = 3
HOME_RECENT = 6


@dataclass
class RatingSummary:
    """Average of all published ratings, their count and distribution."""

    count: int
    average: float | None
    distribution: dict[int, int]

    @classmethod
    def of(cls, stories: list[Testimonial]) -> RatingSummary:
        ratings = [s.rating for s in stories if s.rating is not None]
        counts = Counter(ratings)
        average = round(sum(ratings) / len(ratings), 1) if ratings else None
        return cls(len(ratings), average, {stars: counts.get(stars, 0) for stars in range(5, 0, -1)})


@dataclass
class Campaign:
    """A charity campaign: its updates in order and its progress as of the latest one."""

    name: str
    slug: str
    url: str
    updates: list[CharityUpdate]

    def _latest(self, attribute: str) -> Any:
        for update in reversed(self.updates):
            if getattr(update, attribute) not in (None, ""):
                return getattr(update, attribute)
        return None

    @property
    def raised(self) -> float | None:
        return cast("float | None", self._latest("raised"))

    @property
    def goal(self) -> float | None:
        return cast("float | None", self._latest("goal"))

    @property
    def currency(self) -> str:
        return self._latest("currency") or "USD"

    @property
    def beneficiary(self) -> str:
        return self._latest("beneficiary") or ""

    @property
    def donate_url(self) -> str:
        return self._latest("donate_url") or ""

    @property
    def as_of(self) -> datetime | None:
        return cast("datetime | None", self._latest("date"))

    @property
    def percent(self) -> int | None:
        if self.goal and self.raised is not None:
            return min(100, int(self.raised * 100 // self.goal))
        return None

    @property
    def reached(self) -> bool:
        return bool(self.goal and self.raised is not None and self.raised >= self.goal)


@dataclass
class TagInfo:
    """A tag page: the tag as its newest entry spells it, and every entry that has it."""

    name: str
    slug: str
    url: str
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class NavItem:
    """A link in the site's navigation."""

    url: str
    title: str


@dataclass
class SiteModel:
    """Everything the renderer needs, decided before rendering starts."""

    pages: list[PageSpec]
    entries: list[Entry]
    testimonials: list[Testimonial]
    events_upcoming: list[Event]
    events_past: list[Event]
    campaigns: list[Campaign]
    alerts: list[Alert]  # every alert, newest first
    alerts_active: list[Alert]  # shown as the banner on every page, most severe first
    alerts_scheduled: list[Alert]
    alerts_expired: list[Alert]
    tags: list[TagInfo]
    menu: list[Page]
    footer_pages: list[Page]
    rating: RatingSummary
    now: datetime
    newest: datetime | None
    policy: Any = None  # moderation.policy.PolicyStats: the numbers on /reviews-policy/
    tag_index: dict[str, TagInfo] = field(default_factory=dict)  # a tag as written → its page
    campaign_urls: dict[str, str] = field(default_factory=dict)  # campaign name → its page
    #: the list pages of the sections this site has entries in, for the navigation (a shop with no
    #: charity work gets no Charity link); the content types' order
    sections: list[NavItem] = field(default_factory=list)
    #: the site's processed images (``render.pictures.ImageInfo``) by their source's path: set by
    #: the build's image stage, read by pages through ``data.images``
    images: dict[str, Any] = field(default_factory=dict)

    def tags_of(self, entry: Entry) -> list[TagInfo]:
        """The tag pages an entry links to, in the order of its tags."""
        return [self.tag_index[tag] for tag in entry.tags]

    def campaign_url(self, update: CharityUpdate) -> str:
        """The page of the campaign a charity update belongs to."""
        return self.campaign_urls[update.campaign]

    def feeds(self) -> list[tuple[PageSpec, str]]:
        return [(p, fmt) for p in self.pages for fmt in p.formats if fmt in FEED_FORMATS]

    def outputs(self, fmt: str) -> list[PageSpec]:
        """The pages that emit ``fmt`` (e.g. 'ics', 'png')."""
        return [p for p in self.pages if fmt in p.formats]

    @property
    def campaigns_active(self) -> list[Campaign]:
        return [c for c in self.campaigns if not c.reached]


def _newest_first(entries: list[Any]) -> list[Any]:
    dated = sorted((e for e in entries if e.date), key=lambda e: (e.date, e.slug), reverse=True)
    return dated + sorted((e for e in entries if not e.date), key=lambda e: e.slug)


def event_finish(event: Event) -> datetime:
    """When an event is over: its end, else the end of its day (all-day) or its start."""
    if event.end is not None:
        return event.end + (timedelta(days=1) if event.all_day else timedelta())
    return event.start + (timedelta(days=1) if event.all_day else timedelta(hours=2))


def alert_end(alert: Alert) -> datetime | None:
    """When an alert leaves the banner: its expiry (the end of that day for a date alone), or never."""
    if alert.expires is None:
        return None
    return alert.expires + (timedelta(days=1) if alert.expires_all_day else timedelta())


def alert_moments(alert: Alert) -> tuple[datetime, ...]:
    """The moments at which the passing of time moves an alert between scheduled, active and expired."""
    end = alert_end(alert)
    return (alert.starts,) if end is None else (alert.starts, end)


def _split_alerts(alerts: list[Alert], now: datetime) -> tuple[list[Alert], list[Alert], list[Alert]]:
    """(active, scheduled, expired) as of ``now``."""
    active, scheduled, expired = [], [], []
    for alert in alerts:  # newest first
        end = alert_end(alert)
        if alert.starts > now:
            scheduled.append(alert)
        elif end is not None and end <= now:
            expired.append(alert)
        else:
            active.append(alert)
    active.sort(key=lambda a: SEVERITY_ORDER[a.severity])  # stable: newest first within a severity
    return active, sorted(scheduled, key=lambda a: (a.starts, a.slug)), expired


def build_site(entries: list[Entry], per_page: int, now: datetime, errors: ErrorCollector,
               reserved: dict[str, str] | None = None, policy: Any = None, share_cards: bool = True,
               unicode_slugs: bool = False, thanks_page: bool = False,
               words: gettext.NullTranslations | None = None) -> SiteModel:
    """Arrange published entries into pages; add an OutputError for each clash of addresses.
    ``thanks_page``: the share-your-story form posts to `storyforge intake`, which sends customers there.
    ``words``: the site's catalogs, for the titles of built-in pages (English as written without)."""
    ordered = _newest_first(entries)  # sorted once: a stable sort of a part is that part of the whole, sorted
    stories = [e for e in ordered if isinstance(e, Testimonial)]
    events = [e for e in entries if isinstance(e, Event)]
    upcoming = sorted((e for e in events if event_finish(e) >= now), key=lambda e: (e.start, e.slug))
    past = sorted((e for e in events if event_finish(e) < now), key=lambda e: (e.start, e.slug), reverse=True)
    campaigns = _campaigns([e for e in entries if isinstance(e, CharityUpdate)], unicode_slugs)
    pages = sorted((e for e in entries if isinstance(e, Page)), key=lambda p: (p.weight, p.title))
    alerts = [e for e in ordered if isinstance(e, Alert)]
    active, scheduled, expired = _split_alerts(alerts, now)
    tags, tag_index = _tags(ordered, unicode_slugs)
    dated = [e.date for e in entries if e.date]
    model = SiteModel(
        pages=[], entries=ordered, testimonials=stories, events_upcoming=upcoming,
        events_past=past, campaigns=campaigns, alerts=alerts, alerts_active=active,
        alerts_scheduled=scheduled, alerts_expired=expired, tags=tags, menu=[p for p in pages if p.menu],
        footer_pages=[p for p in pages if not p.menu], rating=RatingSummary.of(stories),
        now=now, newest=max(dated) if dated else None, policy=policy, tag_index=tag_index,
        campaign_urls={campaign.name: campaign.url for campaign in campaigns},
    )
    words = words or gettext.NullTranslations()
    model.pages = _route_table(model, per_page, frozenset() if share_cards else frozenset({"png"}), words, thanks_page)
    model.sections = _sections(model, words)
    _check_collisions(model.pages, errors, reserved or {})
    return model


def _sections(model: SiteModel, words: gettext.NullTranslations) -> list[NavItem]:
    """Each content type with a navigation title, a list page and at least one published entry."""
    list_pages = {page.url for page in model.pages if page.kind != "home"}
    present = {entry.content_type for entry in model.entries}
    return [NavItem(row.url_prefix, words.gettext(row.title if row.nav_title is None else row.nav_title))
            for row in all_types()
            if row.nav_title != "" and row.name in present and row.url_prefix in list_pages]


def _campaigns(updates: list[CharityUpdate], unicode_slugs: bool) -> list[Campaign]:
    grouped: dict[str, list[CharityUpdate]] = {}
    for update in sorted(updates, key=lambda u: (u.date is not None, u.date.timestamp() if u.date else 0, u.slug)):
        grouped.setdefault(update.campaign, []).append(update)
    slugs = _campaign_slugs(sorted(grouped), unicode_slugs)
    campaigns = [Campaign(name, slugs[name], f"{CAMPAIGNS_URL}{slugs[name]}/", items)
                 for name, items in grouped.items()]
    # active campaigns first, then the most recently updated
    return sorted(campaigns, key=lambda c: (c.reached, -(c.as_of.timestamp() if c.as_of else 0), c.name))


def _campaign_slugs(names: list[str], unicode_slugs: bool) -> dict[str, str]:
    """A distinct web-address name per campaign, also for names that differ only in punctuation."""
    taken: set[str] = set()
    slugs = {}
    for name in names:
        base = slugify(name, unicode=unicode_slugs) or "campaign"
        base = f"{base}-campaign" if base in RESERVED_NAMES else base
        slug, number = base, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        taken.add(slug)
        slugs[name] = slug
    return slugs


def _tags(ordered: list[Entry], unicode_slugs: bool) -> tuple[list[TagInfo], dict[str, TagInfo]]:
    """The tags of entries given newest first, each listing its entries in that order; and each
    tag as written (e.g. 'Cakes' and 'cakes', which share one page) → its page."""
    by_slug: dict[str, TagInfo] = {}
    as_written: dict[str, TagInfo] = {}
    for entry in ordered:
        for tag in entry.tags:
            tag_slug = slugify(tag, unicode=unicode_slugs)
            info = by_slug.get(tag_slug)
            if info is None:
                info = by_slug[tag_slug] = TagInfo(tag, tag_slug, f"/tags/{tag_slug}/")
            info.entries.append(entry)
            as_written[tag] = info
    return sorted(by_slug.values(), key=lambda t: t.slug), as_written


def _route_table(model: SiteModel, per_page: int, turned_off: frozenset[str],
                 words: gettext.NullTranslations, thanks_page: bool) -> list[PageSpec]:
    _ = words.gettext
    routes = [PageSpec("home", "/", "home.html", _("Home"), "the home page (built in)",
                       context={"featured": [s for s in model.testimonials if s.featured][:HOME_FEATURED],
                                "recent": model.testimonials[:HOME_RECENT],
                                "upcoming": model.events_upcoming[:HOME_UPCOMING]},
                       feed_entries=model.entries, lastmod=model.newest)]
    routes += _paginated(model.testimonials, per_page, words)
    routes.append(PageSpec("events", "/events/", "events.html", _(by_name("event").title),
                           "the events list (built in)",
                           context={"upcoming": model.events_upcoming, "past": model.events_past},
                           feed_entries=_newest_first(model.events_upcoming + model.events_past)))
    charity = [u for c in model.campaigns for u in c.updates]
    if charity:  # a business with no charity work has no charity page, nor a link to one
        routes.append(PageSpec("section", "/charity/", "charity_list.html", _(by_name("charity").title),
                               "the charity page (built in)", feed_entries=_newest_first(charity)))
    for campaign in model.campaigns:
        routes.append(PageSpec("campaign", campaign.url, "campaign.html", campaign.name,
                               f"the campaign '{campaign.name}'", context={"campaign": campaign},
                               description=_campaign_description(campaign, words), lastmod=campaign.as_of))
    routes.append(PageSpec("alerts", by_name("alert").url_prefix, "alerts.html", _(by_name("alert").title),
                           "the notices page (built in)", feed_entries=list[Entry](model.alerts),
                           description=_("Changed opening hours, closures and other notices, current and past.")))
    types = {row.name: row for row in all_types()}
    for row in types.values():  # a registered type with a list template and no list page above
        if row.list_template is not None:
            listed = [e for e in model.entries if e.content_type == row.name]
            routes.append(PageSpec("section", row.url_prefix, row.list_template, _(row.title),
                                   f"the {row.folder} list (built in)", context={"entries": listed},
                                   feed_entries=listed))
    for entry in model.entries:
        row = types[entry.content_type]
        routes.append(PageSpec(row.page_kind, entry.url, row.template, entry.title, entry.source, entry.slug_line,
                               context={"entry": entry}, description=entry.summary, lastmod=entry.date,
                               turned_off=turned_off))
    routes.append(PageSpec("tags", "/tags/", "tags.html", _("Tags"), "the tags list (built in)"))
    for tag in model.tags:
        routes.append(PageSpec("tag", tag.url, "tag.html", _("Tagged “%(tag)s”") % {"tag": tag.name},
                               f"the tag '{tag.name}'", context={"tag": tag, "entries": tag.entries},
                               feed_entries=tag.entries))
    routes.append(PageSpec("info", "/reviews-policy/", "reviews_policy.html", _("How we handle customer stories"),
                           "the reviews policy page (built in)", context={"policy": model.policy},
                           description=_("How we collect, check and publish customer stories, with live counts.")))
    routes.append(PageSpec("info", "/share-your-story/", "share_your_story.html", _("Share your story"),
                           "the share-your-story page (built in)", context={"policy": model.policy}))
    if thanks_page:
        routes.append(PageSpec("info", "/share-your-story/thanks/", "share_thanks.html", _("Thank you for your story"),
                               "the thank-you page of the share-your-story form (built in)"))
    routes.append(PageSpec("info", "/embed/", "embed.html", _("Our stories on your website"),
                           "the embed demo page (built in)",
                           description=_("Show our customers’ stories on your own website with one line of code.")))
    routes.append(PageSpec("notfound", "/404.html", "404.html", _("Page not found"), "the 404 page (built in)",
                           in_sitemap=False))
    return routes


def _campaign_description(campaign: Campaign, words: gettext.NullTranslations) -> str:
    for update in reversed(campaign.updates):
        if update.summary:
            return update.summary
    if campaign.beneficiary:
        return words.gettext("Our charity campaign %(name)s for %(beneficiary)s.") % {
            "name": campaign.name, "beneficiary": campaign.beneficiary}
    return words.gettext("Our charity campaign %(name)s.") % {"name": campaign.name}


def _paginated(stories: list[Testimonial], per_page: int, words: gettext.NullTranslations) -> list[PageSpec]:
    chunks = [stories[i:i + per_page] for i in range(0, len(stories), per_page)] or [[]]
    specs = []
    for number, chunk in enumerate(chunks, start=1):
        paginator = Paginator(number, len(chunks), "/testimonials/")
        title = words.gettext(by_name("testimonial").title)
        if number > 1:
            title = words.gettext("%(title)s (page %(number)s)") % {"title": title, "number": number}
        specs.append(PageSpec("section", paginator.url_of(number), "testimonials.html", title,
                              "the customer stories list (built in)",
                              context={"entries": chunk, "paginator": paginator},
                              feed_entries=list[Entry](stories) if number == 1 else None))
    return specs


def _check_collisions(pages: list[PageSpec], errors: ErrorCollector, reserved: dict[str, str]) -> None:
    claimed: dict[str, PageSpec | str] = dict(reserved)
    for page in pages:
        for fmt in page.formats:
            path = page.output_path(fmt)
            earlier = claimed.get(path)
            if earlier is None:
                claimed[path] = page
                continue
            other = earlier.source if isinstance(earlier, PageSpec) else earlier
            first, second = sorted([other, page.source])
            address = f"/{path.removesuffix('index.html')}"
            if isinstance(earlier, str):  # a copied file (static/ or content/) where a page goes
                errors.add(OutputError(f"two sources for one address {address}: {earlier} and {page.source} "
                                       f"— rename or remove {earlier}", SourceLocation(earlier)))
                continue
            files = [p for p in (page, earlier) if p.source.endswith(".md")]
            # blame the file whose slug says so explicitly, else the one found later
            chosen = max(files, key=lambda p: (p.source_line or 1) > 1, default=None)
            blamed = SourceLocation(chosen.source, chosen.source_line) if chosen else SourceLocation(second)
            errors.add(OutputError(
                f"two sources for one address {address}: {first} and {second} "
                f"— change the slug of one of them", blamed))
