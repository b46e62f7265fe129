"""decisions.jsonl is read as it grows: a command reads the lines added since the last one, and a
log cut short, rewritten, replaced, torn or added to by hand is still read as it is."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest
from moderation_helpers import HEADER, MODERATED_SITE, csv_row, inbox

LOG = "submissions/decisions.jsonl"


def _site(make_site, run) -> tuple[Path, list[str]]:
    rows = "".join(csv_row(f"2026-03-01 09:0{n}", f"Customer {n}", f"Visit {n}",
                           f"Story number {n}: the {('rye', 'seed', 'oat')[n]} loaf was wonderful.") for n in range(3))
    site = make_site({"stories.csv": HEADER + rows}, site_yaml=MODERATED_SITE)
    assert run("submissions", "import", site / "stories.csv", "--site", site).code == 0
    ids = [inbox(site)[f"Visit {n}"]["id"] for n in range(3)]
    assert run("moderate", "withdraw", ids[0], "--site", site).code == 0
    assert run("moderate", "list", "--site", site).code == 0  # the index has read the log
    return site, ids


def _count(site: Path, sid: str, decision: str = "rejected") -> int:
    """How many whole lines of the log give ``sid`` this decision (a torn line is no decision)."""
    found = 0
    for line in (site / LOG).read_text().splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            found += record["id"] == sid and record["decision"] == decision
    return found


def _rewrite(log: Path, how: str) -> None:
    lines = log.read_bytes().splitlines(keepends=True)
    rejected = next(n for n, line in enumerate(lines) if json.loads(line)["decision"] == "withdrawn")
    if how == "emptied":
        log.write_bytes(b"")
    elif how == "line removed":
        log.write_bytes(b"".join(lines[:rejected] + lines[rejected + 1:]))
    elif how == "same size, edited in place":  # the same file, as long as before: only its bytes tell
        record = json.loads(lines[rejected])
        record["decision"] = "withdrawx"  # as long as "withdrawn"
        edited = (json.dumps(record, ensure_ascii=False) + "\n").encode()
        assert len(edited) == len(lines[rejected])
        with log.open("r+b") as handle:
            handle.seek(sum(len(line) for line in lines[:rejected]))
            handle.write(edited)
    else:  # replaced by another file, longer than what was read
        record = json.loads(lines[rejected])
        record["decision"] = "noted"
        replacement = log.with_name("new.jsonl")
        replacement.write_bytes(b"".join(lines[:rejected]) + (json.dumps(record) + "\n").encode() * 3)
        os.replace(replacement, log)


@pytest.mark.parametrize("how", ["emptied", "line removed", "same size, edited in place", "replaced"])
def test_a_log_changed_by_hand_is_read_again(make_site, run, how):
    site, ids = _site(make_site, run)
    _rewrite(site / LOG, how)
    assert _count(site, ids[0], "withdrawn") == 0
    # every command finishes what the log lacks: the withdrawal is in withdrawn/, so its line comes back
    assert run("moderate", "list", "--site", site).code == 0
    assert _count(site, ids[0], "withdrawn") == 1
    assert run("moderate", "list", "--site", site).code == 0
    assert _count(site, ids[0], "withdrawn") == 1  # and only once


def test_lines_added_by_hand_and_a_torn_line_are_read(make_site, run, tmp_path):
    site, ids = _site(make_site, run)
    log = site / LOG
    with log.open("ab") as handle:  # a decision taken by another tool, then a line torn by a power cut
        handle.write((json.dumps({"id": ids[2], "decision": "rejected", "sha256": "x"}) + "\n").encode())
        handle.write(b'{"id": "torn", "decis')
    again = tmp_path / "again.csv"
    again.write_text((site / "stories.csv").read_text())
    result = run("submissions", "import", again, "--site", site)
    assert result.code == 0, result.err
    assert "3 imported before" in result.out  # the third counts as decided, from the line added by hand
    assert run("moderate", "reject", ids[1], "--reason", "fake", "--site", site).code == 0
    assert run("moderate", "reject", ids[1], "--reason", "fake", "--site", site).out.endswith("already rejected\n")
    assert _count(site, ids[1]) == 1
    assert b'{"id": "torn", "decis\n' in log.read_bytes()  # ended, so the next line stands alone


def test_a_command_reads_only_the_lines_added_since_the_last(make_site, run, monkeypatch):
    site, ids = _site(make_site, run)
    log = site / LOG
    with log.open("ab") as handle:  # a long history
        for number in range(2000):
            handle.write((json.dumps({"id": f"old{number:05d}", "decision": "rejected", "sha256": "0" * 64,
                                      "note": "an old decision"}) + "\n").encode())
    assert run("moderate", "list", "--site", site).code == 0  # read once, whole
    size = log.stat().st_size
    assert size > 100_000
    read: list[int] = []
    real_pread, real_read_text = os.pread, Path.read_text

    def counting_pread(fd: int, length: int, offset: int) -> bytes:
        read.append(length)
        return real_pread(fd, length, offset)

    def guarded_read_text(self: Path, *args, **kwargs) -> str:
        assert self.name != "decisions.jsonl", "the whole log was read"
        return real_read_text(self, *args, **kwargs)

    monkeypatch.setattr(os, "pread", counting_pread)
    monkeypatch.setattr(Path, "read_text", guarded_read_text)
    assert run("moderate", "reject", ids[1], "--reason", "fake", "--site", site).code == 0
    assert run("moderate", "reject", ids[1], "--reason", "fake", "--site", site).out.endswith("already rejected\n")
    assert sum(read) < 40_000, read  # a few checked bytes and the new line, not the 100 kB before them
    monkeypatch.undo()
    assert _count(site, ids[1]) == 1
    assert _count(site, "old01999") == 1
