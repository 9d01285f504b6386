"""A community manager opens the retention dashboard and changes the date range; members get 403."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from accounts.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def _log_in_demo(page, url: str, email: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("Log in|Sign in", re.I)).click()
    page.wait_for_load_state()


def test_manager_dashboard_date_range_and_member_403(live_site, new_page, artifacts):
    site, url = live_site
    site.manage("seed_demo")

    manager = new_page(viewport={"width": 1400, "height": 1000})
    _log_in_demo(manager, url, "manager@example.com")
    manager.goto(f"{url}/dashboard/")
    assert manager.locator("#cohorts-heading").is_visible()
    start = date.today() - timedelta(days=120)
    manager.get_by_label("From", exact=True).fill(start.isoformat())
    manager.get_by_label("To", exact=True).fill(date.today().isoformat())
    manager.get_by_role("button", name="Apply").click()
    manager.wait_for_load_state()
    assert f"start={start.isoformat()}" in manager.url
    heatmap = manager.locator("table.heatmap")
    assert heatmap.locator("tbody tr").count() >= 3  # several join cohorts
    assert manager.locator("svg[role=img]").count() >= 3  # charts are accessible SVG
    heatmap.screenshot(path=str(artifacts / "dashboard-cohort-table.png"))
    manager.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)

    member = new_page()
    _log_in_demo(member, url, "sam@example.com")
    response = member.goto(f"{url}/dashboard/")
    assert response.status == 403
