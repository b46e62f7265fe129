"""The shortcut for plain prose gives exactly what Python-Markdown gives, or steps aside."""

from __future__ import annotations

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from storyforge.core.markup import new_converter, plain_paragraphs

# words, the punctuation of ordinary prose, every character Markdown gives a meaning to, and
# unusual line ends and spaces
ALPHABET = "abcXYZ é09 .,;:!?'\"()-+=/%«»—…\n\t\r *_`[]<>&\\{}|~#\x85\u2028\u00a0\x02"
CONVERTER = new_converter()  # the full converter, with every processor


def markdown_of(text: str) -> str:
    CONVERTER.reset()
    return str(CONVERTER.convert(text))


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=80))
def test_plain_paragraphs_are_what_markdown_makes_of_them(text):
    shortcut = plain_paragraphs(text)
    if shortcut is not None:
        assert shortcut == markdown_of(text)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="abcé09 .,;:!?'\"()-%—", min_size=1, max_size=30), min_size=1,
                         max_size=3), min_size=1, max_size=4))
def test_prose_takes_the_shortcut(paragraphs):
    lines = [[f"W{line.strip()}" for line in paragraph] for paragraph in paragraphs]
    text = "\n\n".join("\n".join(paragraph) for paragraph in lines)
    shortcut = plain_paragraphs(text)
    assert shortcut is not None
    assert shortcut == markdown_of(text)


@pytest.mark.parametrize("source", sorted((REPO / "content").rglob("*.md")), ids=lambda p: p.name)
def test_the_example_site_renders_the_same_with_or_without_the_shortcut(source):
    body = source.read_text().split("\n---\n", 1)[1]
    shortcut = plain_paragraphs(body)
    assert shortcut is None or shortcut == markdown_of(body)


@pytest.mark.parametrize("text", ["Caf\u00e9 au\u00a0lait.", "One\u2028two.", "Next\x85line.", "A line\nand another",
                                  "Two\n\n\n\nparagraphs.", "Ends with a blank line.\n\n", "Why? Because!"])
def test_unusual_but_plain_text_matches_markdown(text):
    shortcut = plain_paragraphs(text)
    assert shortcut is None or shortcut == markdown_of(text)
