"""Photos on the site: no metadata reaches a reader, pictures stay upright, every page gets
widths, sizes and a modern format, and the cache makes a rebuild process nothing again."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SITE_YAML, CliResult, story
from PIL import Image

GPS_TAG, MAKE, MODEL, ARTIST, COPYRIGHT, ORIENTATION = 0x8825, 0x010F, 0x0110, 0x013B, 0x8298, 0x0112
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Jane Owner"/></rdf:RDF>'
       b"</x:xmpmeta>")


def phone_photo(width: int = 1200, height: int = 800) -> bytes:
    """A JPEG as a phone writes it: stored on its side with EXIF orientation 6 (turn 90° clockwise
    to view), the camera, the owner and the GPS position in EXIF, the owner again in XMP. Its
    left half is red: upright, that is the top."""
    image = Image.new("RGB", (width, height), (20, 40, 200))
    image.paste((220, 20, 20), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE], exif[MODEL] = "PhoneMaker", "Pocket 12 Pro"
    exif[ARTIST], exif[COPYRIGHT] = "Jane Owner", "Jane Owner 2026"
    gps = exif.get_ifd(GPS_TAG)
    gps.update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, xmp=XMP, quality=90)
    return out.getvalue()


def assert_clean(folder: Path) -> list[Path]:
    """Every image file under ``folder``, each checked for metadata; returns them."""
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".webp"):
            continue
        found.append(path)
        data = path.read_bytes()
        with Image.open(path) as image:
            assert not image.getexif(), path
            assert not {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment"} & set(image.info), path
        for marker in (b"Exif\x00\x00", b"PhoneMaker", b"Jane Owner", b"xmpmeta", b"adobe"):
            assert marker not in data, (path, marker)
    return found


def upright(path: Path) -> bool:
    """Portrait, red at the top, blue at the bottom (as ``phone_photo`` looks when turned)."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        top, bottom = rgb.getpixel((rgb.width // 2, 2)), rgb.getpixel((rgb.width // 2, rgb.height - 3))
        return rgb.height > rgb.width and top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]


#: share cards off: they are not what these tests are about, and drawing them is slow
QUICK_SITE = SITE_YAML + "share_cards: false\n"


def photo_site(make_site: Callable[..., Path]) -> Path:
    site = make_site(site_yaml=QUICK_SITE, files={
        "content/testimonials/ann.md": story(author="Ann Lee", extra="avatar: /images/ann.jpg\navatar_alt: Ann Lee\n",
                                             body="Lovely.\n\n![Our loaf on the counter](/images/loaf.jpg)\n"),
    })
    (site / "static/images").mkdir(parents=True)
    (site / "static/images/ann.jpg").write_bytes(phone_photo())
    (site / "static/images/loaf.jpg").write_bytes(phone_photo(2000, 1700))
    return site


def test_a_phone_photo_is_published_upright_with_no_metadata(make_site: Callable[..., Path],
                                                              run: Callable[..., CliResult]) -> None:
    site = photo_site(make_site)
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    images = assert_clean(site / "public")
    names = {p.relative_to(site / "public").as_posix() for p in images}
    assert {"images/loaf.jpg", "images/loaf-480w.jpg", "images/loaf-480w.webp", "images/loaf-1600w.webp"} <= names
    # a photo shown only as a face (48 px) is made at 1× and 2× of that size, no wider
    assert {n for n in names if "ann" in n} == {"images/ann.jpg", "images/ann-48w.jpg", "images/ann-48w.webp",
                                                "images/ann-96w.webp"}
    with Image.open(site / "public/images/ann.jpg") as ann:
        assert ann.size == (96, 144)
    for path in images:
        assert "images" not in path.parts or upright(path), path
    with Image.open(site / "public/images/loaf.jpg") as loaf:
        assert loaf.size == (1600, 1882)  # upright 1700 × 2000: no wider than the widest width asked for


