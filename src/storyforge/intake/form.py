"""The share-your-story form as the default theme renders it → the field texts ``submissions add``
takes, with the form's own rules (what it marks required) on top of moderation's.

The form's names are the theme's (``order`` holds an order number or a booking reference,
``website`` is the honeypot); what a story must be is moderation's (``intake.build_submission``),
never repeated here. Errors name the field the customer sees, in words. On a site in several
languages each language's form sends its language as a hidden ``lang`` field, so the story is filed,
screened and published in the language the customer wrote it in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

#: the form's fields, by their name in the theme, and how an error names each to the customer
LABELS = {"story": "Your story", "title": "A title for your story", "rating": "Your rating",
          "product": "What was it about?", "name": "Your name", "email": "Your email address", "town": "Your town",
          "order": "Order number or booking reference", "incentive": "Did you receive anything from us",
          "relationship": "Are you connected to us", "consent_publish": "I agree that we may publish my story",
          "consent_name": "Show my name as", "consent_town": "You may show my town",
          "consent_photo": "You may show my photo", "photo": "Your photo", "lang": "The language of the form"}
REQUIRED = {"story": "please tell us your story", "name": "please give your name",
            "email": "please give an email address, so we can reply or check a detail with you",
            "consent_publish": "please tick the box if you agree to us publishing your story — without it we "
                               "cannot show it"}
HONEYPOT = "website"
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: what moderation's error messages start with, per form field (they name moderation's fields)
_MESSAGE_FIELDS = (("the story", "story"), ("story", "story"), ("no story", "story"), ("email", "email"),
                   ("name", "name"), ("title", "title"), ("rating", "rating"), ("product", "product"),
                   ("town", "town"), ("photo", "photo"), ("order", "order"), ("incentive", "incentive"),
                   ("relationship", "relationship"), ("consent to publish", "consent_publish"),
                   ("consent to show the town", "consent_town"), ("consent to show a photo", "consent_photo"),
                   ("name choice", "consent_name"), ("show the name", "consent_name"), ("lang:", "lang"))


@dataclass
class FieldErrors(Exception):
    """Field name → what is wrong, in words; the form shows each beside its field."""

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{LABELS.get(name, name)}: {text}" for name, text in self.errors.items())


def values_from(form: Mapping[str, str]) -> dict[str, str]:
    """The field texts ``submissions add`` takes (``SUBMISSION_COLUMNS``), from the posted form.

    FieldErrors when a field the form marks required is empty or the email is not an address."""
    get = {name: str(form.get(name, "")) for name in LABELS if name != "photo"}
    errors = {name: text for name, text in REQUIRED.items() if not get[name].strip()}
    if get["email"].strip() and not EMAIL.fullmatch(get["email"].strip()):
        errors["email"] = f"“{get['email'].strip()[:80]}” is not an email address (it looks like name@example.com)"
    if errors:
        raise FieldErrors(errors)
    return {"story": get["story"], "title": get["title"], "rating": get["rating"], "product": get["product"],
            "name": get["name"], "email": get["email"].strip(), "town": get["town"], "order": get["order"],
            "incentive": get["incentive"], "relationship": get["relationship"],
            "consent_publish": get["consent_publish"], "consent_name": get["consent_name"] or "anonymous",
            "consent_town": get["consent_town"], "consent_photo": get["consent_photo"], "lang": get["lang"]}


def field_of(message: str) -> str:
    """The form field a moderation error message is about ('' when it names none)."""
    lowered = message.lower()
    for start, name in _MESSAGE_FIELDS:
        if lowered.startswith(start):
            return name
    return ""
