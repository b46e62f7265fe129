"""Screening: what a person should look at before deciding. It flags; it never decides.

Only a missing consent blocks approval (publishing without it is not the business's call).
Everything else is information shown by ``moderate list`` and ``moderate show``.
"""

from __future__ import annotations

import difflib
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from storyforge.moderation.submission import Flag, Submission

#: a starting list; a site adds its own words with moderation.profanity in site.yaml
PROFANITY = ("arse", "arsehole", "asshole", "bastard", "bitch", "bollocks", "bullshit", "cock", "crap", "cunt",
             "dick", "dickhead", "fuck", "fucker", "fucking", "motherfucker", "piss", "pissed", "prick", "shit",
             "shite", "slut", "twat", "wanker", "whore")
SPAM_PATTERNS = re.compile(
    r"\b(viagra|cialis|casino|crypto(currency)?|bitcoin|forex|payday loans?|backlinks?|seo (services|agency|experts?)"
    r"|guest posts?|work from home|make money|earn \$?\d+|click here|buy now|limited offer|free gift|"
    r"promo code|discount code|whatsapp|telegram|dm me|onlyfans|followers)\b", re.IGNORECASE)
LINK = re.compile(r"(https?://|www\.|javascript:|data:)\S*|\b[a-z0-9-]+\.(com|net|org|ru|xyz|top|info|biz|io|co|shop"
                  r"|online|site|click|link)\b(/\S*)?", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ()./-]{7,}\d(?!\w)")
MIN_PHONE_DIGITS = 9
DUPLICATE_RATIO = 0.8
REDACTED_EMAIL = "[email address removed]"
REDACTED_PHONE = "[phone number removed]"


def find_personal_data(text: str, region: str | None = None) -> list[tuple[str, str]]:
    """('email address' | 'phone number', the text found), in order of appearance."""
    found = [(m.start(), "email address", m.group()) for m in EMAIL.finditer(text)]
    found += [(start, "phone number", text[start:end].strip()) for start, end in phone_spans(text, region)]
    return [(kind, value) for _, kind, value in sorted(found)]


