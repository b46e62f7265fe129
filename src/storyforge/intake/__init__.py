"""``storyforge intake``: the share-your-story form's own small web service, on a machine the
business controls — the form's posts become submissions in ``submissions/inbox/``, exactly as
``storyforge submissions add`` makes them, and the owner is told by email.

``app`` is the WSGI application (Werkzeug), ``guard`` what keeps robots and floods out, ``form``
the theme's form fields, ``notify`` the owner's email and webhook, ``server`` the command and
waitress. Imports stay light here; the work is imported inside the handler.
"""

from __future__ import annotations

import argparse
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
    # more threads let more stories share one flush of the inbox (moderation.gather), but each keeps its own
    # memory: 32 took less CPU per story on a busy machine, yet grew the service's memory; 8 stays flat
    intake.add_argument("--threads", type=_count, default=8, metavar="N", help="worker threads (default: 8)")
    intake.set_defaults(handler=_cmd_intake)




def _count(text: str) -> int:
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {text!r}")


def _cmd_intake(args: argparse.Namespace) -> int:
    from storyforge.intake.server import run

    return run(args)
