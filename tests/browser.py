"""Debian's headless Chromium through Debian's chromedriver (never a downloaded one), for the
tests that look at pages in a real browser, and for benchmarks/bench_serve.py.

Without the browser, selenium or chromedriver a test is skipped, except in CI (``CI=true``),
where it fails: ``.ci/run`` installs them, so CI must run these tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_SECONDS = 30  # a wait, not a time limit: a busy machine (two test workers) takes longer
#: the machine has no network but the package registries: no background traffic, no sandbox as root
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")


def missing(reason: str) -> None:
    """Skip the test, or fail it in CI, where the tools must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} — CI must run this test (.ci/run installs what it needs)")
    pytest.skip(reason)


def start_chromium(profile: Path, *flags: str) -> Any:
    """A Chromium session with a fresh profile folder and any extra command-line ``flags``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, *flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def chromium_session(tmp_path_factory: pytest.TempPathFactory, *flags: str, page_load_timeout: float = WAIT_SECONDS,
                     script_timeout: float | None = None) -> Iterator[Any]:
    """For a module fixture: ``yield from chromium_session(tmp_path_factory)``."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing("selenium is not installed (pip install -e '.[test]')")
    for program in (CHROMIUM, CHROMEDRIVER):
        if not program.exists():
            missing(f"{program} is missing (apt-get install chromium chromium-driver)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    driver = start_chromium(profile, *flags)
    driver.set_page_load_timeout(page_load_timeout)
    if script_timeout is not None:
        driver.set_script_timeout(script_timeout)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
