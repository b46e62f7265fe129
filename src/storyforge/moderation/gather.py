"""Many stories arriving at once, written together: :func:`intake.add_story` for a service whose
threads each take one story (``storyforge intake``), at the cost of one lock for many.

Every story must be screened against every other under the submissions lock, so one story at a
time would make the lock the service's limit: each would take it, settle the folder, read the
decisions, open and close the index and flush the inbox folder on its own. Here the stories that
arrive while one :func:`intake.admit` runs wait for it to finish, then go through the next one
*together* (a group commit): each caller's thread checks its story, stores its photo and screens
it on its own (all but the comparison with other stories) as :func:`intake.add_story` does, then
one caller runs ``admit`` for all waiting rows and every caller gets its own answer. ``admit``
writes each file atomically and fsyncs it (the batch's files flushed together,
``publish.atomic.write_atomic_many``: on a busy disk each flush one after the other was most of a
batch's time), and flushes the folder once before it returns, so no caller hears "saved" before
its story is durable — the guarantee of :func:`intake.add_story`, with the lock, the settling and
the folder's flush shared.
Under no load a batch is one story, and nobody waits for company.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from itertools import count

from storyforge.core.config import SiteConfig
from storyforge.errors import SourceLocation
from storyforge.moderation.intake import Added, ImportReport, Prepared, added_from, admit, story_row
from storyforge.moderation.photos import CleanPhoto
from storyforge.moderation.store import Store

MAX_BATCH = 64  # stories per admit: a batch's last caller waits for every story before it


@dataclass
class _Ticket:
    label: str
    prepared: Prepared
    values: dict[str, str]
    source: str
    done: bool = False
    report: ImportReport | None = None
    error: BaseException | None = None


class Gathering:
    """One site's stories, admitted together when they arrive together (thread-safe)."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.store = Store(config)
        self.store.keep_index = True  # used only under the lock, by one batch at a time
        self._queue: list[_Ticket] = []
        self._busy = False
        self._turn = threading.Condition()
        self._numbers = count(1)

    def add_story(self, values: dict[str, str], source: str, now: datetime,
                  photo: CleanPhoto | None = None) -> Added:
        """As :func:`intake.add_story` (same checks, screening and answer), sharing one ``admit`` with
        the stories of other threads that wait at the same moment."""
        prepared, values = story_row(self.config, values, source, now, photo)
        ticket = _Ticket(f"story {next(self._numbers)}", prepared, values, source)
        with self._turn:
            self._queue.append(ticket)
        while True:
            with self._turn:
                while self._busy and not ticket.done:
                    self._turn.wait()
                if ticket.done:
                    break
                # nobody is writing: this thread writes what waits (its own story among the first MAX_BATCH)
                self._busy = True
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            self._write(batch, now)
        if ticket.error is not None:
            raise ticket.error
        assert ticket.report is not None
        return added_from(ticket.report, ticket.label, ticket.prepared.submission)

    def _write(self, batch: list[_Ticket], now: datetime) -> None:
        report: ImportReport | None = None
        error: BaseException | None = None
        prepared = {t.label: t.prepared for t in batch}
        try:
            for source in dict.fromkeys(ticket.source for ticket in batch):
                rows = [(SourceLocation(f"({source})"), t.label, t.values) for t in batch if t.source == source]
                part = admit(self.config, rows, source, now, store=self.store, prepared=prepared)
                report = part if report is None else _joined(report, part)
        except BaseException as exc:  # noqa: BLE001 - handed to every caller of the batch, re-raised in each
            error = exc
        with self._turn:
            for ticket in batch:
                ticket.report, ticket.error, ticket.done = report, error, True
            self._busy = False
            self._turn.notify_all()


def _joined(first: ImportReport, second: ImportReport) -> ImportReport:
    first.imported += second.imported
    first.updated += second.updated
    first.already += second.already
    first.skipped += second.skipped
    first.recovered += second.recovered
    first.labels.update(second.labels)
    return first
