"""The online desk's password and sessions: ``storyforge intake set-password`` and what checks it.

**The password** is kept only as an argon2id hash (``argon2-cffi``: a slow, memory-hard hash, so a
stolen file costs an attacker months rather than seconds per guess) in
``.storyforge-desk/login.json`` in the site's folder: owner-only (0600, in a 0700 folder), outside
the built site, and matched by the ``.storyforge-*/`` line every storyforge ``.gitignore`` has, so
it is never published nor committed.

**Sessions** are stateless, so any number of intake instances sharing that file accept one login:
the cookie holds a random session number and its time, signed (``itsdangerous``, HMAC-SHA256) with
a key stored beside the hash; it is refused when its signature is wrong or it is older than
``SESSION_LIFETIME``. The key is made anew by every ``set-password``, so changing the password logs
out every device at once. The desk's form token (CSRF) is an HMAC of the session number with the
same key; the login form's own token is a signed, dated stamp.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import json
import secrets
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from storyforge.errors import ConfigError, UsageError
from storyforge.publish.atomic import write_atomic

if TYPE_CHECKING:
    from itsdangerous import URLSafeTimedSerializer

LOGIN_FILE = Path(".storyforge-desk") / "login.json"
MIN_LENGTH = 10
SESSION_LIFETIME = 12 * 3600  # seconds: a working day on the phone, then log in again
LOGIN_FORM_LIFETIME = 3600
#: one argon2 check at a time: each takes 64 MiB, and sixteen worker threads at once would take 1 GiB
_CHECKING = threading.Lock()


@dataclass(frozen=True)
class Login:
    """What ``set-password`` stored: the password's hash and the key that signs sessions."""

    password_hash: str
    key: str

    def verify(self, password: str) -> bool:
        """Whether ``password`` is the desk's password (argon2's own constant-time check)."""
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        with _CHECKING:
            try:
                return PasswordHasher().verify(self.password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

    def new_session(self) -> str:
        """A new session cookie's value: a random number and the time, signed."""
        return self._signer("session").dumps(secrets.token_urlsafe(18))

    def session_of(self, cookie: str | None) -> str | None:
        """The session number in a cookie, or None when it is missing, forged, signed with an old key
        (the password was changed) or older than ``SESSION_LIFETIME``."""
        from itsdangerous import BadData

        if not cookie:
            return None
        try:
            number = self._signer("session").loads(cookie, max_age=SESSION_LIFETIME)
        except BadData:
            return None
        return number if isinstance(number, str) else None

    def form_token(self, session: str) -> str:
        """The desk's form token for one session: only a page of that session can know it."""
        return hmac.new(bytes.fromhex(self.key), f"desk form|{session}".encode(), hashlib.sha256).hexdigest()

    def login_token(self) -> str:
        """The login form's token: a signed stamp, good for an hour."""
        return self._signer("login form").dumps("login")

    def login_token_ok(self, token: str | None) -> bool:
        from itsdangerous import BadData

        if not token:
            return False
        try:
            return bool(self._signer("login form").loads(token, max_age=LOGIN_FORM_LIFETIME) == "login")
        except BadData:
            return False

    def _signer(self, purpose: str) -> URLSafeTimedSerializer:
        from itsdangerous import URLSafeTimedSerializer

        return URLSafeTimedSerializer(bytes.fromhex(self.key), salt=f"storyforge desk {purpose}")


def login_path(site_dir: Path) -> Path:
    return site_dir / LOGIN_FILE


def read_login(site_dir: Path) -> Login | None:
    """The stored login, or None when no password was ever set."""
    path = login_path(site_dir)
    try:
        data = json.loads(path.read_bytes())
        return Login(str(data["hash"]), bytes.fromhex(str(data["key"])).hex())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: the desk's login file cannot be read ({exc}) — set the password again with "
                          "`storyforge intake set-password`") from None


def store_password(site_dir: Path, password: str) -> Path:
    """Hash ``password`` and store it with a new session key (every device is logged out)."""
    from argon2 import PasswordHasher

    if len(password) < MIN_LENGTH:
        raise UsageError(f"the password is {len(password)} characters long; use at least {MIN_LENGTH} (a few "
                         "unrelated words make a good one)")
    if password != password.strip() or "\n" in password:
        raise UsageError("the password starts or ends with a space, or holds a line break; type it without them")
    path = login_path(site_dir)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    record = {"hash": PasswordHasher().hash(password), "key": secrets.token_hex(32),
              "set_at": datetime.now(UTC).isoformat(timespec="seconds")}
    write_atomic(path, (json.dumps(record, indent=2) + "\n").encode(), durable=True, mode=0o600)
    return path


def read_new_password() -> str:
    """The new password: typed twice, unseen, at a terminal; else the first line of standard input."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password for the moderation desk: ")
    if getpass.getpass("The same password again: ") != first:
        raise UsageError("the two passwords differ; nothing was changed — run the command again")
    return first


def cmd_set_password(args: argparse.Namespace) -> int:
    site_dir = args.site.resolve()
    if not (site_dir / "site.yaml").is_file():
        raise UsageError(f"{site_dir}: no site.yaml here — pass the site's folder with --site")
    path = store_password(site_dir, read_new_password())
    print(f"desk password set (only its argon2 hash is kept, in {path.relative_to(site_dir)}); every device "
          "logged into the desk is logged out. A running `storyforge intake` uses it at once.", flush=True)
    return 0
