"""An editor drafts, previews and schedules an article that appears in the feed when due; a newsletter sent
to a segment lands exactly once in each recipient's mailbox."""

from __future__ import annotations

import re
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from tests.browser.conftest import log_in, make_member

pytestmark = pytest.mark.browser

OPT_IN = """
from accounts.models import MemberSettings, User
for handle, language, opted in {members!r}:
    user = User.objects.get(handle=handle)
    user.locale = language
    user.save(update_fields=["locale"])
    MemberSettings.objects.filter(user=user).update(newsletter_opt_in=opted)
"""

SEGMENT = """
from accounts.models import User
from community.content.actions.newsletters import segment_save
segment = segment_save(actor=User.objects.get(handle="cteditor"), name="Latvian readers", kind="language",
                       language="lv", include_subscribers=False)
print(segment.pk)
"""


def _feed(url: str) -> str:
    with urllib.request.urlopen(f"{url}/feeds/articles.rss", timeout=10) as response:
        return response.read().decode()


def test_editor_schedules_an_article_and_sends_a_newsletter(live_site, new_page):
    site, url = live_site
    make_member(site, "cteditor", name="Edda Editor", role="Editor")
    readers = [("lvreader1", "lv", True), ("lvreader2", "lv", True), ("lvquiet", "lv", False),
               ("enreader", "en", True)]
    for handle, _language, _opted in readers:
        make_member(site, handle)
    site.shell(OPT_IN.format(members=readers))
    site.shell(SEGMENT)

    page = new_page()
    log_in(page, url, "cteditor")

    # Draft and preview.
    page.goto(f"{url}/blog/write/")
    page.get_by_label("Title").fill("Five ways to earn points faster")
    page.get_by_label("Summary").fill("Small habits that add up.")
    page.get_by_label("Body").fill("Answer one question a day.\n\n- **Reply** kindly\n- Come to events")
    page.get_by_role("button", name="Save and preview").click()
    page.wait_for_load_state()
    assert page.locator("strong", has_text="Reply").count() >= 1
    assert "Five ways to earn points faster" not in _feed(url)

    # Schedule for the next whole minute (the form takes minutes), then watch the feed.
    page.goto(f"{url}/blog/drafts/")
    page.get_by_role("link", name="Five ways to earn points faster").first.click()
    page.wait_for_load_state()
    if "/edit/" not in page.url:
        page.goto(page.url.rstrip("/") + "/edit/")
    due = (datetime.now(timezone.utc) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    page.get_by_label("Publish at").fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Schedule", exact=True).click()
    page.wait_for_load_state()
    assert "Five ways to earn points faster" not in _feed(url)
    time.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds()) + 1)
    assert "Five ways to earn points faster" in _feed(url)

    # A newsletter to the Latvian segment.
    page.goto(f"{url}/newsletters/new/")
    page.get_by_label("Subject").fill("Labdien from the community")
    page.get_by_label("Message").fill("News of the month.")
    page.get_by_label("Send to").select_option(label="Latvian readers")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    before = len(site.mails())
    page.get_by_role("button", name="Send now").click()
    page.wait_for_load_state()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        sent = [m for m in site.mails()[before:] if "Labdien from the community" in m]
        if len(sent) >= 2:
            break
        time.sleep(0.5)
    time.sleep(1)
    sent = [m for m in site.mails()[before:] if "Labdien from the community" in m]
    recipients = sorted(re.search(r"^To: (.+)$", m, re.M).group(1).strip() for m in sent)
    assert recipients == ["lvreader1@example.com", "lvreader2@example.com"]
