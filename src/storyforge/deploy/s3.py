"""S3-compatible object storage (AWS S3, Cloudflare R2, Backblaze B2, MinIO) through boto3.

What the bucket holds is read from the bucket itself (a listing's ETags), never from a manifest
of ours: a single-part upload's ETag is the MD5 of its bytes, so the listing says exactly which
files differ, even after a deploy that was killed half-way. An ETag that is not an MD5 (a
multipart upload, or server-side encryption with KMS) counts as different, so that file is sent
again — as one part, after which its ETag is an MD5. Files are sent with ``put_object`` and a
``Content-MD5`` header, so the store refuses a body damaged on the way.

Credentials come from boto3's own chain — AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile
in ~/.aws, an instance role — never from site.yaml.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from storyforge.core.deploy_settings import DeployTarget
from storyforge.deploy.plan import DeployPlan, LocalFile, cache_control, content_type, make_plan, stage_of
from storyforge.errors import StoryforgeError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

WORKERS = 16  # uploads at once: a store answers each in tens of milliseconds, the bytes are small
DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes


class S3Store:
    """One bucket (and folder in it) that holds a site."""

    def __init__(self, target: DeployTarget) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise StoryforgeError("deploying to S3 needs boto3 — pip install 'storyforge[deploy]'") from None
        self.target = target
        self.bucket = target.text("bucket")
        prefix = target.text("prefix")
        self.prefix = f"{prefix}/" if prefix else ""
        config = Config(max_pool_connections=WORKERS, retries={"max_attempts": 5, "mode": "standard"})
        with _Translated(self.describe(), target.name):
            session = boto3.session.Session(profile_name=target.text("profile") or None,
                                            region_name=target.text("region") or None)
            self.session = session
            self.client: S3Client = session.client("s3", endpoint_url=target.text("endpoint_url") or None,
                                                   config=config)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def holdings(self) -> dict[str, str | None]:
        """Every file under the prefix → its MD5, or None when the store's checksum is not one."""
        held: dict[str, str | None] = {}
        with _Translated(self.describe(), self.target.name):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", []):
                    etag = item.get("ETag", "").strip('"')
                    held[item["Key"][len(self.prefix):]] = etag if len(etag) == 32 and "-" not in etag else None
        return held

    def plan(self, local: Mapping[str, LocalFile], force: bool) -> DeployPlan:
        return make_plan(local, self.holdings(), force)

    def apply(self, plan: DeployPlan, uploaded: Callable[[LocalFile], None], deleted: Callable[[str], None]) -> None:
        """Upload stage by stage (what pages use, pages, what leads to pages), then delete."""
        for stage in sorted({stage_of(file.path) for file in plan.upload}):
            self.upload([file for file in plan.upload if stage_of(file.path) == stage], uploaded)
        self.delete(plan.delete, deleted)

    def upload(self, files: list[LocalFile], done: Callable[[LocalFile], None]) -> None:
        """Send files, many at once; ``done`` is told of each as the store confirms it."""

        def send(file: LocalFile) -> LocalFile:
            body = file.read()
            self.client.put_object(
                Bucket=self.bucket, Key=self.prefix + file.path, Body=body,
                ContentType=content_type(file.path), CacheControl=cache_control(file.path),
                ContentMD5=base64.b64encode(bytes.fromhex(file.md5)).decode())
            return file

        with _Translated(self.describe(), self.target.name), ThreadPoolExecutor(WORKERS) as pool:
            for file in pool.map(send, files):
                done(file)

    def delete(self, paths: list[str], done: Callable[[str], None]) -> None:
        with _Translated(self.describe(), self.target.name):
            for start in range(0, len(paths), DELETE_BATCH):
                batch = paths[start:start + DELETE_BATCH]
                answer = self.client.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": [{"Key": self.prefix + path} for path in batch], "Quiet": True})
                failed = answer.get("Errors", [])
                if failed:
                    first = failed[0]
                    raise StoryforgeError(f"{self.describe()}: could not delete {len(failed)} files, e.g. "
                                          f"{first.get('Key')}: {first.get('Message') or first.get('Code')}")
                for path in batch:
                    done(path)

    def invalidate(self, paths: Iterable[str], base_path: str) -> str | None:
        """Ask CloudFront to forget just the changed addresses; its id, or None when not configured."""
        distribution = self.target.text("cloudfront_distribution")
        addresses = sorted({address for path in paths for address in _addresses(base_path, path)})
        if not distribution or not addresses:
            return None
        items = addresses if len(addresses) <= 1000 else [base_path + "*"]  # past that, one wildcard is cheaper
        with _Translated("CloudFront"):
            answer = self.session.client("cloudfront").create_invalidation(
                DistributionId=distribution, InvalidationBatch={
                    "Paths": {"Quantity": len(items), "Items": items}, "CallerReference": f"storyforge-{time.time()}"})
        return str(answer["Invalidation"]["Id"])


def _addresses(base_path: str, path: str) -> set[str]:
    """The addresses a CDN caches a file under: a folder's index.html is also the folder."""
    return {base_path + path, base_path + path.removesuffix("index.html")}


#: what to do about the errors a user can cause, by the store's error code
_FIXES = {
    "NoSuchBucket": "there is no such bucket — create it, or correct deploy.targets.{name}.bucket in site.yaml",
    "InvalidAccessKeyId": "the access key is not known there — check AWS_ACCESS_KEY_ID (or the profile) and "
                          "deploy.targets.{name}.endpoint_url",
    "SignatureDoesNotMatch": "the secret key does not match the access key — check AWS_SECRET_ACCESS_KEY (or the "
                             "profile)",
    "AccessDenied": "these credentials may not do that — give them read, write and delete rights on the bucket, or "
                    "use others",
    "ExpiredToken": "the credentials have expired — renew them (e.g. aws sso login) and deploy again",
    "InvalidToken": "the session token is not valid — renew the credentials and deploy again",
    "PermanentRedirect": "the bucket is in another region — set deploy.targets.{name}.region in site.yaml",
}


class _Translated:
    """Turn boto3's exceptions into one clear line naming the fix (its own are long and name none)."""

    def __init__(self, where: str, name: str = "NAME") -> None:
        self.where, self.name = where, name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
            ProfileNotFound,
        )

        if isinstance(exc, NoCredentialsError):
            raise StoryforgeError(f"{self.where}: no credentials — set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                                  "or name a profile in site.yaml (deploy.targets.NAME.profile)") from None
        if isinstance(exc, ProfileNotFound):
            raise StoryforgeError(f"{self.where}: {exc} — add it to ~/.aws/config (or ~/.aws/credentials), or "
                                  f"correct deploy.targets.{self.name}.profile in site.yaml") from None
        if isinstance(exc, EndpointConnectionError):
            address = urlsplit(str(exc.kwargs.get("endpoint_url", "")))
            raise StoryforgeError(f"{self.where}: cannot connect to {address.scheme}://{address.netloc} — "
                                  f"check deploy.targets.{self.name}.endpoint_url (and region) in site.yaml and the "
                                  "network, then deploy again") from None
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "error"))
            fix = _FIXES.get(code)
            if fix is None and code == "404":
                fix = _FIXES["NoSuchBucket"]
            message = fix.format(name=self.name) if fix else f"{code}: {error.get('Message', exc)}"
            raise StoryforgeError(f"{self.where}: {message}") from None
        if isinstance(exc, BotoCoreError):
            raise StoryforgeError(f"{self.where}: {exc}") from None
