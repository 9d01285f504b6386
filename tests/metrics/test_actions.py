"""record() and undo(): ledger row, daily roll-up, points within caps, reversal by a negative entry."""

from __future__ import annotations

from datetime import datetime, timezone as dt_timezone

import pytest

from community.loyalty.models import MemberPoints, PointEntry, PointRule
from community.metrics.actions import MetricsError, record, undo
from community.metrics.models import DailyActivity, Participation

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 2, 10, 0, tzinfo=dt_timezone.utc)


def test_record_writes_ledger_rollup_and_points(member, other_member):
    PointRule.objects.create(kind="post.replied", points=5)
    subject = other_member  # any saved model instance is a subject
    p = record(member=member, kind="post.replied", subject=subject, at=AT, data={"category": 3})
    record(member=member, kind="reaction.given", at=AT)
    assert Participation.objects.filter(member=member).count() == 2
    assert p.points == 5 and p.subject_id == str(other_member.pk) and p.day == AT.date()
    row = DailyActivity.objects.get(member=member, day=AT.date())
    assert (row.total, row.replies, row.reactions_given, row.contributions, row.engaged) == (2, 1, 1, 1, True)
    assert MemberPoints.objects.get(member=member).balance == 5


def test_unknown_kind_without_column_goes_to_extra(member):
    record(member=member, kind="webinar.watched", at=AT)
    record(member=member, kind="webinar.watched", at=AT)
    row = DailyActivity.objects.get(member=member)
    assert row.extra == {"webinar.watched": 2} and row.total == 2


def test_bad_kind_is_rejected(member):
    with pytest.raises(MetricsError):
        record(member=member, kind="DROP TABLE", at=AT)


def test_anonymous_is_ignored():
    from django.contrib.auth.models import AnonymousUser

    assert record(member=AnonymousUser(), kind="visit.day") is None


def test_daily_cap_holds(member):
    # 3 points each, cap 10 a day: 3 + 3 + 3 + 1 (cut to the cap) + 0 = 10; the next day starts again.
    PointRule.objects.create(kind="reaction.given", points=3, daily_cap=10)
    awarded = [record(member=member, kind="reaction.given", at=AT).points for _ in range(5)]
    assert awarded == [3, 3, 3, 1, 0]
    nextday = record(member=member, kind="reaction.given", at=datetime(2026, 3, 3, tzinfo=dt_timezone.utc))
    assert nextday.points == 3
    assert MemberPoints.objects.get(member=member).balance == 13
    assert PointEntry.objects.filter(member=member).count() == 5  # acts over the cap write no entry


def test_undo_appends_negative_entry_once(member, other_member):
    PointRule.objects.create(kind="answer.accepted", points=15)
    record(member=member, kind="answer.accepted", subject=other_member, at=AT)
    assert undo(member=member, kind="answer.accepted", subject=other_member) == 15
    assert undo(member=member, kind="answer.accepted", subject=other_member) == 0  # already reversed
    entries = list(PointEntry.objects.filter(member=member).order_by("pk").values_list("points", "reason"))
    assert entries == [(15, "earned"), (-15, "reversed")]
    assert MemberPoints.objects.get(member=member).balance == 0
    assert Participation.objects.filter(member=member).count() == 1  # the act stays in the ledger
