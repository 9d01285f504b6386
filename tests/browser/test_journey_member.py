"""First journey: a newcomer signs up, verifies, logs in, edits the profile and switches to Swahili."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _verification_link(mails: list[str]) -> str:
    for mail in reversed(mails):
        match = re.search(r"(http://[^\s]+/accounts/confirm-email/[^\s]+)", mail)
        if match:
            return match.group(1)
    raise AssertionError("no verification link in the test mailbox")


def test_signup_verify_login_profile_language(live_site, new_page):
    site, url = live_site
    page = new_page()
    page.goto(f"{url}/accounts/signup/")
    page.get_by_label("Email").first.fill("newcomer@example.com")
    page.get_by_label("Display name").fill("New Comer")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a-long-and-unusual-passphrase")
    page.get_by_label(re.compile("Password \\(again\\)|Confirm password|Password again")).fill(
        "a-long-and-unusual-passphrase")
    page.get_by_role("button", name=re.compile("Sign up", re.I)).click()
    page.wait_for_load_state()
    assert "verify" in page.content().lower() or "confirm" in page.content().lower()

    page.goto(_verification_link(site.mails()))
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    page.wait_for_load_state()

    # Confirmation logs the member in (ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION); log out and in again by hand.
    page.goto(f"{url}/account/")
    page.get_by_role("button", name="Log out").first.click()
    page.wait_for_load_state()
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a-long-and-unusual-passphrase")
    page.get_by_role("button", name=re.compile("Log in|Sign in", re.I)).click()
    page.wait_for_load_state()

    page.goto(f"{url}/account/profile/")
    page.get_by_label("Handle").fill("newcomer")
    page.get_by_label("About you").fill("I like **tea**.")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_load_state()
    page.goto(f"{url}/u/newcomer/")
    assert page.locator("h1").inner_text() == "New Comer"
    assert page.locator(".bio strong").inner_text() == "tea"

    page.get_by_label("Language").select_option("sw")
    page.get_by_role("button", name="Change").click()
    page.wait_for_load_state()
    nav = page.get_by_role("navigation", name=re.compile(".+")).first
    assert "Jukwaa" in nav.inner_text()  # "Forum" in Swahili
    assert page.locator("html").get_attribute("lang") == "sw"
