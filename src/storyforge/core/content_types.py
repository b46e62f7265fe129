"""The registry of content types: one row per kind of content file, holding everything that differs
between the kinds.

A content type is a folder under content/, the front-matter keys its files accept, the dataclass
its entries become, where their pages go and how they are drawn, the name the build summary counts
them under and what ``storyforge new`` writes. Discovery, validation, site.yaml's ``defaults``, the
route table, output formats, the summary line and the ``new`` command all read these rows, so a
new type is one ``register`` call. The five built-in types are registered when this module is
imported, in the order messages list them: testimonial, event, charity, alert, page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from storyforge.core.entries import Alert, CharityUpdate, Entry, Event, Page, Testimonial
from storyforge.core.fields import (
    ALERT_FIELDS,
    CHARITY_FIELDS,
    COMMON,
    EVENT_FIELDS,
    PAGE_FIELDS,
    SLUG_RE,
    TESTIMONIAL_FIELDS,
    FieldSpec,
)
from storyforge.core.words import N_

#: the output formats of an entry's own page, by the page's kind: a story also has its share card
#: (png, see site.yaml share_cards), an event its calendar file; any other entry only its HTML
ENTRY_PAGE_FORMATS: dict[str, tuple[str, ...]] = {
    "entry": ("html",),
    "event": ("html", "ics"),
    "story": ("html", "png"),
}

#: (title, now) → the front matter ``storyforge new`` writes between the '---' lines
FrontMatter = Callable[[str, datetime], str]


@dataclass(frozen=True)
class ContentType:
    """One kind of content, e.g. the customer stories in content/testimonials/."""

    name: str  # 'testimonial': a Document's content_type, site.yaml's defaults.<name>, `storyforge new <name>`
    folder: str  # its files are content/<folder>/*.md
    url_prefix: str  # an entry's page is at <url_prefix><slug>/; '/' or one folder such as '/testimonials/'
    title: str  # the section's title, e.g. 'Customer stories'
    entry_class: type[Entry]  # what a valid file becomes; has a field for every key in ``fields``
    fields: Mapping[str, FieldSpec]  # the front-matter keys a file may have, COMMON among them
    template: str  # the template of an entry's page, e.g. 'testimonial.html'
    page_kind: str  # 'story', 'event' or 'entry': the kind of its entries' pages, which decides their formats
    summary_name: str  # its pages are counted under this name in the build summary line
    new_front_matter: FrontMatter  # what `storyforge new <name> "Title"` writes
    #: a list page at ``url_prefix`` (HTML and an RSS feed of its entries, newest first) drawn with
    #: this template; None for the built-in types, whose list pages the route table draws itself
    list_template: str | None = None
    #: its link in the site's navigation when it has entries (else ``title``); '' keeps it out of the navigation
    nav_title: str | None = None

    def url_of(self, slug: str) -> str:
        """The address of an entry of this type, e.g. '/testimonials/a-story/'."""
        return f"{self.url_prefix}{slug}/"

    def __post_init__(self) -> None:
        """Refuse a row the rest of the program could not use, naming what is wrong."""
        where = f"content type '{self.name}'"
        if not SLUG_RE.fullmatch(self.name) or not SLUG_RE.fullmatch(self.folder):
            raise ValueError(f"{where}: name and folder must be lowercase words joined by hyphens")
        segment = self.url_prefix.strip("/")
        if not self.url_prefix.startswith("/") or not self.url_prefix.endswith("/") or "/" in segment:
            raise ValueError(f"{where}: url_prefix must be '/' or one folder like '/{self.folder}/'")
        if self.page_kind not in ENTRY_PAGE_FORMATS:
            raise ValueError(f"{where}: page_kind must be one of {', '.join(ENTRY_PAGE_FORMATS)}")
        missing = [key for key in COMMON if key not in self.fields]
        if missing:
            raise ValueError(f"{where}: fields must include the common keys (missing {', '.join(missing)})")
        attributes = {item.name for item in dataclasses.fields(self.entry_class)}
        unknown = [key for key in self.fields if key not in attributes]
        if unknown:
            raise ValueError(f"{where}: {self.entry_class.__name__} has no field for {', '.join(unknown)}")


_BY_NAME: dict[str, ContentType] = {}
_BY_FOLDER: dict[str, ContentType] = {}


def register(content_type: ContentType) -> ContentType:
    """Add a content type after those already registered; refuses a second use of its name,
    folder or address prefix. Returns the row, so it can be kept for ``unregister``."""
    for other in _BY_NAME.values():
        for attribute in ("name", "folder", "url_prefix"):
            if getattr(other, attribute) == getattr(content_type, attribute):
                raise ValueError(f"content type '{content_type.name}': {attribute} "
                                 f"{getattr(content_type, attribute)!r} is already used by '{other.name}'")
    _BY_NAME[content_type.name] = content_type
    _BY_FOLDER[content_type.folder] = content_type
    return content_type


def unregister(name: str) -> None:
    """Remove a registered content type (for tests and plugins that add one for a while)."""
    removed = _BY_NAME.pop(name)
    del _BY_FOLDER[removed.folder]


def by_name(name: str) -> ContentType:
    """The content type called ``name``; KeyError if there is none."""
    return _BY_NAME[name]


def by_folder(folder: str) -> ContentType | None:
    """The content type whose files live in content/<folder>/, or None."""
    return _BY_FOLDER.get(folder)


def all_types() -> tuple[ContentType, ...]:
    """Every registered content type, in the order they were registered."""
    return tuple(_BY_NAME.values())


def type_names() -> tuple[str, ...]:
    """The names of the registered content types, in the order they were registered."""
    return tuple(_BY_NAME)


# --- what `storyforge new` writes for each built-in type --------------------------

#: the body `storyforge new` writes; a published file that still holds it gets a warning at build time
PLACEHOLDER_BODY = "Write the story here, in Markdown."
#: front-matter values `storyforge new` writes that a person must replace (key → the placeholder)
PLACEHOLDER_VALUES: Mapping[str, str] = {"author": "Customer name", "campaign": "Campaign name"}
#: the line about drafts every new file starts with; `storyforge init` swaps it for its published samples
DRAFT_LINE = "draft: true   # set to false (or delete this line) to publish\n"


def common_front_matter(title: str, now: datetime) -> str:
    """The first keys of every new file: the title (quoted), today's date and ``draft: true``."""
    quoted = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"title: {quoted}\ndate: {now.date().isoformat()}\n" + DRAFT_LINE