def test_pages_get_pictures_with_widths_sizes_and_lazy_loading(make_site: Callable[..., Path],
                                                               run: Callable[..., CliResult]) -> None:
    site = photo_site(make_site)
    assert run("build", "--site", site).code == 0
    page = (site / "public/testimonials/ann/index.html").read_text()
    assert page.count("<picture>") == 2
    avatar = page[page.index("<picture>"):page.index("</picture>")]
    assert '<source type="image/webp" srcset="/images/ann-48w.webp 48w, /images/ann-96w.webp 96w"' in avatar
    assert 'alt="Ann Lee"' in avatar and 'width="48" height="48"' in avatar and 'sizes="48px"' in avatar
    assert 'loading="eager"' in avatar  # the first picture: what a reader sees first is not held back
    body = page[page.rindex("<picture>"):]
    assert 'width="1600" height="1882"' in body and 'loading="lazy"' in body
    assert 'alt="Our loaf on the counter"' in body and 'srcset="/images/loaf-160w.jpg 160w,' in body
    cards = (site / "public/testimonials/index.html").read_text()
    assert "<picture>" in cards and 'class="avatar"' in cards
    assert run("check", "--site", site).code == 0


def test_a_rebuild_processes_no_image_again(make_site: Callable[..., Path], run: Callable[..., CliResult],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    site = photo_site(make_site)
    assert run("build", "--site", site).code == 0
    before = {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file() and "images" in p.parts}

    def refuse(*args: object) -> object:
        raise AssertionError("an image was processed again")

    monkeypatch.setattr("storyforge.images.store.process", refuse)
    (site / "content/testimonials/ann.md").write_text(story(author="Ann Lee", extra="avatar: /images/ann.jpg\n",
                                                            body="Changed.\n\n![A loaf](/images/loaf.jpg)\n"))
    edited = run("build", "--site", site)
    assert edited.code == 0
    assert "content/testimonials/ann.md:5: warning: avatar: the photo has no avatar_alt" in edited.err + edited.out
    assert run("build", "--site", site).code == 0  # and one with nothing to do
    assert before == {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file() and "images" in p.parts}
    assert 'alt="A loaf"' in (site / "public/testimonials/ann/index.html").read_text()



def test_a_build_says_how_many_images_it_processed_and_a_no_op_rebuild_processes_none(
        make_site: Callable[..., Path], run: Callable[..., CliResult]) -> None:
    site = photo_site(make_site)
    cold = run("build", "--site", site, "-v")
    assert cold.code == 0 and "processed 2 of 2 images" in cold.err
    public = [p for p in (site / "public").rglob("*") if p.is_file() and "images" in p.parts]
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in public}
    again = run("build", "--site", site, "-v")
    assert again.code == 0 and "nothing changed" in again.out and "processed no image" in again.err
    assert stamps == {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in public}  # no file rewritten
    (site / "content/testimonials/ann.md").write_text(story(author="Ann Lee", extra="avatar: /images/ann.jpg\n"
                                                            "avatar_alt: Ann\n", body="![A loaf](/images/loaf.jpg)\n"))
    edited = run("build", "--site", site, "-v")
    assert edited.code == 0 and "processed 0 of 2 images" in edited.err


def test_a_face_is_made_at_its_displayed_sizes_and_a_photo_a_story_shows_at_every_width(
        make_site: Callable[..., Path], run: Callable[..., CliResult]) -> None:
    landscape = io.BytesIO()
    Image.new("RGB", (1800, 1200), (200, 30, 30)).save(landscape, "JPEG")
    site = make_site(site_yaml=QUICK_SITE, files={
        "content/testimonials/ann.md": story(author="Ann Lee", extra="avatar: /images/wide.jpg\navatar_alt: Ann\n"),
        "content/testimonials/bo.md": story(author="Bo Kay", extra="avatar: /images/both.jpg\navatar_alt: Bo\n",
                                            body="Here we are.\n\n![Bo at the counter](/images/both.jpg)\n"),
    })
    (site / "static/images").mkdir(parents=True)
    (site / "static/images/wide.jpg").write_bytes(landscape.getvalue())
    (site / "static/images/both.jpg").write_bytes(landscape.getvalue() + b"\0")
    assert run("build", "--site", site).code == 0
    names = {p.name for p in (site / "public/images").iterdir()}
    # a landscape face fills its 48 px circle: 1.5 times as wide, at 1× and 2×
    assert {n for n in names if n.startswith("wide")} == {"wide.jpg", "wide-72w.jpg", "wide-72w.webp",
                                                          "wide-144w.webp"}
    with Image.open(site / "public/images/wide.jpg") as wide:
        assert wide.size == (144, 96)
    # shown in a story's text too: every configured width
    assert {"both-160w.jpg", "both-960w.webp", "both-1600w.webp"} <= names
    with Image.open(site / "public/images/both.jpg") as both:
        assert both.size == (1600, 1067)
    page = (site / "public/testimonials/ann/index.html").read_text()
    assert 'srcset="/images/wide-72w.jpg 72w, /images/wide.jpg 144w"' in page


