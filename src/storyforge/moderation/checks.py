"""Screening: what a person should look at before deciding. It flags; it never decides.

Only a missing consent blocks approval (publishing without it is not the business's call).
Everything else is information shown by ``moderate list`` and ``moderate show``.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
import sys
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from storyforge.moderation import screening_words
from storyforge.moderation.submission import Flag, Submission

#: the English list, which every site is screened with (``screening_words`` has each language's)
PROFANITY = screening_words.PROFANITY["en"]
LINK = re.compile(r"(https?://|www\.|javascript:|data:)\S*|\b[a-z0-9-]+\.(com|net|org|ru|xyz|top|info|biz|io|co|shop"
                  r"|online|site|click|link)\b(/\S*)?", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ()./-]{7,}\d(?!\w)")
MIN_PHONE_DIGITS = 9
#: the fewest digits a number phonenumbers finds can have (the shortest numbers of any country have
#: four, and the matcher reads only decimal digits, in any script): a text with fewer has none
FEWEST_PHONE_DIGITS = 4
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
    if all(sum(c.isdecimal() for c in line) < FEWEST_PHONE_DIGITS for line in text.split("\n")):
        # most texts: no number could be found in them, and the matcher costs a millisecond (the
        # matcher's numbers never hold a line break: what may part their digits is listed)
        return []
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
    longer words first; then a hash of the word; then the repeat. Each distinct word is weighed
    once, not once per repeat: filing every published story is mostly this."""
    counts = Counter(tokens)
    if rarity is None:
        order = sorted(counts, key=lambda w: (w in COMMON_WORDS, -len(w), zlib.crc32(w.encode()), w))
    else:
        order = sorted(counts, key=lambda w: (rarity(w), zlib.crc32(w.encode()), w))
    wanted = len(tokens) - _least_shared(len(tokens)) + 1
    kept: list[str] = []
    for word in order:
        kept.extend(f"{word}#{repeat}" for repeat in range(1, min(counts[word], wanted - len(kept)) + 1))
        if len(kept) >= wanted:
            break
    return kept


def counted(tokens: list[str]) -> frozenset[str]:
    """A text's words with each repeat told apart ("the#2"): the words two texts share, counted
    with repeats, are the size of the intersection of these — difflib's ``quick_ratio`` bound,
    computed by a set intersection instead of word by word. Interned: a long-running intake keeps
    thousands of texts' sets, mostly of the same words."""
    return frozenset(sys.intern(f"{word}#{repeat}") for word, count in Counter(tokens).items()
                     for repeat in range(1, count + 1))


#: a text compared with: (key, label, words, ``counted(words)``)
Text = tuple[str, str, list[str], frozenset[str]]
#: texts filed elsewhere (the submissions index): those filed under one of the tokens, in a length range,
#: that can share enough words with a text of this many words (:func:`could_be_near`)
Lookup = Callable[[list[str], int, int, int], list[Text]]


def needed(length: int, their_length: int) -> float:
    """The fewest words (counted with repeats) two texts of these lengths share if difflib's ratio
    2·matches / (both lengths) is at least DUPLICATE_RATIO; a hair under, so rounding never rules
    out a text at the threshold."""
    return DUPLICATE_RATIO / 2.0 * (length + their_length) - 1e-9


def fewest_of_prefix(length: int, prefix: int, their_length: int) -> float:
    """How many of the ``prefix`` words a text of ``length`` words is filed under (its rarest: see
    :func:`signature`) a text of ``their_length`` words must hold to be a near-duplicate of it: a
    text missing m of them shares at most ``length`` − m words."""
    return needed(length, their_length) - (length - prefix)


def could_be_near(length: int, prefix: int, shared: int, their_length: int) -> bool:
    """Whether a text holding ``shared`` of those words can be a near-duplicate (:func:`fewest_of_prefix`)."""
    return shared >= fewest_of_prefix(length, prefix, their_length)


