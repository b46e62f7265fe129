"""Share-card benchmark: milliseconds per card, drawn one after another in one process.

    python benchmarks/bench_cards.py                   # 1,000 cards, 5 runs
    python benchmarks/bench_cards.py --cards 200 --runs 3 --profile

The cards are those of the rich corpus's stories (``rich_corpus.py``): the quote is each
story's summary as the build makes it, the author, a rating, and on some the disclosure labels.
A run times ``draw(spec)`` — layout, drawing and encoding, the whole of a card's cost — over
every card; the first card of the process (which loads the fonts and draws what every card
shares) is drawn before timing starts, as a build's workers draw it once each. The minimum and
the median of the runs are printed: on a shared machine the minimum is the card's own cost.
``--profile`` prints cProfile's top functions for one more run. ``--photos`` also times cards
that show the customer's photo (a drawn portrait as the image stage makes it for a card: 176
pixels wide, JPEG), apart: they are drawn another way (RGB). Nothing here is a test.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from rich_corpus import posts

from storyforge.core.markup import MarkupRenderer, summarize
from storyforge.render.sharecards import PALETTE, CardSpec, draw


def card_specs(count: int) -> list[CardSpec]:
    """``count`` cards of rich-corpus stories, one in three verified, one in five with a disclosure."""
    renderer = MarkupRenderer()
    specs = []
    for n, post in enumerate(posts(count * 2)):
        if len(specs) == count:
            break
        labels = (("Verified customer",) if n % 3 == 0 else ()) + \
            ((f"Disclosure: a free {post.title.split()[0].lower()}",) if n % 5 == 0 else ())
        specs.append(CardSpec(quote=summarize(renderer.render(post.body)), author=post.author,
                              rating=None if n % 7 == 0 else 1 + n % 5, labels=labels,
                              business="Benchmark Bakery", host="bench.example", colours=tuple(PALETTE.items())))
    return specs


def run_once(specs: list[CardSpec]) -> tuple[float, float]:
    """Milliseconds per card for drawing every spec once: elapsed, and the process's CPU time (on a
    busy machine, where other processes take turns on the cores, the second is the card's cost)."""
    started, cpu = time.perf_counter(), time.process_time()
    for spec in specs:
        draw(spec)
    return (time.perf_counter() - started) * 1000 / len(specs), (time.process_time() - cpu) * 1000 / len(specs)


def _time_photo_cards(specs: list[CardSpec], runs: int) -> None:
    """The same cards with a phone-sized portrait each (its own file, as no two photos are alike)."""
    import dataclasses
    import tempfile

    from photo_corpus import _portrait
    from photos import jpeg

    with tempfile.TemporaryDirectory() as folder:
        with_photos = []
        for n, spec in enumerate(specs):
            path = Path(folder) / f"{n}.jpg"
            path.write_bytes(jpeg(_portrait(n % 20).resize((176, 235)), quality=80))
            with_photos.append(dataclasses.replace(spec, photo=str(path), photo_hash=str(n)))
        draw(with_photos[0])
        times = [run_once(with_photos)[1] for _ in range(runs)]
    print(f"  ms per card with a photo ({len(with_photos)} cards), CPU: min {min(times):.2f}, "
          f"median {statistics.median(times):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions for one more run")
    parser.add_argument("--photos", action="store_true", help="also time cards with the customer's photo")
    args = parser.parse_args()
    specs = card_specs(args.cards)
    sizes = [len(draw(spec)) for spec in specs[:50]]  # the first draws load what every card shares
    runs = [run_once(specs) for _ in range(args.runs)]
    print(f"{len(specs)} cards a run, {args.runs} runs; mean card {statistics.mean(sizes) / 1024:.0f} KiB")
    for label, times in (("elapsed", [run[0] for run in runs]), ("CPU", [run[1] for run in runs])):
        print(f"  ms per card, {label:7}: min {min(times):.2f}, median {statistics.median(times):.2f} "
              f"(every run: {', '.join(f'{t:.2f}' for t in times)})")
    if args.photos:
        _time_photo_cards(specs[:max(1, args.cards // 10)], args.runs)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(run_once, specs)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
