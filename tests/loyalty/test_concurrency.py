"""Concurrency on PostgreSQL (row locks): ledger, roll-up and points stay consistent; caps hold; a badge is
awarded once; reward stock and balances never go below zero. Run with DATABASE_URL=postgres://..."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connections
from django.db.models import Sum

from community.loyalty import actions
from community.loyalty.models import BadgeAward, MemberPoints, PointEntry, PointRule, Redemption, Reward
from community.metrics.actions import record
from community.metrics.models import DailyActivity, MemberPeriod, Participation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_threads(n: int, work: Callable[[int], None]) -> list[BaseException]:
    """Start n threads at the same moment; each runs work(i) on its own connection. Returns their errors."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # noqa: BLE001 - collected and inspected by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def test_concurrent_records_keep_ledger_rollup_and_points_consistent(member):
    PointRule.objects.create(kind="post.replied", points=3)
    threads, each = 8, 5

    def work(_i):
        for _ in range(each):
            record(member=member, kind="post.replied")

    assert run_threads(threads, work) == []
    total = threads * each
    assert Participation.objects.filter(member=member).count() == total
    assert DailyActivity.objects.filter(member=member).aggregate(t=Sum("total"), r=Sum("replies")) == {
        "t": total, "r": total}
    ledger = PointEntry.objects.filter(member=member).aggregate(s=Sum("points"))["s"]
    assert ledger == 3 * total == MemberPoints.objects.get(member=member).balance
    # The week and month roll-ups: one active day, one engaged day, every reply counted once.
    assert sorted(MemberPeriod.objects.filter(member=member).values_list("grain", "days", "engaged_days",
                                                                         "contributions")) == [
        ("m", 1, 1, total), ("w", 1, 1, total)]


def test_first_acts_of_a_day_race_on_the_rollups(member):
    # Visits and reactions at once on a fresh day: exactly one daily row, one active day, one engaged day.
    kinds = ["visit.day", "reaction.given"] * 4
    assert run_threads(8, lambda i: record(member=member, kind=kinds[i])) == []
    row = DailyActivity.objects.get(member=member)
    assert (row.total, row.visits, row.reactions_given, row.engaged) == (8, 4, 4, True)
    assert sorted(MemberPeriod.objects.filter(member=member).values_list("grain", "days", "engaged_days")) == [
        ("m", 1, 1), ("w", 1, 1)]


def test_daily_cap_holds_under_concurrency(member):
    # 16 acts of 5 points at once, cap 20 a day: exactly 20 points, never more.
    PointRule.objects.create(kind="reaction.given", points=5, daily_cap=20)
    assert run_threads(16, lambda i: record(member=member, kind="reaction.given")) == []
    assert PointEntry.objects.filter(member=member).aggregate(s=Sum("points"))["s"] == 20
    assert MemberPoints.objects.get(member=member).balance == 20
    assert Participation.objects.filter(member=member).count() == 16


def test_badge_awarded_once_when_two_actions_race(member):
    # No points rule, so nothing serialises the two acts but the BadgeAward unique constraint.
    for _round in range(3):
        BadgeAward.objects.filter(member=member).delete()
        assert run_threads(2, lambda i: record(member=member, kind="post.replied")) == []
        assert BadgeAward.objects.filter(member=member, badge="first-post").count() == 1


def test_badge_award_race_direct(member):
    results = []
    assert run_threads(6, lambda i: results.append(actions.badge_award(member=member, slug="anniversary"))) == []
    assert sum(1 for r in results if r is not None) == 1
    assert BadgeAward.objects.filter(member=member).count() == 1


def test_redemption_stock_under_concurrency(make_member):
    PointRule.objects.create(kind="post.replied", points=100)
    buyers = [make_member() for _ in range(8)]
    for buyer in buyers:
        record(member=buyer, kind="post.replied")
    reward = Reward.objects.create(name="Hoodie", kind=Reward.Kind.SWAG, price=50, stock=3)
    errors = run_threads(8, lambda i: actions.reward_redeem(member=buyers[i], reward_id=reward.pk))
    assert len(errors) == 5 and all(isinstance(e, actions.LoyaltyError) for e in errors)
    reward.refresh_from_db()
    assert reward.stock == 0 and Redemption.objects.count() == 3


def test_one_balance_cannot_be_spent_twice(member):
    PointRule.objects.create(kind="post.replied", points=100)
    record(member=member, kind="post.replied")
    reward = Reward.objects.create(name="Mug", kind=Reward.Kind.SWAG, price=60)
    errors = run_threads(4, lambda i: actions.reward_redeem(member=member, reward_id=reward.pk))
    assert len(errors) == 3
    assert MemberPoints.objects.get(member=member).balance == 40
    assert PointEntry.objects.filter(member=member).aggregate(s=Sum("points"))["s"] == 40
