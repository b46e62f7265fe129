"""A content type registered from outside works end to end without editing storyforge: its files
are found, validated and published with a list page and a feed, `storyforge new` writes one, and
the build summary counts its pages under its own name."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import feedparser
import pytest
from conftest import CliResult, page_text

from storyforge.core.content_types import (
    ContentType,
    all_types,
    by_folder,
    by_name,
    common_front_matter,
    register,
    type_names,
    unregister,
)
from storyforge.core.entries import Entry
from storyforge.core.fields import COMMON, FieldSpec, whole_number

BUILT_IN = ("testimonial", "event", "charity", "alert", "page")
Run = Callable[..., CliResult]
MakeSite = Callable[..., Path]


@dataclass(kw_only=True, slots=True)
class Recipe(Entry):
    """A recipe: an entry that also says how many people it feeds."""

    serves: int

    @property
    def kind_label(self) -> str:
        return "Recipe"


def _new_recipe(title: str, now: datetime) -> str:
    return common_front_matter(title, now) + "serves: 4   # how many people it feeds\n"


RECIPE = ContentType(
    name="recipe", folder="recipes", url_prefix="/recipes/", title="Recipes", entry_class=Recipe,
    fields={**COMMON, "serves": FieldSpec(whole_number, required=True, help="how many people it feeds")},
    template="recipe.html", page_kind="entry", summary_name="recipes", new_front_matter=_new_recipe,
    list_template="recipes.html")

#: the type's own templates, in the site's templates/ folder (the theme knows nothing of recipes)
TEMPLATES = {
    "templates/recipe.html": """\
        {% extends "base.html" %}
        {% block content %}
        <article class="recipe"><h1>{{ entry.title }}</h1>
        <p class="serves">Serves {{ entry.serves }}</p>
        {{ entry.html | safe }}</article>
        {% endblock %}
        """,
    "templates/recipes.html": """\
        {% extends "base.html" %}
        {% block content %}
        <h1>{{ page.title }}</h1>
        <ul class="recipes">
        {% for recipe in entries %}<li><a href="{{ url(recipe.url) }}">{{ recipe.title }}</a></li>{% endfor %}
        </ul>
        {% endblock %}
        """,
}
RECIPES = {
    "content/recipes/sourdough.md": """\
        ---
        title: Sourdough loaf
        date: 2026-03-01
        serves: 6
        tags: [baking]
        ---
        Feed the starter the night before.
        """,
    "content/recipes/lemon-tart.md": """\
        ---
        title: Lemon tart
        date: 2026-04-01
        serves: 8
        ---
        Blind-bake the case first.
        """,
}


@pytest.fixture
def recipe_type() -> Iterator[ContentType]:
    """The recipe type, registered for one test and removed afterwards, so other tests see only the built-in five."""
    register(RECIPE)
    try:
        yield RECIPE
    finally:
        unregister(RECIPE.name)
    assert type_names() == BUILT_IN


def _summary_counts(summary: str) -> dict[str, int]:
    """'built 12 pages (home 1, recipes 3, …), …' → {'home': 1, 'recipes': 3, …}."""
    found = re.search(r"built \d+ pages \(([^)]*)\)", summary)
    assert found, summary
    return {name: int(count) for name, count in (part.rsplit(" ", 1) for part in found.group(1).split(", "))}


def test_the_built_in_types_are_registered_in_order() -> None:
    assert type_names() == BUILT_IN
    assert [row.folder for row in all_types()] == ["testimonials", "events", "charity", "alerts", "pages"]
    assert by_folder("alerts") is by_name("alert") and by_folder("recipes") is None
    assert by_name("page").url_prefix == "/" and by_name("testimonial").page_kind == "story"


def test_a_registered_type_is_published_with_its_pages_list_and_feed(recipe_type: ContentType, make_site: MakeSite,
                                                                      run: Run) -> None:
    # the theme's navigation does not know the type: a menu page links to its list, as a site would
    menu = "---\ntitle: Cookbook\nmenu: true\n---\n[All our recipes](/recipes/)\n"
    site = make_site({**TEMPLATES, **RECIPES, "content/pages/cookbook.md": menu})
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    public = site / "public"

    sourdough = page_text((public / "recipes/sourdough/index.html").read_bytes())
    assert "Sourdough loaf" in sourdough and "Serves 6" in sourdough and "Feed the starter" in sourdough
    assert "Serves 8" in page_text((public / "recipes/lemon-tart/index.html").read_bytes())

    listing = (public / "recipes/index.html").read_text()
    assert re.findall(r'<li><a href="/recipes/([a-z-]+)/">', listing) == ["lemon-tart", "sourdough"]  # newest first
    assert 'href="/recipes/feed.xml"' in listing  # the list page announces its feed

    feed = feedparser.parse((public / "recipes/feed.xml").read_bytes())
    assert not feed.bozo
    assert [item.title for item in feed.entries] == ["Lemon tart", "Sourdough loaf"]
    assert [item.link for item in feed.entries] == ["https://bakery.test/recipes/lemon-tart/",
                                                    "https://bakery.test/recipes/sourdough/"]
    assert "Blind-bake the case first." in feed.entries[0].content[0].value

    # and like every other entry: in the site-wide feed, on its tag's page and in the sitemap
    assert "Sourdough loaf" in [item.title for item in feedparser.parse((public / "feed.xml").read_bytes()).entries]
    assert "/recipes/sourdough/" in (public / "tags/baking/index.html").read_text()
    sitemap = (public / "sitemap.xml").read_text()
    assert "https://bakery.test/recipes/</loc>" in sitemap and "https://bakery.test/recipes/sourdough/" in sitemap

    checked = run("check", "--site", site)  # links, feeds and sitemap of the built site all hold together
    assert checked.code == 0, checked.out + checked.err


def test_site_defaults_apply_to_a_registered_type(recipe_type: ContentType, make_site: MakeSite, run: Run) -> None:
    from conftest import SITE_YAML

    site = make_site({**TEMPLATES, "content/recipes/soup.md": "---\ntitle: Soup\n---\nStir.\n"},
                     site_yaml=SITE_YAML + "defaults:\n  recipe:\n    serves: 2\n")
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    assert "Serves 2" in page_text((site / "public/recipes/soup/index.html").read_bytes())


def test_an_unknown_key_in_a_registered_type_is_reported_at_its_line(recipe_type: ContentType, make_site: MakeSite,
                                                                     run: Run) -> None:
    site = make_site({**TEMPLATES, "content/recipes/soup.md": "---\ntitle: Soup\nserve: 4\n---\nStir.\n"})
    result = run("build", "--site", site)
    assert result.code == 1
    assert ("content/recipes/soup.md:3: serve: unknown key for a recipe (did you mean 'serves'?); "
            "put your own keys under 'extra:'") in result.err
    assert not (site / "public").exists()


def test_new_writes_a_file_of_a_registered_type_that_builds(recipe_type: ContentType, make_site: MakeSite, run: Run,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site(TEMPLATES)
    monkeypatch.chdir(site)
    result = run("new", "recipe", "Plum Crumble")
    assert result.code == 0, result.err
    assert result.out.strip() == "content/recipes/plum-crumble.md"
    assert (site / "content/recipes/plum-crumble.md").read_text().startswith('---\ntitle: "Plum Crumble"\n')
    built = run("build", "--drafts")
    assert built.code == 0, built.err
    assert "Serves 4" in page_text((site / "public/recipes/plum-crumble/index.html").read_bytes())


def test_new_offers_only_registered_types(make_site: MakeSite, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(make_site())
    result = run("new", "recipe", "Plum Crumble")
    assert result.code == 2
    assert "invalid choice: 'recipe'" in result.err
    assert "'testimonial', 'event', 'charity', 'alert', 'page'" in result.err


def test_the_summary_counts_a_registered_type_under_its_own_name(recipe_type: ContentType, make_site: MakeSite,
                                                                  run: Run) -> None:
    site = make_site({**TEMPLATES, **RECIPES, "content/pages/about.md": "---\ntitle: About\n---\nHello.\n"})
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    counts = _summary_counts(result.out)
    assert counts["recipes"] == 3  # two recipes and their list page
    assert counts["pages"] == 4  # the about page and the three built-in pages; no recipe among them
    assert list(counts)[:5] == ["home", "testimonials", "events", "alerts", "recipes"]  # no charity work, no page


def test_a_type_the_program_could_not_use_is_refused(recipe_type: ContentType) -> None:
    with pytest.raises(ValueError, match="folder 'recipes' is already used by 'recipe'"):
        register(replace(RECIPE, name="dish"))
    with pytest.raises(ValueError, match="url_prefix '/testimonials/' is already used by 'testimonial'"):
        register(replace(RECIPE, name="dish", folder="dishes", url_prefix="/testimonials/"))
    with pytest.raises(ValueError, match="page_kind must be one of entry, event, story"):
        replace(RECIPE, page_kind="recipe")
    with pytest.raises(ValueError, match="missing title"):
        replace(RECIPE, fields={key: spec for key, spec in RECIPE.fields.items() if key != "title"})
    with pytest.raises(ValueError, match="Recipe has no field for cost"):
        replace(RECIPE, fields={**RECIPE.fields, "cost": FieldSpec(whole_number)})
    assert type_names() == (*BUILT_IN, "recipe")


def test_init_writes_a_sample_of_a_registered_type(recipe_type: ContentType, tmp_path: Path, run: Run) -> None:
    site = tmp_path / "kitchen"
    made = run("init", site, "--name", "Plum Kitchen", "--url", "https://plum.example/")
    assert made.code == 0, made.err
    assert "serves: 4" in (site / "content/recipes/sample-recipe.md").read_text()
    for rel, text in TEMPLATES.items():  # the type's templates are the site's business, as above
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text.replace("\n        ", "\n").strip() + "\n")
    built = run("build", "--site", site)
    assert built.code == 0, built.err
    assert "This is a sample recipe" in page_text((site / "public/recipes/sample-recipe/index.html").read_bytes())
