"""Converters without the processors a text cannot use give exactly what the full converter gives."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from storyforge.core.markup import MarkupRenderer, idle_processors, new_converter

FULL = new_converter()
PRUNED = MarkupRenderer()

#: pieces that start a line: every block syntax, and plain words
LINE_STARTS = ["", "# ", "## ", "- ", "* ", "+ ", "1. ", "> ", "    ", "\t", ": ", "[^1]: ", "*[HTML]: ", "[a]: /x ",
               "| ", "---", "===", "***", "___", "```", "~~~", "<div>", "<p markdown=\"1\">", "Term\n: "]
#: pieces inside a line: every inline syntax, and the characters the pruning looks for
INLINE = ["word", "two words", "*em*", "**strong**", "_u_", "__uu__", "`code`", "\\*", "[link](/a)", "[ref]",
          "[ref][a]", "![img](/i.png)", "![alt][a]", "<http://x.example>", "<a@b.example>", "<b>b</b>", "&amp;",
          "&", "<", "AT&T", "{: #id }", "{", "}", "|", "a | b", "#", "=", "-", ":", "!", "[", "]", "[^1]", "HTML",
          "  \n", "\t", "\r\n", "'quoted'", '"dq"', "--", "...", "[TOC]", "@", "`", "~"]

line = st.builds(lambda start, parts: start + " ".join(parts),
                 st.sampled_from(LINE_STARTS), st.lists(st.sampled_from(INLINE), max_size=5))
document = st.lists(line, min_size=1, max_size=8).map(lambda lines: "".join(
    line + ("\n\n" if n % 3 == 2 else "\n") for n, line in enumerate(lines)))


def full_markdown(text: str) -> str:
    FULL.reset()
    result: Any = FULL.convert(text)
    return str(result)


@settings(max_examples=2500, deadline=None)
@given(document)
def test_pruned_converters_make_what_the_full_converter_makes(text):
    assert PRUNED.markdown(text) == full_markdown(text)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="ab \n\t\r*_`[]()<>&\\{}|#=-:!^~.'\"@/", max_size=60))
def test_pruned_converters_agree_on_any_mix_of_markup_characters(text):
    assert PRUNED.markdown(text) == full_markdown(text)


@pytest.mark.parametrize("source", sorted((REPO / "content").rglob("*.md")), ids=lambda p: p.name)
def test_the_example_site_renders_the_same_with_pruned_converters(source):
    body = source.read_text().split("\n---\n", 1)[1]
    assert PRUNED.markdown(body) == full_markdown(body)


def test_plain_prose_leaves_out_most_processors():
    """The pruning is real: a story of words, emphasis and a link uses few of the processors."""
    idle = idle_processors("We *loved* the [cake](/menu/) -- \"really\".\n\n- one\n- two\n")
    assert ("inline", "backtick") in idle and ("block", "table") in idle and ("tree", "attr_list") in idle
    assert ("inline", "link") not in idle and ("inline", "em_strong") not in idle
    assert ("block", "hr") not in idle  # "-" appears, so the rule and the list stay


def _educate_text_in_full(text: str, previous: str) -> str:
    """Smart quotes' text pass as it was before it learnt to skip text with nothing to change."""
    import re

    from storyforge.core import smartypants

    text = text.replace("&quot;", '"').replace("&#39;", "'").replace("&#x27;", "'")
    text = text.replace("---", "\u2014").replace("--", "\u2013").replace("...", "\u2026")
    text = smartypants._DECADE.sub("\u2019", text)

    def curl(match: re.Match[str]) -> str:
        before = text[match.start() - 1] if match.start() else previous
        opening = before in smartypants._OPENING_CONTEXT
        if match.group() == '"':
            return "\u201c" if opening else "\u201d"
        return "\u2018" if opening else "\u2019"

    return smartypants._QUOTE.sub(curl, text)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ab 19s.-'\"&#;quotx\n(", max_size=40), st.sampled_from(["", " ", "a", "(", "-"]))
def test_smart_quotes_skip_only_text_with_nothing_to_change(text, previous):
    from storyforge.core.smartypants import _educate_text

    assert _educate_text(text, previous) == _educate_text_in_full(text, previous)
