"""A customer's submission as it waits for a decision, and the lawful reasons to withhold one.

One submission is one JSON file named by its id. The id is a hash of what the customer
sent (not of when it arrived or how), so the same story imported twice has the same id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from storyforge.core.words import N_
from storyforge.errors import ModerationError, SourceLocation

NAME_CHOICES = ("full", "first-initial", "anonymous")
NAME_CHOICE_WORDS = {"full": "full name", "first-initial": "first name and initial", "anonymous": "no name"}
VERIFY_METHODS = ("order", "booking", "none")
SOURCES = ("csv", "json", "phone", "email", "form")
ANONYMOUS = "Anonymous customer"
ID_LENGTH = 12

#: the only grounds on which a story may be withheld (16 CFR 465.7(b)(2)), plus three of our own
REASONS: dict[str, str] = {
    "confidential": N_("contains confidential or private business information"),
    "defamatory": N_("makes damaging claims about a person or business that are not true"),
    "harassing": N_("harasses a person"),
    "abusive": N_("is abusive towards a person"),
    "obscene": N_("is obscene"),
    "vulgar": N_("is vulgar"),
    "sexually-explicit": N_("is sexually explicit"),
    "personal-information": N_("reveals another person's personal information"),
    "discriminatory": N_("is discriminatory (race, gender, sexuality, ethnicity or another protected trait)"),
    "false-or-misleading": N_("is clearly false or misleading"),
    "fake": N_("is, we reasonably believe, fake (not from a real customer, or written for pay)"),
    "unrelated": N_("is wholly unrelated to our products or services (for example advertising)"),
    "no-consent": N_("was sent without its author's agreement to publish it"),
    "duplicate": N_("repeats a story the same person already sent"),
    "withdrawn-by-author": N_("was taken down at its author's request"),
}
#: other names for a reason: the screening flag is called ``spam``, the lawful ground ``unrelated``
REASON_ALIASES: dict[str, str] = {"spam": "unrelated"}
#: words people reach for that are exactly what the rule forbids
SENTIMENT_WORDS = ("negative", "low-rating", "low rating", "lowrating", "bad", "bad-review", "critical", "unhappy",
                   "complaint", "rating", "one-star", "1-star", "two-star", "2-star", "unfair", "mean", "poor")


def reason_code(code: str) -> str:
    """The reason code ``code`` stands for (``spam`` → ``unrelated``); unknown codes come back as they are."""
    return REASON_ALIASES.get(code.strip().lower(), code)


def reason_problem(code: str) -> str | None:
    """Why ``code`` cannot be used to withhold a story, or None when it is a lawful ground."""
    if reason_code(code) in REASONS:
        return None
    allowed = "\n".join(f"  {name:<22}{meaning}" for name, meaning in REASONS.items())
    if code.strip().lower() in SENTIMENT_WORDS or "rating" in code.lower() or "negative" in code.lower():
        why = (f"'{code}' is not a reason to withhold a story: the FTC rule on consumer reviews "
               "(16 CFR 465.7) forbids hiding reviews because of their rating or because they are "
               "negative. Publish it (you can add a public reply with 'response:'), or withhold it only "
               "on grounds applied to every story alike")
    else:
        from storyforge.errors import did_you_mean

        why = (f"'{code}' is not one of the lawful grounds to withhold a story{did_you_mean(code, list(REASONS))}"
               " — the FTC rule on consumer reviews (16 CFR 465.7) allows withholding only on grounds applied "
               "to every story alike, never because of a rating or a negative opinion")
    return f"{why}. Use one of:\n{allowed}"


@dataclass
class Consent:
    """What the customer agreed may be published."""

    publish: bool = False
    name: str = "anonymous"  # one of NAME_CHOICES
    town: bool = False
    photo: bool = False


@dataclass
class Verification:
    """The reference the customer gave, and what the business's own records said about it.

    A reference alone proves nothing (anyone can type one); ``checked`` says which row of the
    owner's orders file matched it. Only a match, or the owner's ``approve --verified``, makes a
    story "Verified customer".
    """

    method: str = "none"  # one of VERIFY_METHODS
    reference: str = ""
    checked: str = ""  # e.g. "orders.csv row 12"; empty while nothing of ours confirms it


@dataclass
class Flag:
    """One screening finding; ``blocks`` means approval is refused while it stands."""

    code: str
    message: str
    blocks: bool = False


@dataclass
class Submission:
    """A customer's story before a decision: what they sent, what they agreed to, what screening found."""

    id: str
    received_at: str  # ISO 8601 with offset
    source: str  # one of SOURCES
    title: str
    body: str
    name: str = ""
    rating: int | None = None
    rating_given: str = ""  # the customer's answer when it was not a whole number
    product: str = ""
    location: str = ""
    photo: str = ""  # address of a photo the customer sent, or photos/<file> stored beside the submissions
    contact_email: str = ""  # for replies only; never published
    incentive: str = ""
    relationship: str = ""
    #: the language the customer wrote in, as site.yaml's ``languages`` spells it; '' for the default
    #: language (and on a one-language site), left out of the file then (``story_languages``)
    lang: str = ""
    consent: Consent = field(default_factory=Consent)
    verification: Verification = field(default_factory=Verification)
    flags: list[Flag] = field(default_factory=list)
    decision: dict[str, Any] | None = None  # set on the copies in rejected/ and withdrawn/

    @property
    def author(self) -> str:
        """The name exactly as the customer agreed it may be shown."""
        return display_name(self.name, self.consent.name)

    @property
    def received_date(self) -> str:
        return self.received_at[:10]

    @property
    def blocking(self) -> list[Flag]:
        return [f for f in self.flags if f.blocks]

    def to_json(self) -> bytes:
        data = asdict(self)
        if data["decision"] is None:
            del data["decision"]
        if not data["lang"]:
            del data["lang"]
        return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, rel_path: str) -> Submission:
        """Read a submission file; a ModerationError names the file and what is wrong."""
        where = SourceLocation(rel_path)
        try:
            raw = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise ModerationError("not UTF-8 text — restore the file from its export", where) from None
        except json.JSONDecodeError as exc:
            raise ModerationError(f"not valid JSON: {exc.msg} (column {exc.colno}) — fix the file",
                                  SourceLocation(rel_path, exc.lineno)) from None
        if not isinstance(raw, dict):
            raise ModerationError("expected a JSON object with the submission's fields", where)
        try:
            return cls._from_dict(raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModerationError(f"not a submission file: {exc}", where) from None

    @classmethod
    def _from_dict(cls, raw: dict[str, Any]) -> Submission:
        for key in ("id", "received_at", "source", "title", "body"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise ValueError(f"'{key}' is missing or not text")
        consent = Consent(**raw.get("consent", {}))
        verification = Verification(**raw.get("verification", {}))
        if consent.name not in NAME_CHOICES:
            raise ValueError(f"consent.name must be one of {', '.join(NAME_CHOICES)}")
        if not all(isinstance(v, bool) for v in (consent.publish, consent.town, consent.photo)):
            raise ValueError("consent.publish, consent.town and consent.photo must be true or false")
        if verification.method not in VERIFY_METHODS:
            raise ValueError(f"verification.method must be one of {', '.join(VERIFY_METHODS)}")
        if not isinstance(raw.get("lang", ""), str):
            raise ValueError("lang must be a language code such as fr, or left out")
        rating = raw.get("rating")
        if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int)):
            raise ValueError("rating must be a whole number or null")
        flags = [Flag(**f) for f in raw.get("flags", [])]
        known = {k: v for k, v in raw.items() if k not in ("consent", "verification", "flags")}
        return cls(**known, consent=consent, verification=verification, flags=flags)


def display_name(name: str, choice: str) -> str:
    """'Priya Sharma' → 'Priya Sharma' | 'Priya S.' | 'Anonymous customer', as consented."""
    words = name.split()
    if choice not in ("full", "first-initial") or not words:
        return ANONYMOUS
    if choice == "full" or len(words) == 1:
        return " ".join(words)
    initial = next((c for c in words[-1] if c.isalpha()), "")
    return f"{words[0]} {initial.upper()}." if initial else words[0]


def content_id(fields: dict[str, Any]) -> str:
    """A stable id from what the customer sent (never from when or how it arrived)."""
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:ID_LENGTH]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
