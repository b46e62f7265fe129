"""``storyforge submissions …`` and ``storyforge moderate …``: arguments in, one call, a message out.

Imports stay light here; the work is imported inside each handler.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Any

from storyforge.arguments import add_site_argument
from storyforge.moderation.terminal import FLAG_MARK, cut, say, show_mapping


def _rating(value: str) -> int | None:
    if value.lower() == "none":
        return None
    if value.isdigit() and 1 <= int(value) <= 5:
        return int(value)
    raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 5 or 'none', got {value!r}")


def add_commands(commands: Any) -> None:
    """Register the submissions and moderate commands on the main parser's subcommands."""
    from storyforge.moderation.submission import REASONS

    subs = commands.add_parser("submissions", help="bring customers' stories into the moderation inbox",
                               description="Bring customers' stories into submissions/inbox/, screened, to "
                                           "wait for a person's decision. Nothing is published by these.")
    actions = subs.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = actions.add_parser("import", help="import a CSV, Excel or JSON export of a story form",
                             description="Import a CSV (with a header row, comma- or semicolon-separated), an "
                                         "Excel workbook (.xlsx) or JSON (a list of objects) export. Columns are "
                                         "recognised by what their question asks. A bad row is reported with its "
                                         "row number and skipped; a story imported before is left alone, or "
                                         "updated in place while it is pending. Exit status 1 if any row was "
                                         "skipped.")
    add_site_argument(imp)
    imp.add_argument("file", type=Path, help="the export, e.g. stories.csv, responses.xlsx or stories.json")
    imp.add_argument("--dry-run", action="store_true",
                     help="show which column holds what, the first rows as read and what would be flagged; "
                          "write nothing")
    imp.add_argument("--no-consent-column", action="store_true",
                     help="the form never asked for permission to publish: import anyway, each story blocked "
                          "until you have asked its author")
    imp.set_defaults(handler=_cmd_import)

    add = actions.add_parser("add", help="record a story taken by phone or email",
                             description="Record one story taken by phone or email. Values not given as options "
                                         "are asked for when run in a terminal.")
    add_site_argument(add)
    add.add_argument("--source", choices=["phone", "email", "form"], default="phone", help="how it came in")
    add.add_argument("--story", help="the customer's words ('-' reads them from standard input)")
    for option, help_text in (("--name", "the customer's name"), ("--email", "contact email, never published"),
                              ("--title", "a title (else the first sentence)"), ("--rating", "1 to 5"),
                              ("--product", "what the story is about"), ("--town", "where they live"),
                              ("--photo", "address of a photo they sent"),
                              ("--incentive", "what they received for it, if anything"),
                              ("--relationship", "their connection to the business, if any"),
                              ("--order", "order number (checked against moderation.orders)"),
                              ("--booking", "booking reference (checked against moderation.orders)"),
                              ("--received", "when it came in (default: now), e.g. 2026-03-01 14:30")):
        add.add_argument(option, help=help_text, default="")
    add.add_argument("--consent", action="store_true", help="they agreed to publication")
    add.add_argument("--show-name", choices=["full", "first-initial", "anonymous"], default="",
                     help="how their name may be shown (default: anonymous)")
    add.add_argument("--show-town", action="store_true", help="they agreed their town may be shown")
    add.add_argument("--show-photo", action="store_true", help="they agreed their photo may be shown")
    add.add_argument("--lang", default="", help="the language they wrote in, one of site.yaml's languages (default: "
                                                "the site's language); the story is published in that language")
    add.set_defaults(handler=_cmd_add)
    pull = actions.add_parser("pull", help="bring the stories waiting in the moderation.inbox bucket into the inbox",
                              description="Bring every story storyforge intake left in the bucket moderation.inbox "
                                          "names into submissions/inbox/, screened; each is deleted from the bucket "
                                          "once it is safe here. Run it from cron or a systemd timer.")
    add_site_argument(pull)
    pull.set_defaults(handler=_cmd_pull)

    mod = commands.add_parser("moderate", help="read, approve, reject or withdraw customers' stories",
                              description="Decide on submissions. Every decision is appended to "
                                          "submissions/decisions.jsonl.")
    steps = mod.add_subparsers(dest="action", metavar="ACTION", required=True)
    lst = steps.add_parser("list", help="the submissions waiting for a decision, with screening flags")
    add_site_argument(lst)
    lst.add_argument("--all", action="store_true", help="also list rejected and withdrawn submissions")
    lst.set_defaults(handler=_cmd_list)
    show = steps.add_parser("show", help="one submission in full, with what would be published")
    add_site_argument(show)
    show.add_argument("id", help="the submission id (or its first few characters)")
    show.set_defaults(handler=_cmd_show)
    ok = steps.add_parser("approve", help="publish a submission as a story in content/testimonials/",
                          description="Write content/testimonials/<date>-<slug>.md, checked like the build "
                                      "checks it, showing only what the customer consented to.")
    add_site_argument(ok)
    ok.add_argument("id", help="the submission id (or its first few characters)")
    ok.add_argument("--redact", action="store_true", help="replace email addresses and phone numbers in the text")
    ok.add_argument("--keep-personal-data", action="store_true",
                    help="publish email addresses or phone numbers in the text as they are")
    ok.add_argument("--feature", action="store_true", help="feature it (labelled 'Hand-picked by us')")
    ok.add_argument("--verified", action="store_true",
                    help="you checked by hand, in your own records, that it comes from a customer: label it "
                         "'Verified customer' (a reference the customer typed is not enough)")
    ok.add_argument("--edit", action="store_true", help="open $EDITOR on the story before it is written")
    ok.add_argument("--without-photo", action="store_true",
                    help="publish the story without the customer's photo (say, one whose address cannot be fetched)")
    ok.add_argument("--rating", type=_rating, default=argparse.SUPPRESS, metavar="N",
                    help="the rating to publish, 1-5 or 'none' (when the customer's answer was not 1-5)")
    ok.set_defaults(handler=_cmd_approve)
    no = steps.add_parser("reject", help="withhold a submission for a lawful reason",
                          description="Move a submission to rejected/. Withholding a story because of its "
                                      "rating or a negative opinion is not allowed (FTC, 16 CFR 465.7).",
                          epilog="reason codes:\n" + "\n".join(f"  {c:<22}{m}" for c, m in REASONS.items())
                          + "\n  (spam is accepted as another name for unrelated)",
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    add_site_argument(no)
    no.add_argument("id", help="the submission id (or its first few characters)")
    no.add_argument("--reason", required=True, metavar="CODE", help="one of the reason codes below")
    no.add_argument("--note", default="", help="a note for the record (not published)")
    no.set_defaults(handler=_cmd_reject)
    out = steps.add_parser("withdraw", help="take a story down at its author's request",
                           description="Remove a published story (or a pending submission) at its author's "
                                       "request; the next build has it nowhere. A copy is kept in withdrawn/.")
    add_site_argument(out)
    out.add_argument("id", help="the submission id, or the story's file for stories without one")
    out.add_argument("--note", default="", help="a note for the record (not published)")
    out.set_defaults(handler=_cmd_withdraw)
    answer = steps.add_parser("reply", help="publish the business's reply under a story",
                              description="Set the public reply shown under a published story (its 'response' "
                                          "field, Markdown); an empty --text removes it.")
    add_site_argument(answer)
    answer.add_argument("id", help="the submission id, or the story's file")
    answer.add_argument("--text", required=True, help="the reply, in Markdown ('-' reads it from standard input)")
    answer.set_defaults(handler=_cmd_reply)
    rep = steps.add_parser("report", help="the counts shown on /reviews-policy/")
    add_site_argument(rep)
    rep.set_defaults(handler=_cmd_report)


def _config(args: argparse.Namespace) -> Any:
    from storyforge.core.config import load_config

    return load_config(args.site.resolve())


def _notes(lines: list[str] | None) -> None:
    for line in lines or []:
        say(line, file=sys.stderr)


def _cmd_import(args: argparse.Namespace) -> int:
    from collections import Counter

    from storyforge.moderation.intake import import_file

    report = import_file(_config(args), args.file, dry_run=args.dry_run, no_consent_column=args.no_consent_column)
    _notes(report.recovered)
    if args.dry_run:
        show_mapping(report)
    for problem in report.skipped:
        say(problem, file=sys.stderr)
    changed = [s for s, _ in report.updated]
    flagged: Counter[str] = Counter(f.code for s in (*report.imported, *changed) for f in s.flags)
    would = "would import" if args.dry_run else "imported"
    parts = [(f"{would} {len(report.imported)} new submission{'s' if len(report.imported) != 1 else ''} "
              f"from {args.file.name}")]
    if report.updated:
        parts.append(f"{'would update' if args.dry_run else 'updated'} {len(report.updated)} pending in place")
    if report.already:
        parts.append(f"{len(report.already)} imported before")
    if report.skipped:
        parts.append(f"{len(report.skipped)} skipped")
    say("; ".join(parts))
    if flagged:
        say("flags: " + ", ".join(f"{code} {n}" for code, n in sorted(flagged.items())))
    taken = len(report.imported) + len(report.updated)
    if taken and flagged["no-consent"] == taken:
        say("note: none of these stories carries permission to publish — if the form asked for it, check "
              "which column holds it with --dry-run")
    for sub, fields in report.updated:
        say(f"  updated {sub.id}: {', '.join(fields)}")
    if args.dry_run:
        for sub in (*report.imported, *changed):
            if sub.flags:
                say(f"  {report.labels[sub.id]}: " + ", ".join(FLAG_MARK[f.blocks] + f.code for f in sub.flags))
        say("nothing was written (--dry-run)")
    elif report.imported or report.updated:
        say("next: storyforge moderate list")
    return 1 if report.skipped else 0


def _cmd_add(args: argparse.Namespace) -> int:
    from datetime import datetime

    from storyforge.errors import UsageError
    from storyforge.moderation.intake import RowError, add_story, story_refused
    from storyforge.moderation.prompts import ask_missing
    from storyforge.moderation.story_languages import language_problem

    config = _config(args)
    story = sys.stdin.read() if args.story == "-" else (args.story or "")
    values = {"story": story, "name": args.name, "email": args.email, "title": args.title, "rating": args.rating,
              "product": args.product, "town": args.town, "photo": args.photo, "incentive": args.incentive,
              "relationship": args.relationship, "order": args.order, "booking": args.booking,
              "received_at": args.received, "consent_publish": "yes" if args.consent else "",
              "consent_name": args.show_name, "consent_town": "yes" if args.show_town else "",
              "consent_photo": "yes" if args.show_photo else "", "lang": args.lang}
    if args.lang and (problem := language_problem(config, args.lang)):
        raise UsageError(f"--{problem}")
    if not story.strip():
        if not sys.stdin.isatty():
            raise UsageError("no story — pass --story TEXT (or --story - to read it from standard input), "
                             "or run in a terminal to be asked for each value")
        values = ask_missing(values)
    try:
        added = add_story(config, values, args.source, datetime.now(config.tz))
    except RowError as problem:
        raise story_refused(problem) from None
    _notes(added.recovered)
    if added.changed:
        say(f"updated {added.submission.id} in place: {', '.join(added.changed)}")
        return 0
    if not added.new:
        say("this story is already in the submissions (same words, same customer) — nothing added")
        return 0
    sub = added.submission
    say(f"added {sub.id} to the inbox")
    for flag in sub.flags:
        say(f"  {FLAG_MARK[flag.blocks]}{flag.code}: {flag.message}")
    return 0


def _cmd_pull(args: argparse.Namespace) -> int:
    from storyforge.moderation.pull import command

    return command(_config(args))


def _cmd_list(args: argparse.Namespace) -> int:
    from storyforge.moderation.decide import load_pending

    config = _config(args)
    subs, broken, recovered = load_pending(config)
    _notes(recovered)
    for problem in broken:
        say(problem, file=sys.stderr)
    if not subs:
        say("the inbox is empty — bring stories in with storyforge submissions import FILE or submissions add")
    else:
        say(f"{'ID':<13} {'RECEIVED':<10} {'★':>2}  {'SOURCE':<6} {'FLAGS':<32} TITLE")
        for s in subs:
            flags = ", ".join(FLAG_MARK[f.blocks] + f.code for f in s.flags)
            stars = str(s.rating) if s.rating is not None else (s.rating_given[:2] if s.rating_given else "–")
            say(f"{s.id:<13} {s.received_date:<10} {stars:>2}  {s.source:<6} {flags or '–':<32} {cut(s.title, 60)}")
        blocked = sum(1 for s in subs if s.blocking)
        line = f"{len(subs)} waiting"
        if blocked:
            line += f"; {blocked} cannot be approved as they are (! = blocks approval)"
        say(line + " — details: storyforge moderate show ID")
    if args.all:
        _list_decided(config)
    return 1 if broken else 0


def _list_decided(config: Any) -> None:
    from storyforge.moderation.store import Store

    store = Store(config)
    place = store.placement()
    for name, files in (("rejected", place.rejected), ("withdrawn", place.withdrawn)):
        for sid, path in sorted(files.items()):
            saved = store.read_json(path)
            decision = saved.get("decision") or {}
            title = saved.get("title") or (saved.get("submission") or {}).get("title") or saved.get("story_file", "")
            say(f"{sid:<13} {name:<10} {decision.get('code')!s:<22} {str(decision.get('when', ''))[:10]}  "
                  f"{cut(str(title), 50)}")
    for sid, story in sorted(place.stories.items()):
        say(f"{sid:<13} {'published':<10} {story.rel_path}")


def _cmd_show(args: argparse.Namespace) -> int:
    from storyforge.moderation import checks
    from storyforge.moderation.decide import load_any
    from storyforge.moderation.submission import NAME_CHOICE_WORDS

    config = _config(args)
    region = config.moderation.region(config.language)
    state, sub, saved = load_any(config, args.id)
    if sub is None:
        say(f"{args.id}: {state}{' — ' + saved['story_file'] if saved and saved.get('story_file') else ''}")
        if saved and saved.get("decision"):
            say(f"decision: {_decision(saved['decision'])}")
        return 0
    c, v = sub.consent, sub.verification
    written = f", written in {sub.lang}" if sub.lang else ""
    rows = [f"Submission {sub.id} — {state}, received {sub.received_at[:16].replace('T', ' ')} ({sub.source}{written})",
            f"Title:        {sub.title}",
            f"Rating:       {sub.rating if sub.rating is not None else sub.rating_given or 'none given'}",
            f"Product:      {sub.product or '–'}",
            f"Name:         {sub.name or '–'} → shown as “{sub.author}” ({NAME_CHOICE_WORDS[c.name]})",
            f"Town:         {sub.location or '–'}{' → shown' if c.town and sub.location else ' → not shown'}",
            f"Photo:        {sub.photo or '–'}{' → shown' if c.photo and sub.photo else ' → not shown'}",
            f"Contact:      {sub.contact_email or '–'} (never published)",
            f"Publication:  {'agreed' if c.publish else 'NOT agreed — cannot be approved'}",
            f"Verified:     {_verified(v.method, v.reference, v.checked, bool(config.moderation.orders))}",
            f"Incentive:    {sub.incentive or '–'}",
            f"Relationship: {sub.relationship or '–'}",
            "Screening:"]
    rows += [f"  {FLAG_MARK[f.blocks] or '-'} {f.code}: {f.message}" for f in sub.flags] or ["  nothing found"]
    rows += ["Story:", textwrap.indent(sub.body, "  ")]
    if checks.find_personal_data(f"{sub.title}\n{sub.body}", region):
        rows += ["With --redact it would read:", textwrap.indent(checks.redact(sub.body, region), "  ")]
    if sub.decision:
        rows.append(f"Decision:     {_decision(sub.decision)}")
    elif state == "inbox":
        rows.append(f"Next: storyforge moderate approve {sub.id}   or   storyforge moderate reject {sub.id} "
                    "--reason CODE")
    say("\n".join(rows))
    return 0


def _verified(method: str, reference: str, checked: str, orders: bool) -> str:
    """What the owner knows about the customer's reference; readers only ever see the label."""
    if method == "none":
        return "no reference given — approve --verified if you have checked by hand"
    if checked:
        return f"yes — {method} {reference!r} matches {checked}"
    found = ("no row of your orders file matches it" if orders
             else "set moderation.orders to look references up in your records at import")
    return (f"not yet — {method} {reference!r} was typed by the customer; {found}; check it and approve "
            "--verified, or approve without the label")


def _decision(record: dict[str, Any]) -> str:
    note = f" — {record['note']}" if record.get("note") else ""
    return f"{record.get('decision')} ({record.get('code')}) by {record.get('who')} on {record.get('when')}{note}"


def _cmd_approve(args: argparse.Namespace) -> int:
    from storyforge.moderation.decide import KEEP, approve, terminal_editor

    editor = None
    if args.edit:
        editor = terminal_editor()
        if editor is None:
            say("note: --edit skipped (not a terminal, or no $EDITOR set); the story is written as generated",
                  file=sys.stderr)
    outcome = approve(_config(args), args.id, redact=args.redact, keep_personal_data=args.keep_personal_data,
                      feature=args.feature, rating=getattr(args, "rating", KEEP), verified=args.verified,
                      editor=editor, without_photo=args.without_photo,
                      retry=_ask_again)
    _notes(outcome.recovered)
    say(outcome.message)
    return 0


def _ask_again(problem: Exception) -> bool:
    say(problem, file=sys.stderr)
    return input("Edit again? [Y/n] ").strip().lower() not in ("n", "no")


def _cmd_reject(args: argparse.Namespace) -> int:
    from storyforge.moderation.decide import reject

    outcome = reject(_config(args), args.id, args.reason, args.note)
    _notes(outcome.recovered)
    say(outcome.message)
    return 0


def _cmd_withdraw(args: argparse.Namespace) -> int:
    from storyforge.moderation.decide import withdraw

    outcome = withdraw(_config(args), args.id, args.note)
    _notes(outcome.recovered)
    say(outcome.message + " — build the site to take it off every page and feed")
    return 0


def _cmd_reply(args: argparse.Namespace) -> int:
    from storyforge.moderation.reply import reply

    outcome = reply(_config(args), args.id, sys.stdin.read() if args.text == "-" else args.text)
    _notes(outcome.recovered)
    say(outcome.message + " — build the site to show it")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from storyforge.moderation.policy import format_report, report

    config = _config(args)
    say(format_report(report(config), config.title))
    return 0
