"""Loyalty: points ledger, caps, tiers, badges once, reversal, redemption and its email."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.core import mail
from django.utils import timezone

from community.loyalty import actions
from community.loyalty.models import (
    BadgeAward,
    MemberPoints,
    MemberTier,
    PointEntry,
    PointRule,
    Redemption,
    Reward,
    RewardCode,
    Tier,
)
from community.loyalty.selectors import leaderboard, loyalty_summary, streaks, tier_outlook
from community.metrics.actions import record, undo

pytestmark = pytest.mark.django_db


def test_balance_is_the_sum_of_the_ledger(member, other_member):
    PointRule.objects.create(kind="post.replied", points=5)
    PointRule.objects.create(kind="answer.accepted", points=20)
    record(member=member, kind="post.replied", subject=other_member)
    record(member=member, kind="answer.accepted", subject=other_member)
    undo(member=member, kind="answer.accepted", subject=other_member)
    # 5 + 20 - 20 = 5, and the cached balance agrees with the sum of entries.
    assert PointEntry.objects.filter(member=member).balance() == 5
    assert MemberPoints.objects.get(member=member).balance == 5


def test_inactive_rule_awards_nothing(member):
    PointRule.objects.create(kind="post.replied", points=5, active=False)
    assert record(member=member, kind="post.replied").points == 0
    assert not PointEntry.objects.exists()


def test_first_post_badge_once_and_notified(member, monkeypatch):
    sent = []
    monkeypatch.setattr(actions, "notify", lambda **kw: sent.append(kw))
    record(member=member, kind="post.replied")
    record(member=member, kind="post.replied")
    assert list(BadgeAward.objects.filter(member=member).values_list("badge", flat=True)) == ["first-post"]
    assert [kw["data"]["badge"] for kw in sent] == ["first-post"]


def test_badge_award_is_idempotent(member):
    assert actions.badge_award(member=member, slug="anniversary") is not None
    assert actions.badge_award(member=member, slug="anniversary") is None  # the unique constraint wins
    assert BadgeAward.objects.filter(member=member).count() == 1


def test_ten_events_and_helpful_author(member):
    for _ in range(9):
        record(member=member, kind="event.attended")
    assert not BadgeAward.objects.filter(member=member, badge="ten-events").exists()
    record(member=member, kind="event.attended")
    assert BadgeAward.objects.filter(member=member, badge="ten-events").exists()
    for _ in range(10):
        record(member=member, kind="answer.accepted")
    assert set(BadgeAward.objects.filter(member=member).values_list("badge", flat=True)) >= {
        "first-accepted-answer", "helpful-author"}


def test_tier_promotion_is_immediate_and_demotion_periodic(member, monkeypatch):
    sent = []
    monkeypatch.setattr(actions, "notify", lambda **kw: sent.append(kw["data"]["event"]))
    Tier.objects.create(name="Silver", threshold=10, window_days=30)
    gold = Tier.objects.create(name="Gold", threshold=30, window_days=30)
    PointRule.objects.create(kind="post.replied", points=10)
    long_ago = timezone.now() - timedelta(days=25)
    for _ in range(3):
        record(member=member, kind="post.replied", at=long_ago)
    assert MemberTier.objects.get(member=member).tier == gold
    # Ten days later the 30 points are older than the window: the periodic check demotes.
    counts = actions.tier_check_all(now=timezone.now() + timedelta(days=10))
    assert counts["changed"] == 1 and MemberTier.objects.get(member=member).tier is None
    assert sent[-1] == "tier.down" and "tier.up" in sent


def test_tier_outlook_tells_points_and_date(member):
    # Gold needs 40 points over 30 days. 30 points earned 20 days ago + 20 points 5 days ago = 50 (Gold).
    # In 10 days the 30 old points leave the window: 20 remain, 20 short of 40 -> "20 points by <that day>".
    gold = Tier.objects.create(name="Gold", threshold=40, window_days=30)
    PointRule.objects.create(kind="post.replied", points=30)
    PointRule.objects.create(kind="reaction.given", points=20)
    now = datetime(2026, 3, 1, 12, tzinfo=dt_timezone.utc)
    record(member=member, kind="post.replied", at=now - timedelta(days=20))
    record(member=member, kind="reaction.given", at=now - timedelta(days=5))
    actions.tier_refresh(member=member, now=now)
    assert MemberTier.objects.get(member=member).tier == gold
    outlook = tier_outlook(member=member, now=now, horizon_days=30)
    # Entry day 9 Feb; on day D the window holds days after D - 30: 9 Feb drops out on 11 March.
    assert (outlook.points_needed, outlook.deadline.isoformat(), outlook.tier) == (20, "2026-03-11", gold)


def test_streaks(member):
    for day in ("2026-03-01", "2026-03-02", "2026-03-03", "2026-03-05", "2026-03-06"):
        record(member=member, kind="visit.day", at=datetime.fromisoformat(day).replace(tzinfo=dt_timezone.utc))
    result = streaks(member=member, today=datetime(2026, 3, 6).date())
    assert (result.current, result.longest) == (2, 3)
    assert streaks(member=member, today=datetime(2026, 3, 9).date()).current == 0


def test_leaderboard_excludes_staff_and_spending(make_member, member, staff_member):
    PointRule.objects.create(kind="post.replied", points=10)
    top = make_member()
    for who, n in ((top, 3), (member, 1), (staff_member, 5)):
        for _ in range(n):
            record(member=who, kind="post.replied")
    reward = Reward.objects.create(name="Mug", kind=Reward.Kind.SWAG, price=20, stock=5)
    actions.reward_redeem(member=top, reward_id=reward.pk)
    for period in ("week", "month", "all"):
        assert [(r.member, r.points) for r in leaderboard(period=period)] == [(top, 30), (member, 10)]


def test_leaderboard_query_count(make_member, django_assert_max_num_queries):
    PointRule.objects.create(kind="post.replied", points=1)
    for _ in range(20):
        record(member=make_member(), kind="post.replied")
    with django_assert_max_num_queries(2):
        assert len(leaderboard(period="week")) == 20


def test_redeem_code_reward(member, django_capture_on_commit_callbacks):
    PointRule.objects.create(kind="post.replied", points=60)
    record(member=member, kind="post.replied")
    reward = Reward.objects.create(name="10% off", price=50, stock=None)
    RewardCode.objects.create(reward=reward, code="SAVE10-A")
    with pytest.raises(actions.LoyaltyError):
        actions.reward_redeem(member=member, reward_id=Reward.objects.create(name="Big", price=500).pk)
    with django_capture_on_commit_callbacks(execute=True):
        redemption = actions.reward_redeem(member=member, reward_id=reward.pk)
    assert redemption.code.code == "SAVE10-A"
    assert MemberPoints.objects.get(member=member).balance == 10
    assert PointEntry.objects.filter(member=member, reason="redeemed").get().points == -50
    assert len(mail.outbox) == 1 and "SAVE10-A" in mail.outbox[0].body
    assert Redemption.objects.get().emailed_at is not None
    # The pool is empty now: the next member cannot redeem it.
    PointRule.objects.filter(kind="post.replied").update(points=100)
    record(member=member, kind="post.replied")
    with pytest.raises(actions.LoyaltyError):
        actions.reward_redeem(member=member, reward_id=reward.pk)


def test_redeem_swag_stock(member):
    PointRule.objects.create(kind="post.replied", points=100)
    record(member=member, kind="post.replied")
    reward = Reward.objects.create(name="Hoodie", kind=Reward.Kind.SWAG, price=10, stock=1)
    actions.reward_redeem(member=member, reward_id=reward.pk)
    reward.refresh_from_db()
    assert reward.stock == 0
    with pytest.raises(actions.LoyaltyError):
        actions.reward_redeem(member=member, reward_id=reward.pk)


def test_summary(member):
    Tier.objects.create(name="Silver", threshold=50)
    PointRule.objects.create(kind="post.replied", points=5)
    record(member=member, kind="post.replied")
    summary = loyalty_summary(member=member)
    assert summary.balance == 5 and summary.next_tier.name == "Silver" and summary.points_to_next == 45
    assert any(b.earned for b in summary.badges)


def test_tier_check_warns_once_a_week(member, monkeypatch):
    from django.core.management import call_command

    sent = []
    monkeypatch.setattr(actions, "notify", lambda **kw: sent.append(kw["data"]))
    Tier.objects.create(name="Gold", threshold=40, window_days=30)
    PointRule.objects.create(kind="post.replied", points=50)
    now = timezone.now()
    record(member=member, kind="post.replied", at=now - timedelta(days=25))  # leaves the window in 5 days
    counts = actions.tier_check_all(now=now)
    assert counts == {"checked": 1, "changed": 0, "warned": 1}
    assert sent[-1]["event"] == "tier.at_risk" and sent[-1]["points"] == 40
    assert "40 points by" in sent[-1]["title"] and "keeps Gold" in sent[-1]["title"]
    assert actions.tier_check_all(now=now + timedelta(days=1))["warned"] == 0  # not again within a week
    call_command("loyalty_tier_check", stdout=__import__("io").StringIO())


def test_badge_notification_names_the_badge_in_the_members_language(member):
    """The in-app text reads the badge's name, not its slug."""
    from community.loyalty.badges import BADGES
    from community.notifications.models import Notification
    from community.notifications.texts import notification_text

    member.locale = "en"
    member.save(update_fields=["locale"])
    actions.badge_award(member=member, slug="first-post")
    notification = Notification.objects.get(recipient=member, kind="loyalty")
    assert notification.data["name"] == str(BADGES["first-post"].name)
    assert str(BADGES["first-post"].name) in str(notification_text(notification))
