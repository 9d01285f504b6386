"""The dashboard: permission, query count, CSV export, definitions, at-risk actions."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from community.metrics.actions import record
from community.metrics.models import CampaignMember, DigestBoost, SavedSegment
from tests.metrics.conftest import at

pytestmark = pytest.mark.django_db


def test_dashboard_forbidden_without_role(member_client):
    assert member_client.get("/dashboard/").status_code == 403
    assert member_client.get("/dashboard/export/active.csv").status_code == 403
    assert member_client.get("/dashboard/definitions/").status_code == 403


def test_dashboard_anonymous_redirects_to_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response["Location"]


def _activity(make_member, n: int):
    today = timezone.now().date()
    for i in range(n):
        m = make_member()
        record(member=m, kind="post.replied", at=at((today - timedelta(days=40 + i % 20)).isoformat()))
        record(member=m, kind="reaction.given", at=at((today - timedelta(days=50 + i % 7)).isoformat()))
        record(member=m, kind="visit.day", at=at((today - timedelta(days=i % 9)).isoformat()))


@pytest.mark.parametrize("members", [2, 20])
def test_dashboard_renders_with_bounded_queries(make_member, manager, login, django_assert_max_num_queries,
                                                 settings, members):
    settings.METRICS_REPORT_CACHE_SECONDS = 0
    _activity(make_member, members)
    client = login(manager)
    client.get("/healthz")  # the visit middleware's first-request writes happen outside the measured block
    with django_assert_max_num_queries(30):
        response = client.get("/dashboard/?grain=week")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="img"' in body and 'aria-describedby="table-active"' in body
    assert "Cohort retention" in body and 'href="/dashboard/definitions/#cohorts"' in body


def test_dashboard_date_range_form(manager, login):
    response = login(manager).get("/dashboard/?start=2026-01-05&end=2026-01-25&grain=day")
    assert response.status_code == 200
    assert response.context["filters"].start == date(2026, 1, 5)
    assert response.context["filters"].grain == "day"
    bad = login(manager).get("/dashboard/?start=2026-02-01&end=2026-01-01")
    assert bad.status_code == 200 and bad.context["form"].errors


def test_csv_export_is_formula_safe(cohort_world, manager, login):
    cohort_world["a"].display_name = "=HYPERLINK(\"http://evil\")"
    cohort_world["a"].save()
    response = login(manager).get("/dashboard/export/active.csv?start=2026-01-05&end=2026-01-25&grain=week")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["Period", "Active"]
    assert rows[1:] == [["2026-W02", "2", "1", "1"], ["2026-W03", "2", "1", "1"], ["2026-W04", "3", "1", "0"]]
    cohorts = list(csv.reader(io.StringIO(
        login(manager).get("/dashboard/export/cohorts.csv?start=2026-01-05&end=2026-01-25&grain=week")
        .content.decode())))
    assert cohorts[1] == ["2026-W02", "2", "100.0", "50.0", "100.0"]


def test_definitions_page_has_anchors(manager, login):
    body = login(manager).get("/dashboard/definitions/").content.decode()
    for anchor in ("exclusions", "window", "active", "stickiness", "cohorts", "lifecycle", "first-response", "nps",
                   "at-risk", "campaigns"):
        assert f'id="{anchor}"' in body


def test_at_risk_actions(make_member, manager, login):
    a, b = make_member(), make_member()
    client = login(manager)
    response = client.post("/dashboard/at-risk/", {"members": [a.pk, b.pk], "action": "segment", "name": "Drifting"})
    assert response.status_code == 302
    assert set(SavedSegment.objects.get(name="Drifting").members.all()) == {a, b}
    client.post("/dashboard/at-risk/", {"members": [a.pk], "action": "digest"})
    client.post("/dashboard/at-risk/", {"members": [a.pk], "action": "digest"})
    assert DigestBoost.objects.pending().filter(member=a).count() == 1
    client.post("/dashboard/at-risk/", {"members": [a.pk, b.pk], "action": "campaign", "name": "Win", "holdout": 50})
    assert CampaignMember.objects.filter(campaign__name="Win").count() == 2


def test_personal_message_form(member, manager, login):
    client = login(manager)
    assert client.get(f"/dashboard/message/{member.pk}/").status_code == 200
    response = client.post(f"/dashboard/message/{member.pk}/", {"message": "We miss you!"})
    assert response.status_code == 302


def test_report_cache_and_refresh_command(cohort_world, settings, django_assert_num_queries):
    from django.core.management import call_command

    from community.metrics.reports import Filters
    from community.metrics.selectors import run_report

    settings.METRICS_REPORT_CACHE_SECONDS = 300
    f = Filters(start=date(2026, 1, 5), end=date(2026, 1, 25), grain="week")
    report, rows = run_report("active", f)
    with django_assert_num_queries(0):
        again, cached = run_report("active", f)
    assert cached == rows and again.computed_at == report.computed_at
    call_command("metrics_refresh", stdout=io.StringIO())


def test_dashboard_lists_precomputed_at_risk_scores_and_when(make_member, manager, login, settings,
                                                             django_assert_max_num_queries):
    """After metrics_refresh the at-risk section reads MemberHealth (one query) and says when the scores were
    computed; the actions on the listed members still work."""
    from community.metrics.actions import health_refresh
    from community.metrics.models import MemberHealth

    settings.METRICS_REPORT_CACHE_SECONDS = 0
    today = timezone.now().date()
    drifting = make_member(handle="drifting")
    # Replied on 10 days 40-49 days ago (prior window), visited once 20 days ago: silent 20 days -> -13; 1 day
    # now vs 10 per 60 = 5 per 30 -> -24; stopped posting -> -15; one kind dropped -> -5. Health 43 (< 60).
    for i in range(10):
        record(member=drifting, kind="post.replied", at=at((today - timedelta(days=40 + i)).isoformat()))
    record(member=drifting, kind="visit.day", at=at((today - timedelta(days=20)).isoformat()))
    health_refresh(end=today)
    assert MemberHealth.objects.get(member=drifting).score == 43
    client = login(manager)
    client.get("/healthz")
    with django_assert_max_num_queries(30):
        response = client.get("/dashboard/")
    body = response.content.decode()
    assert f'id="risk-{drifting.pk}"' in body
    assert "Figures computed at" in response.context["at_risk"].description
    assert "No activity for 20 days" in body
    client.post("/dashboard/at-risk/", {"members": [drifting.pk], "action": "segment", "name": "Computed"})
    assert list(SavedSegment.objects.get(name="Computed").members.all()) == [drifting]
    client.post("/dashboard/at-risk/", {"members": [drifting.pk], "action": "digest"})
    assert DigestBoost.objects.pending().filter(member=drifting).exists()
    assert client.get(f"/dashboard/message/{drifting.pk}/").status_code == 200
