"""Photographs drawn by code: portraits of customers and bakery still lifes, for the example site
and for the benchmark corpus with photos. The same picture for the same seed (only the grain is
random), no download, no licence to track: whatever this draws is the project's own
(see ``static/images/stories/LICENSE.txt``).

    python benchmarks/photos.py OUT_DIR     # writes the example site's photos into OUT_DIR

Each is soft light, depth-of-field blur and sensor noise over simple shapes — enough to look
like a photo to an encoder (which is what a benchmark needs) and pleasant on a story card.
"""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

SKIN = [(241, 194, 167), (224, 172, 138), (198, 134, 98), (141, 85, 54), (92, 56, 38)]
HAIR = [(40, 28, 20), (92, 60, 34), (170, 120, 60), (200, 200, 196), (20, 18, 18), (120, 40, 24)]
CLOTHES = [(52, 84, 122), (140, 52, 48), (60, 110, 80), (200, 170, 90), (90, 90, 96), (220, 210, 200)]


def _finish(image: Image.Image, rng: random.Random, blur: float = 1.2) -> Image.Image:
    """Lens softness, then sensor noise: what makes drawn shapes encode like a photo."""
    soft = image.filter(ImageFilter.GaussianBlur(blur))
    noise = Image.effect_noise(soft.size, 18).convert("RGB")
    return ImageChops.blend(soft, ImageChops.overlay(soft, noise), 0.18 + rng.random() * 0.05)


def _background(size: tuple[int, int], rng: random.Random, top: tuple[int, int, int],
                bottom: tuple[int, int, int]) -> Image.Image:
    """A vertical gradient with out-of-focus lights (a café behind the sitter)."""
    width, height = size
    column = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / max(1, height - 1)
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    image = column.resize(size)
    lights = Image.new("RGB", size, (0, 0, 0))
    draw = ImageDraw.Draw(lights)
    for _ in range(14):
        x, y, r = rng.randrange(width), rng.randrange(height // 2), rng.randrange(width // 20, width // 7)
        shade = rng.randrange(40, 110)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(shade + 40, shade + 20, shade))
    return ImageChops.add(image, lights.filter(ImageFilter.GaussianBlur(width / 30)))


def portrait(seed: int, size: tuple[int, int] = (900, 1200)) -> Image.Image:
    """Head and shoulders of a (drawn) customer, in front of a blurred café."""
    rng = random.Random(seed)
    width, height = size
    image = _background(size, rng, (rng.randrange(150, 210), rng.randrange(120, 170), rng.randrange(90, 140)),
                        (rng.randrange(60, 100), rng.randrange(50, 80), rng.randrange(40, 70)))
    draw = ImageDraw.Draw(image)
    skin, hair, cloth = rng.choice(SKIN), rng.choice(HAIR), rng.choice(CLOTHES)
    cx, head_w, head_h = width // 2 + rng.randrange(-width // 20, width // 20), width * 0.36, height * 0.34
    top = height * 0.2
    draw.ellipse((cx - width * 0.46, height * 0.63, cx + width * 0.46, height * 1.2), fill=cloth)  # shoulders
    draw.rectangle((cx - head_w * 0.17, top + head_h * 0.8, cx + head_w * 0.17, height * 0.68), fill=skin)  # neck
    draw.ellipse((cx - head_w / 2 - 18, top - 28, cx + head_w / 2 + 18, top + head_h * 0.62), fill=hair)
    draw.ellipse((cx - head_w / 2, top, cx + head_w / 2, top + head_h), fill=skin)
    shade = tuple(max(0, c - 38) for c in skin)
    draw.ellipse((cx + head_w * 0.12, top + head_h * 0.1, cx + head_w / 2, top + head_h * 0.95), fill=shade)
    draw.ellipse((cx - head_w / 2, top, cx + head_w * 0.35, top + head_h), fill=skin)
    draw.chord((cx - head_w / 2 - 10, top - 20, cx + head_w / 2 + 10, top + head_h * 0.55), 180, 360, fill=hair)
    eye_y = top + head_h * 0.5
    for dx in (-head_w * 0.18, head_w * 0.18):
        draw.ellipse((cx + dx - 13, eye_y - 8, cx + dx + 13, eye_y + 8), fill=(250, 250, 245))
        draw.ellipse((cx + dx - 7, eye_y - 7, cx + dx + 7, eye_y + 7), fill=(50, 35, 25))
    draw.arc((cx - head_w * 0.2, top + head_h * 0.58, cx + head_w * 0.2, top + head_h * 0.82), 20, 160,
             fill=(150, 60, 60), width=7)
    return _finish(image, rng, blur=2.0)


