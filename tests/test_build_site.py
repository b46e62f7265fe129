"""Small sites built in tmp_path: each content type, drafts, overrides, static files."""

from __future__ import annotations

from conftest import page_text, parse_html, snapshot, story

STORIES = {
    "content/testimonials/happy.md": story("Best bread in town", "Priya S.",
                                           "rating: 5\nfeatured: true\ntags: [sourdough, Bread]\n"
                                           "incentive: Received a free loaf for sharing this story\n"),
    "content/testimonials/grumpy.md": story("Late cake", "Tom W.",
                                            "rating: 2\nrelationship: Employee\nresponse: |\n  Sorry, Tom — "
                                            "*we've changed our rota*.\n", body="The cake came late."),
    "content/testimonials/unrated.md": story("No stars from me", "Anon"),
}


def test_testimonial_page_shows_story_labels_and_reply(make_site, run):
    site = make_site(STORIES)
    assert run("build", "--site", site).code == 0
    html = (site / "public/testimonials/grumpy/index.html").read_text()
    text = page_text(html)
    assert "Late cake" in text and "The cake came late." in text
    assert "Connection: Employee" in text
    assert 'aria-label="Rated 2 out of 5"' in html
    assert "Reply from Test Bakery Ltd" in text
    assert "<em>we’ve changed our rota</em>" in html
    happy = page_text((site / "public/testimonials/happy/index.html").read_bytes())
    assert "Disclosure: Received a free loaf for sharing this story" in happy
    assert "Hand-picked by us" in happy


def test_rating_summary_averages_all_published_ratings(make_site, run):
    site = make_site(STORIES)
    run("build", "--site", site)
    home = page_text((site / "public/index.html").read_bytes())
    assert "3.5 out of 5, the average of all 2 rated stories" in home
    assert "Best bread in town" in home  # featured