@dataclass
class Corpus:
    """Texts a new submission is compared with: published stories and other submissions, each
    filed under its signature; ``elsewhere`` finds those kept in the submissions index."""

    texts: dict[str, Text] = field(default_factory=dict)  # key → (key, label, words, counted words)
    filed: dict[str, list[str]] = field(default_factory=dict)  # token → keys
    elsewhere: Lookup | None = None
    rarity: Callable[[str], int] | None = None  # the order texts are filed in (see signature)

    def add(self, key: str, label: str, text: str) -> None:
        tokens = words(text)
        self.texts[key] = (key, label, tokens, counted(tokens))
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
        candidates: dict[str, Text] = {}
        if self.elsewhere is not None:
            candidates = {found[0]: found for found in self.elsewhere(tokens, shortest, longest, len(mine))}
        for token in tokens:
            for other_key in self.filed.get(token, ()):
                candidates[other_key] = self.texts[other_key]
        best: tuple[str, float] | None = None
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(mine)
        my_words, length = counted(mine), len(mine)
        # difflib's bounds on 2·matches / (both lengths) ≥ DUPLICATE_RATIO, as shared words ≥ ``needed``.
        # The cheapest first: the shared words bounded from the rarest words alone, those the text is
        # filed under (:func:`could_be_near`; the index applies it before handing texts over, by
        # counting, which is most of the work for a text of common words: most pending ones hold one
        # of its rarest words); then real_quick_ratio's (the shorter length) and quick_ratio's
        # (every word of both texts).
        rarest = frozenset(tokens)
        close = [(label, theirs) for other_key, label, theirs, their_words in candidates.values()
                 if could_be_near(length, len(rarest), len(rarest & their_words), len(theirs))
                 and min(length, len(theirs)) >= (need := needed(length, len(theirs))) and other_key != key
                 and len(my_words & their_words) >= need]
        for label, theirs in sorted(close, key=lambda found: found[0]):
            matcher.set_seq1(theirs)
            ratio = matcher.ratio()
            if ratio >= DUPLICATE_RATIO and (best is None or ratio > best[1]):
                best = (label, ratio)
        return best


#: the flags a story earns on its own, without comparing it with other stories: those before the
#: near-duplicate flag and those after it, in the order ``screen`` gives them
OwnFlags = tuple[list[Flag], list[Flag]]


def screen(submission: Submission, corpus: Corpus, own: OwnFlags) -> list[Flag]:
    """Every flag for ``submission``, most serious first: ``own``, what ``own_flags`` gave for it
    (which may run beforehand, outside the submissions lock), with the comparison with ``corpus``."""
    before, after = own
    near = corpus.nearest(submission.id, submission.body)
    duplicate = [Flag("duplicate", f"near-duplicate ({near[1]:.0%} the same words) of {near[0]}")] if near else []
    return [*before, *duplicate, *after]


def own_flags(submission: Submission, extra_words: tuple[str, ...] = (), honeypot: str = "",
              region: str | None = None, languages: tuple[str, ...] = ()) -> OwnFlags:
    """The flags ``screen`` gives ``submission`` whatever other stories there are. ``languages``:
    the site's, whose word lists (with English's) the text is screened with."""
    flags: list[Flag] = []
    text = f"{submission.title}\n{submission.body}"
    if not submission.consent.publish:
        flags.append(Flag("no-consent", "the customer did not agree to publication — approval is blocked; "
                                        "ask them, or reject with --reason no-consent", blocks=True))
    spam = _spam_signs(text, honeypot, languages)
    if spam:
        flags.append(Flag("spam", "likely spam: " + "; ".join(spam)))
    rude = _profanity(text, (*screening_words.for_languages(screening_words.PROFANITY, languages), *extra_words))
    if rude:
        flags.append(Flag("profanity", f"strong language: {', '.join(rude)} — withhold only if it is "
                                       "obscene, vulgar or abusive, as for every story"))
    personal = personal_data_by_field({"text": text, **other_public_fields(submission, shown_only=False)}, region)
    if personal:
        shown = "; ".join(f"in the {where}: " + ", ".join(f"{kind} '{value}'" for kind, value in found)
                          for where, found in personal.items())
        flags.append(Flag("personal-data", f"personal data {shown} — approve --redact replaces "
                                           "it with a note"))
    after: list[Flag] = []
    disclosures = [f"incentive '{submission.incentive}'" if submission.incentive else "",
                   f"relationship '{submission.relationship}'" if submission.relationship else ""]
    if any(disclosures):
        after.append(Flag("disclosure", f"{' and '.join(d for d in disclosures if d)} — the story will carry "
                                        "a disclosure label"))
    if submission.rating_given or (submission.rating is not None and not 1 <= submission.rating <= 5):
        given = submission.rating_given or str(submission.rating)
        after.append(Flag("rating", f"rating '{given}' is not a whole number from 1 to 5 — approve with "
                                    "--rating N (as the customer meant it) or --rating none"))
    elif submission.rating is None:
        after.append(Flag("rating", "no rating given — the story will be published without stars"))
    return flags, after


