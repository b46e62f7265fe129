"""A deterministic corpus of N customer stories, the same for storyforge and its peers.

Each story has about 260 words of Markdown and front matter with a title, an
author, a rating, a date and tags. The text comes from a seeded generator, so a
given N always produces the same files.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

WORDS = (
    "bread loaf crust crumb sourdough rye seeded oven morning bakery cafe coffee cake birthday "
    "friendly staff queue warm counter neighbour saturday sunday order delivery fresh flour butter "
    "croissant pastry cinnamon lemon tart scone jam tea table window street corner price value "
    "quality service smile children school office team lunch weekend market recipe starter slice"
).split()
TAGS = ["sourdough", "cakes", "coffee", "catering", "birthdays", "pastries", "service", "delivery",
        "breakfast", "lunch", "community", "gluten-free"]
FIRST = ["Priya", "Tom", "Aisha", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hamid", "Isla", "Jack"]


@dataclass(frozen=True)
class Story:
    slug: str
    title: str
    author: str
    rating: int
    day: date
    tags: tuple[str, ...]
    paragraphs: tuple[str, ...]


def stories(count: int, seed: int = 2026) -> list[Story]:
    rng = random.Random(seed)
    made = []
    for n in range(count):
        words = [rng.choice(WORDS) for _ in range(260)]
        paragraphs = tuple(
            " ".join(words[i:i + 65]).capitalize() + "." for i in range(0, 260, 65))
        title = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize()
        made.append(Story(
            slug=f"story-{n:05d}", title=f"{title} {n}",
            author=f"{rng.choice(FIRST)} {chr(65 + n % 26)}.", rating=rng.randint(1, 5),
            day=date(2020, 1, 1) + timedelta(days=n % 2000),
            tags=tuple(sorted(rng.sample(TAGS, 2))), paragraphs=paragraphs))
    return made


SITE_YAML = """\
title: Benchmark Bakery
base_url: https://bench.example/
language: en-GB
timezone: Europe/London
business:
  name: Benchmark Bakery
share_cards: false
"""


def storyforge_site(root: Path, count: int) -> Path:
    """A storyforge site folder with ``count`` testimonials."""
    (root / "content/testimonials").mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(SITE_YAML)
    for story in stories(count):
        (root / "content/testimonials" / f"{story.slug}.md").write_text(
            "---\n"
            f"title: {story.title}\nauthor: {story.author}\nrating: {story.rating}\n"
            f"date: {story.day.isoformat()}\ntags: [{', '.join(story.tags)}]\n"
            "---\n" + "\n\n".join(story.paragraphs) + "\n")
    return root


def peer_head(title: str, day: date, author: str, tags: tuple[str, ...], slug: str, front: str) -> str:
    """A post's metadata for the peers: YAML front matter, or Pelican's key: value lines."""
    if front == "pelican":
        return (f"Title: {title}\nDate: {day.isoformat()}\nAuthor: {author}\n"
                f"Tags: {', '.join(tags)}\nSlug: {slug}\n\n")
    return (f"---\ntitle: \"{title}\"\ndate: {day.isoformat()}\n"
            f"author: \"{author}\"\ntags: [{', '.join(tags)}]\n---\n")


def markdown_site(root: Path, count: int, front: str = "yaml") -> Path:
    """Plain Markdown posts for the peers (Pelican uses key: value metadata)."""
    root.mkdir(parents=True, exist_ok=True)
    for story in stories(count):
        head = peer_head(story.title, story.day, story.author, story.tags, story.slug, front)
        (root / f"{story.slug}.md").write_text(head + "\n\n".join(story.paragraphs) + "\n")
    return root
