"""Reading one answer of a form export: yes or no, how to show the name, a rating, a date.

Form services write the same answer many ways: ``Yes``, ``1``, ``TRUE``, ``on``, a ticked
checkbox's own text ("I agree to my story being published"), or ``Oui`` / ``Ja`` / ``Sí``.
A consent is only ever read as yes when the answer says so; anything unclear is a row error,
never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from storyforge.core.config import SiteConfig
from storyforge.moderation.submission import NAME_CHOICES

YES = {"yes", "y", "true", "1", "on", "checked", "agree", "agreed", "i agree", "x", "✓", "✔", "accept", "accepted",
       "i accept", "ok", "okay", "sure", "oui", "ja", "si", "selected"}
NO = {"", "no", "n", "false", "0", "off", "unchecked", "none", "-", "non", "nein", "not selected"}
YES_STARTS = ("yes", "i agree", "i consent", "agreed", "i accept", "i'm happy", "i am happy", "happy to", "you may",
              "you can", "of course", "oui", "j'accepte", "je consens", "ja,", "ja ", "ich stimme", "einverstanden",
              "si,", "si ", "acepto", "doy mi consentimiento")
NO_STARTS = ("no", "don't", "do not", "i do not", "i don't", "not", "please don't", "i'd rather not", "rather not",
             "non", "je ne", "pas", "nein", "nicht", "ich mochte nicht", "no,", "prefiero que no")
#: words of a ticked checkbox's text that say yes, when nothing in it says no
AGREEING = ("agree", "consent", "accept", "permission", "allow", "happy for", "accepte", "autorise", "zustimm",
            "einverstanden", "acepto", "autorizo", "consiento")
NEGATING = ("not", "don't", "do not", "no ", "never", "pas", "nicht", "kein", "nunca")
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


class RowError(ValueError):
    """One row cannot become a submission; the message says why."""


def _plain(text: str) -> str:
    """Lower case, accents removed, spaces collapsed, typographic apostrophes made plain."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'")).encode("ascii", "ignore").decode("ascii")
    return " ".join(text.lower().split())


def parse_yes(text: str, what: str) -> bool:
    """True only for an answer that says yes; RowError when it cannot be told."""
    answer = _plain(text) if text.strip() not in ("✓", "✔") else "yes"
    if answer in NO:
        return False
    if answer in YES or answer.startswith(YES_STARTS):
        return True
    if answer.startswith(NO_STARTS):
        return False
    if any(w in answer for w in AGREEING) and not any(f" {w}" in f" {answer}" for w in NEGATING):
        return True  # the text of a ticked checkbox: "I agree to my story being published"
    raise RowError(f"{what}: cannot tell whether {text!r} means yes or no")


def parse_name_choice(text: str) -> str:
    """How the name may be shown: 'full', 'first-initial' or 'anonymous' (the default)."""
    answer = _plain(text).replace("_", "-")
    if answer in NAME_CHOICES:
        return answer
    if not answer or any(w in answer for w in ("anonym", "don't", "do not", "no name", "not show", "hide",
                                               "ne pas", "nicht", "ningun", "sin nombre")) \
            or answer in NO:
        return "anonymous"
    if "initial" in answer or "inicial" in answer:
        return "first-initial"
    if any(w in answer for w in ("full", "complet", "voll", "ganz")) or answer in YES:
        return "full"
    raise RowError(f"name display: {text!r} is not one of full name, first name and initial, anonymous")


def parse_rating(text: str) -> tuple[int | None, str]:
    """(whole number, '') or (None, the answer as given when it is not a whole number)."""
    answer = text.strip()
    if not answer:
        return None, ""
    if "★" in answer:
        return answer.count("★"), ""
    if answer.lower() in NUMBER_WORDS:
        return NUMBER_WORDS[answer.lower()], ""
    match = re.fullmatch(r"(\d{1,3})([.,]0+)?\s*(/\s*5|out of 5|stars?|sur 5|von 5|de 5)?", answer, re.IGNORECASE)
    return (int(match.group(1)), "") if match else (None, answer)


#: "GMT+1", "UTC-05:00" as Google Forms writes them → "+01:00" (a parser reads "GMT+1" the POSIX way round)
_NAMED_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b")


def month_first(config: SiteConfig) -> bool:
    """Slashed dates are month first only on sites in US English; everywhere else day first."""
    return config.language.lower().replace("_", "-") == "en-us"


def parse_when(text: str, config: SiteConfig, now: datetime, zone: str = "") -> str:
    """When it arrived, ISO 8601 with the offset. A time without a zone is in ``zone`` (an export's
    "(UTC)" header) or the site's time zone."""
    answer = text.strip()
    moment = now if not answer else parse_date(answer, config)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone) if zone else config.tz)
    return moment.replace(microsecond=0).isoformat()


def parse_date(answer: str, config: SiteConfig) -> datetime:
    """Any date a form service writes (ISO 8601, '2026/11/20 3:14:15 PM GMT', '20/11/2026 15:14')."""
    from dateutil import parser

    cleaned = _NAMED_OFFSET.sub(lambda m: f"{m[1]}{int(m[2]):02d}:{m[3] or '00'}", answer)
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        pass
    try:
        return parser.parse(cleaned, dayfirst=not month_first(config),
                            default=datetime(datetime.now(config.tz).year, 1, 1))  # noqa: DTZ001 - naive on purpose: the zone comes after
    except (ValueError, OverflowError):
        raise RowError(f"received date {answer!r} not understood — use a date like 2026-03-01 14:30") from None
