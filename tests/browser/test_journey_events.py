"""A member finds an event, RSVPs, another viewer sees the seat count drop live, and the .ics downloads."""

from __future__ import annotations

import re

import icalendar
import pytest

from tests.browser.conftest import log_in, make_member

pytestmark = pytest.mark.browser

CREATE_EVENT = """
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from events.actions.manage import event_create
host = User.objects.get(handle="evhost")
start = timezone.now() + timedelta(days=3)
event = event_create(actor=host, title="Loyalty meetup in Riga", starts_at=start, ends_at=start + timedelta(hours=2),
                     time_zone="Europe/Riga", capacity=5, publish=True)
print(event.pk)
"""


def test_find_rsvp_live_seats_and_ics(live_site, new_page, artifacts):
    site, url = live_site
    make_member(site, "evhost", name="Eve Host", role="Community manager")
    make_member(site, "evguest", name="Gus Guest")
    make_member(site, "evviewer", name="Vic Viewer")
    event_id = int(site.shell(CREATE_EVENT).strip().splitlines()[-1])

    viewer = new_page()
    log_in(viewer, url, "evviewer")
    guest = new_page()
    log_in(guest, url, "evguest")

    guest.goto(f"{url}/events/")
    guest.get_by_role("link", name="Loyalty meetup in Riga").first.click()
    guest.wait_for_load_state()
    viewer.goto(guest.url)
    viewer.wait_for_timeout(1000)  # let the viewer's socket subscribe
    assert viewer.locator("[data-seats-left]").first.inner_text().strip().startswith("5")

    guest.get_by_role("button", name="Going", exact=True).click()
    guest.wait_for_load_state()
    # The other viewer's page shows 4 seats left without a reload.
    viewer.wait_for_function(
        "() => document.querySelector('[data-seats-left]').textContent.trim().startsWith('4')", timeout=5000)

    with guest.expect_download() as download_info:
        guest.get_by_role("link", name=re.compile("Add to calendar")).first.click()
    path = download_info.value.path()
    calendar = icalendar.Calendar.from_ical(open(path, "rb").read())
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 1 and str(events[0]["SUMMARY"]) == "Loyalty meetup in Riga"
    assert str(events[0]["UID"]).startswith(f"event-{event_id}@")
