"""site.yaml → a frozen SiteConfig; every problem in the file is reported at once."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from storyforge.core import branding as branding_rules
from storyforge.core.branding import Branding
from storyforge.core.content_types import type_names
from storyforge.core.deploy_settings import DeploySettings, deploy_settings
from storyforge.core.language import bcp47
from storyforge.core.setting_rules import (
    Checker,
    MenuLink,
    check_address,
    check_base_url,
    check_bool,
    check_column_names,
    check_country,
    check_digest,
    check_email,
    check_http_url,
    check_inbox,
    check_languages,
    check_mapping,
    check_menu,
    check_orders_file,
    check_positive_int,
    check_relative_dir,
    check_smtp_security,
    check_submissions_dir,
    check_text,
    check_theme,
    check_timezone,
    check_translations,
    check_words,
    normalise_base_url,
    refuse_s3_secret,
    refuse_secret,
)
from storyforge.core.slugs import slug_style
from storyforge.core.yaml_source import YamlMapping, load_mapping
from storyforge.errors import ConfigError, ErrorCollector, SourceLocation, did_you_mean

CONFIG_FILE = "site.yaml"
#: what a command run outside a site says: a newcomer's first command is often `storyforge build`
NO_SITE_HERE = (f"no {CONFIG_FILE} here — run `storyforge init` to start a new site, or run storyforge in your "
                "site folder (or pass --site DIR)")
#: what a submissions export can hold; moderation.columns maps each to the export's header(s)
SUBMISSION_COLUMNS = ("received_at", "name", "email", "title", "story", "rating", "product", "town", "photo",
                      "order", "booking", "consent_publish", "consent_name", "consent_town", "consent_photo",
                      "incentive", "relationship", "honeypot", "lang")


@dataclass(frozen=True)
class Business:
    name: str
    tagline: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    opening_hours: str = ""
    logo: str = ""
    #: what customers come for, as examples for the share-your-story form: "a repair, a service or a new bike"
    what_customers_buy: str = ""


@dataclass(frozen=True)
class Notify:
    """moderation.notify: who hears about each story `storyforge intake` takes, and how. The SMTP
    password is never here: it is read from STORYFORGE_SMTP_PASSWORD when a mail is sent."""

    email_to: str = ""
    email_from: str = ""
    smtp_host: str = ""
    smtp_port: int = 0  # 0: the security's usual port (587 for starttls, 465 for tls, 25 for none)
    smtp_user: str = ""
    smtp_security: str = "starttls"
    webhook: str = ""
    #: "each": one mail per new story, sent by intake; "daily": none from intake, one a day from
    #: `storyforge intake digest` (run by cron or a timer)
    digest: str = "each"


@dataclass(frozen=True)
class Moderation:
    """The moderation: section — where submissions live and how exports and screening work."""

    submissions_dir: str = "submissions"
    form_endpoint: str = ""
    #: where `storyforge intake` answers (ends in /); the share-your-story form then posts there
    intake_url: str = ""
    #: "s3://bucket/prefix": `storyforge intake` writes new stories there, `submissions pull` brings them
    #: into submissions/inbox/; "" (the default): intake writes into submissions/inbox/ itself
    inbox: str = ""
    inbox_endpoint_url: str = ""  # an S3-compatible service's address (R2, B2, MinIO); "" for AWS
    inbox_region: str = ""
    notify: Notify = field(default_factory=Notify)
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    profanity: tuple[str, ...] = ()
    verification: str = ""
    orders: str = ""  # the owner's export of orders/bookings, matched at import; never published
    country: str = ""  # ISO 3166 code for reading phone numbers; else taken from language (en-GB → GB)

    def region(self, language: str) -> str | None:
        """The two-letter country phone numbers are read in: moderation.country, else the language's."""
        if self.country:
            return self.country.upper()
        tail = language.replace("_", "-").split("-")[-1] if "-" in language.replace("_", "-") else ""
        return tail.upper() if len(tail) == 2 and tail.isalpha() else None