def test_events_upcoming_first_then_past(make_site, run, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")  # 2026-05-28
    site = make_site({
        "content/events/old.md": "---\ntitle: Spring fair\nstart: 2026-04-01 10:00\n---\nWas fun.\n",
        "content/events/soon.md": "---\ntitle: Summer fair\nstart: 2026-07-01\nend: 2026-07-02\n"
                                  "location: The green\ncost: Free\n---\nCome along.\n",
        "content/events/later.md": "---\ntitle: Harvest supper\nstart: 2026-09-20 18:30\nstatus: postponed\n"
                                   "---\nNew date soon.\n",
    })
    assert run("build", "--site", site).code == 0
    text = page_text((site / "public/events/index.html").read_bytes())
    assert text.index("Upcoming") < text.index("Summer fair") < text.index("Harvest supper") \
        < text.index("Past events") < text.index("Spring fair")
    event = page_text((site / "public/events/soon/index.html").read_bytes())
    assert "Wednesday 1 July 2026 to Thursday 2 July 2026 (all day)" in event
    assert "Where The green" in event and "Cost Free" in event
    assert "This event is postponed." in page_text((site / "public/events/later/index.html").read_bytes())


def test_event_times_are_read_in_the_site_timezone(make_site, run):
    site = make_site({"content/events/e.md": "---\ntitle: Carols\nstart: 2026-12-17 18:00\n---\nSing.\n"})
    run("build", "--site", site)
    html = (site / "public/events/e/index.html").read_text()
    assert 'datetime="2026-12-17T18:00:00+00:00"' in html
    site_summer = make_site({"content/events/e.md": "---\ntitle: Fete\nstart: 2026-07-17 18:00\n---\nSun.\n"})
    run("build", "--site", site_summer)
    assert 'datetime="2026-07-17T18:00:00+01:00"' in (site_summer / "public/events/e/index.html").read_text()


def test_charity_groups_updates_by_campaign_with_progress(make_site, run):
    update = "---\ntitle: {t}\ndate: {d}\ncampaign: {c}\ngoal: 2000\nraised: {r}\ncurrency: GBP\n---\nNews.\n"
    site = make_site({
        "content/charity/a1.md": update.format(t="Coat drive begins", d="2026-10-01", c="Coat Drive", r=400),
        "content/charity/a2.md": update.format(t="Halfway there", d="2026-11-01", c="Coat Drive", r=1000),
        "content/charity/b1.md": update.format(t="Larder full", d="2026-06-01", c="Larder", r=2500),
    })
    assert run("build", "--site", site).code == 0
    html = (site / "public/charity/index.html").read_text()
    text = page_text(html)
    assert '<progress max="100" value="50"' in html
    assert "£1,000 raised of £2,000 (50%)" in text
    assert "£2,500 raised of £2,000 (100%) — goal reached" in text
    assert text.index("Coat drive begins") < text.index("Halfway there")
    assert 'id="coat-drive"' in html
    assert (site / "public/charity/a2/index.html").exists()


def test_pages_get_their_own_address_and_menu(make_site, run):
    site = make_site({
        "content/pages/about.md": "---\ntitle: About us\nmenu: true\n---\nWe bake.\n",
        "content/pages/privacy.md": "---\ntitle: Privacy\n---\nWe keep little.\n",
    })
    assert run("build", "--site", site).code == 0
    home = parse_html((site / "public/index.html").read_bytes())
    hrefs = [value for tag, _, value in home.links if tag == "a"]
    assert "/about/" in hrefs and "/privacy/" in hrefs
    assert "We bake." in page_text((site / "public/about/index.html").read_bytes())


def test_tags_pages_list_everything_tagged(make_site, run):
    site = make_site(STORIES)
    run("build", "--site", site)
    tags = page_text((site / "public/tags/index.html").read_bytes())
    assert "sourdough (1)" in tags and "Bread (1)" in tags
    assert "Best bread in town" in page_text((site / "public/tags/sourdough/index.html").read_bytes())


def test_testimonials_are_paginated(make_site, run):
    files = {f"content/testimonials/s{n:02}.md": story(f"Story {n:02}", extra=f"date: 2026-01-{n:02}\n")
             .replace("date: 2026-03-01\n", "") for n in range(1, 24)}
    site = make_site(files, site_yaml="title: T\nbase_url: https://t.test/\npagination:\n  per_page: 10\n")
    assert run("build", "--site", site).code == 0
    first = page_text((site / "public/testimonials/index.html").read_bytes())
    assert "Story 23" in first and "Story 13" not in first and "Page 1 of 3" in first
    third = page_text((site / "public/testimonials/page/3/index.html").read_bytes())
    assert "Story 01" in third and "Story 03" in third and "Story 04" not in third


def test_drafts_appear_nowhere_without_the_flag(make_site, run):
    site = make_site({
        "content/testimonials/live.md": story("Live story", extra="tags: [cakes]\n"),
        "content/testimonials/wip.md": story("Secret draft", extra="draft: true\ntags: [secret-tag]\n"),
    })
    result = run("build", "--site", site)
    assert "1 draft left out" in result.out
    everything = b"".join(snapshot(site / "public").values())
    assert b"Secret draft" not in everything and b"secret-tag" not in everything and b"/wip/" not in everything
    assert run("build", "--site", site, "--drafts").code == 0
    draft_page = (site / "public/testimonials/wip/index.html").read_text()
    assert "Secret draft" in draft_page and "label-draft" in draft_page
    assert b"/testimonials/wip/" in (site / "public/sitemap.xml").read_bytes()


def test_withheld_without_consent(make_site, run):
    site = make_site({"content/testimonials/no.md": story("Please remove", extra="consent: false\n")})
    result = run("build", "--site", site, "-v")
    assert "1 withheld without consent" in result.out
    assert "content/testimonials/no.md: withheld — consent: false" in result.err
    assert not (site / "public/testimonials/no").exists()


def test_site_templates_and_static_override_the_theme_file_by_file(make_site, run):
    site = make_site({
        "content/pages/about.md": "---\ntitle: About\n---\nHi\n",
        "templates/page.html": "{% extends 'base.html' %}{% block content %}<p>OWN PAGE {{ entry.title }}</p>"
                               "{% endblock %}",
        "static/css/style.css": "body { color: black } /* site's own */",
        "static/robots-extra.txt": "hello",
    })
    assert run("build", "--site", site).code == 0
    assert "OWN PAGE About" in (site / "public/about/index.html").read_text()
    assert "Skip to content" in (site / "public/about/index.html").read_text()  # theme's base.html still used
    assert (site / "public/css/style.css").read_text() == "body { color: black } /* site's own */"
    assert (site / "public/images/favicon.svg").exists()  # untouched theme file still copied
    assert (site / "public/robots-extra.txt").read_text() == "hello"


def test_content_assets_are_copied_beside_their_pages(make_site, run):
    site = make_site({"content/testimonials/a.md": story(body="![Our cake](cake.txt)"),
                      "content/testimonials/cake.txt": "pretend image"})
    assert run("build", "--site", site).code == 0
    assert (site / "public/testimonials/cake.txt").read_text() == "pretend image"


def test_output_and_base_url_flags(make_site, run, tmp_path):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n"})
    out = tmp_path / "elsewhere"
    assert run("build", "--site", site, "--output", out, "--base-url", "https://staging.test/shop").code == 0
    html = (out / "about/index.html").read_text()
    assert 'href="https://staging.test/shop/about/"' in html  # canonical
    assert 'href="/shop/css/style.css"' in html
    assert not (site / "public").exists()


def test_quiet_prints_nothing(make_site, run):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n"})
    result = run("build", "--site", site, "-q")
    assert (result.code, result.out, result.err) == (0, "", "")


def test_refuses_to_replace_a_folder_it_did_not_make(make_site, run, tmp_path):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n"})
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    result = run("build", "--site", site, "--output", precious)
    assert result.code == 1
    assert "exists and was not made by storyforge" in result.err
    assert (precious / "thesis.txt").read_text() == "years of work"


def test_site_paths_in_markdown_follow_a_base_url_with_a_sub_path(make_site, run):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nSee [our events](/events/) and "
                                                "![the shop](/images/shop.jpg) or [elsewhere](https://x.test/a).\n"},
                     site_yaml="title: T\nbase_url: https://t.test/shop/\n")
    assert run("build", "--site", site).code == 0
    page = (site / "public/about/index.html").read_text()
    assert 'href="/shop/events/"' in page and 'src="/shop/images/shop.jpg"' in page
    assert 'href="https://x.test/a"' in page
    feed = (site / "public/feed.xml").read_text()
    assert "https://t.test/shop/events/" in feed
