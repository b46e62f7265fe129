"""The customer's photo on their story's share card: drawn in a circle left of the quote, upright,
only when the customer agreed to show it (an approval without ``show photo`` writes no
``avatar``, and a card is drawn from the avatar alone)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import CliResult
from PIL import Image
from test_images import submission_with_photo

from storyforge.render.carddraw import BAND_TOP, FACE, FACE_LEFT

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