def loaf(seed: int, size: tuple[int, int] = (1600, 1067)) -> Image.Image:
    """A scored sourdough loaf on a wooden counter, lit from the window."""
    rng = random.Random(seed)
    width, height = size
    wood = Image.new("RGB", size, (120, 78, 44))
    draw = ImageDraw.Draw(wood)
    for y in range(0, height, 6):
        tone = rng.randrange(-22, 22)
        draw.line((0, y, width, y + rng.randrange(-8, 8)), fill=(120 + tone, 78 + tone // 2, 44 + tone // 3), width=5)
    image = wood.filter(ImageFilter.GaussianBlur(2))
    draw = ImageDraw.Draw(image)
    box = (width * 0.2, height * 0.25, width * 0.8, height * 0.8)
    draw.ellipse((box[0] + 20, box[1] + 40, box[2] + 30, box[3] + 50), fill=(60, 38, 22))  # shadow
    draw.ellipse(box, fill=(176, 112, 52))
    draw.ellipse((box[0] + 40, box[1] + 25, box[2] - 60, box[3] - 70), fill=(205, 144, 74))
    for n in range(4):
        x = box[0] + (box[2] - box[0]) * (0.3 + n * 0.13)
        draw.arc((x - 90, box[1] + 60, x + 90, box[3] - 60), 240, 300, fill=(238, 214, 170), width=16)
    glow = Image.new("RGB", size, (0, 0, 0))
    ImageDraw.Draw(glow).ellipse((-width * 0.3, -height * 0.4, width * 0.6, height * 0.5), fill=(70, 60, 40))
    image = ImageChops.add(image, glow.filter(ImageFilter.GaussianBlur(width / 8)))
    return _finish(image, rng)


def logo(text: str, colour: tuple[int, int, int], size: tuple[int, int] = (480, 160)) -> Image.Image:
    """A small company's logo: a coloured mark and its initials, on transparency."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    height = size[1]
    draw.rounded_rectangle((8, 8, height - 8, height - 8), radius=height // 5, fill=(*colour, 255))
    draw.ellipse((height * 0.3, height * 0.3, height * 0.7, height * 0.7), fill=(255, 255, 255, 255))
    for n, _ in enumerate(text[:3]):
        x = height + 20 + n * (size[0] - height - 40) / 3
        draw.rounded_rectangle((x, height * 0.35, x + (size[0] - height - 60) / 3, height * 0.65), radius=12,
                               fill=(*colour, 255))
    return image


def jpeg(image: Image.Image, quality: int = 88) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


#: the example site's photos: file name → how it is drawn
EXAMPLE = {
    "priya.jpg": lambda: jpeg(portrait(11)),
    "kwame.jpg": lambda: jpeg(portrait(23)),
    "tom.jpg": lambda: jpeg(portrait(5)),
    "owen.jpg": lambda: jpeg(portrait(42)),
    "seeded-rye.jpg": lambda: jpeg(loaf(7)),
}


def main() -> int:
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    for name, draw in EXAMPLE.items():
        (folder / name).write_bytes(draw())
    out = io.BytesIO()
    logo("MLD", (31, 95, 139)).save(out, "PNG")
    (folder / "dental-practice-logo.png").write_bytes(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
