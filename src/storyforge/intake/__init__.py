"""``storyforge intake``: the share-your-story form's own small web service, on a machine the
business controls — the form's posts become submissions in ``submissions/inbox/``, exactly as
``storyforge submissions add`` makes them, and the owner is told by email.

``app`` is the WSGI application (Werkzeug), ``guard`` what keeps robots and floods out, ``form``
the theme's form fields, ``notify`` the owner's email and webhook, ``server`` the command and
waitress; ``online_desk`` serves the moderation desk at ``/desk/`` behind the password ``login``
keeps (``storyforge intake set-password``); ``digest`` is ``storyforge intake digest``, one mail a
day instead of one per story. Imports stay light here; the work is imported inside the handler.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from storyforge.arguments import add_site_argument, port_number


def add_commands(commands: Any) -> None:
    """Register ``storyforge intake`` on the main parser's subcommands."""
    intake = commands.add_parser(
        "intake", help="take stories from the share-your-story form into the inbox (a web service)",
        description="Run the web service the share-your-story form posts to (set moderation.intake_url in "
                    "site.yaml to its public address). Each story the form sends is checked, screened and "
                    "written into the submissions inbox as `storyforge submissions add` would; the customer "
                    "lands on the site's thank-you page. Run it behind a TLS reverse proxy (see the README).")
    add_site_argument(intake)
    intake.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                        help="the address to listen on (default: 127.0.0.1, for a reverse proxy on this machine)")
    intake.add_argument("--port", type=port_number, default=8787,
                        help="the port to listen on (default: 8787; 0: any free)")
    intake.add_argument("--trust-proxy", action="store_true",
                        help="take the client's address and scheme from the reverse proxy's X-Forwarded-For and "
                             "X-Forwarded-Proto headers (only behind a proxy that sets them)")
    intake.add_argument("--allow-origin", action="append", default=[], metavar="URL",
                        help="also take the form from this address (e.g. http://127.0.0.1:8000 for the preview); "
                             "the site's base_url is always allowed")
    intake.add_argument("--per-address", type=_count, default=20, metavar="N",
                        help="stories taken from one address per hour (default: 20)")
    intake.add_argument("--per-minute", type=_count, default=120, metavar="N",
                        help="stories taken per minute from everyone together (default: 120)")
    intake.add_argument("--work", type=_count, default=100_000, metavar="N",
                        help="how hard the proof-of-work challenge is: the browser tries up to N hashes, half of "
                             "them on average (default: 100000, about half a second on a phone)")
    # a story joins a batch of moderation.gather only once a thread takes it; with fewer threads than
    # customers sending at once the rest wait in waitress's queue, batches stay small and each pays the
    # batch's own cost for few stories: 50 customers at once, 16 threads took 132-180 stories/s at
    # 5.8-7.8 ms of CPU each, 64 threads 185-241 stories/s at 4.3-5.6 ms, for 5 MB more memory
    # (benchmarks/bench_intake.py, alternating; 96 no better than 64)
    intake.add_argument("--threads", type=_count, default=64, metavar="N", help="worker threads (default: 64)")
    intake.set_defaults(handler=_cmd_intake)
    actions = intake.add_subparsers(dest="intake_action", metavar="set-password | digest")
    password = actions.add_parser(
        "set-password", help="set the password of the moderation desk that intake serves at /desk/",
        description="Set the password of the online moderation desk (served by `storyforge intake` at /desk/). "
                    "It is asked twice at a terminal, or read from the first line of standard input; only its "
                    "argon2 hash is stored, in .storyforge-desk/login.json in the site's folder (owner-only, "
                    "git-ignored). Every device logged into the desk is logged out.")
    _site_after(password)
    password.set_defaults(handler=_cmd_set_password)
    digest = actions.add_parser(
        "digest", help="email the owner one list of the stories that came in since the last digest",
        description="With `digest: daily` under moderation.notify in site.yaml, intake mails nobody per story; this "
                    "command (run it once a day from cron or a systemd timer) sends one mail listing the stories "
                    "that came in since the last digest — how many, their titles and screening flags, no links — "
                    "and remembers them in submissions/digest.json. Nothing new: no mail.")
    _site_after(digest)
    digest.add_argument("--dry-run", action="store_true", help="print the mail instead of sending it")
    digest.set_defaults(handler=_cmd_digest)


def _cmd_digest(args: argparse.Namespace) -> int:
    from storyforge.intake.digest import cmd_digest

    return cmd_digest(args)


def _site_after(parser: argparse.ArgumentParser) -> None:
    """``--site DIR`` after the action too; left out, the one given before it (or the current folder)
    stands, where argparse would otherwise put the action's own default over it."""
    parser.add_argument("--site", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                        help="the site folder, holding site.yaml (default: the current folder)")


def _cmd_set_password(args: argparse.Namespace) -> int:
    from storyforge.intake.login import cmd_set_password

    return cmd_set_password(args)


def _count(text: str) -> int:
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {text!r}")


def _cmd_intake(args: argparse.Namespace) -> int:
    from storyforge.intake.server import run

    return run(args)
