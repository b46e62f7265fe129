"""Front matter and site.yaml load the same with libyaml's loader and the pure-Python one."""

from __future__ import annotations

import pytest
from conftest import REPO

from storyforge.core.yaml_source import HAVE_LIBYAML, load_mapping
from storyforge.errors import FrontMatterError

SAMPLES = sorted((REPO / "content").rglob("*.md"))


@pytest.mark.skipif(not HAVE_LIBYAML, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_c_and_python_loaders_agree(path):
    text = path.read_text(encoding="utf-8").split("---\n")[1]
    fast = load_mapping(text, path.name, FrontMatterError, first_line=2)
    slow = load_mapping(text, path.name, FrontMatterError, first_line=2, pure_python=True)
    assert (fast.data, fast.lines, fast.raw) == (slow.data, slow.lines, slow.raw)


@pytest.mark.parametrize("pure", [False, True])
def test_dates_stay_text_and_aliases_are_refused(pure):
    loaded = load_mapping("date: 2026-05-01\nwhen: 2026-05-01 10:00\n", "x.md", FrontMatterError, pure_python=pure)
    assert loaded.data == {"date": "2026-05-01", "when": "2026-05-01 10:00"}
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b, *b]\n"
    with pytest.raises(FrontMatterError, match="anchors and aliases"):
        load_mapping(bomb, "x.md", FrontMatterError, pure_python=pure)
