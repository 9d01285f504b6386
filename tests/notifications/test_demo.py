from __future__ import annotations

import pytest

from community.notifications import demo
from community.notifications.models import Notification


@pytest.mark.django_db
def test_seed_is_idempotent_and_shows_collapsed_reactions(make_category, make_topic):
    category = make_category()
    for _ in range(3):
        make_topic(category=category, replies=2)
    demo.seed()
    count = Notification.objects.count()
    demo.seed()
    assert count == Notification.objects.count() > 0
    reaction = Notification.objects.filter(kind="reaction").first()
    assert reaction.count == len(reaction.actor_ids) > 1
