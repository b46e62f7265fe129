"""What keeps robots and floods out of the inbox without tracking anyone: a proof-of-work
challenge, rate limits per address and overall, and the origin allow-list.

**Proof of work** follows the ALTCHA protocol (its first version, which every ALTCHA widget and
our own small script in the theme speak), through the ``altcha`` library: the service hands out a
challenge — the SHA-256 of a random salt and a secret number below ``max_number``, signed with
an HMAC key only the service knows — and the browser searches for the number (a second or so on a
phone), then sends it with the form. Nothing leaves the site's own machines, no cookie is set and
nobody is profiled. A solution is taken once (a replay is refused) and expires after
``CHALLENGE_LIFETIME``. The HMAC key comes from ``STORYFORGE_INTAKE_SECRET`` (set it when several
instances share the work, or challenges are to survive a restart), else it is made at start.

**Rate limits** count requests in a sliding window, in memory: per client address (the proxy's
``X-Forwarded-For`` only with ``--trust-proxy``) and for the whole service, so a flood from many
addresses still cannot fill the disk.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

CHALLENGE_LIFETIME = timedelta(minutes=20)
DEFAULT_MAX_NUMBER = 100_000  # about half a second of hashing in a phone's browser, on average
SECRET_VARIABLE = "STORYFORGE_INTAKE_SECRET"  # noqa: S105 - the variable's name, not a secret


class Refused(Exception):
    """A request the service will not take; ``status`` is its HTTP status, the message its words."""

    def __init__(self, status: int, message: str, field: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


@dataclass
class ProofOfWork:
    """ALTCHA challenges: made here, solved by the browser, checked once."""

    max_number: int = DEFAULT_MAX_NUMBER
    key: str = field(default_factory=lambda: os.environ.get(SECRET_VARIABLE) or secrets.token_hex(32))
    #: solutions taken, oldest first (one lookup, and expired ones dropped from the front: a check
    #: costs the same with 10 or 10,000 solutions taken in the last 20 minutes)
    _used: set[str] = field(default_factory=set)
    _taken: deque[tuple[float, str]] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def challenge(self) -> dict[str, object]:
        """A new challenge, as the ALTCHA widget reads it (``algorithm``, ``challenge``, ``maxnumber``,
        ``salt``, ``signature``)."""
        from altcha.v1 import ChallengeOptions, create_challenge

        made = create_challenge(ChallengeOptions(hmac_key=self.key, max_number=self.max_number,
                                                 expires=datetime.now(UTC) + CHALLENGE_LIFETIME))
        return {"algorithm": made.algorithm, "challenge": made.challenge, "maxnumber": made.max_number,
                "salt": made.salt, "signature": made.signature}

    def check(self, payload: str) -> None:
        """Refused unless ``payload`` (the form's ``altcha`` field) solves a challenge of ours that is
        neither expired nor used before."""
        from altcha.v1 import verify_solution

        if not payload:
            raise Refused(403, "the form came without the anti-robot check — it runs in the browser by itself "
                               "before sending; please allow JavaScript for this page and send again", "altcha")
        try:
            ok, _ = verify_solution(payload.strip(), self.key, check_expires=True)
        except (ValueError, TypeError, KeyError, AttributeError):
            ok = False
        if not ok:
            raise Refused(403, "the anti-robot check did not pass (it may have expired) — please send the form "
                               "again", "altcha")
        now = time.monotonic()
        with self._lock:
            while self._taken and now - self._taken[0][0] > CHALLENGE_LIFETIME.total_seconds():
                self._used.discard(self._taken.popleft()[1])
            if payload in self._used:
                raise Refused(403, "this anti-robot check was used already — please send the form again", "altcha")
            self._used.add(payload)
            self._taken.append((now, payload))


@dataclass
class RateLimit:
    """At most ``limit`` requests per ``window`` seconds, per key (a client address, or one key for all)."""

    limit: int
    window: float
    _seen: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str) -> bool:
        """Count one request for ``key``; False (and not counted) when it is over the limit."""
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:  # forget idle addresses, so memory stays flat
                for idle in [k for k, times in self._seen.items() if not times or now - times[-1] > self.window]:
                    del self._seen[idle]
            times = self._seen.setdefault(key, deque())
            while times and now - times[0] > self.window:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True


def origin_of(address: str) -> str:
    """``scheme://host[:port]`` of an address, as browsers send it in the Origin header."""
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_origin(origin: str | None, referer: str | None, allowed: frozenset[str]) -> None:
    """Refused unless the form was sent from one of the ``allowed`` origins (the site's own address)."""
    sent_from = origin if origin and origin != "null" else (origin_of(referer) if referer else "")
    if sent_from.lower() not in allowed:
        raise Refused(403, f"stories are taken only from this business's own website, not from "
                           f"{sent_from or 'a page that does not say where it is'} — please use the share-your-story "
                           "form on the website")
