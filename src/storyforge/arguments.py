"""Command-line arguments several commands share, so each reads and is explained the same way."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_site_argument(parser: argparse.ArgumentParser) -> None:
    """``--site DIR``: the site folder, the current one by default."""
    parser.add_argument("--site", type=Path, default=Path("."), metavar="DIR",
                        help="the site folder, holding site.yaml (default: the current folder)")


def port_number(text: str) -> int:
    """A ``--port`` value: 0 to 65535 (0: any free port)."""
    if text.isdigit() and 0 <= int(text) <= 65535:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, like 8000, got {text!r}")
