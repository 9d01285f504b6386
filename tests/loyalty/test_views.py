from __future__ import annotations

import pytest

from community.loyalty.models import PointRule, Reward, RewardCode, Tier
from community.loyalty.selectors import profile_section
from community.metrics.actions import record

pytestmark = pytest.mark.django_db


def test_my_points_page(member, member_client):
    PointRule.objects.create(kind="post.replied", points=5)
    record(member=member, kind="post.replied")
    body = member_client.get("/me/points/").content.decode()
    assert "First post" in body and "+5" in body


@pytest.mark.parametrize("n", [2, 20])
def test_leaderboard_page_queries(make_member, client, django_assert_max_num_queries, n):
    PointRule.objects.create(kind="post.replied", points=1)
    for _ in range(n):
        record(member=make_member(), kind="post.replied")
    with django_assert_max_num_queries(4):
        response = client.get("/leaderboard/?period=month")
    assert response.status_code == 200 and len(response.context["rows"]) == n


def test_rewards_page_and_redeem(member, member_client):
    PointRule.objects.create(kind="post.replied", points=100)
    record(member=member, kind="post.replied")
    reward = Reward.objects.create(name="Sticker pack", price=40)
    RewardCode.objects.create(reward=reward, code="STICK-1")
    assert "Sticker pack" in member_client.get("/rewards/").content.decode()
    response = member_client.post(f"/rewards/{reward.pk}/redeem/")
    assert response.status_code == 302 and response["Location"] == "/me/points/"
    assert "STICK-1" in member_client.get("/me/points/").content.decode()


def test_manage_page_requires_permission(member_client, manager, login):
    assert member_client.get("/loyalty/manage/").status_code == 403
    client = login(manager)
    assert client.get("/loyalty/manage/").status_code == 200
    data = {
        "rules-TOTAL_FORMS": "1", "rules-INITIAL_FORMS": "0", "rules-0-kind": "post.replied",
        "rules-0-points": "7", "rules-0-daily_cap": "70", "rules-0-active": "on",
        "tiers-TOTAL_FORMS": "1", "tiers-INITIAL_FORMS": "0", "tiers-0-name": "Gold", "tiers-0-threshold": "300",
        "tiers-0-window_days": "90", "tiers-0-color": "#d4af37",
    }
    assert client.post("/loyalty/manage/", data).status_code == 302
    assert PointRule.objects.get(kind="post.replied").daily_cap == 70
    assert Tier.objects.get().name == "Gold"


def test_profile_section_include(member):
    from django.template.loader import render_to_string

    record(member=member, kind="post.replied")
    html = render_to_string("loyalty/_profile_section.html", profile_section(member=member))
    assert "First post" in html and "0 topics, 1 replies" in html
