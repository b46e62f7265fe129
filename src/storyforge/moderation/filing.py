"""The near-duplicate half of the submissions index: each text's words, filed under its rarest ones.

Only importing a story screens it against the others, so only an import needs every text's words.
Listing, approving, rejecting or withdrawing need where each submission is and nothing more; the
first of those commands after ``.storyforge-cache/`` was deleted used to read and file the words of
every published story all the same (56 s at 50,000 stories). So the index (``moderation.index``)
records each file as it reads it, marked *not yet filed*, and this part files the texts that are
not, all at once and in one transaction, the first time a command asks for a near-duplicate.

How texts are filed keeps the exact guarantee of comparing with every text (prefix filtering,
``checks.signature``): each text is filed under about a third of its words, the rarest first. The
words are ranked by how many texts hold them, again each time the texts have doubled, so the cost
stays constant per text; the first filing ranks before it files, so it files every text once.
"""

from __future__ import annotations

import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from storyforge.moderation import checks
from storyforge.moderation.story_keys import story_text

if TYPE_CHECKING:
    from storyforge.moderation.index import StoreIndex

#: the index ranks its words only once it holds this many texts (fewer are filed in any order, cheaply)
FEWEST_RANKED = 50
#: texts filed one by one rank the words again as they double until this many were ranked: enough
#: to know the common words from the rare ones (words seen since count as rare, rightly), and a
#: ranking files every text again, a pause of a tenth of a second at 800 texts for the batch of
#: stories that meets it (a command filing many texts at once ranks again as they double)
RANKED_ONE_BY_ONE = 400
#: texts whose words a long-running intake keeps between stories (a few kB each): past this many,
#: what was fetched is dropped and fetched again as needed, so its memory stays bounded however
#: full the inbox grows
MOST_TEXTS_KEPT = 10_000
STORY_DIR = "content/testimonials"
STORIES = "stories"  # the index's name for the folder of published stories


