"""Dates, times, numbers and money written the way the site's language writes them.

English keeps the theme's own forms ("12 November 2026", "Thursday 12 November 2026", "14:30",
"£1,500"), which every English site has shown so far and which are not quite CLDR's for any one
English locale. Every other language is Babel's (CLDR): "12 novembre 2026", "1 500 €",
"12. November 2026". Babel is imported, and the Locale parsed, only by a site that needs it,
once per process: an English build pays nothing for it.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
CURRENCY_SIGNS = {"GBP": "£", "EUR": "€", "USD": "$", "AUD": "A$", "CAD": "C$", "NZD": "NZ$", "JPY": "¥"}


class Formats:
    """The filters ``date``, ``time``, ``money`` and ``number`` of one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.english = language.replace("_", "-").split("-")[0].lower() == "en"

    @functools.cached_property
    def locale(self) -> Locale:
        from babel import Locale

        return Locale.parse(self.language.replace("-", "_"))

    def date(self, value: datetime | None, with_weekday: bool = False) -> str:
        """The day as the language writes it in full; with its weekday on event and alert pages."""
        if value is None:
            return ""
        if self.english:
            text = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
            return f"{value:%A} {text}" if with_weekday else text
        from babel.dates import format_date

        return format_date(value, "full" if with_weekday else "long", locale=self.locale)

    def time(self, value: datetime | None) -> str:
        """The time of day in the site's zone (the value already is), as the language's clocks show it."""
        if value is None:
            return ""
        if self.english:
            return f"{value:%H:%M}"
        from babel.dates import format_time

        return format_time(value, "short", tzinfo=value.tzinfo, locale=self.locale)

    def money(self, amount: float | None, currency: str = "USD") -> str:
        """An amount in its currency; whole amounts without the cents ("1 500 €", "£1,500")."""
        if amount is None:
            return ""
        whole = float(amount).is_integer()
        if self.english:
            number = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
            sign = CURRENCY_SIGNS.get(currency)
            return f"{sign}{number}" if sign else f"{number} {currency}"
        from babel.numbers import format_currency

        pattern = self.locale.currency_formats["standard"].pattern
        if whole:  # the locale's own pattern, less its fraction digits
            pattern = ";".join(part.replace(".00", "") for part in pattern.split(";"))
        return format_currency(amount, currency, pattern, locale=self.locale, currency_digits=False)

    def number(self, value: float | None) -> str:
        """A number such as an average rating: "4.8" in English, "4,8" in French."""
        if value is None:
            return ""
        if self.english:
            return str(value)
        from babel.numbers import format_decimal

        return format_decimal(value, locale=self.locale)


@functools.lru_cache(maxsize=8)
def formats_for(language: str) -> Formats:
    """One Formats per language and process, so its Locale is parsed once."""
    return Formats(language)
