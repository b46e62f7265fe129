"""The one policy for text that comes from outside: files the owner edits, site.yaml, and what
customers send.

Text is normalised the same way at every entrance: line breaks of every kind become ``\\n``
and the text is put in Unicode NFC. Characters that no page, feed or terminal can carry — the
C0 controls other than tab and newline, DEL, the C1 controls, lone surrogates and the
non-characters U+FFFE and U+FFFF — are then

* **refused** in files the owner edits (front matter, bodies, site.yaml), with the file, the
  line and the field, because the owner can fix the file and nothing is lost;
* **removed** from what customers send (imports, ``submissions add``), because they cannot be
  asked again; the submission is flagged so the moderator knows.

The render stage also passes what it gives the XML writer through ``xml_safe``, so a
character that slipped past every entrance costs one character, never the build.
"""

from __future__ import annotations

import re
import unicodedata

#: characters no output can carry (tab and newline are allowed)
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")
#: what a terminal would act on instead of showing: the forbidden set, CR, and the bidi controls
#: that reorder what is shown (a story could make `moderate list` show a different line)
_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
_ONE_LINE = re.compile(r"[\t\n]")


def normalise(text: str) -> str:
    """Line breaks as ``\\n`` and NFC: the same words always make the same bytes."""
    text = _LINE_BREAKS.sub("\n", text)
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def first_forbidden(text: str) -> int | None:
    """The index of the first character no output can carry, or None."""
    found = FORBIDDEN.search(text)
    return found.start() if found else None


def describe(char: str) -> str:
    """'U+000B (a control character)', for error messages."""
    code = ord(char)
    kind = ("a non-character" if code in (0xFFFE, 0xFFFF) else
            "half of a surrogate pair" if 0xD800 <= code <= 0xDFFF else "a control character")
    return f"U+{code:04X} ({kind})"


def refusal(char: str) -> str:
    """The message for a forbidden character in a file the owner edits."""
    return (f"contains the invisible character {describe(char)}, which no web page or feed can carry — "
            "delete it (retype the text around it if your editor does not show it)")


def customer_text(text: str, multiline: bool = False) -> tuple[str, int]:
    """(the text as it may be kept, how many characters were removed) for text a customer sent.

    A one-line field (a name, a town) also has its line breaks and tabs made spaces.
    """
    text = normalise(text)
    removed = len(FORBIDDEN.findall(text))
    text = FORBIDDEN.sub("", text)
    if not multiline:
        text = _ONE_LINE.sub(" ", text)
    return text.strip(), removed


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold: the render stage's last defence."""
    return FORBIDDEN.sub("", text)


def terminal_safe(text: str) -> str:
    """``text`` for a terminal: control and reordering characters shown as ``\\x1b``-style escapes,
    so customer text cannot clear the screen, move the cursor or fake a line of output."""
    return _TERMINAL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                         else f"\\u{ord(m.group()):04x}", text)
