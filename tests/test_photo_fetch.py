"""A submission whose photo is an https address (a form export's upload link): fetched at
approval within limits, never from a private or local address, cleaned like an upload; a photo
that cannot be fetched refuses the approval with one line, and nothing moves.

The photo server is the test's own, on 127.0.0.1 over plain http: ``LOCAL_FOR_TESTS`` allows
exactly that, and the tests without it show that such an address is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliResult, Routes
from test_images import assert_clean, phone_photo, upright

from storyforge.moderation import photo_fetch


def pending_with_photo(make_site: Callable[..., Path], run: Callable[..., CliResult], address: str) -> tuple[Path, str]:
    """A pending submission agreeing to show its photo, given as ``address``."""
    from moderation_helpers import MODERATED_SITE

    site = make_site(site_yaml=MODERATED_SITE + "share_cards: false\n")
    added = run("submissions", "add", "--site", site, "--story", "The rye is the best in town.", "--title",
                "Best rye", "--name", "Maya Green", "--consent", "--show-name", "first-initial", "--show-photo",
                "--photo", "https://photos.example/maya.jpg")
    assert added.code == 0, added.err
    [path] = (site / "submissions/inbox").glob("*.json")
    data = json.loads(path.read_text())
    data["photo"] = address  # as a form export's upload link
    path.write_text(json.dumps(data))
    return site, data["id"]


def test_an_approved_photo_address_is_fetched_cleaned_and_published(
        make_site: Callable[..., Path], run: Callable[..., CliResult], photo_server: tuple[str, Routes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(photo_fetch, "LOCAL_FOR_TESTS", True)
    base, routes = photo_server
    routes["/upload/maya"] = (302, {"Location": "/files/maya.bin"}, b"")
    routes["/files/maya.bin"] = (200, {"Content-Type": "application/octet-stream"}, phone_photo())
    site, sid = pending_with_photo(make_site, run, base + "/upload/maya")
    approved = run("moderate", "approve", sid, "--site", site)
    assert approved.code == 0, approved.err
    [story_file] = (site / "content/testimonials").glob("*.md")
    [photo] = (site / "content/testimonials").glob("*.jpg")
    assert photo.stem == story_file.stem and f"avatar: /testimonials/{photo.name}" in story_file.read_text()
    assert assert_clean(site / "content") == [photo] and upright(photo)  # stripped and upright before the build
    assert run("build", "--site", site).code == 0
    published = [p for p in assert_clean(site / "public") if story_file.stem in p.name]
    assert published and all(upright(p) for p in published)


@pytest.mark.parametrize(("route", "reason"), [
    ((404, {}, b"gone"), "the server answered 404"),
    ((200, {"Content-Type": "image/jpeg"}, b"<html>a sign-in page</html>"), "not a photo storyforge can read"),
    ((302, {"Location": "http://10.20.30.40/maya.jpg"}, b""), "10.20.30.40, a private or local network address"),
])
def test_a_photo_that_cannot_be_fetched_refuses_the_approval_and_nothing_moves(
        make_site: Callable[..., Path], run: Callable[..., CliResult], photo_server: tuple[str, Routes],
        monkeypatch: pytest.MonkeyPatch, route: tuple[int, dict[str, str], bytes], reason: str) -> None:
    monkeypatch.setattr(photo_fetch, "LOCAL_FOR_TESTS", True)
    base, routes = photo_server
    routes["/maya.jpg"] = route
    site, sid = pending_with_photo(make_site, run, base + "/maya.jpg")
    inbox = {p.name: p.read_bytes() for p in (site / "submissions").rglob("*") if p.is_file()}
    refused = run("moderate", "approve", sid, "--site", site)
    assert refused.code != 0
    [line] = refused.err.strip().splitlines()
    assert sid in line and f"{base}/maya.jpg" in line and reason in line and "--without-photo" in line, line
    assert not (site / "content/testimonials").exists() or not list((site / "content/testimonials").iterdir())
    assert inbox == {p.name: p.read_bytes() for p in (site / "submissions").rglob("*") if p.is_file()}
    # the owner's way on: the story without the photo
    approved = run("moderate", "approve", sid, "--site", site, "--without-photo")
    assert approved.code == 0, approved.err
    [story_file] = (site / "content/testimonials").glob("*")
    assert "avatar" not in story_file.read_text()


@pytest.mark.parametrize("declared", [True, False])
def test_a_photo_over_the_size_limit_is_refused(
        make_site: Callable[..., Path], run: Callable[..., CliResult], photo_server: tuple[str, Routes],
        monkeypatch: pytest.MonkeyPatch, declared: bool) -> None:
    """Refused from its declared length, or (a server that declares none) once the limit is read."""
    monkeypatch.setattr(photo_fetch, "LOCAL_FOR_TESTS", True)
    monkeypatch.setattr(photo_fetch, "MAX_PHOTO_BYTES", 5000)
    base, routes = photo_server
    photo = phone_photo()
    routes["/big.jpg"] = (200, {"Content-Type": "image/jpeg"} if declared else
                          {"Content-Type": "image/jpeg", "Connection": "close", "Content-Length": ""}, photo)
    site, sid = pending_with_photo(make_site, run, base + "/big.jpg")
    refused = run("moderate", "approve", sid, "--site", site)
    said = f"the photo is {len(photo) / 1e3:.0f} KB; the limit is 5 KB" if declared else "over the limit of 5 KB"
    assert refused.code != 0 and said in refused.err, refused.err


@pytest.mark.parametrize(("address", "reason"), [
    ("http://photos.example/maya.jpg", "only an https address is fetched"),
    ("https://127.0.0.1:9/maya.jpg", "127.0.0.1, a private or local network address"),
    ("https://[::1]/maya.jpg", "::1, a private or local network address"),
    ("https://192.168.1.1/maya.jpg", "192.168.1.1, a private or local network address"),
    ("https://169.254.169.254/latest/meta-data", "169.254.169.254, a private or local network address"),
])
def test_an_address_that_is_not_https_or_leads_to_a_local_network_is_never_fetched(
        make_site: Callable[..., Path], run: Callable[..., CliResult], address: str, reason: str) -> None:
    site, sid = pending_with_photo(make_site, run, address)
    refused = run("moderate", "approve", sid, "--site", site)
    assert refused.code != 0 and reason in refused.err and "--without-photo" in refused.err, refused.err
    assert list((site / "submissions/inbox").glob("*.json"))
