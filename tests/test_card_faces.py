"""The customer's photo on their story's share card: drawn in a circle left of the quote, upright,
only when the customer agreed to show it (an approval without ``show photo`` writes no
``avatar``, and a card is drawn from the avatar alone)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import CliResult
from PIL import Image
from test_images import phone_photo, submission_with_photo

from storyforge.render import palette_png
from storyforge.render.carddraw import BAND_TOP, FACE, FACE_LEFT, CardSpec, draw
from storyforge.render.sharecards import PALETTE

CENTRE = (FACE_LEFT + FACE // 2, (BAND_TOP - FACE) // 2 + FACE // 2)


def approved_story_card(make_site: Callable[..., Path], run: Callable[..., CliResult], show: bool) -> Image.Image:
    """Approve a submission whose customer uploaded a phone photo (agreeing to show it or not),
    build with share cards on, and read the story's card back."""
    site, sid = submission_with_photo(make_site, run, show, cards=True)
    approved = run("moderate", "approve", sid, "--site", site)
    assert approved.code == 0, approved.err
    built = run("build", "--site", site)
    assert built.code == 0, built.err
    [card] = (site / "public/testimonials").rglob("*.png")
    with Image.open(card) as image:
        return image.convert("RGB")


def reddish(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 150 > pixel[2] and pixel[1] < 100


def bluish(pixel: tuple[int, ...]) -> bool:
    return pixel[2] > 150 > pixel[0] and pixel[1] < 100


def test_the_card_of_a_story_whose_customer_agreed_shows_their_photo_upright(
        make_site: Callable[..., Path], run: Callable[..., CliResult]) -> None:
    card = approved_story_card(make_site, run, show=True)
    x, y = CENTRE
    # the phone photo, stored on its side, is red on top and blue below once upright
    assert reddish(card.getpixel((x, y - FACE // 4)))  # type: ignore[arg-type]
    assert bluish(card.getpixel((x, y + FACE // 4)))  # type: ignore[arg-type]
    # a circle: its bounding square's corners are the card's background
    corner = card.getpixel((FACE_LEFT + 3, (BAND_TOP - FACE) // 2 + 3))
    assert not reddish(corner) and not bluish(corner)  # type: ignore[arg-type]


def test_the_card_of_a_story_whose_customer_did_not_agree_shows_no_photo(
        make_site: Callable[..., Path], run: Callable[..., CliResult]) -> None:
    card = approved_story_card(make_site, run, show=False)
    data = card.tobytes()
    pixels = (tuple(data[i:i + 3]) for i in range(0, len(data), 3))
    assert not any(reddish(p) or bluish(p) for p in pixels)  # no pixel of the photo anywhere on the card


def test_a_card_with_a_photo_is_the_same_picture_whatever_its_bands(monkeypatch: pytest.MonkeyPatch) -> None:
    # the card is made a band of rows at a time (the photo crosses two band edges): one band for
    # the whole card, or a band a row, gives the same pixels, so no band edge shows on the card
    spec = CardSpec(quote="Warm bread and a warmer welcome, every single Saturday.", author="Ana R.", rating=5,
                    labels=("Verified customer",), business="Bakery", host="example.org",
                    colours=tuple(PALETTE.items()), photo=phone_photo(352, 470), photo_hash="photo")
    top = (BAND_TOP - FACE) // 2
    assert top // palette_png.BAND != (top + FACE) // palette_png.BAND
    pictures = []
    for band in (palette_png.BAND, 630, 1):
        monkeypatch.setattr(palette_png, "BAND", band)
        with Image.open(io.BytesIO(draw(spec))) as card:
            assert (card.format, card.mode, card.size) == ("PNG", "RGB", (1200, 630))
            pictures.append(card.tobytes())
    assert pictures[0] == pictures[1] == pictures[2]
    with Image.open(io.BytesIO(draw(replace(spec, photo="", photo_hash="")))) as plain:
        assert plain.mode == "P"  # a card without a photo keeps its palette
