"""Share cards drawn the fast way (a palette image, drawn over a frame kept per process, encoded
with a fast deflate) look like the cards drawn before it: compared pixel by pixel with cards the
earlier renderer (full-colour Pillow drawing, zlib at level 6) drew, kept as fixture images in
``tests/data/sharecards/`` with the specs they were drawn from (``specs.json``).

"Can't tell" in figures: no channel of any pixel is off by more than 6 of 255 (a step the eye does
not see between neighbouring text edges, and far below the smallest colour difference a theme
picks), and the mean difference is below 0.25 of a level."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from storyforge.render import carddraw
from storyforge.render.sharecards import CardSpec, draw

FIXTURES = Path(__file__).parent / "data" / "sharecards"
SPECS = json.loads((FIXTURES / "specs.json").read_text(encoding="utf-8"))
MAX_CHANNEL_DIFFERENCE = 6
MAX_MEAN_DIFFERENCE = 0.25


def _spec(fields: dict[str, object]) -> CardSpec:
    return CardSpec(**{**fields, "labels": tuple(fields["labels"]),  # type: ignore[arg-type]
                       "colours": tuple(tuple(pair) for pair in fields["colours"])})  # type: ignore[attr-defined]


def _difference(name: str) -> tuple[int, float]:
    """The largest channel difference and the mean one between the fixture and today's card."""
    with Image.open(FIXTURES / f"{name}.png") as before, Image.open(io.BytesIO(draw(_spec(SPECS[name])))) as now:
        assert (now.format, now.size) == ("PNG", (1200, 630))
        difference = ImageChops.difference(before.convert("RGB"), now.convert("RGB"))
    largest = max(high for _, high in difference.getextrema())  # type: ignore[union-attr]
    return largest, max(ImageStat.Stat(difference).mean)


@pytest.mark.skipif(not carddraw._font_path("DejaVuSerif.ttf"), reason="the card fonts are not installed")
@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_card_looks_as_the_earlier_renderer_drew_it(name: str) -> None:
    largest, mean = _difference(name)
    assert largest <= MAX_CHANNEL_DIFFERENCE, (name, largest)
    assert mean <= MAX_MEAN_DIFFERENCE, (name, mean)


def test_the_comparison_sees_a_changed_card(monkeypatch: pytest.MonkeyPatch) -> None:
    # the same card with one line moved by a pixel is told apart: the tolerance hides no layout change
    real = carddraw._put

    def shifted(card: Image.Image, xy: tuple[float, float], *args: object, **kwargs: object) -> None:
        real(card, (xy[0] + 1, xy[1]), *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(carddraw, "_put", shifted)
    largest, _ = _difference("rated-with-labels")
    assert largest > MAX_CHANNEL_DIFFERENCE


def test_cards_in_the_same_process_are_the_same_bytes_as_a_first_card() -> None:
    # the frame kept between cards carries nothing of one card into the next
    first = draw(_spec(SPECS["short-branded"]))
    for name in sorted(SPECS):
        draw(_spec(SPECS[name]))
    carddraw._FRAMES.clear()
    assert draw(_spec(SPECS["short-branded"])) == first
