"""The inbox in an S3-compatible bucket (``moderation.inbox: s3://bucket/prefix``), for several
``storyforge intake`` instances behind a load balancer: none of them keeps anything, all of them
write into one bucket, and ``storyforge submissions pull`` (``pull.py``) brings what arrived into
the local ``submissions/inbox/`` through :func:`moderation.intake.add_story`, where it is screened
against everything the site holds.

One story is one object, ``<prefix>/<submission id>.json``: what the customer typed, when it
arrived, and the photo already cleaned (``photos.clean_photo``), so a story and its photo arrive
together or not at all. The id is the one the local inbox would give it (a hash of the story and
the name), so a double-click or a resend names the same object; it is written with
``If-None-Match: *``, so of two instances racing with the same story the first wins and the
second is told it is there already. A service without conditional writes would let the second
replace the first — the same story under the same name, still one submission.

Credentials come only from boto3's own chain (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``,
``AWS_PROFILE``, an instance role), never from site.yaml; boto3 is the optional ``s3`` extra.
Every failure of the store is one line that says what to fix (:class:`Translated`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storyforge.core.config import SiteConfig
from storyforge.errors import ModerationError, UsageError
from storyforge.moderation.intake import Added, build_submission
from storyforge.moderation.photos import PHOTOS, CleanPhoto

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

FORMAT = 1  # the object's layout; a pull refuses one it does not know
MAX_OBJECT_BYTES = 20_000_000  # a story with the largest photo is far below; anything larger is not ours
INSTALL = "pip install 'storyforge-ssg[s3]'"


class StrangeObject(ModerationError):
    """An object in the bucket that is not a story ``storyforge intake`` wrote: it is left there."""


@dataclass(frozen=True)
class Parcel:
    """One story as it waits in the bucket."""

    sid: str
    source: str
    received: datetime
    values: dict[str, str]
    photo: CleanPhoto | None

    def to_bytes(self) -> bytes:
        photo = None if self.photo is None else {
            "extension": self.photo.extension, "width": self.photo.width, "height": self.photo.height,
            "data": base64.b64encode(self.photo.data).decode("ascii")}
        return json.dumps({"format": FORMAT, "id": self.sid, "source": self.source,
                           "received_at": self.received.isoformat(), "values": self.values, "photo": photo},
                          ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, where: str) -> Parcel:
        """A parcel from an object's bytes; ModerationError naming the object when it is not one of ours."""
        try:
            raw = json.loads(data)
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                raise ValueError(f"not a story of format {FORMAT}")
            values = raw["values"]
            if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
                raise ValueError("its values are not texts")
            received = datetime.fromisoformat(str(raw["received_at"]))
            if received.tzinfo is None:
                raise ValueError("its time has no zone")
            photo = raw.get("photo")
            clean = None if photo is None else CleanPhoto(base64.b64decode(photo["data"], validate=True),
                                                          str(photo["extension"]), int(photo["width"]),
                                                          int(photo["height"]))
            return cls(str(raw["id"]), str(raw.get("source") or "form"), received, dict(values), clean)
        except (ValueError, KeyError, TypeError) as exc:
            raise StrangeObject(f"{where}: not a story storyforge intake wrote ({exc}) — it is left in the "
                                  "bucket; remove it there if it does not belong") from None


