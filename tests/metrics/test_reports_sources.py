"""Reports that read the forum, events and campaign tables, on small fixed data computed by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from community.metrics.models import Campaign, CampaignMember
from community.metrics.reports import Campaigns, EventFeedbackScores, Filters, TimeToFirstResponse
from community.metrics.reports.sources import model
from tests.metrics.conftest import at
from community.metrics.actions import record

pytestmark = pytest.mark.django_db

WEEK = Filters(start=date(2026, 3, 2), end=date(2026, 3, 8), grain="week")


def test_time_to_first_response_percentiles(make_member):
    Category, Topic, Post = model("forum", "Category"), model("forum", "Topic"), model("forum", "Post")
    if not (Category and Topic and Post):
        pytest.skip("forum models not available; the percentile function is tested in test_reports.py")
    asker, helper = make_member(), make_member()
    category = Category.objects.create(name="Help", slug="help")
    start = at("2026-03-02", 8)
    # Five topics answered by someone else after 1, 3, 5, 9 and 30 hours; one answered only by its author.
    for i, hours in enumerate([1, 3, 5, 9, 30, None]):
        topic = Topic.objects.create(category=category, title=f"Q{i}", slug=f"q{i}", author=asker, created_at=start)
        Post.objects.create(topic=topic, number=1, author=asker, raw="q", html="q", created_at=start)
        if hours is None:
            Post.objects.create(topic=topic, number=2, author=asker, raw="bump", html="bump",
                                created_at=start + timedelta(hours=2))
        else:
            Post.objects.create(topic=topic, number=2, author=helper, raw="a", html="a",
                                created_at=start + timedelta(hours=hours))
    rows = TimeToFirstResponse(WEEK).run()
    # Sorted hours 1, 3, 5, 9, 30: median = 5; p90 rank 0.9 * 4 = 3.6 -> 9 + 0.6 * (30 - 9) = 21.6.
    assert [(r["topics"], r["answered"], r["median"], r["p90"], r["unanswered"]) for r in rows] == [
        (6, 5, 5.0, 21.6, 1)]


def test_nps_and_csat_report(make_member, manager):
    pytest.importorskip("events.actions.manage")
    Feedback = model("events", "EventFeedback", "nps", "satisfaction")
    if Feedback is None:
        pytest.skip("events feedback not available")
    from events.actions.manage import event_create

    event = event_create(actor=manager, title="Meetup", starts_at=at("2026-03-01", 18), ends_at=at("2026-03-01", 20),
                         publish=True)
    # NPS answers 10, 9, 8, 7, 6, 0 -> promoters 2, detractors 2 -> (2 - 2) / 6 = 0.
    # Satisfaction 5, 4, 4, 3, 2, 1 -> 3 of 6 are 4-5 -> CSAT 50%.
    for nps, sat in [(10, 5), (9, 4), (8, 4), (7, 3), (6, 2), (0, 1)]:
        Feedback.objects.create(event=event, member=make_member(), nps=nps, satisfaction=sat,
                                created_at=at("2026-03-03"))
    Feedback.objects.create(event=event, member=make_member(staff=True), nps=0, satisfaction=1,
                            created_at=at("2026-03-03"))  # staff: not counted
    rows = EventFeedbackScores(WEEK).run()
    assert [(r["responses"], r["promoters"], r["detractors"], r["nps"], r["csat"]) for r in rows] == [
        (6, 2, 2, 0.0, 50.0)]


def test_campaign_uplift(make_member):
    campaign = Campaign.objects.create(name="Win-back", started_at=at("2026-03-01"))
    t1, t2, h1, h2 = (make_member() for _ in range(4))
    for m, holdout in ((t1, False), (t2, False), (h1, True), (h2, True)):
        CampaignMember.objects.create(campaign=campaign, member=m, holdout=holdout)
    record(member=t1, kind="visit.day", at=at("2026-03-05"))  # treatment member came back
    record(member=h1, kind="visit.day", at=at("2026-02-20"))  # before the campaign: does not count
    # Treatment 1 of 2 returned = 50%; holdout 0 of 2 = 0%; uplift 50 points.
    rows = Campaigns(WEEK).run()
    assert [(r["treatment"], r["treatment_returned"], r["treatment_rate"], r["holdout"], r["holdout_returned"],
             r["holdout_rate"], r["uplift"]) for r in rows] == [(2, 1, 50.0, 2, 0, 0.0, 50.0)]


def test_holdout_assignment_is_deterministic():
    campaign = Campaign(pk=7, holdout_percent=30)
    first = [campaign.assign(i) for i in range(1000)]
    assert first == [campaign.assign(i) for i in range(1000)]
    assert 250 < sum(first) < 350  # about 30% held out