class Filing:
    """Files the index's texts for the near-duplicate search, when one is first asked for."""

    def __init__(self, index: StoreIndex) -> None:
        self.index = index
        self.ready = False  # every text of the index is filed, and those read from now on are filed as read
        self._ranks: dict[str, int] = {}
        self._texts: dict[int, checks.Text | None] = {}  # by id: see similar()
        self._holders: dict[str, list[int]] = {}  # token → ids of the texts filed under it
        self._having: dict[str, set[int]] = {}  # a word (with its repeat) → ids of the texts kept that hold it
        self._lengths: dict[int, int] = {}  # each text kept: its length in words
        self._ranked = 0  # how many texts there were when the words were last ranked
        self._filed_since = 0  # texts filed one by one (file_read) since the ranking was last checked

    def reset(self) -> None:
        """The folders were read again: what is filed may have changed."""
        self.ready = False
        self._ranks = {}
        self._texts = {}
        self._holders = {}
        self._having = {}
        self._lengths = {}

    def forget(self, doc: int) -> None:
        """The text ``doc`` was removed or is read again: no longer the words it had."""
        text = self._texts.pop(doc, None)
        if text is not None:
            del self._lengths[doc]
            for token in text[3]:
                self._having[token].discard(doc)

    def _keep(self, doc: int, text: checks.Text) -> None:
        self._texts[doc] = text
        self._lengths[doc] = len(text[2])
        for token in text[3]:
            self._having.setdefault(token, set()).add(doc)

    # --- the order of words ----------------------------------------------------------------

    def rarity(self, token: str) -> int:
        """How many texts held ``token`` when the index was last ranked (0 for words seen since):
        a fixed order between rankings, so every text stays rightly filed."""
        self.ensure()
        if token not in self._ranks:
            row = self.index.db.execute("SELECT texts FROM ranks WHERE token = ?", (token,)).fetchone()
            self._ranks[token] = row[0] if row else 0
        return self._ranks[token]

    def _cached_rarity(self, token: str) -> int:
        if token not in self._ranks:
            row = self.index.db.execute("SELECT texts FROM ranks WHERE token = ?", (token,)).fetchone()
            self._ranks[token] = row[0] if row else 0
        return self._ranks[token]

    # --- filing ----------------------------------------------------------------------------

    def ensure(self) -> None:
        """File every text read but not yet filed (none, after the first call of a command)."""
        if self.ready:
            return
        try:
            self._file_pending()
        except sqlite3.Error:
            self.index.to_memory()
            self.index.refresh_folders()
            self._file_pending()
        self.ready = True

    def _file_pending(self) -> None:
        db = self.index.db
        todo = db.execute("SELECT id, folder, file, body FROM docs WHERE filed = 0").fetchall()
        if not todo:
            return
        derived = [(doc, self._words(folder, file, body)) for doc, folder, file, body in todo]
        with db:  # one transaction: a kill leaves the texts unfiled, to be filed by the next command
            db.executemany("UPDATE docs SET words = ?, nwords = ?, ok = ?, filed = 1 WHERE id = ?",
                           [(None if words is None else " ".join(words), len(words or ()),
                             int(words is not None), doc) for doc, words in derived])
            if not self._rank_if_grown({doc: words for doc, words in derived if words}):
                db.executemany("DELETE FROM filed WHERE doc = ?", [(doc,) for doc, _ in derived])
                db.executemany("INSERT INTO filed VALUES (?, ?)", [
                    (token, doc) for doc, words in derived if words
                    for token in checks.signature(words, self._cached_rarity)])

    def file_read(self, folder: str, file: str, body: str) -> None:
        """File one text just read (by a command that has filed the others already), in the
        caller's transaction."""
        words = self._words(folder, file, body)
        db = self.index.db
        (doc,) = db.execute("SELECT id FROM docs WHERE folder = ? AND file = ?", (folder, file)).fetchone()
        db.execute("UPDATE docs SET words = ?, nwords = ?, ok = ?, filed = 1 WHERE id = ?",
                   (None if words is None else " ".join(words), len(words or ()), int(words is not None), doc))
        db.execute("DELETE FROM filed WHERE doc = ?", (doc,))
        self.forget(doc)
        if words:
            tokens = checks.signature(words, self._cached_rarity)
            db.executemany("INSERT INTO filed VALUES (?, ?)", [(token, doc) for token in tokens])
            for token in tokens:  # what this command already fetched of the index learns it too
                if token in self._holders:
                    self._holders[token].append(doc)
        self._filed_since += 1
        if self._filed_since >= max(self._ranked, FEWEST_RANKED // 5) and self._ranked < RANKED_ONE_BY_ONE:
            # a long-running intake files every text one by one: ranked once, when its inbox was
            # empty, every word stayed "rare" and texts were filed under common words, so nearly
            # every pending text became a candidate of every new one
            self._filed_since = 0
            if self._rank_if_grown({}):
                self._holders = {}

    def _words(self, folder: str, file: str, body: str) -> list[str] | None:
        """The words a text is compared by: a submission's story, or a published story's text
        (read now, without a YAML parse: only the text below the front matter counts)."""
        if folder not in self.index.story_dirs:
            return checks.words(body)
        path: Path = self.index.site / self.index.story_dirs[folder] / file
        try:
            text = story_text(path.read_bytes())
        except OSError:
            return None
        return None if text is None else checks.words(text)

    def _rank_if_grown(self, fresh: dict[int, list[str]]) -> bool:
        """Rank the words again when the texts have doubled since the last ranking (so the cost,
        spread over the texts added, stays constant), and file every text again under the new
        order; True if it did. ``fresh``: the words of the texts being filed now, by id."""
        db = self.index.db
        count = db.execute("SELECT COUNT(*) FROM docs WHERE words IS NOT NULL").fetchone()[0]
        row = db.execute("SELECT value FROM meta WHERE key = 'ranked'").fetchone()
        ranked = self._ranked = int(row[0]) if row else 0
        if count < max(2 * ranked, 1) or (ranked and count < FEWEST_RANKED):
            return False
        self._ranked = count
        rows = [(doc, fresh.get(doc) or words.split())
                for doc, words in db.execute("SELECT id, words FROM docs WHERE words IS NOT NULL")]
        texts: Counter[str] = Counter()
        for _, words in rows:
            texts.update(set(words))
        db.execute("DELETE FROM ranks")
        db.executemany("INSERT INTO ranks VALUES (?, ?)", texts.items())
        db.execute("INSERT OR REPLACE INTO meta VALUES ('ranked', ?)", (str(count),))
        self._ranks = dict(texts)
        rank = self._ranks.__getitem__
        db.execute("DELETE FROM filed")
        db.execute("DROP INDEX IF EXISTS filed_token")  # made again once, faster than kept up row by row
        db.execute("DROP INDEX IF EXISTS filed_doc")
        db.executemany("INSERT INTO filed VALUES (?, ?)", (
            (token, doc) for doc, words in rows for token in checks.signature(words, rank)))
        db.execute("CREATE INDEX filed_token ON filed (token)")
        db.execute("CREATE INDEX filed_doc ON filed (doc)")
        return True

    # --- the search ------------------------------------------------------------------------

    def similar(self, tokens: list[str], shortest: int, longest: int, length: int | None = None
                ) -> list[checks.Text]:
        """(key, label, words, counted words) of every text filed under one of ``tokens`` with a
        length in range: pending and rejected submissions, and published stories; given the
        ``length`` of the text filed under ``tokens``, only those that can share enough of its words
        (``checks.could_be_near``). Which texts are filed under a token, and each text's words, are
        fetched once per command: the rows of one import meet many of the same tokens and texts.

        Texts are fetched through the words they are filed under (``filed``), then found through
        every word they hold, from one set of the texts kept per word: counting in one pass how
        many of ``tokens`` each holds applies the bound. A text of common words is filed under
        words most texts hold, and testing each of those in turn was most of a long-running
        intake's work. Once a word's texts are fetched its list holds only those filed since."""
        self.ensure()
        if len(self._texts) > MOST_TEXTS_KEPT:
            self._texts, self._holders, self._having, self._lengths = {}, {}, {}, {}
        asking = list(dict.fromkeys(tokens))
        unknown = [token for token in asking if token not in self._holders]
        for start in range(0, len(unknown), 400):
            asked = unknown[start:start + 400]
            for token in asked:
                self._holders[token] = []
            for token, doc in self.index.ask(
                    f"SELECT token, doc FROM filed WHERE token IN ({','.join('?' * len(asked))})",  # noqa: S608
                    asked):
                self._holders[token].append(doc)
        missing = list(set().union(*(self._holders[token] for token in asking)).difference(self._texts))
        for start in range(0, len(missing), 400):
            chunk = missing[start:start + 400]
            for doc in chunk:
                self._texts[doc] = None
            marks = ",".join("?" * len(chunk))
            for doc, folder, file, sid, words in self.index.ask(
                    "SELECT id, folder, file, sid, words FROM docs WHERE ok = 1 AND words IS NOT NULL AND "  # noqa: S608
                    f"(folder IN ('inbox', 'rejected') OR folder LIKE '{STORIES}%') AND id IN ({marks})", chunk):
                if folder in self.index.story_dirs:
                    key = f"{self.index.story_dirs[folder]}/{file}"
                    label = f"the published story {key}"
                else:
                    key, label = sid, f"submission {sid} ({'pending' if folder == 'inbox' else 'rejected'})"
                split = [sys.intern(word) for word in words.split()]  # kept for days: one copy of each word
                self._keep(doc, (key, label, split, checks.counted(split)))
        held: Counter[int] = Counter()
        for token in asking:
            self._holders[token] = []  # every text filed under it is kept (or does not count): found below
            held.update(self._having.get(token, ()))
        texts, lengths = self._texts, self._lengths
        if length is None or checks.could_be_near(length, len(asking), 0, shortest):
            return [texts[doc] for doc in held if shortest <= lengths[doc] <= longest]  # type: ignore[misc]
        least = {count: checks.fewest_of_prefix(length, len(asking), count) for count in range(shortest, longest + 1)}
        return [texts[doc] for doc, shared in held.items()  # type: ignore[misc]
                if shared >= least.get(lengths[doc], length + 1)]
