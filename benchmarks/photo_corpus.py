"""The rich corpus with customers' photos on one story in ten: what the image stage costs.

Each photo is a drawn portrait (``photos.py``) of a phone photo's proportions, 1536 × 2048, saved
as a JPEG of some 300 KB beside its story, and shown as the story's ``avatar``. Twenty portraits
are drawn and each written with its own comment, so no two files have the same bytes (the image
cache, keyed by content, must not make the benchmark cheaper than real photos would be).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from photos import jpeg, portrait
from PIL import Image, ImageChops
from rich_corpus import FOLDERS, posts, rich_site

SHARE = 10  # one story in SHARE has a photo


@cache
def _portrait(seed: int) -> Image.Image:
    """Drawn small and enlarged (drawing at full size takes seconds), then grained again."""
    small = portrait(seed, (384, 512)).resize((1536, 2048), Image.Resampling.BICUBIC)
    grain = Image.effect_noise(small.size, 14).convert("RGB")
    return ImageChops.blend(small, ImageChops.overlay(small, grain), 0.2)


def photo_site(root: Path, count: int) -> Path:
    """``rich_site`` with a photo for every SHARE-th testimonial."""
    rich_site(root, count)
    stories = [post for post in posts(count) if post.kind == "testimonial"]
    for n, post in enumerate(stories[::SHARE]):
        story = root / "content" / FOLDERS["testimonial"] / f"{post.slug}.md"
        photo = _portrait(n % 20).copy()
        photo.putpixel((0, 0), (n % 256, n // 256 % 256, 7))  # bytes of its own
        story.with_suffix(".jpg").write_bytes(jpeg(photo))
        text = story.read_text()
        story.write_text(text.replace("\nauthor: ", f"\navatar: /testimonials/{post.slug}.jpg\n"
                                                   f"avatar_alt: {post.author}\nauthor: ", 1))
    return root
