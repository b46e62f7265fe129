"""The desk's pages pass the same gates as the site's: the Nu HTML Checker and axe-core in light
and dark colour schemes, with the example's pending stories on them, and a mapping to confirm."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, copy_example
from desk_helpers import DESK, Running, running_desk
from test_gates import axe_findings, browser, nu_errors  # noqa: F401 - browser is the gates' fixture

pytestmark = pytest.mark.gate

EXPORT = Path(__file__).parent / "data/exports/google-forms.csv"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    site = copy_example(tmp_path_factory.mktemp("desk") / "example")
    shutil.copytree(REPO / "submissions", site / "submissions")  # the example's pending stories
    with running_desk(site) as running:
        yield running


def pages(desk: Running) -> dict[str, str]:
    """Each desk page's address → its HTML, the import's mapping (the answer to a POST) included."""
    sid = re.search(r'id="s-([0-9a-f]+)"', desk.get(DESK + "/").body).group(1)
    found = {path: desk.get(DESK + path).body for path in ("/", "/published", "/add", "/import", f"/edit/{sid}")}
    found["/import (mapping)"] = desk.upload("/import", "google-forms.csv", EXPORT.read_bytes()).body
    return found


def test_gate_nu_html_checker_finds_no_errors_on_the_desk(desk, tmp_path):
    for number, (path, html) in enumerate(pages(desk).items()):
        assert "<!doctype html>" in html, path
        (tmp_path / f"desk-{number}.html").write_text(html, encoding="utf-8")
    assert nu_errors(tmp_path)[tmp_path] == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_gate_axe_finds_no_serious_or_critical_violations_on_the_desk(desk, browser, scheme, tmp_path):  # noqa: F811
    paths = [DESK + path for path in pages(desk) if "(" not in path]
    failing, _ = axe_findings(browser, desk.origin, tmp_path, paths, scheme)
    assert failing == []


def test_the_desk_is_readable_at_390_pixels(desk, browser):  # noqa: F811
    browser.set_window_size(390, 900)
    try:
        for path in ("/", "/published", "/add", "/import"):
            browser.get(desk.origin + DESK + path)
            wide: Any = browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert wide <= 0, f"{path} scrolls sideways by {wide} px at 390 px"
    finally:
        browser.set_window_size(1280, 900)
