"""`storyforge deploy` to S3-compatible storage, against moto's S3 server on loopback.

What a user sees: the files in the bucket, their Content-Type and Cache-Control, what the
command prints, and a bucket equal to the site after every deploy — even one killed half-way.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SITE_YAML, snapshot, story, write_files

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")


def deploy_yaml(endpoint: str, bucket_name: str, extra: str = "") -> str:
    return SITE_YAML + (f"deploy:\n  targets:\n    live:\n      type: s3\n      bucket: {bucket_name}\n"
                        f"      endpoint_url: {endpoint}\n      region: us-east-1\n{extra}")


STORIES = {f"content/testimonials/story-{n}.md": story(f"Story number {n}", f"Person {n}.",
                                                          body=f"Lovely bread, visit {n}.") for n in range(6)}


@pytest.fixture
def s3_site(make_site, bucket, s3_endpoint, run):
    client, name = bucket
    site = make_site(STORIES, site_yaml=deploy_yaml(s3_endpoint, name))
    assert run("build", "--site", site).code == 0
    return site, client, name


def site_files(site: Path) -> dict[str, bytes]:
    return {path: data for path, data in snapshot(site / "public").items() if not path.startswith(".storyforge-")}


def held(client, name: str) -> dict[str, str]:
    """key → MD5 of every object in the bucket."""
    found: dict[str, str] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["ETag"].strip('"')
    return found


def assert_bucket_equals_site(client, name: str, site: Path) -> None:
    expected = {path: hashlib.md5(data, usedforsecurity=False).hexdigest() for path, data in site_files(site).items()}
    assert held(client, name) == expected


def listed(out: str, verb: str) -> set[str]:
    return {line.split(" ", 1)[1] for line in out.splitlines() if line.startswith(f"{verb} ")}


def test_a_first_deploy_uploads_every_file_with_its_type_and_cache_headers(s3_site, run):
    site, client, name = s3_site
    result = run("deploy", "--site", site)
    assert result.code == 0, result.err
    files = site_files(site)
    assert listed(result.out, "uploaded") == set(files)
    assert result.out.splitlines()[-1].startswith(f"deployed to live (s3://{name}/): uploaded {len(files)}, kept 0, "
                                                  "deleted 0 in ")
    assert_bucket_equals_site(client, name, site)
    assert ".storyforge-build.json" not in held(client, name) and ".storyforge-output" not in held(client, name)

    def head(key: str) -> tuple[str, str]:
        answer = client.head_object(Bucket=name, Key=key)
        return answer["ContentType"], answer["CacheControl"]

    short, day = "public, max-age=300, must-revalidate", "public, max-age=86400"
    assert head("index.html") == ("text/html; charset=utf-8", short)
    assert head("testimonials/story-1/index.html") == ("text/html; charset=utf-8", short)
    assert head("feed.xml") == ("application/rss+xml; charset=utf-8", short)
    assert head("atom.xml") == ("application/atom+xml; charset=utf-8", short)
    assert head("sitemap.xml") == ("application/xml; charset=utf-8", short)
    assert head("testimonials.json") == ("application/json; charset=utf-8", short)
    assert head("embed.js") == ("text/javascript; charset=utf-8", day)
    css = next(path for path in files if path.endswith(".css"))
    assert head(css) == ("text/css; charset=utf-8", day)
    card = next(path for path in files if path.endswith("card.png"))
    assert head(card) == ("image/png", day)
    body = client.get_object(Bucket=name, Key="testimonials/story-1/index.html")["Body"].read()
    assert body == files["testimonials/story-1/index.html"]
    # what pages use, then the pages, then what leads to them: no page links to a file not yet there
    order = [line.split(" ", 1)[1] for line in result.out.splitlines() if line.startswith("uploaded ")]
    assert max(order.index(card), order.index(css)) < order.index("testimonials/story-1/index.html")
    assert order.index("testimonials/story-1/index.html") < min(order.index("index.html"), order.index("feed.xml"))


def test_after_one_story_is_edited_only_the_changed_files_are_sent(s3_site, run):
    site, client, name = s3_site
    assert run("deploy", "--site", site).code == 0
    before = site_files(site)
    write_files(site, {"content/testimonials/story-3.md": story("Story number 3", "Person 3.",
                                                               body="Even better bread the second time.")})
    assert run("build", "--site", site).code == 0
    after = site_files(site)
    changed = {path for path in after if before.get(path) != after[path]}
    assert "testimonials/story-3/index.html" in changed and len(changed) < len(after) / 3

    result = run("deploy", "--site", site)
    assert result.code == 0, result.err
    assert listed(result.out, "uploaded") == changed
    assert listed(result.out, "deleted") == set()
    assert f"uploaded {len(changed)}, kept {len(after) - len(changed)}, deleted 0" in result.out
    assert_bucket_equals_site(client, name, site)
    again = run("deploy", "--site", site)
    assert f"uploaded 0, kept {len(after)}, deleted 0" in again.out


def test_a_withdrawn_story_leaves_the_bucket_page_card_and_feed_entries(s3_site, run):
    site, client, name = s3_site
    assert run("deploy", "--site", site).code == 0
    assert "testimonials/story-2/card.png" in held(client, name)
    withdrawn = run("moderate", "withdraw", "content/testimonials/story-2.md", "--site", site)
    assert withdrawn.code == 0, withdrawn.err
    assert run("build", "--site", site).code == 0
    result = run("deploy", "--site", site)
    assert result.code == 0, result.err
    assert listed(result.out, "deleted") == {"testimonials/story-2/index.html", "testimonials/story-2/card.png"}
    assert_bucket_equals_site(client, name, site)
    for key in ("feed.xml", "atom.xml", "testimonials/feed.xml", "index.html", "testimonials.json"):
        assert b"Story number 2" not in client.get_object(Bucket=name, Key=key)["Body"].read(), key


def test_max_deletes_stops_a_deploy_before_it_changes_anything(s3_site, run):
    site, client, name = s3_site
    assert run("deploy", "--site", site).code == 0
    for n in (1, 2):
        (site / f"content/testimonials/story-{n}.md").unlink()
    assert run("build", "--site", site).code == 0
    bucket_before = held(client, name)
    result = run("deploy", "--site", site, "--max-deletes", "3")
    assert result.code == 1
    assert "would delete 4 files, more than --max-deletes 3; nothing was changed" in result.err
    assert held(client, name) == bucket_before
    assert run("deploy", "--site", site, "--max-deletes", "4").code == 0
    assert_bucket_equals_site(client, name, site)


def test_dry_run_prints_the_plan_and_changes_nothing(s3_site, run):
    site, client, name = s3_site
    result = run("deploy", "--site", site, "--dry-run")
    assert result.code == 0, result.err
    assert "would upload index.html" in result.out.splitlines()
    assert result.out.splitlines()[-1].startswith(f"dry run, live (s3://{name}/): would upload ")
    assert held(client, name) == {}


def test_a_site_older_than_its_sources_or_a_failed_build_is_refused(s3_site, run):
    site, client, name = s3_site
    write_files(site, {"content/testimonials/story-0.md": story("Story number 0", "Person 0.", body="Edited.")})
    result = run("deploy", "--site", site)
    assert result.code == 1
    assert "public/ is older than the sources" in result.err and "run storyforge build" in result.err
    write_files(site, {"content/testimonials/broken.md": "---\ntitle: [unclosed\n---\nBody\n"})
    assert run("build", "--site", site).code != 0
    assert run("deploy", "--site", site).code == 1
    assert held(client, name) == {}
    (site / "content/testimonials/broken.md").unlink()
    assert run("build", "--site", site).code == 0
    assert run("deploy", "--site", site).code == 0


def test_an_interrupted_deploy_is_completed_by_the_next_one(make_site, bucket, s3_endpoint, run, fake_credentials):
    client, name = bucket
    many = {f"content/testimonials/story-{n}.md": story(f"Story number {n}", f"Person {n}.") for n in range(60)}
    site = make_site(many, site_yaml=deploy_yaml(s3_endpoint, name))
    assert run("build", "--site", site).code == 0
    client.put_object(Bucket=name, Key="old-page/index.html", Body=b"<p>gone</p>")  # a page the site dropped

    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "storyforge", "deploy", "--site", str(site)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("uploaded "), first + process.communicate()[1]
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    partial = held(client, name)
    assert "old-page/index.html" in partial and len(partial) < len(site_files(site))

    result = run("deploy", "--site", site)
    assert result.code == 0, result.err
    assert listed(result.out, "deleted") == {"old-page/index.html"}
    assert_bucket_equals_site(client, name, site)


def test_cloudfront_is_told_to_forget_just_the_changed_addresses(make_site, bucket, s3_endpoint, run):
    _, name = bucket
    cloudfront = boto3.client("cloudfront", endpoint_url=s3_endpoint, region_name="us-east-1")
    distribution = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": name, "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "bucket", "DomainName": f"{name}.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "bucket", "ViewerProtocolPolicy": "redirect-to-https",
                                 "MinTTL": 0, "ForwardedValues": {"QueryString": False,
                                                                  "Cookies": {"Forward": "none"}}},
    })["Distribution"]["Id"]
    with_cdn = deploy_yaml(s3_endpoint, name, f"      cloudfront_distribution: {distribution}\n")
    site = make_site(STORIES, site_yaml=with_cdn)
    assert run("build", "--site", site).code == 0
    assert run("deploy", "--site", site).code == 0
    before = site_files(site)
    write_files(site, {"content/testimonials/story-4.md": story("Story number 4", "Person 4.", body="Changed.")})
    assert run("build", "--site", site).code == 0
    changed = {path for path, data in site_files(site).items() if before.get(path) != data}
    result = run("deploy", "--site", site)
    assert result.code == 0 and "CloudFront invalidation " in result.out.splitlines()[-1]

    def paths_of(invalidation: dict) -> list[str]:
        found = cloudfront.get_invalidation(DistributionId=distribution, Id=invalidation["Id"])
        return found["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]

    newest = max(cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"],
                 key=lambda item: item["CreateTime"])
    expected = {"/" + path for path in changed} | {"/" + path.removesuffix("index.html") for path in changed}
    assert set(paths_of(newest)) == expected and "/testimonials/story-4/" in expected


def test_credentials_in_site_yaml_are_refused(make_site, run):
    site = make_site(site_yaml=SITE_YAML + "deploy:\n  targets:\n    live:\n      type: s3\n      bucket: b\n"
                                          "      secret_key: abc\n      bukket: x\n")
    result = run("build", "--site", site)
    assert result.code != 0
    assert "site.yaml:12: deploy.targets.live.secret_key: credentials never go in site.yaml" in result.err
    assert "site.yaml:13: deploy.targets.live.bukket: unknown setting for type s3 (did you mean 'bucket'?)" \
        in result.err


def test_no_credentials_is_one_clear_line(s3_site, run, monkeypatch):
    site, _, _ = s3_site
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run("deploy", "--site", site)
    assert result.code == 1
    assert "no credentials — set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in result.err
