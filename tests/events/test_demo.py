import pytest

from events.demo import seed
from events.models import RSVP, Event, EventFeedback

pytestmark = pytest.mark.django_db


def test_demo_is_complete_and_idempotent():
    events = seed()
    counts = (Event.objects.count(), RSVP.objects.count(), EventFeedback.objects.count())
    seed()
    assert (Event.objects.count(), RSVP.objects.count(), EventFeedback.objects.count()) == counts

    past = events["past"]
    assert past.is_past()
    assert RSVP.objects.filter(event=past, attendance="attended").count() == 4
    assert RSVP.objects.filter(event=past, attendance="no_show").count() == 1
    assert EventFeedback.objects.filter(event=past).count() == 4
    assert events["online"].format == "online" and events["online"].join_url
    full = Event.objects.get(pk=events["full"].pk)
    assert full.is_full and full.waitlist_count == 3
    assert [h.handle for h in events["upcoming"].hosts.all()] == ["maria"]
    assert Event.objects.filter(series__isnull=False).count() == 4


def test_demo_starts_discussions_in_the_forum():
    from community.forum.models import Category

    Category.objects.create(name="Events", slug="events")
    events = seed()
    assert Event.objects.get(pk=events["upcoming"].pk).discussion_topic is not None
