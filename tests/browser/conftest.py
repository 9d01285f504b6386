"""Browser tests: Playwright driving Debian's chromium (never Playwright's own download)."""

from __future__ import annotations

import os
import re
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


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One Chromium per module: Playwright's sync API keeps an event loop running in this thread while it
    lives, so it must be gone before other modules (websocket clients, asyncio.run) use their own loops."""
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
        options.setdefault("viewport", {"width": 1200, "height": 900})
        context = browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield make
    for index, context in enumerate(contexts):
        for page in context.pages:
            page.screenshot(path=str(artifacts / f"{request.node.name}-{index}.png"), full_page=True)
        context.close()


PASSWORD = "browser-test-passphrase"

MAKE_MEMBER = """
from allauth.account.models import EmailAddress
from accounts.models import MemberSettings, User
from accounts.roles import Role, add_role, ensure_roles
from accounts.validation import handle_skeleton
ensure_roles()
user = User.objects.filter(email={email!r}).first()
if user is None:
    user = User.objects.create_user({email!r}, {password!r}, handle={handle!r},
        handle_skeleton=handle_skeleton({handle!r}), display_name={name!r}, is_staff={staff!r},
        is_superuser={staff!r}, date_joined=__import__("django.utils.timezone").utils.timezone.now()
        - __import__("datetime").timedelta(days=30))
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    MemberSettings.objects.create(user=user)
    add_role(user, Role.MEMBER)
    if {role!r}:
        add_role(user, Role({role!r}))
print(user.pk)
"""


def make_member(site: LiveSite, handle: str, *, name: str | None = None, role: str | None = None,
                staff: bool = False) -> int:
    """A verified member on the live site (role: a Role value such as "Community manager")."""
    out = site.shell(MAKE_MEMBER.format(email=f"{handle}@example.com", password=PASSWORD, handle=handle,
                                        name=name or handle.title(), role=role, staff=staff))
    return int(out.strip().splitlines()[-1])


def log_in(page, url: str, handle: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Email").fill(f"{handle}@example.com")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Log in|Sign in", re.I)).click()
    page.wait_for_load_state()
    assert "/accounts/login" not in page.url, f"login failed for {handle}"
