"""Titles, tags and campaigns in any script make readable web addresses: transliterated by default,
kept in their own letters with `slugs: unicode`, with the checks for reserved names and clashes."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from conftest import SITE_YAML, page_text, parse_html, story

UNICODE_YAML = SITE_YAML + "slugs: unicode\n"


def _publish(path, text: str) -> None:
    path.write_text(text.replace("draft: true", "draft: false").replace("consent:", "consent: true")
                    .replace("rating:", "rating: 5 #").replace("Customer name", "Anna K."), encoding="utf-8")


@pytest.mark.parametrize(("title", "slug"), [("Отличный сервис", "otlichnyi-servis"),
                                             ("自転車修理", "zi-zhuan-che-xiu-li")])
def test_new_testimonial_in_any_script_builds_a_page(make_site, run, monkeypatch, title, slug):
    site = make_site()
    monkeypatch.chdir(site)
    result = run("new", "testimonial", title)
    assert result.code == 0, result.err
    assert result.out.strip() == f"content/testimonials/{slug}.md"
    built = run("build", "--drafts")
    assert built.code == 0, built.err
    page = site / "public" / "testimonials" / slug / "index.html"
    assert title in page_text(page.read_bytes())


@pytest.mark.parametrize("title", ["Отличный сервис", "自転車修理"])
def test_unicode_slugs_keep_the_title_letters_and_the_site_links_and_checks(make_site, run, monkeypatch, title):
    site = make_site(site_yaml=UNICODE_YAML)
    monkeypatch.chdir(site)
    result = run("new", "testimonial", title)
    assert result.code == 0, result.err
    slug = title.lower().replace(" ", "-")
    assert result.out.strip() == f"content/testimonials/{slug}.md"
    path = site / result.out.strip()
    _publish(path, path.read_text(encoding="utf-8").replace("tags: []", "tags: [Велосипеды]"))
    built = run("build")
    assert built.code == 0, built.err
    assert title in page_text((site / "public" / "testimonials" / slug / "index.html").read_bytes())
    listing = parse_html((site / "public" / "testimonials" / "index.html").read_bytes())
    assert f"/testimonials/{slug}/" in {unquote(value) for _, _, value in listing.links}
    checked = run("check")
    assert checked.code == 0, checked.out + checked.err


def test_a_tag_in_cyrillic_gets_its_own_page(make_site, run) -> None:
    site = make_site({"content/testimonials/a.md": story(extra="tags: [Велосипеды, Ремонт]\n"),
                      "content/testimonials/b.md": story(title="Другой", extra="tags: [ремонт]\n")})
    built = run("build", "--site", site)
    assert built.code == 0, built.err
    assert (site / "public" / "tags" / "velosipedy" / "index.html").exists()
    repair = page_text((site / "public" / "tags" / "remont" / "index.html").read_bytes())
    assert "Lovely bread" in repair and "Другой" in repair  # 'Ремонт' and 'ремонт' share one page


def test_titles_that_transliterate_alike_get_distinct_campaign_addresses(make_site, run):
    update = "---\ntitle: {t}\ndate: 2026-03-0{d}\ncampaign: {c}\n---\nUpdate.\n"
    site = make_site({"content/charity/a.md": update.format(t="Один", d=1, c="Школа"),
                      "content/charity/b.md": update.format(t="Два", d=2, c="Shkola")})
    built = run("build", "--site", site)
    assert built.code == 0, built.err
    assert (site / "public" / "charity" / "campaigns" / "shkola" / "index.html").exists()
    assert (site / "public" / "charity" / "campaigns" / "shkola-2" / "index.html").exists()


def test_a_file_name_that_transliterates_to_a_reserved_name_is_refused(make_site, run) -> None:
    site = make_site({"content/testimonials/кон.md": story(), "content/testimonials/прн.md": story()})
    built = run("build", "--site", site)
    assert built.code == 1
    assert "кон.md" not in built.err  # 'кон' → 'kon' is no device name
    assert "('prn' is a reserved device name on Windows)" in built.err


def test_titles_in_two_scripts_that_make_one_address_are_a_clash(make_site, run) -> None:
    site = make_site({"content/testimonials/Отличный.md": story(), "content/testimonials/otlichnyi.md": story()})
    built = run("build", "--site", site)
    assert built.code == 1
    assert "/testimonials/otlichnyi/" in built.err


def test_ascii_titles_keep_the_addresses_they_always_had(make_site, run, monkeypatch):
    site = make_site(site_yaml=UNICODE_YAML)
    monkeypatch.chdir(site)
    assert run("new", "page", "Don't miss: 1,500 & more!").out.strip() == "content/pages/don-t-miss-1-500-more.md"


def test_slugs_setting_is_checked(make_site, run):
    site = make_site(site_yaml=SITE_YAML + "slugs: cyrillic\n")
    built = run("build", "--site", site)
    assert built.code != 0
    assert "site.yaml:7: slugs: expected ascii" in built.err


def test_the_sitemap_lists_unicode_addresses_percent_encoded(make_site, run):
    page = "---\ntitle: Цены\n---\nЦены на хлеб.\n"  # noqa: RUF001 - Cyrillic on purpose
    site = make_site({"content/pages/цены.md": page}, site_yaml=UNICODE_YAML)
    built = run("build", "--site", site)
    assert built.code == 0, built.err
    assert (site / "public" / "цены" / "index.html").exists()
    sitemap = (site / "public" / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://bakery.test/%D1%86%D0%B5%D0%BD%D1%8B/</loc>" in sitemap
