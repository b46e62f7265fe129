"""What the moderation commands print: customer text is in most of it, so everything goes through
one escaping function (``core.textpolicy.terminal_safe``) — a story cannot clear the screen,
move the cursor or fake a line of output."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from storyforge.core.textpolicy import terminal_safe

FLAG_MARK = {True: "!", False: ""}


def say(*parts: object, file: TextIO | None = None) -> None:
    """``print``, with control characters shown as escapes."""
    print(*(terminal_safe(str(part)) for part in parts), file=file or sys.stdout)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_cut(text: str, limit: int) -> str:
    """Customer text on one line of a terminal: control characters shown escaped, long text cut."""
    return cut(terminal_safe(text.replace("\n", " ")), limit)


def show_mapping(report: Any) -> None:
    """The column mapping, unused headers and the first rows as read: what the import would take."""
    export = report.export
    say(f"read as {export.read_as}")
    say("columns:")
    order = {header: i for i, header in enumerate(export.table.headers)}
    for name, header in sorted(export.mapping.columns.items(), key=lambda item: order[item[1]]):
        say(f"  {safe_cut(header, 50)!s:<52} → {name} (by {export.mapping.how[name]})")
    say("not used: " + (", ".join(safe_cut(h, 40) for h in export.mapping.unused) or "none"))
    if "consent_publish" not in export.mapping.columns:
        say("no column holds the permission to publish: a real import stops here — map it with "
              "moderation.columns.consent_publish, or pass --no-consent-column if the form never asked")
    taken = {report.labels[s.id]: s for s in (*report.imported, *(s for s, _ in report.updated))}
    for where, label, values in export.rows[:3]:
        say(f"{label} (line {where.line}):" if where.line else f"{label}:")
        for name, value in values.items():
            if not name.startswith("_"):
                say(f"  {name:<16} {safe_cut(value, 70)}")
        if label in taken:
            sub = taken[label]
            rating = sub.rating if sub.rating is not None else sub.rating_given or "none"
            say(f"  → publish: {'yes' if sub.consent.publish else 'NO'}; shown as “{safe_cut(sub.author, 40)}”; "
                  f"rating: {safe_cut(str(rating), 10)}; received {sub.received_at}")