class BucketInbox:
    """The bucket and folder ``moderation.inbox`` names, with a client from boto3's credential chain."""

    def __init__(self, config: SiteConfig) -> None:
        moderation = config.moderation
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise UsageError(f"moderation.inbox is a bucket ({moderation.inbox}), which needs boto3 — {INSTALL}"
                             ) from None
        bucket, _, prefix = moderation.inbox.removeprefix("s3://").partition("/")
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        # a few quick retries: a store's brief hiccup is retried, an address that answers nothing is
        # reported within seconds rather than after minutes of back-off
        settings = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30,
                          max_pool_connections=32)
        session = boto3.session.Session(region_name=moderation.inbox_region or None)
        self.client: S3Client = session.client("s3", endpoint_url=moderation.inbox_endpoint_url or None,
                                               config=settings)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def check(self) -> None:
        """Fail at once, in one line, when the bucket is missing or the credentials do not open it."""
        with Translated(self.describe()):
            self.client.head_bucket(Bucket=self.bucket)

    def put_once(self, name: str, data: bytes) -> bool:
        """Write the object ``name`` unless it exists; True when this call made it."""
        from botocore.exceptions import ClientError

        with Translated(self.describe()):
            try:
                self.client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data,
                                       ContentType="application/json", IfNoneMatch="*")
            except ClientError as exc:
                # 412: it is there; 409: another writer is making it at this moment
                if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                    return False
                raise
        return True

    def names(self) -> list[str]:
        """The objects waiting (names below the prefix, oldest first)."""
        found: list[tuple[datetime, str]] = []
        with Translated(self.describe()):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                               Prefix=self.prefix):
                for item in page.get("Contents", []):
                    name = item["Key"][len(self.prefix):]
                    if name.endswith(".json") and "/" not in name:
                        found.append((item["LastModified"], name))
        return [name for _, name in sorted(found)]

    def read(self, name: str) -> bytes | None:
        """An object's bytes; None when it is gone already (another pull took it)."""
        from botocore.exceptions import ClientError

        with Translated(self.describe()):
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise
            if answer.get("ContentLength", 0) > MAX_OBJECT_BYTES:
                answer["Body"].close()
                raise StrangeObject(f"{self.describe()}{name}: over {MAX_OBJECT_BYTES // 1_000_000} MB, not a "
                                      "story storyforge intake wrote — it is left in the bucket")
            return answer["Body"].read()

    def remove(self, name: str) -> None:
        with Translated(self.describe()):
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)


def send_story(config: SiteConfig, inbox: BucketInbox, values: dict[str, str], source: str, now: datetime,
               photo: CleanPhoto | None = None) -> Added:
    """One story into the bucket: ``storyforge intake``'s way in when the inbox is a bucket.

    Checked as :func:`intake.add_story` checks it (RowError, naming the field, before anything is
    written), under the id the local inbox would give it; screening waits for ``submissions pull``,
    which compares the story with everything the site holds. ``new`` is False when the object was
    there already (a double-click, a resend, another instance)."""
    submission = build_submission(values, source, config, now)
    if photo is not None:
        submission.photo = f"{PHOTOS}/{submission.id}.{photo.extension}"
    parcel = Parcel(submission.id, source, now.replace(microsecond=0), values, photo)
    return Added(submission, inbox.put_once(f"{submission.id}.json", parcel.to_bytes()))


class Translated:
    """boto3's exceptions as one line that says what to fix (its own are long and name no fix)."""

    def __init__(self, where: str) -> None:
        self.where = where

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

        where = self.where
        if isinstance(exc, NoCredentialsError):
            raise ModerationError(f"{where}: no credentials — set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
                                  "AWS_PROFILE) in the environment") from None
        if isinstance(exc, EndpointConnectionError):
            raise ModerationError(f"{where}: cannot reach {exc.kwargs.get('endpoint_url', 'the storage service')} — "
                                  "check moderation.inbox_endpoint_url in site.yaml and the network") from None
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in ("NoSuchBucket", "404") or (code == "NotFound" and "HeadBucket" in str(exc)):
                raise ModerationError(f"{where}: the bucket {where.split('/')[2]} does not exist — create it, or "
                                      "fix moderation.inbox in site.yaml") from None
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidClientTokenId", "AccessDenied",
                        "403", "Forbidden", "ExpiredToken", "InvalidToken"):
                raise ModerationError(f"{where}: the credentials were refused ({code}) — check AWS_ACCESS_KEY_ID "
                                      "and AWS_SECRET_ACCESS_KEY, and that they may read and write this bucket"
                                      ) from None
            raise ModerationError(f"{where}: {code or 'error'}: {error.get('Message', exc)}") from None
        if isinstance(exc, BotoCoreError):
            raise ModerationError(f"{where}: {exc}") from None