def _spam_signs(text: str, honeypot: str, languages: tuple[str, ...] = ()) -> list[str]:
    signs = []
    if honeypot.strip():
        signs.append("the hidden form field was filled in, as only robots do")
    links = [m.group() for m in LINK.finditer(EMAIL.sub(' ', text))]
    if links:
        signs.append(f"link{'s' if len(links) > 1 else ''} {', '.join(repr(x) for x in links[:3])}")
    patterns = sorted({m.group(1).lower() for m in _spam_pattern(languages).finditer(text)})
    if patterns:
        signs.append(f"advertising words {', '.join(repr(p) for p in patterns[:4])}")
    if _repetitive(words(text)):
        signs.append("the same words repeated over and over")
    return signs


def _repetitive(tokens: list[str]) -> bool:
    if len(tokens) < 9:
        return False
    # counted in one pass: counting each distinct trigram's repeats over the list took a time growing
    # with the square of the story's length
    most = Counter(zip(tokens, tokens[1:], tokens[2:], strict=False)).most_common(1)[0][1]
    runs = max(sum(1 for _ in run) for _, run in itertools.groupby(tokens))
    return (most >= 3 and most * 3 >= len(tokens) * 0.3) or runs >= 4


@functools.lru_cache(maxsize=16)
def _spam_pattern(languages: tuple[str, ...]) -> re.Pattern[str]:
    """The advertising phrases of English and the site's languages, and 'earn $100' in any of them."""
    phrases = screening_words.for_languages(screening_words.SPAM_PHRASES, languages)
    alternatives = "|".join(sorted((re.escape(p) for p in set(phrases)), key=len, reverse=True))
    prefixes = screening_words.HEBREW_PREFIXES  # בקזינו: "in the casino" is one word in Hebrew
    return re.compile(rf"(?<!\w)[{prefixes}]{{0,2}}({alternatives}|earn \$?\d+)(?!\w)", re.IGNORECASE)


def _profanity(text: str, vocabulary: tuple[str, ...]) -> list[str]:
    if not vocabulary:
        return []
    found = set()
    for pattern in _profanity_patterns(tuple(sorted(set(vocabulary)))):
        found |= {m.group(1).lower() for m in pattern.finditer(text)}
    return sorted(found)


@functools.lru_cache(maxsize=16)
def _profanity_patterns(vocabulary: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Whole words with English's endings (fuck, fucks, fucking) — and Hebrew words also with the
    letters Hebrew joins to a word's front (והזונה)."""
    def alternatives(words: list[str]) -> str:
        return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))

    hebrew = [w for w in vocabulary if any("\u0590" <= c <= "\u05ff" for c in w)]
    others = [w for w in vocabulary if w not in hebrew]
    english_endings = r"(s|es|ed|ing|er|ers|y)?"
    patterns = [re.compile(rf"\b(({alternatives(others)}){english_endings})(?!\w)", re.IGNORECASE)] if others else []
    if hebrew:
        prefixes = screening_words.HEBREW_PREFIXES
        patterns.append(re.compile(rf"(?<!\w)[{prefixes}]{{0,2}}({alternatives(hebrew)})(?!\w)"))
    return tuple(patterns)