@dataclass(frozen=True)
class ImageSettings:
    """The images: section — how every published photo is made ready for the web."""

    widths: tuple[int, ...] = (160, 480, 960, 1600)  # the widest is also the largest size published
    #: a customer's photo shown only as their face (the theme's 48 px circle) is made at these
    #: widths alone — 1× and 2× of its displayed size — not at every width of a page's photos
    face_widths: tuple[int, ...] = (48, 96)
    quality: int = 80  # JPEG and WebP quality, 1–95
    warn_over_kb: int = 2000  # a source image larger than this gets a warning (it still builds)


def check_widths(value: Any) -> tuple[int, ...]:
    """images.widths: whole numbers of pixels, each from 16 to 4096."""
    if not isinstance(value, list) or not value or not all(
            isinstance(w, int) and not isinstance(w, bool) and 16 <= w <= 4096 for w in value):
        raise ValueError(f"expected a list of widths in pixels from 16 to 4096, e.g. [480, 960, 1600], got {value!r}")
    return tuple(sorted(set(value)))


def check_quality(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 95:
        raise ValueError(f"expected a whole number from 1 to 95, got {value!r}")
    return value


@dataclass(frozen=True)
class SiteConfig:
    """Everything site.yaml says, typed and checked."""

    root: Path
    title: str
    base_url: str
    business: Business
    description: str = ""
    language: str = "en"  # a BCP 47 tag Babel knows: en, en-GB, fr
    #: every language of a multilingual site, the default (``language``) first; () for one language
    languages: tuple[str, ...] = ()
    #: language → the site's own words in it (``translations:``): description, tagline, …
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: the whole site's address when this config is one language's view of it (``core.languages``);
    #: "" when base_url is the site's own address
    site_url: str = ""
    slugs: str = "ascii"  # "unicode" keeps a title's own letters in its address (/отличный-сервис/)
    timezone: str = "UTC"
    theme: str = "default"
    output_dir: str = "public"
    feed_items: int = 20
    per_page: int = 10
    allow_raw_html_in_pages: bool = False
    max_body_bytes: int = 2_000_000
    defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    default_lines: Mapping[tuple[str, ...], int] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    moderation: Moderation = field(default_factory=Moderation)
    share_cards: bool = True  # a 1200×630 PNG per story, its og:image
    branding: Branding = field(default_factory=Branding)
    #: the navigation, when site.yaml lists it; else the theme makes it from the site's sections and pages
    menu: tuple[MenuLink, ...] = ()
    deploy: DeploySettings = field(default_factory=DeploySettings)  # where `storyforge deploy` publishes
    images: ImageSettings = field(default_factory=ImageSettings)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def base_path(self) -> str:
        """The path part of base_url, always ending in '/' (e.g. '/' or '/shop/')."""
        return urlsplit(self.base_url).path or "/"

    @property
    def root_url(self) -> str:
        """The site's own address: base_url, or for one language's view the address of the whole
        site, where the static files (styles, images, scripts) are published once for all."""
        return self.site_url or self.base_url

    def asset_url(self, path: str) -> str:
        """The absolute address of a static file (a photo, a logo), which no language prefixes."""
        return path if "://" in path else self.root_url + path.lstrip("/")

    def with_base_url(self, base_url: str) -> SiteConfig:
        from dataclasses import replace

        return replace(self, base_url=normalise_base_url(base_url))


# --- the schema of site.yaml: key → checker (``setting_rules``); nested sections are dicts ---

SCHEMA: dict[str, Any] = {
    "title": check_text,
    "description": check_text,
    "base_url": check_base_url,
    "language": lambda value: bcp47(check_text(value)),
    "languages": check_languages,
    "translations": check_translations,
    "slugs": lambda value: slug_style(check_text(value)),
    "timezone": check_timezone,
    "theme": check_theme,
    "output_dir": check_relative_dir,
    "share_cards": check_bool,
    "business": {
        "name": check_text,
        "tagline": check_text,
        "address": check_text,
        "phone": check_text,
        "email": check_text,
        "opening_hours": check_text,
        "logo": check_address,
        "what_customers_buy": check_text,
    },
    "branding": branding_rules.SCHEMA,
    "menu": check_menu,
    "feeds": {"items": check_positive_int},
    "pagination": {"per_page": check_positive_int},
    "markdown": {"allow_raw_html_in_pages": check_bool, "max_body_bytes": check_positive_int},
    "defaults": check_mapping,
    "extra": check_mapping,
    "moderation": {
        "submissions_dir": check_submissions_dir,
        "form_endpoint": check_http_url,
        "intake_url": lambda value: normalise_base_url(check_http_url(value)),
        "inbox": check_inbox, "inbox_endpoint_url": check_http_url, "inbox_region": check_text,
        "inbox_access_key": refuse_s3_secret, "inbox_secret_key": refuse_s3_secret,
        "notify": {
            "email_to": check_email, "email_from": check_email, "smtp_host": check_text,
            "smtp_port": check_positive_int, "smtp_user": check_text, "smtp_security": check_smtp_security,
            "webhook": check_http_url, "smtp_password": refuse_secret, "digest": check_digest,
        },
        "columns": dict.fromkeys(SUBMISSION_COLUMNS, check_column_names),
        "profanity": check_words,
        "verification": check_text,
        "orders": check_orders_file,
        "country": check_country,
    },
    "images": {"widths": check_widths, "face_widths": check_widths, "quality": check_quality,
               "warn_over_kb": check_positive_int},
    "deploy": lambda value: value,  # named targets: checked by core.deploy_settings, with their lines
}


def checked_setting(key: str, value: Any) -> Any:
    """A top-level setting as ``load_config`` would keep it (e.g. ``base_url`` with its closing slash),
    for code that writes a site.yaml; ValueError says what is wrong, as the build would."""
    rule: Checker = SCHEMA[key]
    return rule(value)


REQUIRED = {("title",): "the site's name, e.g. title: Hearth & Crumb",
            ("base_url",): "the address the site is published at, e.g. base_url: https://www.example.com/"}


def load_config(site_dir: Path) -> SiteConfig:
    """Read and check ``site_dir/site.yaml``; raises BuildFailed listing every problem."""
    path = site_dir / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(NO_SITE_HERE, SourceLocation(str(path))) from None
    except UnicodeDecodeError as exc:  # the line of the first bad byte, and the fix
        raw = path.read_bytes()
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(f"not valid UTF-8 text (byte 0x{raw[min(exc.start, len(raw) - 1)]:02x}) — save the file "
                          "as UTF-8", SourceLocation(CONFIG_FILE, line)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc} — check the file and its permissions",
                          SourceLocation(CONFIG_FILE)) from None
    doc = load_mapping(text.replace("\r\n", "\n"), CONFIG_FILE, ConfigError)
    errors = ErrorCollector()
    values = _check_section(doc, SCHEMA, (), errors)
    for key_path, hint in REQUIRED.items():
        if key_path[0] not in doc.data or doc.data[key_path[0]] in (None, "") or (
                key_path[0] in values and not values[key_path[0]]):  # e.g. only spaces
            errors.add(ConfigError(f"{key_path[0]}: required — {hint}", SourceLocation(CONFIG_FILE, 1)))
    defaults = values.get("defaults", {})
    content_types = type_names()  # the registered ones, as they are when the file is read
    for type_name in defaults:
        if type_name not in (*content_types, "all"):
            errors.add(ConfigError(
                f"defaults.{type_name}: unknown content type{did_you_mean(type_name, content_types)}; "
                f"expected one of all, {', '.join(content_types)}",
                SourceLocation(CONFIG_FILE, doc.line_of("defaults", type_name)),
            ))
        elif not isinstance(defaults[type_name], dict):
            errors.add(ConfigError(f"defaults.{type_name}: expected 'key: value' lines",
                                   SourceLocation(CONFIG_FILE, doc.line_of("defaults", type_name))))
    moderation = values.get("moderation", {})
    output_top = values.get("output_dir", "public").replace("\\", "/").strip("/").split("/")[0]
    for key in ("submissions_dir", "orders"):
        if moderation.get(key, "submissions").split("/")[0] == output_top:
            errors.add(ConfigError(f"moderation.{key}: must not be inside output_dir, which is published",
                                   SourceLocation(CONFIG_FILE, doc.line_of("moderation", key))))
    branding, problems = branding_rules.make_branding(values.get("branding", {}), site_dir, doc.line_of)
    for problem in problems:
        errors.add(problem)
    deploy = deploy_settings(doc.data.get("deploy"), doc, CONFIG_FILE, errors)
    language, languages = _site_languages(values, doc, errors)
    errors.raise_if_any("configuration")
    business = values.get("business", {})
    return SiteConfig(
        root=site_dir,
        title=values["title"],
        base_url=values["base_url"],
        business=Business(name=business.get("name") or values["title"],
                          **{k: v for k, v in business.items() if k != "name"}),
        description=values.get("description", ""),
        language=language,
        languages=languages,
        translations=values.get("translations", {}),
        slugs=values.get("slugs", "ascii"),
        timezone=values.get("timezone", "UTC"),
        theme=values.get("theme", "default"),
        output_dir=values.get("output_dir", "public"),
        feed_items=values.get("feeds", {}).get("items", 20),
        per_page=values.get("pagination", {}).get("per_page", 10),
        allow_raw_html_in_pages=values.get("markdown", {}).get("allow_raw_html_in_pages", False),
        max_body_bytes=values.get("markdown", {}).get("max_body_bytes", 2_000_000),
        defaults=defaults,
        default_lines={k[1:]: v for k, v in doc.lines.items() if k[:1] == ("defaults",)},
        extra=values.get("extra", {}),
        moderation=Moderation(**{**moderation, "notify": Notify(**moderation.get("notify", {}))}),
        share_cards=values.get("share_cards", True),
        branding=branding,
        menu=values.get("menu", ()),
        deploy=deploy,
        images=ImageSettings(**values.get("images", {})),
    )


