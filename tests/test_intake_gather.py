"""Stories that reach `storyforge intake` at the same moment are written together (one lock, one
flush of the folder), and each sender still gets its own answer only once its story is on disk."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyforge.core.config import load_config
from storyforge.errors import ModerationError
from storyforge.intake.form import values_from
from storyforge.moderation import checks, filing, gather
from storyforge.moderation.gather import Gathering
from storyforge.moderation.index import StoreIndex
from tests.test_intake import FORM, INTAKE_SITE
from tests.test_moderation_index import WORDS, _variant, brute_force


def story(n: int) -> dict[str, str]:
    return values_from({**FORM, "story": f"Story {n}: {'rye sourdough focaccia brioche'.split()[n % 4]} "
                                         f"number {n} was {n * 7} times better than the shop's.",
                        "name": f"Customer {n}"})


def test_many_threads_at_once_make_one_file_each_and_hear_only_once_it_is_there(make_site):
    site = make_site(site_yaml=INTAKE_SITE)
    gathering = Gathering(load_config(site))
    answers: list[tuple[str, bool, bool]] = []
    start = threading.Barrier(40)

    def send(n: int) -> None:
        start.wait()
        added = gathering.add_story(story(n % 20), "form", datetime.now(UTC))  # each story twice
        on_disk = (site / "submissions/inbox" / f"{added.submission.id}.json").is_file()
        answers.append((added.submission.id, added.new, on_disk))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(on_disk for _, _, on_disk in answers)  # nobody was answered before the file was there
    ids = {sid for sid, _, _ in answers}
    assert len(ids) == 20 and sum(new for _, new, _ in answers) == 20  # one new and one resend per story
    inbox = {p.stem: json.loads(p.read_bytes()) for p in (site / "submissions/inbox").glob("*.json")}
    assert set(inbox) == ids and all(data["source"] == "form" for data in inbox.values())


def test_the_kept_index_sees_what_other_commands_did_meanwhile(make_site, run):
    site = make_site(site_yaml=INTAKE_SITE)
    gathering = Gathering(load_config(site))
    first = gathering.add_story(story(1), "form", datetime.now(UTC))
    assert first.new
    assert run("moderate", "reject", first.submission.id, "--site", site, "--reason", "spam").code == 0
    again = gathering.add_story(story(1), "form", datetime.now(UTC))  # the customer sends it again
    assert not again.new and list((site / "submissions/inbox").glob("*.json")) == []
    added = run("submissions", "add", "--site", site, "--story", story(2)["story"], "--name", "Customer 2",
                "--consent")
    assert added.code == 0, added.err
    later = gathering.add_story(story(2), "form", datetime.now(UTC))
    assert not later.new and len(list((site / "submissions/inbox").glob("*.json"))) == 1
    # nearly the same words by another hand: flagged as a near-duplicate of the one added outside
    near = gathering.add_story({**story(2), "story": story(2)["story"] + " Really!", "name": "Someone Else"},
                               "form", datetime.now(UTC))
    assert near.new and any(flag.code == "duplicate" for flag in near.submission.flags)


def test_a_failed_write_is_every_waiting_senders_error(make_site, monkeypatch):
    site = make_site(site_yaml=INTAKE_SITE)
    gathering = Gathering(load_config(site))

    def full_disk(*args: object, **kwargs: object) -> None:
        raise ModerationError("cannot write: No space left on device")

    monkeypatch.setattr(gather, "admit", full_disk)
    with pytest.raises(ModerationError, match="No space left"):
        gathering.add_story(story(3), "form", datetime.now(UTC))
    monkeypatch.undo()
    assert gathering.add_story(story(3), "form", datetime.now(UTC)).new  # the next batch is written


def test_a_batch_written_by_another_thread_keeps_the_index_on_disk(make_site):
    """The intake's worker threads take turns writing batches through one kept index: a thread other
    than the one that opened it must not make it fall back to a copy in memory (built again from
    every file of the inbox, batch after batch), which also left the index on disk behind."""
    site = make_site(site_yaml=INTAKE_SITE)
    gathering = Gathering(load_config(site))
    sent: list[str] = []

    def send(n: int) -> None:
        sent.append(gathering.add_story(story(n), "form", datetime.now(UTC)).submission.id)

    for n in range(3):  # one after the other, each from a new thread
        thread = threading.Thread(target=send, args=(n,))
        thread.start()
        thread.join()
    assert len(sent) == 3
    index = sqlite3.connect(site / ".storyforge-cache/moderation/index.sqlite")
    try:
        indexed = {row[0] for row in index.execute("SELECT sid FROM docs WHERE folder = 'inbox'")}
    finally:
        index.close()
    assert indexed == set(sent)


def test_what_the_kept_index_fetched_follows_files_changed_by_hand(make_site):
    """The kept index keeps the texts it fetched for the near-duplicate search from one batch to the
    next; a submission the owner deletes by hand is no longer one a new story is compared with."""
    site = make_site(site_yaml=INTAKE_SITE)
    gathering = Gathering(load_config(site))
    first = gathering.add_story(story(1), "form", datetime.now(UTC))
    near = {**story(1), "story": story(1)["story"] + " Really!", "name": "Someone Else"}
    flagged = gathering.add_story(near, "form", datetime.now(UTC))
    assert any(flag.code == "duplicate" and first.submission.id in flag.message
               for flag in flagged.submission.flags)
    for added in (first, flagged):
        (site / "submissions/inbox" / f"{added.submission.id}.json").unlink()
    again = gathering.add_story({**near, "name": "A Third Customer"}, "form", datetime.now(UTC))
    assert again.new and not any(flag.code == "duplicate" for flag in again.submission.flags)


def test_a_kept_index_learns_the_texts_another_command_filed(make_site, run):
    """What the kept index fetched for the near-duplicate search is fetched again once another
    command (another process, or the desk beside the intake) changed the index."""
    site = make_site(site_yaml=INTAKE_SITE)
    assert run("submissions", "add", "--site", site, "--story", story(5)["story"], "--name", "Customer 5",
               "--consent").code == 0
    kept = StoreIndex(site, site / "submissions", writable=True)
    try:
        kept.refresh()
        text = checks.words(story(6)["story"])
        tokens = checks.signature(text, kept.rarity)
        shortest, longest = checks.length_range(len(text))
        assert text not in [found[2] for found in kept.similar(tokens, shortest, longest)]  # fetched now
        assert run("submissions", "add", "--site", site, "--story", story(6)["story"], "--name", "Customer 6",
                   "--consent").code == 0
        kept.refresh()
        assert text in [found[2] for found in kept.similar(tokens, shortest, longest)]
    finally:
        kept.close()


def test_the_kept_index_keeps_at_most_so_many_texts_and_still_finds_near_duplicates(make_site, monkeypatch):
    """Past ``MOST_TEXTS_KEPT`` texts, what the kept index fetched is dropped: its memory stays
    bounded however full the inbox grows, and near-duplicates are still found."""
    monkeypatch.setattr(filing, "MOST_TEXTS_KEPT", 3)
    site = make_site(site_yaml=INTAKE_SITE)
    gathering = Gathering(load_config(site))
    names = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
    # each story shares one word with the one before: its candidates are its neighbours
    texts = {n: f"{names[n]} {names[n + 1]} {n}" for n in range(9)}
    ids = {n: gathering.add_story({**story(n), "story": text}, "form", datetime.now(UTC)).submission.id
           for n, text in texts.items()}
    kept = gathering.store._index.filing  # as the next batch finds it (index() would open another)
    assert 0 < len(kept._texts) <= 3 + 2  # dropped past the limit; then only the latest story's candidates
    near = gathering.add_story({**story(8), "story": texts[8], "name": "Someone Else"}, "form", datetime.now(UTC))
    assert any(flag.code == "duplicate" and ids[8] in flag.message for flag in near.submission.flags)


def test_a_decision_killed_between_two_batches_is_finished_by_the_next(make_site):
    """The intake skips settling the folders while only its own writes changed them; a rejection
    killed halfway by another command (the copy in rejected/, the story still in the inbox) is a
    change, and the next batch finishes it before it writes."""
    site = make_site(site_yaml=INTAKE_SITE)
    gathering = Gathering(load_config(site))
    first = gathering.add_story(story(1), "form", datetime.now(UTC)).submission.id
    gathering.add_story(story(2), "form", datetime.now(UTC))
    killed = subprocess.run([sys.executable, "-m", "storyforge", "moderate", "reject", first, "--site", str(site),
                             "--reason", "spam"], env={**os.environ, "STORYFORGE_FAULT": "reject:after-copy-written"},
                            capture_output=True, text=True, check=False)
    assert killed.returncode == 137, killed.stderr
    assert (site / "submissions/inbox" / f"{first}.json").is_file()  # half done
    added = gathering.add_story(story(3), "form", datetime.now(UTC))
    assert added.recovered == [f"finished an interrupted decision: {first} is rejected"]
    assert not (site / "submissions/inbox" / f"{first}.json").exists()
    assert (site / "submissions/rejected" / f"{first}.json").is_file()


def test_a_temporary_left_by_a_killed_writer_is_removed_by_the_next_batch(make_site):
    site = make_site(site_yaml=INTAKE_SITE)
    gathering = Gathering(load_config(site))
    gathering.add_story(story(1), "form", datetime.now(UTC))
    gathering.add_story(story(2), "form", datetime.now(UTC))
    leftover = site / "submissions/inbox" / ".storyforge-tmp-abc.json.1234"
    leftover.write_text('{"half": ', encoding="utf-8")
    gathering.add_story(story(3), "form", datetime.now(UTC))
    assert not leftover.exists()
    assert len(list((site / "submissions/inbox").glob("*.json"))) == 3


def test_a_long_running_intake_ranks_its_words_again_and_still_finds_near_duplicates(make_site):
    """Texts filed one by one (a service that runs for days) are filed under their rarest words as
    the inbox grows, not under words ranked when it was empty; a near-duplicate is found across the
    rankings."""
    site = make_site(site_yaml=INTAKE_SITE)
    gathering = Gathering(load_config(site))
    common = "the bread was warm and the staff were kind and the coffee was good".split()
    first = ""
    for n in range(130):
        text = " ".join([*common, f"visit{n}", f"loaf{n}", f"town{n % 7}"])
        added = gathering.add_story({**story(n), "story": text}, "form", datetime.now(UTC))
        first = first or added.submission.id
    kept = gathering.store._index
    assert kept is not None
    ranked = kept.db.execute("SELECT value FROM meta WHERE key = 'ranked'").fetchone()
    assert ranked is not None and int(ranked[0]) >= 100  # ranked again as the texts doubled
    assert kept.rarity("bread") >= 100 > kept.rarity("visit0")  # a word every text holds, and one only one does
    again = " ".join([*common, "visit0", "loaf0", "town0", "indeed"])
    near = gathering.add_story({**story(0), "story": again, "name": "Someone Else"}, "form", datetime.now(UTC))
    assert any(flag.code == "duplicate" and first in flag.message for flag in near.submission.flags)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30), min_size=1, max_size=5),
       st.integers(0, 10_000))
def test_a_long_running_intake_flags_the_near_duplicates_comparing_with_every_text_finds(bases, seed):
    """The kept index hands the near-duplicate search only the texts that can share enough words
    (counted from the texts it keeps, word by word): it flags exactly what comparing each story
    with every earlier one flags."""
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        (site / "site.yaml").write_text(INTAKE_SITE, encoding="utf-8")
        gathering = Gathering(load_config(site))
        earlier: list[tuple[str, str, str]] = []
        for n, base in enumerate(bases * 3):
            text = _variant(seed + n, base)
            if not checks.words(text):
                continue
            when = datetime(2026, 3, 1, 9, tzinfo=UTC) + timedelta(minutes=n)
            added = gathering.add_story({**story(n), "story": text}, "form", when)
            expected = brute_force(earlier, added.submission.id, text)
            found = [flag.message for flag in added.submission.flags if flag.code == "duplicate"]
            assert found == ([f"near-duplicate ({expected[1]:.0%} the same words) of {expected[0]}"]
                             if expected else [])
            if added.new:
                sid = added.submission.id
                earlier.append((sid, f"submission {sid} (pending)", text))
