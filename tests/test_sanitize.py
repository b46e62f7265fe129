"""Customer text is never trusted as HTML, never run as a template."""

from __future__ import annotations

import pytest
from conftest import executable_payloads, feed_html, payloads_in_output, story

HOSTILE_BODY = """\
Hello <script>alert('body')</script> there.

<img src="x.jpg" onerror="alert('img')"> <a href="javascript:alert('link')">click</a>
<a href="data:text/html;base64,PHNjcmlwdD4=">data</a> <iframe src="https://evil.test/"></iframe>
<svg onload="alert('svg')"></svg> <div style="background:url(javascript:alert(1))">styled</div>

[md link](javascript:alert('md')) and {{ site.title }} and {% raw %}x{% endraw %}
"""


def test_hostile_body_and_front_matter_are_published_inert(make_site, run):
    site = make_site({"content/testimonials/x.md": story(
        title="<script>alert('title')</script>",
        author="<img src=x onerror=alert('author')>",
        extra="location: \"{{ 7 * 7 }}\"\nresponse: \"<script>alert('reply')</script> thanks\"\n"
              "tags: [\"<b>bold</b>\"]\n",
        body=HOSTILE_BODY)})
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    assert payloads_in_output(site / "public") == []
    page = (site / "public/testimonials/x/index.html").read_text()
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page  # shown as text
    assert "{{ 7 * 7 }}" in page and "49" not in page  # never run as a template
    assert "{{ site.title }}" in page
    assert "Hello  there." in page or "Hello there." in page


def test_raw_html_in_pages_only_with_the_switch(make_site, run):
    files = {"content/pages/map.md": '---\ntitle: Map\n---\n<div class="map" data-x="1">Map here</div>\n'
                                     "<script>window.ok = 1</script>\n"}
    site = make_site(files)
    run("build", "--site", site)
    page = (site / "public/map/index.html").read_text()
    assert 'class="map"' not in page and "<script>window.ok" not in page
    trusting = make_site(files, site_yaml="title: T\nbase_url: https://t.test/\nmarkdown:\n"
                                          "  allow_raw_html_in_pages: true\n")
    run("build", "--site", trusting)
    page = (trusting / "public/map/index.html").read_text()
    assert '<div class="map" data-x="1">' in page and "<script>window.ok = 1</script>" in page


def test_raw_html_switch_never_covers_testimonials(make_site, run):
    site = make_site({"content/testimonials/x.md": story(body="<script>alert(1)</script>Hi")},
                     site_yaml="title: T\nbase_url: https://t.test/\nmarkdown:\n  allow_raw_html_in_pages: true\n")
    run("build", "--site", site)
    assert "<script>alert(1)" not in (site / "public/testimonials/x/index.html").read_text()


@pytest.mark.parametrize("address", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
                                     " javascript:alert(1)", "data:text/html,<script>", "vbscript:msgbox"])
def test_script_addresses_in_front_matter_are_refused(make_site, run, address):
    site = make_site({"content/testimonials/x.md": story(extra=f"avatar: {address!r}\n".replace("'", '"'))})
    result = run("build", "--site", site)
    assert result.code == 1
    assert "content/testimonials/x.md:5: avatar:" in result.err


def test_markdown_features(make_site, run):
    body = ("## Our \"favourite\" cakes\n\n| Cake | Price |\n|---|---|\n| Lemon | £3 |\n\n"
            "It's lovely[^1].\n\n[^1]: Really.\n")
    site = make_site({"content/pages/menu.md": f"---\ntitle: Menu\n---\n{body}"})
    run("build", "--site", site)
    page = (site / "public/menu/index.html").read_text()
    assert '<h2 id="our-favourite-cakes">Our “favourite” cakes</h2>' in page
    assert "<table>" in page and "<td>Lemon</td>" in page
    assert "It’s lovely" in page
    assert 'class="footnote"' in page and 'id="fn:1"' in page


def test_the_payload_finder_sees_the_raw_payloads():
    """Guards the checks above: unsanitized, the same text is caught."""
    found = executable_payloads(HOSTILE_BODY)
    assert {"<script>", "img onerror=", "a href=javascript:alert('link')", "<iframe>", "<svg>"} <= set(found)


def test_the_feed_check_sees_a_payload_inside_a_feed():
    """Guards payloads_in_output: HTML carried escaped inside a feed is decoded and checked."""
    feed = (b"<rss><channel><item><description>&lt;img src=x onerror=alert(1)&gt;</description>"
            b"</item></channel></rss>")
    assert [executable_payloads(html) for html in feed_html(feed)] == [["img onerror="]]