def _site_languages(values: dict[str, Any], doc: YamlMapping, errors: ErrorCollector) -> tuple[str, tuple[str, ...]]:
    """The default language and, for a multilingual site, every language with the default first:
    ``language:`` when it is set (it must be one of ``languages:``), else the first listed."""
    listed: tuple[str, ...] = values.get("languages", ())
    language: str = values.get("language") or (listed[0] if listed else "en")
    if not listed:
        return language, ()
    if "language" in values and language not in listed:
        errors.add(ConfigError(f"language: {language} is not one of languages: [{', '.join(listed)}] — add it "
                               "there, or leave language: out (the first of languages: is the default)",
                               SourceLocation(CONFIG_FILE, doc.line_of("language"))))
    for tag in values.get("translations", {}):
        if tag not in listed or tag == language:
            errors.add(ConfigError(f"translations: {tag} is not one of the other languages: [{', '.join(listed)}] — "
                                   "the default language's words are the settings themselves",
                                   SourceLocation(CONFIG_FILE, doc.line_of("translations"))))
    if len(listed) == 1:
        return language, ()  # one language: the site is built exactly as with language: alone
    return language, (language, *[tag for tag in listed if tag != language])


def _check_section(
    doc: YamlMapping, schema: dict[str, Any], prefix: tuple[str, ...], errors: ErrorCollector
) -> dict[str, Any]:
    data: Any = doc.data
    for key in prefix:
        data = data.get(key)
    if not isinstance(data, dict):
        errors.add(ConfigError(f"{'.'.join(prefix)}: expected 'key: value' lines below it",
                               SourceLocation(CONFIG_FILE, doc.line_of(*prefix))))
        return {}
    checked: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        path = (*prefix, key)
        where = SourceLocation(CONFIG_FILE, doc.line_of(*path))
        name = ".".join(path)
        if key not in schema:
            errors.add(ConfigError(
                f"{name}: unknown setting{did_you_mean(key, list(schema))}; "
                f"known here: {', '.join(sorted(schema))}", where))
            continue
        if value is None:
            continue
        rule = schema[key]
        if isinstance(rule, dict):
            checked[key] = _check_section(doc, rule, path, errors)
            continue
        try:
            checked[key] = rule(value)
        except ValueError as exc:
            errors.add(ConfigError(f"{name}: {exc}", where))
    return checked
