"""Browser tests: Playwright driving Debian's chromium (never Playwright's own download)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.livesite import ROOT, LiveSite

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Debian's chromium is not installed: run `make browser-deps`.")
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def live_site(tmp_path_factory) -> Iterator[tuple[LiveSite, str]]:
    site = LiveSite.create(tmp_path_factory.mktemp("site"), redis_url=os.environ.get("REDIS_URL"))
    url = site.start()
    yield site, url
    site.close()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, artifacts, request):
    """Pages in fresh contexts (separate cookies); each gets a screenshot at the end of the test."""
    contexts = []

    def make(**options):
        context = browser.new_context(viewport={"width": 1200, "height": 900}, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for index, context in enumerate(contexts):
        for page in context.pages:
            page.screenshot(path=str(artifacts / f"{request.node.name}-{index}.png"), full_page=True)
        context.close()
