"""Typographic punctuation on rendered HTML: curly quotes, dashes and ellipses.

This gives the same results as Python-Markdown's ``smarty`` extension for
prose, at a fraction of the cost: ``smarty`` adds a dozen inline patterns that
run over every text node of every document and doubles the time Markdown
takes, where this is one pass over the finished HTML's text. Text inside
``code``, ``pre`` and ``kbd`` is left exactly as written.
"""

from __future__ import annotations

import re

_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
_LITERAL_TAGS = ("code", "pre", "kbd", "samp", "script", "style")
_OPENING_CONTEXT = set(" \t\n\r([{\u2014\u2013-/\u00a0") | {""}
_DECADE = re.compile(r"'(?=\d\ds\b)")
_QUOTE = re.compile(r"[\"']")
_BLOCK_TAGS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "blockquote", "div", "br", "dd",
               "dt", "figcaption", "ul", "ol", "table", "tr", "hr", "section", "article"}


def educate(html: str) -> str:
    """Curly quotes, – for --, — for ---, … for ..., in the text (not the tags) of ``html``."""
    if not any(mark in html for mark in ("'", '"', "--", "...", "&quot;", "&#39;")):
        return html
    parts = _TAG_OR_TEXT.split(html)
    literal_depth = 0
    previous = ""  # the last character of text seen, for quotes that follow a tag
    for index, part in enumerate(parts):
        if index % 2:  # a tag
            name = part[1:].lstrip("/").split(None, 1)[0].rstrip(">").lower() if len(part) > 2 else ""
            if name in _LITERAL_TAGS:
                literal_depth += -1 if part.startswith("</") else (0 if part.endswith("/>") else 1)
            elif name in _BLOCK_TAGS:
                previous = ""
            continue
        if not part:
            continue
        if literal_depth > 0:
            previous = part[-1]
            continue
        parts[index] = _educate_text(part, previous)
        previous = part[-1]
    return "".join(parts)


def _educate_text(text: str, previous: str) -> str:
    if "'" not in text and '"' not in text and "&" not in text and "--" not in text and "..." not in text:
        return text  # nothing to change (most pieces of text between two tags): skip the passes below
    text = text.replace("&quot;", '"').replace("&#39;", "'").replace("&#x27;", "'")
    text = text.replace("---", "\u2014").replace("--", "\u2013").replace("...", "\u2026")
    text = _DECADE.sub("\u2019", text)

    def curl(match: re.Match[str]) -> str:
        start = match.start()
        before = text[start - 1] if start else previous
        opening = before in _OPENING_CONTEXT
        if match.group() == '"':
            return "\u201c" if opening else "\u201d"
        return "\u2018" if opening else "\u2019"

    return _QUOTE.sub(curl, text)
