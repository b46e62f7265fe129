"""kill -9 between any two steps of import, approve, reject or withdraw: nothing lost, nothing doubled.

Each case runs the real command in a child process that stops dead (exit 137) at one fault point
(STORYFORGE_FAULT, see storyforge.moderation.store), checks what is on disk and what a build
publishes, then runs the same command again and checks that it finished the job exactly once.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import page_text
from moderation_helpers import HEADER, MODERATED_SITE, csv_row, decisions, inbox, places

ROWS = (csv_row("2026-03-01 09:00", "Priya Sharma", "Alpha loaf", "A crackling crust and a soft crumb.")
        + csv_row("2026-03-02 09:00", "Tom Wells", "Bravo cake", "The cake came an hour late.", rating="2")
        + csv_row("2026-03-03 09:00", "Ann Lee", "Charlie buns", "Sticky, warm and not too sweet."))
DESTINATION = {"approve": "content", "reject": "rejected", "withdraw": "withdrawn"}
SOURCE = {"approve": "inbox", "reject": "inbox", "withdraw": "content"}
CASES = [("import", "write:before-replace"), ("import", "import:after-write"),
         ("approve", "write:before-replace"), ("approve", "approve:after-story-written"),
         ("approve", "approve:after-decision-logged"),
         ("reject", "write:before-replace"), ("reject", "reject:after-copy-written"),
         ("reject", "reject:after-decision-logged"),
         ("withdraw", "write:before-replace"), ("withdraw", "withdraw:after-copy-written"),
         ("withdraw", "withdraw:after-decision-logged")]


def arguments(command: str, site: Path, sid: str) -> list[str]:
    return {"import": ["submissions", "import", str(site / "stories.csv")],
            "approve": ["moderate", "approve", sid],
            "reject": ["moderate", "reject", sid, "--reason", "fake"],
            "withdraw": ["moderate", "withdraw", sid]}[command] + ["--site", str(site)]


def published_titles(site: Path) -> list[str]:
    text = page_text((site / "public/testimonials/index.html").read_bytes())
    return re.findall(r"(Alpha loaf|Bravo cake|Charlie buns)", text)


def leftovers(site: Path) -> list[str]:
    return sorted(p.name for p in site.rglob(".storyforge-*") if p.is_file() and "public" not in p.parts)


@pytest.mark.parametrize(("command", "point"), CASES, ids=[f"{c}-{p}" for c, p in CASES])
def test_a_kill_at_any_step_loses_nothing_and_rerunning_finishes_once(make_site, run, command, point):
    site = make_site({"stories.csv": HEADER + ROWS}, site_yaml=MODERATED_SITE)
    sid = ""
    if command != "import":
        assert run("submissions", "import", site / "stories.csv", "--site", site).code == 0
        sid = inbox(site)["Alpha loaf"]["id"]
        if command == "withdraw":
            assert run("moderate", "approve", sid, "--site", site).code == 0
    everyone = set(places(site))

    killed = subprocess.run([sys.executable, "-m", "storyforge", *arguments(command, site, sid)],
                            env={**os.environ, "STORYFORGE_FAULT": point}, capture_output=True, text=True,
                            check=False)
    assert killed.returncode == 137, killed.stderr

    # right after the kill: everyone is still somewhere, nobody is published twice, the log has no doubles
    where = places(site)
    assert everyone <= set(where)
    for found in where.values():
        assert found.count("content") <= 1 and len(found) == len(set(found))
        assert len(found) == 1 or (command != "import" and set(found) == {SOURCE[command], DESTINATION[command]})
    lines = [(d["id"], d["decision"]) for d in decisions(site)]
    assert len(lines) == len(set(lines))
    built = run("build", "--site", site)
    assert built.code == 0, built.err
    titles = published_titles(site)
    assert len(titles) == len(set(titles))
    if command == "withdraw" and "withdrawn" in where.get(sid, []):
        assert "Alpha loaf" not in titles  # the withdrawal was decided: it is not published meanwhile
    policy = page_text((site / "public/reviews-policy/index.html").read_bytes())
    assert f"Stories received {len(where)}" in policy

    # running the same command again completes the job, exactly once
    again = run(*arguments(command, site, sid))
    assert again.code == 0, again.err
    final = places(site)
    assert all(len(found) == 1 for found in final.values()), final
    assert leftovers(site) == []
    if command == "import":
        assert sorted(inbox(site)) == ["Alpha loaf", "Bravo cake", "Charlie buns"]
        assert decisions(site) == []
    else:
        assert final[sid] == [DESTINATION[command]]
        assert {other: found for other, found in final.items() if other != sid} == \
            {other: ["inbox"] for other in everyone - {sid}}
        expected = [(sid, "approved")] if command == "withdraw" else []
        expected.append((sid, {"approve": "approved", "reject": "rejected", "withdraw": "withdrawn"}[command]))
        assert [(d["id"], d["decision"]) for d in decisions(site)] == expected
    assert run("build", "--site", site).code == 0
    assert published_titles(site) == (["Alpha loaf"] if command == "approve" else [])