def _new_testimonial(title: str, now: datetime) -> str:
    """Rating and consent are left empty: only the customer can say them, so a person must copy them
    from what the customer sent (a published story with an empty consent stops the build)."""
    return common_front_matter(title, now) + (
        f"author: {PLACEHOLDER_VALUES['author']}   # FILL IN the name as the customer agreed to show it\n"
        "location: \n"
        "rating:    # FILL IN the customer's own rating, 1 to 5, or delete the line if they gave none\n"
        "product: \n"
        "consent:    # FILL IN true only if the customer agreed to publication (false keeps it off the site)\n"
        "verified: false\n"
        "incentive:    # what they received for writing it, if anything (shown as a disclosure)\n"
        "relationship:    # e.g. Employee, if they are connected to the business\n"
        "tags: []\n")


def _new_event(title: str, now: datetime) -> str:
    start = (now + timedelta(days=7)).replace(hour=10, minute=0)
    return common_front_matter(title, now) + (
        f"start: {start:%Y-%m-%d %H:%M}\nend: {start + timedelta(hours=2):%Y-%m-%d %H:%M}\n"
        "location: \naddress: \ncost: Free\nstatus: scheduled\ntags: []\n")


def _new_charity(title: str, now: datetime) -> str:
    return common_front_matter(title, now) + (
        f"campaign: {PLACEHOLDER_VALUES['campaign']}   # FILL IN: updates with the same campaign form one page\n"
        "goal: 1000\nraised: 0\ncurrency: GBP\nbeneficiary: \ntags: []\n")


def _new_alert(title: str, now: datetime) -> str:
    return common_front_matter(title, now) + (
        f"severity: info   # info, warning or critical\nstarts: {now.date().isoformat()}\n"
        f"expires: {(now + timedelta(days=7)).date().isoformat()}   # the banner goes after this day\n"
        "link: \ntags: []\n")


def _new_page(title: str, now: datetime) -> str:
    return common_front_matter(title, now) + (
        "menu: true   # listed in the site's navigation; false keeps it to links you add yourself\n"
        "weight: 0   # the order in the navigation, smallest first\n")


# --- the built-in types, in the order messages list them --------------------------

register(ContentType(
    name="testimonial", folder="testimonials", url_prefix="/testimonials/", title=N_("Customer stories"),
    entry_class=Testimonial, fields=TESTIMONIAL_FIELDS, template="testimonial.html", page_kind="story",
    summary_name="testimonials", new_front_matter=_new_testimonial, nav_title=N_("Stories")))
register(ContentType(
    name="event", folder="events", url_prefix="/events/", title=N_("Events"),
    entry_class=Event, fields=EVENT_FIELDS, template="event.html", page_kind="event",
    summary_name="events", new_front_matter=_new_event))
register(ContentType(
    name="charity", folder="charity", url_prefix="/charity/", title=N_("Charity"),
    entry_class=CharityUpdate, fields=CHARITY_FIELDS, template="charity.html", page_kind="entry",
    summary_name="charity", new_front_matter=_new_charity))
register(ContentType(
    name="alert", folder="alerts", url_prefix="/alerts/", title=N_("Notices"),
    entry_class=Alert, fields=ALERT_FIELDS, template="alert.html", page_kind="entry",
    summary_name="alerts", new_front_matter=_new_alert, nav_title=""))
register(ContentType(
    name="page", folder="pages", url_prefix="/", title=N_("Pages"),
    entry_class=Page, fields=PAGE_FIELDS, template="page.html", page_kind="entry",
    summary_name="pages", new_front_matter=_new_page, nav_title=""))
