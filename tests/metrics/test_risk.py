"""Precomputed health scores (MemberHealth, refreshed by metrics_refresh) and the at-risk list read from them;
every expected number is worked out by hand in the comments."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from community.metrics.actions import health_refresh, record
from community.metrics.models import MemberHealth
from community.metrics.reports import Filters, health_scores
from community.metrics.reports.risk import compute_health_scores, stored_health_scores
from tests.metrics.conftest import at

pytestmark = pytest.mark.django_db

END = date(2026, 4, 30)
# Windows: recent = 1-30 April (30 days), prior = 31 Jan - 31 March (60 days).
FILTERS = Filters(start=date(2026, 2, 1), end=END)


@pytest.fixture
def drifting(make_member):
    """Dora replied on 1-10 March and visited on 2 April; Eve replied on 1-10 March and 10-19 April; Finn replied
    once, on 1 March; Gus (staff) replied on 1-10 March and is never scored."""
    dora, eve, finn = make_member(handle="dora"), make_member(handle="eve"), make_member(handle="finn")
    gus = make_member(handle="gus", staff=True)
    for i in range(10):
        day = (date(2026, 3, 1) + timedelta(days=i)).isoformat()
        for who in (dora, eve, gus):
            record(member=who, kind="post.replied", at=at(day))
        record(member=eve, kind="post.replied", at=at((date(2026, 4, 10) + timedelta(days=i)).isoformat()))
    record(member=dora, kind="visit.day", at=at("2026-04-02"))
    record(member=finn, kind="post.replied", at=at("2026-03-01"))
    return {"dora": dora, "eve": eve, "finn": finn, "gus": gus}


def test_refresh_scores_every_member_with_the_rules(drifting):
    assert health_refresh(end=END) == 3  # Dora, Eve, Finn; not the staff member
    rows = {row.member.handle: row for row in MemberHealth.objects.select_related("member")}
    assert set(rows) == {"dora", "eve", "finn"}
    # Dora: silent 28 days -> -21; 1 active day now vs 10 per 60 = 5 per 30 -> -round(30 * 4/5) = -24; posted
    # 10 times before, not now -> -15; replies before, nothing now (visits do not count) -> -5. 100 - 65 = 35.
    # Listed: 10 engaged days before (>= 2) and 1 < 5 active days now.
    dora = rows["dora"]
    assert (dora.score, dora.candidate, dora.last_active, dora.recent_days, dora.prior_days) == (
        35, True, date(2026, 4, 2), 1, 10)
    assert [(r["code"], r["delta"]) for r in dora.rules] == [
        ("silent", -21), ("frequency", -24), ("contributions", -15), ("breadth", -5)]
    # Eve: last active 19 April, silent 11 days -> -4; 10 days now >= 5 per 30, still posting -> 96, not listed.
    assert (rows["eve"].score, rows["eve"].candidate) == (96, False)
    # Finn: silent 60 days -> -40; 0 days now vs 0.5 -> -30; posted once before -> -15; 1 kind -> 0: -5. Score 10,
    # but one engaged day is not "previously engaged": not listed.
    assert (rows["finn"].score, rows["finn"].candidate) == (10, False)
    assert {row.as_of for row in rows.values()} == {END}
    # A second refresh replaces the scores rather than adding to them.
    health_refresh(end=END)
    assert MemberHealth.objects.count() == 3


def test_stored_list_is_the_computed_list(drifting):
    computed = compute_health_scores(filters=FILTERS, end=END)
    assert stored_health_scores(filters=FILTERS, end=END) is None  # never refreshed: callers compute
    health_refresh(end=END)
    stored, computed_at = stored_health_scores(filters=FILTERS, end=END)
    assert computed_at is not None

    def shape(scores):
        return [(h.member.handle, h.score, h.last_active, [(r.text, r.delta) for r in h.rules]) for h in scores]

    assert shape(stored) == shape(computed) == [("dora", 35, date(2026, 4, 2), [
        ("No activity for 28 days", -21), ("Active on 1 days in the last 30, down from 5 per 30 days", -24),
        ("Posted 10 times before, not in the last 30 days", -15),
        ("Takes part in 0 kinds of activity, down from 1", -5)])]
    assert shape(health_scores(filters=FILTERS, end=END)) == shape(computed)


def test_stored_scores_are_used_only_for_their_day_and_current_members(drifting):
    health_refresh(end=END - timedelta(days=1))
    # Scores of the day before: not used for the 30th (computed instead), used for the 29th.
    assert stored_health_scores(filters=FILTERS, end=END) is None
    assert [h.member.handle for h in health_scores(filters=FILTERS, end=END)] == ["dora"]
    assert stored_health_scores(filters=FILTERS, end=END - timedelta(days=1)) is not None
    health_refresh(end=END)
    # Suspended after the refresh: no longer reportable, so not listed, although still in the table.
    dora = drifting["dora"]
    dora.suspended_until = timezone.now() + timedelta(days=3)
    dora.save()
    assert stored_health_scores(filters=FILTERS, end=END)[0] == []
    # A member filter applies to the stored scores: nobody speaks Latvian.
    assert stored_health_scores(filters=Filters(start=FILTERS.start, end=END, language="lv"), end=END)[0] == []


def test_refresh_command_scores_then_warms(drifting, settings):
    settings.METRICS_REPORT_CACHE_SECONDS = 0
    out = io.StringIO()
    call_command("metrics_refresh", "--scores-only", stdout=out)
    # Today, long after the activity: everyone silent for over 90 days has no score; nobody was active lately.
    assert "scored 0 members" in out.getvalue()
    today = timezone.now().date()
    record(member=drifting["eve"], kind="post.replied", at=at(today.isoformat(), 0))
    call_command("metrics_refresh", stdout=out)
    assert MemberHealth.objects.get().member == drifting["eve"]
    assert MemberHealth.objects.get().as_of == today
    assert "warmed" in out.getvalue()