def phone_spans(text: str, region: str | None) -> list[tuple[int, int]]:
    """Where phone numbers are, read as in ``region`` (e.g. 'GB') by the phonenumbers library.

    A number counts when it is a valid number there, or when it is written as people write
    phone numbers (with '+', or the country's trunk prefix such as the 0 of 07700 …) and has the
    length of one: fictional drama numbers are still someone's idea of a phone number, a bike's
    frame number or a serial number is not. Without a country (language 'en', no
    moderation.country) only a count of digits is left, which flags more than it should."""
    if region is None:
        return [(m.start(), m.end()) for m in PHONE.finditer(text)
                if sum(c.isdigit() for c in m.group()) >= MIN_PHONE_DIGITS
                and not re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", m.group())]
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    trunk = (metadata.national_prefix if metadata is not None else None) or "+"
    # valid there and grouped as that country groups its numbers: '4471-0093-2215' is a serial
    spans = {(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.STRICT_GROUPING)}
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
        raw = match.raw_string
        if text[max(match.start - 1, 0):match.start].isalnum() or text[match.end:match.end + 1].isalnum():
            continue  # part of a longer code: 'WTU318C0456781'
        if raw.startswith(("+", trunk)) and sum(c.isdigit() for c in raw) >= MIN_PHONE_DIGITS:
            spans.add((match.start, match.end))
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if not kept or start >= kept[-1][1]:  # two readings of one number: keep the longer
            kept.append((start, end))
    return kept


def other_public_fields(submission: Submission, shown_only: bool = True) -> dict[str, str]:
    """The fields besides the title and the story that can reach a page, by the name a moderator
    knows them by; ``shown_only``: as they would be published (the name as consented, the town
    only with consent), else as sent."""
    return {"name": submission.author if shown_only else submission.name,
            "town": submission.location if submission.consent.town or not shown_only else "",
            "product": submission.product, "incentive": submission.incentive,
            "relationship": submission.relationship}


def personal_data_by_field(texts: dict[str, str], region: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """field → the personal data found in it (``find_personal_data``), for the fields that have any."""
    found = {name: find_personal_data(text, region) for name, text in texts.items() if text}
    return {name: items for name, items in found.items() if items}


def redact(text: str, region: str | None = None) -> str:
    """The text with email addresses and phone numbers replaced by a note saying so."""
    text = EMAIL.sub(REDACTED_EMAIL, text)
    for start, end in reversed(phone_spans(text, region)):
        text = text[:start] + REDACTED_PHONE + text[end:]
    return text


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


#: words so common that filing a text under them finds every text (English; any word list files correctly)
COMMON_WORDS = frozenset(("a", "about", "after", "all", "also", "an", "and", "are", "as", "at", "be", "been", "but",
                          "by", "came", "can", "did", "do", "for", "from", "get", "got", "had", "has", "have", "he",
                          "her", "his", "i", "if", "in", "is", "it", "it's", "just", "me", "my", "not", "of", "on",
                          "one", "or", "our", "she", "so", "that", "the", "their", "them", "there", "they", "this",
                          "to", "up", "us", "very", "was", "we", "were", "what", "when", "which", "will", "with",
                          "would", "you", "your"))


def _least_shared(count: int) -> int:
    """The fewest words (counted with repeats) a text of ``count`` words shares with any text it is
    a near-duplicate of. The ratio 2·matches/(both lengths) ≥ 0.8 needs the shorter text to be at
    least 2/3 of the longer, so at least 2/3 of ``count`` shared words; one less, for rounding."""
    return max(1, -(-2 * count // 3) - 1)


def length_range(count: int) -> tuple[int, int]:
    """The lengths, in words, a near-duplicate of a text of ``count`` words can have."""
    return count * 2 // 3 - 1, count * 3 // 2 + 1


def signature(tokens: list[str], rarity: Callable[[str], int] | None = None) -> list[str]:
    """The tokens a text is filed under for the near-duplicate search, so that a new text is
    compared with the few texts that can be near-duplicates of it instead of with every text.

    Prefix filtering (as in set-similarity joins): two texts sharing at least t of their words
    share at least one of each one's first |words| − t + 1 words, in any fixed order of words.
    Repeated words count once per repeat ("the#2"). The order must stay fixed while texts are
    filed under it: ``rarity`` (how many texts held a word when the submissions index last ranked
    its words: rare words first, so few texts share them), else common English words last and
    longer words first; then a hash."""
    seen: dict[str, int] = {}
    counted = []
    for token in tokens:
        seen[token] = seen.get(token, 0) + 1
        counted.append((token, f"{token}#{seen[token]}"))
    if rarity is None:
        counted.sort(key=lambda pair: (pair[0] in COMMON_WORDS, -len(pair[0]), zlib.crc32(pair[1].encode()), pair[1]))
    else:
        counted.sort(key=lambda pair: (rarity(pair[0]), zlib.crc32(pair[1].encode()), pair[1]))
    return [name for _, name in counted[:len(tokens) - _least_shared(len(tokens)) + 1]]


#: texts filed elsewhere (the submissions index): (key, label, words) of those filed under a token, in a length range
Lookup = Callable[[list[str], int, int], list[tuple[str, str, list[str]]]]


@dataclass
class Corpus:
    """Texts a new submission is compared with: published stories and other submissions, each
    filed under its signature; ``elsewhere`` finds those kept in the submissions index."""

    texts: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # key → (label, words)
    filed: dict[str, list[str]] = field(default_factory=dict)  # token → keys
    elsewhere: Lookup | None = None
    rarity: Callable[[str], int] | None = None  # the order texts are filed in (see signature)

    def add(self, key: str, label: str, text: str) -> None:
        tokens = words(text)
        self.texts[key] = (label, tokens)
        for token in signature(tokens, self.rarity):
            self.filed.setdefault(token, []).append(key)

    def nearest(self, key: str, text: str) -> tuple[str, float] | None:
        """The most similar text (label, ratio) at or above the duplicate threshold, if any; of
        equally similar ones, the first by label."""
        mine = words(text)
        if not mine:
            return None
        tokens = signature(mine, self.rarity)
        shortest, longest = length_range(len(mine))
        candidates: dict[str, tuple[str, list[str]]] = {}
        if self.elsewhere is not None:
            for other_key, label, theirs in self.elsewhere(tokens, shortest, longest):
                candidates[other_key] = (label, theirs)
        for token in tokens:
            for other_key in self.filed.get(token, ()):
                candidates[other_key] = self.texts[other_key]
        best: tuple[str, float] | None = None
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(mine)
        for other_key, (label, theirs) in sorted(candidates.items(), key=lambda item: item[1][0]):
            if other_key == key or not theirs:
                continue
            matcher.set_seq1(theirs)
            # the quick ratios are upper bounds of the ratio: a text that cannot reach the threshold,
            # or cannot beat the best so far (only a higher ratio replaces it), is not compared in full
            if matcher.real_quick_ratio() < DUPLICATE_RATIO:
                continue
            quick = matcher.quick_ratio()
            if quick < DUPLICATE_RATIO or (best is not None and quick <= best[1]):
                continue
            ratio = matcher.ratio()
            if ratio >= DUPLICATE_RATIO and (best is None or ratio > best[1]):
                best = (label, ratio)
        return best


def screen(submission: Submission, corpus: Corpus, extra_words: tuple[str, ...] = (),
           honeypot: str = "", region: str | None = None) -> list[Flag]:
    """Every flag for ``submission``, most serious first."""
    flags: list[Flag] = []
    text = f"{submission.title}\n{submission.body}"
    if not submission.consent.publish:
        flags.append(Flag("no-consent", "the customer did not agree to publication — approval is blocked; "
                                        "ask them, or reject with --reason no-consent", blocks=True))
    spam = _spam_signs(text, honeypot)
    if spam:
        flags.append(Flag("spam", "likely spam: " + "; ".join(spam)))
    rude = _profanity(text, (*PROFANITY, *extra_words))
    if rude:
        flags.append(Flag("profanity", f"strong language: {', '.join(rude)} — withhold only if it is "
                                       "obscene, vulgar or abusive, as for every story"))
    personal = personal_data_by_field({"text": text, **other_public_fields(submission, shown_only=False)}, region)
    if personal:
        shown = "; ".join(f"in the {where}: " + ", ".join(f"{kind} '{value}'" for kind, value in found)
                          for where, found in personal.items())
        flags.append(Flag("personal-data", f"personal data {shown} — approve --redact replaces "
                                           "it with a note"))
    near = corpus.nearest(submission.id, submission.body)
    if near:
        flags.append(Flag("duplicate", f"near-duplicate ({near[1]:.0%} the same words) of {near[0]}"))
    disclosures = [f"incentive '{submission.incentive}'" if submission.incentive else "",
                   f"relationship '{submission.relationship}'" if submission.relationship else ""]
    if any(disclosures):
        flags.append(Flag("disclosure", f"{' and '.join(d for d in disclosures if d)} — the story will carry "
                                        "a disclosure label"))
    if submission.rating_given or (submission.rating is not None and not 1 <= submission.rating <= 5):
        given = submission.rating_given or str(submission.rating)
        flags.append(Flag("rating", f"rating '{given}' is not a whole number from 1 to 5 — approve with "
                                    "--rating N (as the customer meant it) or --rating none"))
    elif submission.rating is None:
        flags.append(Flag("rating", "no rating given — the story will be published without stars"))
    return flags


def _spam_signs(text: str, honeypot: str) -> list[str]:
    signs = []
    if honeypot.strip():
        signs.append("the hidden form field was filled in, as only robots do")
    links = [m.group() for m in LINK.finditer(EMAIL.sub(' ', text))]
    if links:
        signs.append(f"link{'s' if len(links) > 1 else ''} {', '.join(repr(x) for x in links[:3])}")
    patterns = sorted({m.group().lower() for m in SPAM_PATTERNS.finditer(text)})
    if patterns:
        signs.append(f"advertising words {', '.join(repr(p) for p in patterns[:4])}")
    if _repetitive(words(text)):
        signs.append("the same words repeated over and over")
    return signs


def _repetitive(tokens: list[str]) -> bool:
    if len(tokens) < 9:
        return False
    trigrams = [tuple(tokens[i:i + 3]) for i in range(len(tokens) - 2)]
    most = max(trigrams.count(t) for t in set(trigrams))
    runs = max(len(list(g)) for g in _runs(tokens))
    return (most >= 3 and most * 3 >= len(tokens) * 0.3) or runs >= 4


def _runs(tokens: list[str]) -> list[list[str]]:
    groups: list[list[str]] = []
    for token in tokens:
        if groups and groups[-1][-1] == token:
            groups[-1].append(token)
        else:
            groups.append([token])
    return groups


def _profanity(text: str, vocabulary: tuple[str, ...]) -> list[str]:
    if not vocabulary:
        return []
    alternatives = "|".join(sorted((re.escape(w) for w in set(vocabulary)), key=len, reverse=True))
    pattern = re.compile(rf"\b({alternatives})(s|es|ed|ing|er|ers|y)?\b", re.IGNORECASE)
    return sorted({m.group().lower() for m in pattern.finditer(text)})
