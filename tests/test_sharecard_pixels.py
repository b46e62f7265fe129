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
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


# --- the lines: summing the widths of words gives the lines measuring every trial gave -----------

WORDS = ("Zoë’s café fixed my gears for £12 — about €14 — and threw in a pint of naïve crème brûlée. "
         "Wave To AV. “Yes,” she said; ‘T’ and ‘Y’ fly. We’d really recommend the sourdough -- it's "
         "**great** and \"crusty\" in the best way. Lovely 1,000,000 WWWWWW iiiiii L’Été f.j. ").split()


def _measured_every_time(text: str, font: Any, width: int, max_lines: int) -> list[str]:
    """The earlier renderer's wrapping, kept as the reference: the whole line measured for each word."""
    limit = max_lines * carddraw.MAX_LINE_CHARS
    cut_short = len(text) > limit
    lines: list[str] = []
    current = ""
    for word in " ".join(text[:limit].split()).split(" "):
        trial = f"{current} {word}" if current else word
        if font.getlength(trial) <= width:
            current = trial
            continue
        if font.getlength(word[:carddraw.MAX_LINE_CHARS]) <= width and len(word) <= carddraw.MAX_LINE_CHARS:
            lines.append(current)
            current = word
        else:
            current = trial
            while len(lines) <= max_lines and font.getlength(current[:carddraw.MAX_LINE_CHARS + 1]) > width:
                cut = carddraw._fit(current, font, width)
                lines.append(current[:cut])
                current = current[cut:]
        if len(lines) > max_lines:
            break
    if current and len(lines) <= max_lines:
        lines.append(current)
    if len(lines) > max_lines or cut_short:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and font.getlength(last + " …") > width:
            last = last[:-1]
        lines[-1] = last.rstrip(" ,;:.") + " …"
    return lines or [""]


@pytest.mark.parametrize(("name", "size"), [("DejaVuSerif.ttf", 44), ("DejaVuSerif.ttf", 38),
                                            ("DejaVuSans.ttf", 24), ("DejaVuSans-Bold.ttf", 30)])
def test_lines_are_those_measuring_every_trial_gives(name: str, size: int) -> None:
    import random

    font = carddraw._font(name, size)
    rng = random.Random(20)  # noqa: S311 - the same texts every run, no secret
    for _ in range(400):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 90)))
        width = rng.choice([984, 640, 500, 300, 120])
        assert carddraw._wrap(text, font, width, 5) == _measured_every_time(text, font, width, 5), (text, width)


# --- in a build: drawn in worker processes, each card once ----------------------------------------


def test_cards_the_cache_cannot_keep_are_drawn_once_in_the_workers(make_site: Any, tmp_path: Path) -> None:
    # a cache folder that cannot be written (a full disk, a read-only mount): the workers hand the
    # cards back instead of the build drawing them all again
    from conftest import story

    site = make_site({f"content/testimonials/s{n}.md": story(f"Story {n}", author=f"Author {n}")
                      for n in range(320)})
    log = tmp_path / "drawn.log"
    # the build in a process of its own, as a user runs it (storyforge never forks workers from a
    # process with threads, and a test process may hold some), with two changes made in it first
    script = f"""
import os, sys
from storyforge.cli import main
from storyforge.render import sharecards
real = sharecards.draw
def counted(spec):
    with open({str(log)!r}, "a", encoding="utf-8") as drawn:  # forked workers append here too
        drawn.write(f"{{os.getpid()}} {{spec.author}}\\n")
    return real(spec)
def full_disk(*args, **kwargs):
    raise OSError(28, "No space left on device")
sharecards.draw = counted
sharecards.write_atomic = full_disk
sys.exit(main(["build", "--site", {str(site)!r}]))
"""
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "STORYFORGE_WORKERS": "2"},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = log.read_text(encoding="utf-8").splitlines()
    assert sorted(line.split(" ", 1)[1] for line in lines) == sorted(f"Author {n}" for n in range(320))
    assert len({line.split(" ", 1)[0] for line in lines}) == 2  # two worker processes drew them
    cards = list((site / "public/testimonials").rglob("card.png"))
    assert len(cards) == 320
    with Image.open(cards[7]) as card:
        assert card.size == (1200, 630)


def test_without_isal_a_card_is_the_same_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    # a platform without isal's wheel deflates with the standard library: other bytes, same pixels
    import zlib

    from storyforge.render import palette_png

    spec = _spec(SPECS["rated-with-labels"])
    fast = draw(spec)
    monkeypatch.setattr(palette_png, "deflate", lambda: (zlib.compress, "zlib"))
    slow = draw(spec)
    with Image.open(io.BytesIO(fast)) as one, Image.open(io.BytesIO(slow)) as other:
        assert one.convert("RGB").tobytes() == other.convert("RGB").tobytes()
