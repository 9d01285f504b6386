from __future__ import annotations

import pytest

from accounts.models import User
from community.loyalty.models import PointEntry, PointRule, Reward, RewardCode, Tier
from community.metrics import demo as metrics_demo
from community.metrics.models import DailyActivity, MemberPeriod, Participation

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_consistent(monkeypatch):
    from community.loyalty import demo as loyalty_demo

    monkeypatch.setattr(metrics_demo, "SYNTHETIC", 12)
    loyalty_demo.seed()
    loyalty_demo.seed()
    metrics_demo.seed()
    counts = (Participation.objects.count(), DailyActivity.objects.count(), MemberPeriod.objects.count(),
              PointEntry.objects.count())
    metrics_demo.seed()
    assert counts == (Participation.objects.count(), DailyActivity.objects.count(), MemberPeriod.objects.count(),
                      PointEntry.objects.count())
    assert User.objects.filter(handle__startswith="demo_").count() == 12
    assert Participation.objects.count() > 100
    # The roll-up agrees with the ledger it was generated with.
    assert sum(DailyActivity.objects.values_list("total", flat=True)) == Participation.objects.count()
    assert PointRule.objects.count() == len(loyalty_demo.RULES) and Tier.objects.count() == 3
    assert RewardCode.objects.filter(reward__in=Reward.objects.filter(kind="code")).count() == 30