def test_a_changed_photo_changes_the_pages_as_a_cold_build_would(make_site: Callable[..., Path],
                                                                   run: Callable[..., CliResult],
                                                                   tmp_path: Path) -> None:
    site = photo_site(make_site)
    assert run("build", "--site", site).code == 0
    square = io.BytesIO()
    Image.new("RGB", (300, 300), (10, 120, 10)).save(square, "JPEG")
    (site / "static/images/loaf.jpg").write_bytes(square.getvalue())
    assert run("build", "--site", site).code == 0
    assert run("build", "--site", site, "--output", tmp_path / "cold", "--no-cache").code == 0
    for page in ("testimonials/ann/index.html", "images/loaf.jpg", "testimonials.json"):
        assert (site / "public" / page).read_bytes() == (tmp_path / "cold" / page).read_bytes(), page
    assert 'width="300" height="300"' in (site / "public/testimonials/ann/index.html").read_text()
    assert not (site / "public/images/loaf-480w.jpg").exists()  # no width wider than the photo


def test_the_wall_carries_the_photo(make_site: Callable[..., Path], run: Callable[..., CliResult]) -> None:
    site = photo_site(make_site)
    assert run("build", "--site", site).code == 0
    wall = json.loads((site / "public/testimonials.json").read_text())
    photo = wall["stories"][0]["photo"]
    assert photo["url"] == "https://bakery.test/images/ann.jpg"
    assert photo["alt"] == "Ann Lee" and (photo["width"], photo["height"]) == (96, 144)
    assert "https://bakery.test/images/ann-48w.webp 48w" in photo["srcset"]


def test_initials_stand_in_for_a_story_without_a_photo(make_site: Callable[..., Path],
                                                       run: Callable[..., CliResult]) -> None:
    site = make_site({"content/testimonials/bo.md": story(author="bo karlsson")}, site_yaml=QUICK_SITE)
    assert run("build", "--site", site).code == 0
    page = (site / "public/testimonials/bo/index.html").read_text()
    assert '<span class="avatar avatar-initials" aria-hidden="true">BK</span>' in page
    assert "<img" not in page.split("<main", 1)[1]


def test_an_unreadable_image_names_the_story_that_shows_it(make_site: Callable[..., Path],
                                                           run: Callable[..., CliResult]) -> None:
    site = photo_site(make_site)
    (site / "static/images/loaf.jpg").write_bytes(b"not a jpeg at all")
    result = run("build", "--site", site)
    assert result.code == 1
    assert "content/testimonials/ann.md:10: cannot read the image /images/loaf.jpg" in result.err
    assert not (site / "public").exists()


def test_a_large_image_is_warned_about(make_site: Callable[..., Path], run: Callable[..., CliResult]) -> None:
    site = photo_site(make_site)
    yaml = (site / "site.yaml").read_text() + "images:\n  warn_over_kb: 10\n  widths: [320, 640]\n"
    (site / "site.yaml").write_text(yaml)
    result = run("build", "--site", site)
    assert result.code == 0
    assert "warning: /images/loaf.jpg is a" in result.err + result.out
    with Image.open(site / "public/images/loaf.jpg") as loaf:
        assert loaf.width == 640  # the widest width asked for


def test_check_reports_images_without_dimensions(make_site: Callable[..., Path],
                                                 run: Callable[..., CliResult]) -> None:
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\n![A map](https://maps.example/m.png)\n"},
                     site_yaml=QUICK_SITE)
    assert run("build", "--site", site).code == 0
    result = run("check", "--site", site)
    assert result.code == 1
    assert "image without width and height" in result.out + result.err


# --- photos from moderation -----------------------------------------------------------------


