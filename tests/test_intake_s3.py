"""The inbox in a bucket (`moderation.inbox: s3://…`): several `storyforge intake` instances write one
object per story into moto's S3 server on loopback, and `storyforge submissions pull` brings them
into the local inbox — once, screened, and without losing one when it is killed half-way."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from storyforge.core.config import load_config
from storyforge.intake.app import IntakeApp, Limits
from storyforge.intake.guard import ProofOfWork
from storyforge.intake.server import make_server, stop_server
from storyforge.moderation.bucket import BucketInbox
from tests.conftest import REPO, SITE_YAML, snapshot
from tests.test_intake import FORM, Service, assert_as_submissions_add_writes

pytest.importorskip("boto3")
pytest.importorskip("moto.server")


def bucket_yaml(endpoint: str, name: str, prefix: str = "/waiting") -> str:
    return SITE_YAML + (f"moderation:\n  intake_url: https://stories.bakery.test\n  inbox: s3://{name}{prefix}\n"
                        f"  inbox_endpoint_url: {endpoint}\n  inbox_region: us-east-1\n")


@pytest.fixture
def bucket_site(make_site, bucket, s3_endpoint):
    client, name = bucket
    return make_site(site_yaml=bucket_yaml(s3_endpoint, name)), client, name


@pytest.fixture
def instances(bucket_site) -> Iterator[list[Service]]:
    """Two stateless intake instances on one bucket, as behind a load balancer."""
    site = bucket_site[0]
    started = []
    for _ in range(2):
        config = load_config(site)
        app = IntakeApp(config, limits=Limits(1000, 1000), proof=ProofOfWork(max_number=2000),
                        bucket=BucketInbox(config))
        server = make_server(app, "127.0.0.1", 0, threads=4, asyncore_loop_timeout=0.05)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        started.append((Service(site, server.effective_port, app), server, thread))
    yield [service for service, _, _ in started]
    for _, server, thread in started:
        stop_server(server, thread)


def objects(client, name: str) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=name).get("Contents", [])
    return {item["Key"]: client.get_object(Bucket=name, Key=item["Key"])["Body"].read() for item in listed}


def inbox(site: Path) -> dict[str, dict[str, object]]:
    return {p.stem: json.loads(p.read_bytes()) for p in sorted((site / "submissions/inbox").glob("*.json"))}


def pull_process(site: Path, fault: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "STORYFORGE_FAULT": fault}
    return subprocess.run([sys.executable, "-m", "storyforge", "submissions", "pull", "--site", str(site)],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def test_two_instances_write_one_object_per_story_and_pull_brings_each_once(instances, bucket_site, run, tmp_path):
    site, client, name = bucket_site
    first, second = instances
    # the same story sent to both instances at once (a double-click across the balancer), many times
    answers: list[dict[str, object]] = []

    def send(service: Service) -> None:
        answers.append(service.post(FORM, as_json=True).json)

    racers = [threading.Thread(target=send, args=(service,)) for service in (first, second) * 3]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert all(answer["ok"] for answer in answers) and len({answer["id"] for answer in answers}) == 1
    assert sum(1 for answer in answers if answer["new"]) == 1  # one instance made it; the others found it
    other = second.post({**FORM, "story": "The seeded rye is the best in town.", "name": "Ola K."})
    assert other.status == 303 and other.headers["location"] == "https://bakery.test/share-your-story/thanks/"
    held = objects(client, name)
    assert len(held) == 2 and f"waiting/{answers[0]['id']}.json" in held
    assert not (site / "submissions").exists()  # nothing local: the instances keep nothing

    pulled = run("submissions", "pull", "--site", site)
    assert pulled.code == 0, pulled.err
    summary = f"pulled 2 new from s3://{name}/waiting/ (0 already here; 0 left in the bucket)"
    assert pulled.out.splitlines()[-1] == summary
    local = inbox(site)
    assert set(local) == {key.removeprefix("waiting/").removesuffix(".json") for key in held}
    assert objects(client, name) == {}  # taken out of the bucket once safe here
    # the same schema and id as the local path (`submissions add`, in another site)
    story = local[str(answers[0]["id"])]
    assert_as_submissions_add_writes(story, run, tmp_path / "other")
    assert (site / "submissions/inbox" / f"{story['id']}.json").stat().st_mode & 0o077 == 0

    # run again: nothing new; a resend after the pull is still the one submission (its arrival time
    # updated in place, as a resend to a single intake does)
    before = snapshot(site / "submissions")
    assert run("submissions", "pull", "--site", site).out.splitlines()[-1].startswith("pulled 0 new")
    assert snapshot(site / "submissions") == before
    assert first.post(FORM, as_json=True).json["new"] is True  # the bucket no longer has it…
    again = run("submissions", "pull", "--site", site)
    assert again.out.splitlines()[-1].startswith("pulled 0 new")  # …the inbox has
    assert set(inbox(site)) == set(local) and objects(client, name) == {}


def test_a_story_decided_locally_is_not_brought_back(instances, bucket_site, run):
    site, client, name = bucket_site
    sid = instances[0].post(FORM, as_json=True).json["id"]
    assert run("submissions", "pull", "--site", site).code == 0
    rejected = run("moderate", "reject", str(sid), "--site", site, "--reason", "spam", "--note", "test")
    assert rejected.code == 0, rejected.err
    instances[1].post(FORM, as_json=True)  # the customer sends it again
    assert len(objects(client, name)) == 1
    result = run("submissions", "pull", "--site", site)
    assert result.code == 0 and "pulled 0 new" in result.out and "(1 already here" in result.out
    assert inbox(site) == {} and (site / f"submissions/rejected/{sid}.json").is_file()
    assert objects(client, name) == {}


@pytest.mark.parametrize("point", ["write:before-replace", "import:after-write", "pull:after-local-write"])
def test_a_pull_killed_at_any_step_loses_nothing_and_brings_nothing_twice(instances, bucket_site, point):
    site, client, name = bucket_site
    ids = {str(instances[n % 2].post({**FORM, "story": f"Story {n}: lovely bread."}, as_json=True).json["id"])
           for n in range(3)}
    killed = pull_process(site, point)
    assert killed.returncode == 137, killed.stderr
    held = {key.removeprefix("waiting/").removesuffix(".json") for key in objects(client, name)}
    local = set(inbox(site))
    assert held | local == ids  # every story is somewhere…
    assert held == ids  # …and still in the bucket: deleted only after the local copy is durable
    assert len(local) == (0 if point == "write:before-replace" else 1)
    finished = pull_process(site)
    assert finished.returncode == 0, finished.stderr
    assert set(inbox(site)) == ids and objects(client, name) == {}
    assert [p.name for p in (site / "submissions").rglob(".storyforge-tmp*")] == []
    assert pull_process(site).stdout.splitlines()[-1].startswith("pulled 0 new")


def test_a_photo_travels_through_the_bucket_cleaned(instances, bucket_site, run):
    site, client, name = bucket_site
    raw = Image.new("RGB", (40, 20), "blue")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "N"
    sent = io.BytesIO()
    raw.save(sent, "JPEG", exif=exif)
    answer = instances[0].post({**FORM, "consent_photo": "yes"}, photo=sent.getvalue(), as_json=True)
    assert answer.status == 200, answer.body
    [data] = objects(client, name).values()
    assert b"PhoneCo" not in data
    assert run("submissions", "pull", "--site", site).code == 0
    [story] = inbox(site).values()
    assert story["photo"] == f"photos/{story['id']}.jpg" and story["consent"]["photo"] is True
    stored = site / "submissions" / str(story["photo"])
    with Image.open(stored) as image:
        assert image.size == (40, 20) and not image.getexif()
    assert b"PhoneCo" not in stored.read_bytes()


def test_an_object_that_is_not_a_story_is_left_in_the_bucket_with_one_line(bucket_site, run):
    site, client, name = bucket_site
    client.put_object(Bucket=name, Key="waiting/stray.json", Body=b"{not json")
    result = run("submissions", "pull", "--site", site)
    assert result.code == 1
    assert f"s3://{name}/waiting/stray.json: not a story storyforge intake wrote" in result.out
    assert "waiting/stray.json" in objects(client, name) and inbox(site) == {}


def test_clear_one_line_errors(make_site, bucket, s3_endpoint, run, monkeypatch):
    _, name = bucket
    missing = make_site(site_yaml=bucket_yaml(s3_endpoint, "no-such-bucket-here"))
    result = run("submissions", "pull", "--site", missing)
    assert result.code == 1
    assert result.err.strip() == ("error: s3://no-such-bucket-here/waiting/: the bucket no-such-bucket-here does "
                                  "not exist — create it, or fix moderation.inbox in site.yaml")
    unreachable = make_site(site_yaml=bucket_yaml("http://127.0.0.1:9", name))
    result = run("submissions", "pull", "--site", unreachable)
    assert result.code == 1 and len(result.err.strip().splitlines()) == 1
    assert 'cannot reach http://127.0.0.1:9/' in result.err
    assert "check moderation.inbox_endpoint_url in site.yaml and the network" in result.err
    site = make_site(site_yaml=bucket_yaml(s3_endpoint, name))
    import moto.settings

    with monkeypatch.context() as checking:
        checking.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)  # the server checks keys now
        result = run("submissions", "pull", "--site", site)
    assert result.code == 1, result.err
    assert "the credentials were refused (" in result.err and "check AWS_ACCESS_KEY_ID" in result.err
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run("submissions", "pull", "--site", site)
    assert result.code == 1 and "no credentials — set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in result.err
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if the extra were not installed
    for command in (("submissions", "pull"), ("intake", "--port", "0")):
        result = run(*command, "--site", site)
        assert result.code == 2
        assert "needs boto3 — pip install 'storyforge-ssg[s3]'" in result.err


def test_the_intake_refuses_to_start_on_a_missing_bucket_and_site_yaml_keeps_no_keys(make_site, bucket,
                                                                                   s3_endpoint, run):
    site = make_site(site_yaml=bucket_yaml(s3_endpoint, "no-such-bucket-here"))
    result = run("intake", "--site", site, "--port", "0")
    assert result.code == 1 and "the bucket no-such-bucket-here does not exist" in result.err
    bad = make_site(site_yaml=bucket_yaml(s3_endpoint, "b", prefix="").replace("s3://b", "ftp://b")
                    + "  inbox_secret_key: abc\n")
    result = run("build", "--site", bad)
    assert result.code != 0
    assert "moderation.inbox: expected a bucket like s3://my-bucket/stories" in result.err
    assert "moderation.inbox_secret_key: credentials never go in site.yaml" in result.err


def test_the_owners_mail_from_an_instance_says_to_pull_first(make_site):
    from datetime import UTC, datetime

    from storyforge.intake.form import values_from
    from storyforge.intake.notify import message_for
    from storyforge.moderation.intake import build_submission

    config = load_config(make_site(site_yaml=bucket_yaml("http://127.0.0.1:9", "bakery-stories")))
    submission = build_submission(values_from(FORM), "form", config, datetime.now(UTC))
    text = message_for(config, submission).get_content()
    assert "storyforge submissions pull brings it in and screens it" in text
    assert "  storyforge submissions pull\n  storyforge moderate show " in text
    assert "Screening found nothing" not in text and "http" not in text
