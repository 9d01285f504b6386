import pytest
from django.contrib.auth.models import AnonymousUser, Group

from events.models import Event

pytestmark = pytest.mark.django_db


def test_visible_to(make_event, member, moderator, manager):
    public = make_event(title="public")
    members = make_event(title="members", visibility="members")
    mods = make_event(title="mods", visibility="roles", roles=[Group.objects.get(name="Moderator")])
    draft = make_event(title="draft", publish=False)

    def titles(user):
        return set(Event.objects.visible_to(user).values_list("title", flat=True))

    assert titles(AnonymousUser()) == {"public"}
    assert titles(member) == {"public", "members"}
    assert titles(moderator) == {"public", "members", "mods"}
    assert titles(manager) == {"public", "members", "mods", "draft"}
    assert {public, members, mods, draft}


def test_seats_left_and_full(make_event):
    event = make_event(capacity=2)
    assert event.seats_left == 2 and not event.is_full
    event.seats_taken = 2
    assert event.seats_left == 0 and event.is_full
    event.capacity = None
    assert event.seats_left is None and not event.is_full
