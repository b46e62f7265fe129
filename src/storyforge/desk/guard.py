"""Who may use the desk: only this computer, only under the address the preview is bound to,
and for anything that changes a file only a same-origin POST carrying this process's token.

A page on any other site can make the browser send requests to 127.0.0.1; these rules are what
stops it. DNS rebinding (a hostile name that resolves to 127.0.0.1) shows up as a foreign ``Host``;
a cross-site form shows up as a foreign ``Origin`` (or ``Referer``) and lacks the token, which
no other origin can read.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit


def is_loopback(bind: str) -> bool:
    """Whether ``bind`` is a loopback address (127.0.0.0/8 or ::1); names and 0.0.0.0 are not."""
    try:
        return ipaddress.ip_address(bind.strip("[]")).is_loopback
    except ValueError:
        return False


def origin_of(bind: str, port: int) -> str:
    """The one origin the desk answers to, e.g. ``http://127.0.0.1:8000``."""
    host = f"[{bind}]" if ":" in bind else bind
    return f"http://{host}:{port}"


def host_matches(header: str | None, bind: str, port: int) -> bool:
    """Whether a ``Host`` header names exactly the loopback address and port the preview is bound to."""
    if not header:
        return False
    try:
        parts = urlsplit(f"//{header.strip()}")
        name, given_port = (parts.hostname or "").lower(), parts.port or 80
    except ValueError:
        return False
    try:
        return ipaddress.ip_address(name) == ipaddress.ip_address(bind) and given_port == port
    except ValueError:  # a name, not an address: exactly what DNS rebinding sends
        return False


def same_origin(origin: str | None, referer: str | None, expected: str) -> bool:
    """Whether a POST comes from the desk's own pages: its ``Origin`` (or, when a browser leaves
    that out, its ``Referer``) is the desk's origin. A request naming neither is refused."""
    if origin:
        return origin.rstrip("/") == expected
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" == expected
    return False


class Token:
    """The per-process form token: made at start, put in every form, compared in constant time."""

    def __init__(self) -> None:
        self.value = secrets.token_urlsafe(32)

    def matches(self, given: str | None) -> bool:
        return tokens_match(given, self.value)


def tokens_match(given: str | None, expected: str) -> bool:
    """Whether a form's token is the expected one, compared in constant time."""
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())  # type: ignore[union-attr]
