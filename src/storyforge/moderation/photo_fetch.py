"""A customer's photo given as an https address (a form export's upload link), fetched at approval.

The address comes from a customer's form, so it is treated as hostile: only ``https``; only a
host whose every address is a public one (no loopback, private, link-local or reserved network:
a form must not make the owner's machine read its router's admin page or a cloud metadata
service), checked again on the connected socket (a name that resolves anew between the check
and the connection cannot slip through); at most ``MAX_REDIRECTS`` redirects, each checked
the same way; a time limit on the whole download; no more than ``MAX_PHOTO_BYTES`` read. What
arrives is handed to ``photos.clean_photo``, which sniffs the format with Pillow (whatever the
server's Content-Type says), bounds the pixels and re-encodes it without metadata.

Tests serve photos from 127.0.0.1 over plain http: they turn on ``LOCAL_FOR_TESTS`` (a module
setting no command or file can reach), which allows exactly that.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from storyforge.moderation.photos import MAX_PHOTO_BYTES, CleanPhoto, PhotoError, clean_photo

if TYPE_CHECKING:
    import http.client

TIMEOUT = 15.0  # seconds for the whole download, redirects included
MAX_REDIRECTS = 3
#: tests only: allow http and the loopback address (their server on 127.0.0.1)
LOCAL_FOR_TESTS = False


class FetchError(Exception):
    """The photo could not be fetched; the message says why, in a few words."""


def fetch_photo(address: str) -> CleanPhoto:
    """The photo at ``address``, downloaded within the limits and cleaned (``clean_photo``).
    FetchError (or PhotoError for what arrived) when it cannot be."""
    from urllib.parse import urljoin

    deadline = time.monotonic() + TIMEOUT
    for _ in range(MAX_REDIRECTS + 1):
        status, location, data = _get(address, deadline)
        if status in (301, 302, 303, 307, 308):
            if not location:
                raise FetchError(f"the server answered {status} without saying where the photo went")
            address = urljoin(address, location)
            continue
        if status != 200:
            raise FetchError(f"the server answered {status}")
        return clean_photo(data)
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _get(address: str, deadline: float) -> tuple[int, str, bytes]:
    """One GET: the status, the Location header, and the body (read only for a 200)."""
    import http.client
    import ssl
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    schemes = ("https", "http") if LOCAL_FOR_TESTS else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise FetchError("only an https address is fetched")
    try:
        port = parts.port
    except ValueError:
        raise FetchError("the address has a port that is not a number") from None
    host = parts.hostname
    _check_addresses(host, port or (443 if parts.scheme == "https" else 80))
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(f"no answer within {TIMEOUT:.0f} seconds")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(host, port, timeout=remaining, context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(host, port, timeout=remaining)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.connect()
        if connection.sock is not None:
            _check_peer(connection.sock.getpeername()[0])
        connection.request("GET", path, headers={"User-Agent": "storyforge (a customer's photo, at approval)",
                                                 "Accept": "image/*"})
        response = connection.getresponse()
        if response.status != 200:
            return response.status, response.getheader("Location", "") or "", b""
        declared = response.getheader("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_PHOTO_BYTES:
            raise PhotoError(f"the photo is {_size(int(declared))}; the limit is {_size(MAX_PHOTO_BYTES)}")
        data = _read_until(response, deadline)
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, TimeoutError) or "timed out" in str(exc):
            raise FetchError(f"no answer within {TIMEOUT:.0f} seconds") from None
        raise FetchError(_reason(exc)) from None
    finally:
        connection.close()
    return 200, "", data


def _read_until(response: http.client.HTTPResponse, deadline: float) -> bytes:
    """The body, no more than the size limit, within the deadline."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(65536):
        size += len(chunk)
        if size > MAX_PHOTO_BYTES:
            raise PhotoError(f"the photo is over the limit of {_size(MAX_PHOTO_BYTES)}")
        if time.monotonic() > deadline:
            raise FetchError(f"the download took more than {TIMEOUT:.0f} seconds")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_addresses(host: str, port: int) -> None:
    """Every address the host name resolves to must be one a customer's photo may come from."""
    import socket

    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"the host {host} cannot be found ({_reason(exc)})") from None
    for *_, sockaddr in found:
        _check_peer(str(sockaddr[0]))


def _check_peer(address: str) -> None:
    import ipaddress

    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if LOCAL_FOR_TESTS and ip.is_loopback:
        return
    if not ip.is_global or ip.is_multicast:
        raise FetchError(f"the address leads to {ip}, a private or local network address, which is never fetched")


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1_000_000 else f"{count / 1e3:.0f} KB"


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text)
