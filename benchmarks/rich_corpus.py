"""A deterministic corpus that looks like real posts: what users meet, not the easiest case.

Of N entries, a quarter are events, three in twenty charity updates and the rest
testimonials, each about 380 words of Markdown with headings, lists, links,
emphasis, block quotes and quotation marks (which smart quotes rewrite). The site
keeps storyforge's default settings — share cards on — where ``corpus.py``'s
plain-prose stories turn them off. The same bodies go to the peers as posts.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from corpus import FIRST, TAGS, WORDS, peer_head

SITE_YAML = """\
title: Benchmark Bakery
base_url: https://bench.example/
language: en-GB
timezone: Europe/London
business:
  name: Benchmark Bakery
"""

LINKS = ("https://bench.example/menu/", "https://www.example.org/recipes/sourdough",
         "/testimonials/", "https://maps.example.com/?q=mill+lane")


@dataclass(frozen=True)
class Post:
    kind: str  # testimonial, event or charity
    slug: str
    title: str
    author: str
    day: date
    tags: tuple[str, ...]
    body: str


def _sentence(rng: random.Random, words: int) -> str:
    picked = [rng.choice(WORDS) for _ in range(words)]
    return " ".join(picked).capitalize() + "."


def _body(rng: random.Random) -> str:
    """About 380 words in the shapes customers and staff write: a heading, paragraphs with
    emphasis, links and quotation marks, a list, a numbered list and a block quote."""
    link = rng.choice(LINKS)
    intro = (f"{_sentence(rng, 22)} We'd *really* recommend the {rng.choice(WORDS)} -- it's "
             f"**{rng.choice(WORDS)}** and \"{rng.choice(WORDS)}\" in the best way. "
             f"See [the {rng.choice(WORDS)} page]({link}) for more. {_sentence(rng, 30)}")
    bullets = "\n".join(f"- {_sentence(rng, 9)} *{rng.choice(WORDS)}*" for _ in range(4))
    steps = "\n".join(f"{n}. {_sentence(rng, 10)}" for n in range(1, 4))
    quote = f"> \"{_sentence(rng, 24)}\" said the {rng.choice(WORDS)} -- and we agree.\n>\n> {_sentence(rng, 14)}"
    middle = f"{_sentence(rng, 40)} It's the {rng.choice(WORDS)}'s **{rng.choice(WORDS)}** that won us over."
    closing = (f"{_sentence(rng, 36)} Thanks to [everyone at the counter]({rng.choice(LINKS)}) -- "
               f"we'll be back for the {rng.choice(WORDS)} on Saturday.")
    return "\n\n".join([intro, f"## {_sentence(rng, 4)[:-1]}", bullets, middle, quote,
                        f"### {_sentence(rng, 3)[:-1]}", steps, closing]) + "\n"


def posts(count: int, seed: int = 2027) -> Iterator[Post]:
    rng = random.Random(seed)
    events, updates = count // 4, count * 3 // 20
    for n in range(count):
        kind = "event" if n < events else "charity" if n < events + updates else "testimonial"
        title = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize()
        yield Post(kind=kind, slug=f"{kind}-{n:05d}", title=f"{title} {n}",
                   author=f"{rng.choice(FIRST)} {chr(65 + n % 26)}.",
                   day=date(2020, 1, 1) + timedelta(days=n % 2000),
                   tags=tuple(sorted(rng.sample(TAGS, 2))), body=_body(rng))


def _front(post: Post, n: int) -> str:
    tags = f"tags: [{', '.join(post.tags)}]\n"
    if post.kind == "event":
        return (f"title: {post.title}\nstart: {post.day.isoformat()} 18:00\nend: {post.day.isoformat()} 20:00\n"
                f"location: The bakery\naddress: 14 Mill Lane, Eastbridge\ncost: Free\n{tags}")
    if post.kind == "charity":
        return (f"title: {post.title}\ndate: {post.day.isoformat()}\ncampaign: Campaign {n % 12}\n"
                f"goal: 2000\nraised: {(n * 37) % 2000}\ncurrency: GBP\nbeneficiary: The food bank\n{tags}")
    return (f"title: {post.title}\nauthor: {post.author}\nrating: {1 + n % 5}\ndate: {post.day.isoformat()}\n"
            f"consent: true\n{tags}")


FOLDERS = {"testimonial": "testimonials", "event": "events", "charity": "charity"}


def rich_site(root: Path, count: int) -> Path:
    """A storyforge site folder with ``count`` entries of rich Markdown, default settings."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(SITE_YAML)
    for folder in FOLDERS.values():
        (root / "content" / folder).mkdir(parents=True, exist_ok=True)
    for n, post in enumerate(posts(count)):
        (root / "content" / FOLDERS[post.kind] / f"{post.slug}.md").write_text(
            "---\n" + _front(post, n) + "---\n" + post.body)
    return root


def rich_markdown_site(root: Path, count: int, front: str = "yaml") -> Path:
    """The same bodies as plain Markdown posts for the peers (Pelican uses key: value metadata)."""
    root.mkdir(parents=True, exist_ok=True)
    for post in posts(count):
        head = peer_head(post.title, post.day, post.author, post.tags, post.slug, front)
        (root / f"{post.slug}.md").write_text(head + post.body)
    return root
