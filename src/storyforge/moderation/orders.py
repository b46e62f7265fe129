"""The owner's own records: an export of orders or bookings from the till or booking system.

``moderation.orders: private/orders.csv`` names it (CSV or .xlsx, read like a form export).
It is never published. At import, the order or booking reference a customer typed is looked
up in it; only a match — or the owner's ``moderate approve --verified`` — earns a story the
"Verified customer" label, because anyone can type a plausible reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storyforge.core.config import SiteConfig
from storyforge.errors import ModerationError
from storyforge.moderation.columns import normalise
from storyforge.moderation.exports import read_table

#: header words of the columns that hold a reference (order number, booking reference, receipt…)
REFERENCE_WORDS = ("order", "booking", "reference", "receipt", "invoice", "reservation", "number", "transaction",
                   "commande", "bestell", "buchung", "pedido", "reserva", "numero", "nummer")
SHORT_WORDS = ("no", "id", "ref", "nr")
#: columns that hold a customer's contact details, never a reference
NOT_REFERENCES = ("phone", "tel", "mobile", "email", "mail", "postcode", "zip", "telefon", "telephone")
MIN_REFERENCE = 3


def reference_key(text: str) -> str:
    """'#hc-10231 ' → 'HC10231': references are compared without case, spaces, '#' or dashes."""
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()


@dataclass
class Orders:
    """reference → where it is in the owner's file ('orders.csv row 12')."""

    name: str = ""
    rows: dict[str, str] = field(default_factory=dict)

    def match(self, reference: str) -> str:
        """Where ``reference`` is in the owner's records, or '' when it is not (or too short to tell)."""
        key = reference_key(reference)
        return self.rows.get(key, "") if len(key) >= MIN_REFERENCE else ""


def _holds_references(words: list[str]) -> bool:
    if any(w.startswith(NOT_REFERENCES) for w in words):
        return False
    return any(w in SHORT_WORDS or w.startswith(REFERENCE_WORDS) for w in words)


def load_orders(config: SiteConfig) -> Orders:
    """The configured orders file, read; an empty Orders when none is configured."""
    if not config.moderation.orders:
        return Orders()
    path = config.root / config.moderation.orders
    if not path.is_file():
        raise ModerationError(f"moderation.orders in site.yaml names {config.moderation.orders}, which does not "
                              "exist — export your orders or bookings there, or remove the setting")
    table = read_table(path)
    columns = [i for i, header in enumerate(table.headers) if _holds_references(normalise(header).split())]
    if not columns:
        raise ModerationError(f"{config.moderation.orders}: no column looks like an order or booking reference "
                              f"(its columns are: {', '.join(table.headers)}) — name one 'Order number' or "
                              "'Booking reference'")
    orders = Orders(path.name)
    for line, cells in table.records:
        for i in columns:
            key = reference_key(cells[i]) if i < len(cells) else ""
            if len(key) >= MIN_REFERENCE:
                orders.rows.setdefault(key, f"{path.name} row {line}")
    return orders
