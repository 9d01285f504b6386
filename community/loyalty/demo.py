"""Demo loyalty setup: point rules with daily caps, tiers, and a rewards catalogue with code pools. Idempotent.
(Members' points and badges come with their history in community.metrics.demo.)"""

from __future__ import annotations

from django.db import transaction

from community.loyalty.models import PointRule, Reward, RewardCode, Tier

RULES = [
    # kind, points, daily cap (points)
    ("visit.day", 1, 1), ("topic.created", 10, 50), ("post.replied", 5, 50), ("reaction.given", 1, 10),
    ("reaction.received", 2, 20), ("answer.accepted", 25, None), ("event.rsvp", 2, 10), ("event.attended", 20, None),
    ("article.read", 1, 5), ("newsletter.opened", 1, 1), ("newsletter.clicked", 2, 4), ("survey.answered", 5, 10),
]
TIERS = [("Bronze", 50, "#b08d57"), ("Silver", 200, "#8e9aa6"), ("Gold", 500, "#c9a227")]
REWARDS = [
    ("Sticker pack", "A sheet of community stickers, posted to you.", "swag", 60, 100, 0),
    ("15% discount code", "15% off your next order in our shop.", "code", 150, None, 20),
    ("Early access to the beta", "Try new features before everyone else.", "code", 250, None, 10),
    ("Community T-shirt", "Organic cotton, in your size.", "swag", 400, 25, 0),
]


@transaction.atomic
def seed(stdout=None) -> None:
    for kind, points, cap in RULES:
        PointRule.objects.get_or_create(kind=kind, defaults={"points": points, "daily_cap": cap})
    for name, threshold, color in TIERS:
        Tier.objects.get_or_create(name=name, defaults={"threshold": threshold, "window_days": 90, "color": color})
    for name, description, kind, price, stock, codes in REWARDS:
        reward, _created = Reward.objects.get_or_create(
            name=name, defaults={"description": description, "kind": kind, "price": price, "stock": stock})
        prefix = "".join(word[0] for word in name.split()).upper()
        for i in range(1, codes + 1):
            RewardCode.objects.get_or_create(reward=reward, code=f"DEMO-{prefix}-{i:04d}")
