"""Two members in two browsers (Debian chromium): replies, badge, typing and catch-up after a restart, live.

Runs with `make test-browser` (marker browser); uses Redis when REDIS_URL is set, else one process's memory.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from tests.livesite import LiveSite

pytestmark = pytest.mark.browser

SETUP = """
import json
from datetime import timedelta
from allauth.account.models import EmailAddress
from django.test import Client
from django.utils import timezone
from accounts.models import MemberSettings, User
from community.forum.actions import topic_create
from community.forum.models import Category

out = {}
for handle in ("alice", "bob"):
    user = User.objects.create_user(f"{handle}@example.com", "correct horse battery staple", handle=handle,
                                    handle_skeleton=handle, display_name=handle.title(),
                                    date_joined=timezone.now() - timedelta(days=30))
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    MemberSettings.objects.create(user=user)
    client = Client()
    client.force_login(user)
    out[handle] = client.cookies["sessionid"].value
category = Category.objects.create(name="Kitchen", slug="kitchen")
topic = topic_create(author=User.objects.get(handle="bob"), category=category, title="Which blender is best?",
                     raw="Any advice?")
out["path"] = topic.get_absolute_url()
print(json.dumps(out))
"""

REPLY_WHILE_DOWN = """
from accounts.models import User
from community.forum.actions import reply_create
from community.forum.models import Topic

reply_create(author=User.objects.get(handle="alice"), topic=Topic.objects.get(), raw="Made while the server was down.")
"""


def test_two_members_see_each_other_live_and_catch_up_after_a_restart(tmp_path):
    from playwright.sync_api import sync_playwright

    site = LiveSite.create(tmp_path / "site", redis_url=os.environ.get("REDIS_URL"))
    data = json.loads(site.shell(SETUP).strip().splitlines()[-1])
    url = site.start()
    port = int(url.rsplit(":", 1)[1])
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM") or shutil.which("chromium"), headless=True,
                args=["--no-sandbox", "--disable-gpu"])
            pages = {}
            for handle in ("alice", "bob"):
                context = browser.new_context()
                context.add_cookies([{"name": "sessionid", "value": data[handle], "url": url}])
                pages[handle] = context.new_page()
                pages[handle].goto(url + data["path"])
            alice, bob = pages["alice"], pages["bob"]
            badge = bob.locator("[data-unread-notifications]")
            bob.wait_for_function("window.CommunityLive && window.CommunityLive.lastId('topic.' + "
                                  "document.querySelector('[data-topic]').dataset.topic) !== null")
            before = int(badge.inner_text().strip() or 0)

            # A replies and mentions B: B sees the reply within 2 s without reloading, and the badge goes up.
            alice.locator("textarea[name=raw]").fill("Hello @bob, try the glass jar one.")
            started = time.monotonic()
            alice.get_by_role("button", name="Reply").click()
            bob.wait_for_selector("[data-posts] article:has-text('glass jar')", timeout=2000)
            assert time.monotonic() - started < 2.5  # including A's own form post and redirect
            bob.wait_for_function(f"Number(document.querySelector('[data-unread-notifications]')"
                                  f".textContent.trim() || 0) > {before}", timeout=3000)
            assert "Alice" in bob.locator("#toasts").inner_text()

            # B types: A sees "Bob is typing...". Typing is ephemeral (no backlog), so A's page, reloaded by
            # her own reply, must have its socket subscribed first.
            alice.wait_for_function("window.CommunityLive && window.CommunityLive.lastId('topic.' + "
                                    "document.querySelector('[data-topic]').dataset.topic) !== null")
            bob.locator("textarea[name=raw]").type("I am typing")
            alice.wait_for_selector("[data-live-typing]:has-text('Bob')", timeout=3000)

            # The server restarts; a reply is made while it is down; B reconnects and catches up.
            site.stop(port)
            site.shell(REPLY_WHILE_DOWN)
            site.start(port)
            bob.wait_for_selector("[data-posts] article:has-text('while the server was down')", timeout=45000)
            assert bob.locator("[data-posts] article:has-text('glass jar')").count() == 1  # nothing twice
            browser.close()
    finally:
        site.close()
