"""The submissions index: an import costs what its rows cost, and the index is never the truth.

Near-duplicates are found among the few texts filed under the same rare words (prefix filtering);
a property test holds that search to comparing with every text. The index is compared with the
folders on every command, so a kill in the middle of writing it, a damaged file or a folder edited
by hand leave every answer right.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moderation_helpers import HEADER, MODERATED_SITE, csv_row, inbox, places

from storyforge.moderation import checks
from storyforge.moderation.index import INDEX_FILE, StoreIndex

WORDS = ("bread", "crust", "crumb", "loaf", "rye", "seed", "oven", "warm", "soft", "the", "and", "we", "was", "our")


def brute_force(corpus: list[tuple[str, str, str]], key: str, text: str) -> tuple[str, float] | None:
    """The nearest text by comparing with every one, as screening did before the index."""
    import difflib

    mine = checks.words(text)
    best: tuple[str, float] | None = None
    for other_key, label, other in sorted(corpus, key=lambda item: item[1]):
        theirs = checks.words(other)
        if other_key == key or not theirs or not mine:
            continue
        ratio = difflib.SequenceMatcher(None, theirs, mine, autojunk=False).ratio()
        if ratio >= checks.DUPLICATE_RATIO and (best is None or ratio > best[1]):
            best = (label, ratio)
    return best


def _variant(seed: int, base: list[str]) -> str:
    """``base`` with a few words changed, dropped or added: near-duplicates and not."""
    pick = random.Random(seed)  # noqa: S311 - test data, not secrets
    out = list(base)
    for _ in range(pick.randint(0, max(1, len(base) // 3))):
        action = pick.choice(("swap", "drop", "add"))
        if action == "drop" and out:
            out.pop(pick.randrange(len(out)))
        elif action == "add":
            out.insert(pick.randint(0, len(out)), pick.choice(WORDS))
        elif out:
            out[pick.randrange(len(out))] = pick.choice(WORDS)
    return " ".join(out)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=30), min_size=1, max_size=8),
       st.integers(0, 10_000))
def test_the_filed_search_finds_what_comparing_with_every_text_finds(bases, seed):
    texts = [(f"k{n}", f"text {n:03d}", _variant(seed + n, base)) for n, base in enumerate(bases * 3)]
    corpus = checks.Corpus()
    for key, label, text in texts[:-1]:
        corpus.add(key, label, text)
    for key, _, text in texts:
        assert corpus.nearest(key, text) == brute_force(texts[:-1], key, text)


def _site_with_inbox(make_site, run, count: int) -> Path:
    rows = "".join(csv_row(f"2026-03-01 09:{n % 60:02d}", f"Customer {n}", f"Visit {n}",
                           " ".join(random.Random(n).choice(WORDS) for _ in range(25))  # noqa: S311
                           + f" visit {n}.")
                   for n in range(count))
    site = make_site({"stories.csv": HEADER + rows}, site_yaml=MODERATED_SITE)
    assert run("submissions", "import", site / "stories.csv", "--site", site).code == 0
    return site


def _backdate(site: Path) -> None:
    """As if the inbox had been filled days ago (files written in the last two seconds are always read)."""
    for path in (site / "submissions").rglob("*.json"):
        info = path.stat()
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - 86_400 * 10**9))


def test_an_import_reads_only_what_its_rows_need_however_full_the_inbox(make_site, run, monkeypatch, tmp_path):
    from storyforge.moderation.submission import Submission

    site = _site_with_inbox(make_site, run, 120)
    _backdate(site)
    assert run("moderate", "list", "--site", site).code == 0  # any command brings the index up to date
    reads: list[str] = []
    real = Submission.from_json.__func__  # type: ignore[attr-defined]

    def counting(cls, data, where):
        reads.append(where)
        return real(cls, data, where)

    monkeypatch.setattr(Submission, "from_json", classmethod(counting))
    one = tmp_path / "one.csv"
    one.write_text(HEADER + csv_row("2026-04-01 10:00", "New Person", "New", "A brand new story about rye seed."))
    result = run("submissions", "import", one, "--site", site)
    assert result.code == 0, result.err
    assert result.out.startswith("imported 1 new submission")
    assert len(reads) <= 2, reads  # not 120: the index answered for the others
    assert len(inbox(site)) == 121


def test_near_duplicates_are_found_across_imports_and_in_published_stories(make_site, run, tmp_path):
    story = "The rye loaf had a deep crust and a soft crumb and we loved every slice of it at breakfast."
    site = make_site({"a.csv": HEADER + csv_row("2026-03-01 09:00", "Ann", "Rye", story)}, site_yaml=MODERATED_SITE)
    assert run("submissions", "import", site / "a.csv", "--site", site).code == 0
    [first] = inbox(site).values()
    assert run("moderate", "approve", first["id"], "--site", site).code == 0
    again = tmp_path / "b.csv"
    again.write_text(HEADER + csv_row("2026-03-05 09:00", "Bob", "Rye again", story.replace("loved", "enjoyed")))
    assert run("submissions", "import", again, "--site", site).code == 0
    [second] = inbox(site).values()
    duplicate = [f["message"] for f in second["flags"] if f["code"] == "duplicate"]
    assert duplicate and "the published story content/testimonials/" in duplicate[0], second["flags"]
    third = tmp_path / "c.csv"
    third.write_text(HEADER + csv_row("2026-03-06 09:00", "Cy", "Rye three", story.replace("slice", "bite")))
    assert run("submissions", "import", third, "--site", site).code == 0
    flags = next(s for s in inbox(site).values() if s["name"] == "Cy")["flags"]
    assert any(f["code"] == "duplicate" for f in flags)


def _file_all(site: Path) -> None:
    """File every text the index holds, as the first command that screens a text does."""
    index = StoreIndex(site, site / "submissions", writable=True)
    try:
        index.refresh()
        index.filing.ensure()
    finally:
        index.close()


def _index_rows(site: Path) -> list[tuple]:
    """What the index holds of each file; and a check that each text is filed as its words say."""
    _file_all(site)
    db = sqlite3.connect(site / INDEX_FILE)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        docs = db.execute("SELECT folder, file, sid, slug, story_name, ok, body, name, words FROM docs "
                          "ORDER BY folder, file").fetchall()
        ranks = dict(db.execute("SELECT token, texts FROM ranks"))
        filed: dict[tuple[str, str], set[str]] = {}
        for token, folder, file in db.execute("SELECT token, folder, file FROM filed JOIN docs ON doc = id"):
            filed.setdefault((folder, file), set()).add(token)
    finally:
        db.close()
    for folder, file, *_, words in docs:
        expected = set(checks.signature(words.split(), lambda t: ranks.get(t, 0))) if words else set()
        assert filed.get((folder, file), set()) == expected, (folder, file)
    return docs


def _rebuilt_rows(site: Path, run) -> list[tuple]:
    (site / INDEX_FILE).unlink()
    assert run("moderate", "reject", "nothing-by-this-id", "--reason", "fake", "--site", site).code == 1
    return _index_rows(site)


def test_a_kill_while_the_index_is_written_leaves_it_consistent(make_site, run, tmp_path):
    site = _site_with_inbox(make_site, run, 12)
    edited = min((site / "submissions/inbox").glob("*.json"))
    data = json.loads(edited.read_text())
    data["body"] = "Edited by hand: the crumb was soft and the crust was loud."
    edited.write_text(json.dumps(data, indent=2))  # the index must read it again
    more = tmp_path / "more.csv"
    more.write_text(HEADER + csv_row("2026-04-01 10:00", "Late", "Late one", "Warm seed loaf, soft and good."))
    everyone = set(places(site))
    killed = subprocess.run([sys.executable, "-m", "storyforge", "submissions", "import", str(more), "--site",
                             str(site)], env={**os.environ, "STORYFORGE_FAULT": "index:during-refresh"},
                            capture_output=True, text=True, check=False)
    assert killed.returncode == 137, killed.stderr
    assert set(places(site)) == everyone  # nothing was lost; the row was not imported yet
    again = run("submissions", "import", more, "--site", site)
    assert again.code == 0, again.err
    assert again.out.startswith("imported 1 new submission")
    assert len(places(site)) == len(everyone) + 1 and all(len(p) == 1 for p in places(site).values())
    assert run("submissions", "import", more, "--site", site).out.startswith("imported 0 new submissions")
    kept = _index_rows(site)
    assert any(row[6].startswith("Edited by hand") for row in kept)
    assert kept == _rebuilt_rows(site, run)


@pytest.mark.parametrize("damage", [b"", b"not a database at all", b"SQLite format 3\x00" + b"\xff" * 3000])
def test_a_damaged_index_is_rebuilt(make_site, run, tmp_path, damage):
    site = _site_with_inbox(make_site, run, 5)
    (site / INDEX_FILE).write_bytes(damage)
    again = tmp_path / "again.csv"
    again.write_text((site / "stories.csv").read_text())
    result = run("submissions", "import", again, "--site", site)
    assert result.code == 0, result.err
    assert result.out.startswith("imported 0 new submissions") and "5 imported before" in result.out
    assert len(inbox(site)) == 5
    assert _index_rows(site) == _rebuilt_rows(site, run)


def test_an_index_that_cannot_be_written_still_gives_the_right_answers(make_site, run, tmp_path):
    site = _site_with_inbox(make_site, run, 4)
    (site / ".storyforge-cache").mkdir(exist_ok=True)
    (site / INDEX_FILE).unlink()
    (site / INDEX_FILE).parent.rmdir()
    (site / INDEX_FILE).parent.write_text("a file where the index's folder would be")
    again = tmp_path / "again.csv"
    again.write_text((site / "stories.csv").read_text() + csv_row("2026-04-02 10:00", "Zed", "Z", "Soft rye."))
    result = run("submissions", "import", again, "--site", site)
    assert result.code == 0, result.err
    assert result.out.startswith("imported 1 new submission") and "4 imported before" in result.out


def test_files_moved_or_edited_by_hand_are_seen(make_site, run, tmp_path):
    site = _site_with_inbox(make_site, run, 3)
    _backdate(site)
    assert run("moderate", "list", "--site", site).code == 0
    victim = min((site / "submissions/inbox").glob("*.json"))
    text = json.loads(victim.read_text())["body"]
    victim.unlink()  # deleted by hand: an import of the same story brings it back
    again = tmp_path / "again.csv"
    again.write_text((site / "stories.csv").read_text())
    result = run("submissions", "import", again, "--site", site)
    assert result.out.startswith("imported 1 new submission"), result.out
    assert any(s["body"] == text for s in inbox(site).values())


def test_listing_after_the_cache_is_gone_files_no_words_and_the_next_import_still_finds_duplicates(
        make_site, run, monkeypatch, tmp_path):
    import shutil

    story = "The rye loaf had a deep crust and a soft crumb and we loved every slice of it at breakfast."
    files = {f"content/testimonials/story-{n}.md": f"---\ntitle: Story {n}\nauthor: A. {n}\n---\n"
             + " ".join(random.Random(n).choice(WORDS) for _ in range(30)) + "\n"  # noqa: S311
             for n in range(30)}
    files["content/testimonials/the-rye.md"] = "---\ntitle: Rye\nauthor: Ann\n---\n" + story + "\n"
    site = make_site(files, site_yaml=MODERATED_SITE)
    shutil.rmtree(site / ".storyforge-cache", ignore_errors=True)
    signatures: list[int] = []
    real = checks.signature

    def counting(tokens, rarity=None):
        signatures.append(len(tokens))
        return real(tokens, rarity)

    monkeypatch.setattr(checks, "signature", counting)
    result = run("moderate", "list", "--site", site)
    assert result.code == 0, result.err
    assert signatures == []  # nothing screened, nothing filed
    db = sqlite3.connect(site / INDEX_FILE)
    try:
        assert db.execute("SELECT COUNT(*) FROM docs WHERE folder = 'stories'").fetchone() == (31,)
        assert db.execute("SELECT COUNT(*) FROM filed").fetchone() == (0,)
    finally:
        db.close()
    batch = tmp_path / "b.csv"
    batch.write_text(HEADER + csv_row("2026-03-05 09:00", "Bob", "Rye again", story.replace("loved", "enjoyed")))
    assert run("submissions", "import", batch, "--site", site).code == 0
    assert len(signatures) >= 31  # the import filed every published story, once
    [second] = inbox(site).values()
    duplicate = [f["message"] for f in second["flags"] if f["code"] == "duplicate"]
    assert duplicate and "content/testimonials/the-rye.md" in duplicate[0], second["flags"]
    assert _index_rows(site) == _rebuilt_rows(site, run)
