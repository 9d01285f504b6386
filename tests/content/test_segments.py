"""Segment selection: every kind reaches only people who opted in, never suppressed addresses."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from django.utils import timezone
from taggit.models import Tag

from community.content import actions, segments
from community.content.models import Segment, SegmentKind, SubscriberStatus, Suppression, TagFollow


def _emails(segment: Segment) -> set[str]:
    return {r.email for r in segments.recipients(segment)}


@pytest.fixture
def people(opted_in, make_member, make_subscriber):
    en = opted_in(locale="en")
    sw = opted_in(locale="sw")
    lv = opted_in(locale="lv")
    not_opted = make_member(locale="sw")
    unverified = opted_in(verified=False)
    inactive = opted_in()
    inactive.is_active = False
    inactive.save()
    suppressed = opted_in(locale="sw")
    Suppression.objects.create(email=suppressed.email, reason="complaint")
    sub_sw = make_subscriber("kiswahili@example.org", language="sw")
    sub_en = make_subscriber("english@example.org", language="en")
    make_subscriber("pending@example.org", status=SubscriberStatus.PENDING)
    return SimpleNamespace(en=en, sw=sw, lv=lv, not_opted=not_opted, unverified=unverified, inactive=inactive,
                           suppressed=suppressed, sub_sw=sub_sw, sub_en=sub_en)


@pytest.mark.django_db
def test_all_reaches_opted_in_members_and_confirmed_subscribers(people):
    segment = Segment(kind=SegmentKind.ALL)
    assert _emails(segment) == {people.en.email, people.sw.email, people.lv.email,
                                people.sub_sw.email, people.sub_en.email}
    assert segments.segment_count(segment) == 5
    segment.include_subscribers = False
    assert _emails(segment) == {people.en.email, people.sw.email, people.lv.email}


@pytest.mark.django_db
def test_by_language(people):
    assert _emails(Segment(kind=SegmentKind.LANGUAGE, language="sw")) == {people.sw.email, people.sub_sw.email}


@pytest.mark.django_db
def test_by_followed_tags(people):
    wifi = Tag.objects.create(name="wifi", slug="wifi")
    billing = Tag.objects.create(name="billing", slug="billing")
    TagFollow.objects.create(member=people.en, tag=wifi)
    TagFollow.objects.create(member=people.lv, tag=billing)
    TagFollow.objects.create(member=people.not_opted, tag=wifi)  # follows, but never asked for newsletters
    segment = Segment(kind=SegmentKind.TAGS, tag_slugs=["wifi"])
    assert _emails(segment) == {people.en.email}
    segment.tag_slugs = ["wifi", "billing"]
    assert _emails(segment) == {people.en.email, people.lv.email}


@pytest.mark.django_db
def test_by_loyalty_tier(people):
    from community.loyalty.models import MemberTier, Tier

    gold = Tier.objects.create(name="Gold", threshold=100)
    silver = Tier.objects.create(name="Silver", threshold=10)
    MemberTier.objects.create(member=people.sw, tier=gold)
    MemberTier.objects.create(member=people.lv, tier=silver)
    MemberTier.objects.create(member=people.not_opted, tier=gold)
    assert _emails(Segment(kind=SegmentKind.TIER, loyalty_tier_id=gold.pk)) == {people.sw.email}
    assert (gold.pk, "Gold") in segments.loyalty_tiers()


@pytest.mark.django_db
def test_at_risk_members_come_from_the_metrics_report(people):
    rows = [SimpleNamespace(member_id=people.lv.pk, member=people.lv),
            SimpleNamespace(member_id=people.not_opted.pk, member=people.not_opted)]
    with mock.patch("community.metrics.selectors.at_risk_members", return_value=rows) as report:
        assert _emails(Segment(kind=SegmentKind.AT_RISK)) == {people.lv.email}
    assert report.call_args.kwargs["limit"] >= 10_000


@pytest.mark.django_db
def test_saved_filter_from_metrics(people, manager):
    from community.metrics.models import SavedSegment

    saved = SavedSegment.objects.create(name="Churn list", created_by=manager)
    saved.members.set([people.en, people.suppressed, people.not_opted])
    assert _emails(Segment(kind=SegmentKind.SAVED, saved_segment_id=saved.pk)) == {people.en.email}


@pytest.mark.django_db
def test_own_saved_filter(people):
    old = timezone.now().replace(year=2020)
    type(people.lv).objects.filter(pk=people.lv.pk).update(date_joined=old)
    segment = Segment(kind=SegmentKind.SAVED, filter={"languages": ["lv", "en"], "joined_before": "2021-01-01"})
    assert _emails(segment) == {people.lv.email}
    segment.filter = {"min_days_inactive": 30}
    assert people.en.email in _emails(segment)  # never seen counts as inactive


@pytest.mark.django_db
def test_unavailable_sources_are_reported_not_crashed():
    with mock.patch.object(segments, "_function", return_value=None):
        assert segments.kind_availability()[SegmentKind.AT_RISK] is False
        with pytest.raises(segments.SegmentUnavailable):
            list(segments.recipients(Segment(kind=SegmentKind.AT_RISK)))
    with mock.patch.object(segments, "_model", return_value=None):
        assert segments.kind_availability()[SegmentKind.TIER] is False
        with pytest.raises(segments.SegmentUnavailable):
            list(segments.recipients(Segment(kind=SegmentKind.TIER, loyalty_tier_id=1)))


@pytest.mark.django_db
def test_segment_save_validates(editor, member):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.segment_save(actor=member, name="x", kind=SegmentKind.ALL)
    with pytest.raises(actions.NewsletterError):
        actions.segment_save(actor=editor, name="Lang", kind=SegmentKind.LANGUAGE, language="xx")
    with pytest.raises(actions.NewsletterError):
        actions.segment_save(actor=editor, name="Tags", kind=SegmentKind.TAGS)
    saved = actions.segment_save(actor=editor, name="Swahili", kind=SegmentKind.LANGUAGE, language="sw",
                                 tag_slugs=["ignored"])
    assert (saved.language, saved.tag_slugs) == ("sw", [])


@pytest.mark.django_db
def test_a_member_who_is_also_a_subscriber_gets_one_copy(opted_in, make_subscriber, make_issue, outbox):
    from community.content import sending
    from community.content.models import IssueStatus

    member = opted_in()
    make_subscriber(member.email.upper())
    issue = make_issue()
    issue.status = IssueStatus.SENDING
    issue.save()
    assert sending.deliveries_prepare(issue) == 1
    sending.deliver(issue.pk)
    assert [m.to for m in outbox] == [[member.email]]


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [2, 20])
def test_segment_and_newsletter_pages_queries_do_not_grow(editor, login, make_issue, rows,
                                                          django_assert_max_num_queries):
    for i in range(rows):
        Segment.objects.create(name=f"Seg {i}", kind=SegmentKind.LANGUAGE, language="en")
        make_issue(subject=f"Issue {i}")
    client = login(editor)
    client.get("/newsletters/")
    client.get("/newsletters/segments/")
    with django_assert_max_num_queries(12):
        assert client.get("/newsletters/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/newsletters/segments/").status_code == 200