def submission_with_photo(make_site: Callable[..., Path], run: Callable[..., CliResult],
                          show: bool, cards: bool = False) -> tuple[Path, str]:
    """A pending submission whose customer uploaded a phone photo (kept as photos/<id>.jpg), on a
    site with share cards on or off."""
    from moderation_helpers import MODERATED_SITE

    site = make_site(site_yaml=MODERATED_SITE + ("" if cards else "share_cards: false\n"))
    flags = ["--show-photo"] if show else []
    added = run("submissions", "add", "--site", site, "--story", "The rye is the best in town.", "--title",
                "Best rye", "--name", "Maya Green", "--consent", "--show-name", "first-initial",
                "--photo", "https://photos.example/maya.jpg", *flags)
    assert added.code == 0, added.err
    [path] = (site / "submissions/inbox").glob("*.json")
    data = json.loads(path.read_text())
    data["photo"] = f"photos/{data['id']}.jpg"  # as the intake service stores an upload
    path.write_text(json.dumps(data))
    (site / "submissions/photos").mkdir()
    (site / f"submissions/photos/{data['id']}.jpg").write_bytes(phone_photo())
    return site, data["id"]


def test_an_approved_photo_is_published_clean_and_withdrawn_with_its_variants(
        make_site: Callable[..., Path], run: Callable[..., CliResult]) -> None:
    site, sid = submission_with_photo(make_site, run, show=True)
    approved = run("moderate", "approve", sid, "--site", site)
    assert approved.code == 0, approved.err
    [story_file] = (site / "content/testimonials").glob("*.md")
    assert "avatar_alt: Maya G." in story_file.read_text()
    assert run("build", "--site", site).code == 0
    published = [p for p in assert_clean(site / "public") if "testimonials" in p.parts and p.suffix != ".png"]
    assert len(published) >= 3 and all(upright(p) for p in published)
    page = (site / f"public/testimonials/{story_file.stem}/index.html").read_text()
    assert f'<source type="image/webp" srcset="/testimonials/{story_file.stem}-48w.webp 48w' in page
    withdrawn = run("moderate", "withdraw", sid, "--site", site)
    assert withdrawn.code == 0, withdrawn.err
    assert list((site / "content/testimonials").iterdir()) == []
    assert run("build", "--site", site).code == 0
    assert not [p for p in (site / "public").rglob("*") if story_file.stem in p.name]


def test_a_photo_without_consent_to_show_it_stays_out_of_the_site(make_site: Callable[..., Path],
                                                                  run: Callable[..., CliResult]) -> None:
    site, sid = submission_with_photo(make_site, run, show=False)
    assert run("moderate", "approve", sid, "--site", site).code == 0
    [story_file] = (site / "content/testimonials").glob("*")
    assert "avatar" not in story_file.read_text()
    assert run("build", "--site", site).code == 0
    assert not [p for p in (site / "public").rglob("*") if p.suffix in (".jpg", ".webp")]


def test_an_iphone_heic_photo_is_published_as_jpeg_and_webp(make_site: Callable[..., Path],
                                                            run: Callable[..., CliResult]) -> None:
    heif = pytest.importorskip("pillow_heif", reason="the optional heic extra is not installed")
    heif.register_heif_opener()
    site = make_site(site_yaml=QUICK_SITE, files={
        "content/pages/about.md": "---\ntitle: About\n---\n![Our counter](/images/counter.heic)\n"})
    (site / "static/images").mkdir(parents=True)
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(photo, "HEIF", quality=80)
    (site / "static/images/counter.heic").write_bytes(photo.getvalue())
    assert run("build", "--site", site).code == 0
    page = (site / "public/about/index.html").read_text()
    assert 'src="/images/counter-640w.jpg"' in page and "/images/counter-640w.webp 640w" in page
    assert not (site / "public/images/counter.heic").exists()
    assert_clean(site / "public")


def test_the_workers_find_every_codec_a_photo_needs_imported_before_they_fork() -> None:
    # the image stage imports the codecs once, before forking: a phone photo processed afterwards
    # (a JPEG with EXIF read, JPEG and WebP written) imports nothing more, in a fresh interpreter
    import subprocess
    import sys

    script = ("import sys\nfrom storyforge.images.process import load_codecs, process\nload_codecs()\n"
              "before = set(sys.modules)\nprocess(sys.stdin.buffer.read(), '.jpg', (48, 96, 176), 80, cover=True)\n"
              "print(sorted(name for name in set(sys.modules) - before if name.startswith('PIL')))\n")
    done = subprocess.run([sys.executable, "-c", script], input=phone_photo(), capture_output=True, check=True)
    assert done.stdout.decode().strip() == "[]", done.stdout
