"""RSVP rules: capacity, waitlist in order of arrival, plus-ones, deadline, promotion, who may RSVP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count, Q, Sum
from django.utils import timezone

from events.actions import event_update, rsvp_cancel, rsvp_set
from events.errors import EventError, EventPermissionDenied, NotEnoughSeats, RSVPClosed
from events.models import RSVP, Event, RSVPStatus
from events.selectors import waitlist_position

pytestmark = pytest.mark.django_db


def assert_counts_consistent(event: Event) -> None:
    event.refresh_from_db()
    totals = RSVP.objects.filter(event=event).aggregate(
        going=Count("pk", filter=Q(status="going")), guests=Sum("plus_ones", filter=Q(status="going")),
        waiting=Count("pk", filter=Q(status="waitlisted")))
    assert event.going_count == totals["going"]
    assert event.seats_taken == totals["going"] + (totals["guests"] or 0)
    assert event.waitlist_count == totals["waiting"]
    if event.capacity is not None:
        assert event.seats_taken <= event.capacity


def test_going_takes_a_seat_until_full_then_waitlist(make_event, make_member):
    event = make_event(capacity=2)
    members = [make_member() for _ in range(4)]
    statuses = [rsvp_set(member=m, event=event, status="going").status for m in members]
    assert statuses == ["going", "going", "waitlisted", "waitlisted"]
    assert_counts_consistent(event)
    assert event.seats_left == 0


def test_waitlist_is_in_order_of_arrival_and_cancel_promotes_first(make_event, make_member, notifications):
    event = make_event(capacity=1)
    first, second, third = make_member(), make_member(), make_member()
    rsvp_set(member=first, event=event, status="going")
    waiting_a = rsvp_set(member=second, event=event, status="going")
    waiting_b = rsvp_set(member=third, event=event, status="going")
    assert waitlist_position(rsvp=waiting_a) == 1
    assert waitlist_position(rsvp=waiting_b) == 2

    rsvp_cancel(member=first, event=event)

    assert RSVP.objects.get(member=second, event=event).status == "going"
    assert RSVP.objects.get(member=third, event=event).status == "waitlisted"
    assert waitlist_position(rsvp=RSVP.objects.get(member=third, event=event)) == 1
    told = [n for n in notifications if n["data"]["change"] == "promoted"]
    assert [n["recipient"] for n in told] == [second]
    assert told[0]["kind"] == "event"
    assert_counts_consistent(event)


def test_plus_ones_count_against_capacity(make_event, make_member):
    event = make_event(capacity=4, max_plus_ones=2)
    a, b = make_member(), make_member()
    assert rsvp_set(member=a, event=event, status="going", plus_ones=2).status == "going"
    assert rsvp_set(member=b, event=event, status="going", plus_ones=2).status == "waitlisted"
    event.refresh_from_db()
    assert event.seats_taken == 3 and event.seats_left == 1
    # b lowers to no guests: still waitlisted, but now fits and is first in line -> promoted
    assert rsvp_set(member=b, event=event, status="going", plus_ones=0).status == "going"
    assert_counts_consistent(event)
    assert event.seats_left == 0


def test_too_many_plus_ones_refused(make_event, member):
    event = make_event(capacity=10, max_plus_ones=1)
    with pytest.raises(EventError):
        rsvp_set(member=member, event=event, status="going", plus_ones=2)
    assert not RSVP.objects.exists()


def test_adding_guests_without_seats_keeps_the_existing_seat(make_event, make_member):
    event = make_event(capacity=2, max_plus_ones=3)
    a, b = make_member(), make_member()
    rsvp_set(member=a, event=event, status="going")
    rsvp_set(member=b, event=event, status="going")
    with pytest.raises(NotEnoughSeats):
        rsvp_set(member=a, event=event, status="going", plus_ones=1)
    assert RSVP.objects.get(member=a).status == "going"
    assert RSVP.objects.get(member=a).plus_ones == 0
    assert_counts_consistent(event)


def test_strict_first_come_first_served_with_guests(make_event, make_member):
    event = make_event(capacity=3, max_plus_ones=2)
    a, b, c = make_member(), make_member(), make_member()
    rsvp_set(member=a, event=event, status="going", plus_ones=1)   # 2 seats
    rsvp_set(member=b, event=event, status="going", plus_ones=2)   # needs 3: waitlisted
    # one seat is free, but b is waiting first: c must not jump the queue
    assert rsvp_set(member=c, event=event, status="going").status == "waitlisted"
    rsvp_cancel(member=a, event=event)  # 3 free: b fits, then c doesn't
    assert RSVP.objects.get(member=b).status == "going"
    assert RSVP.objects.get(member=c).status == "waitlisted"
    assert_counts_consistent(event)


def test_interested_and_not_going_take_no_seat(make_event, make_member):
    event = make_event(capacity=1)
    a, b = make_member(), make_member()
    assert rsvp_set(member=a, event=event, status="interested").status == "interested"
    assert rsvp_set(member=b, event=event, status="not_going").status == "not_going"
    event.refresh_from_db()
    assert event.seats_taken == 0 and event.going_count == 0


def test_changing_answer_keeps_one_rsvp(make_event, member):
    event = make_event(capacity=5)
    for status in ("going", "interested", "not_going", "going"):
        rsvp_set(member=member, event=event, status=status)
    assert RSVP.objects.filter(member=member, event=event).count() == 1
    assert RSVP.objects.get(member=member).status == "going"


def test_no_rsvp_changes_after_deadline(make_event, member):
    event = make_event(capacity=5, starts_in=timedelta(days=2),
                       rsvp_deadline=timezone.now() + timedelta(days=1))
    rsvp_set(member=member, event=event, status="going")
    Event.objects.filter(pk=event.pk).update(rsvp_deadline=timezone.now() - timedelta(minutes=1))
    with pytest.raises(RSVPClosed):
        rsvp_cancel(member=member, event=event)
    with pytest.raises(RSVPClosed):
        rsvp_set(member=member, event=event, status="interested")
    assert RSVP.objects.get(member=member).status == "going"


def test_no_rsvp_after_start_without_deadline(make_event, member):
    event = make_event(starts_in=timedelta(hours=-1))
    with pytest.raises(RSVPClosed):
        rsvp_set(member=member, event=event, status="going")


def test_drafts_and_cancelled_events_take_no_rsvp(make_event, member, manager):
    draft = make_event(publish=False)
    with pytest.raises(EventPermissionDenied):
        rsvp_set(member=member, event=draft, status="going")
    from events.actions import event_cancel

    cancelled = event_cancel(actor=manager, event=make_event())
    with pytest.raises(RSVPClosed):
        rsvp_set(member=member, event=cancelled, status="going")


def test_unverified_and_suspended_members_cannot_rsvp(make_event, make_member):
    event = make_event()
    with pytest.raises(EventPermissionDenied):
        rsvp_set(member=make_member(verified=False), event=event, status="going")
    suspended = make_member(suspended_until=timezone.now() + timedelta(days=1))
    with pytest.raises(EventPermissionDenied):
        rsvp_set(member=suspended, event=event, status="going")
    assert not RSVP.objects.exists()


def test_role_restricted_event_needs_the_role(make_event, member, moderator):
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Moderator")
    event = make_event(visibility="roles", roles=[group])
    with pytest.raises(EventPermissionDenied):
        rsvp_set(member=member, event=event, status="going")
    assert rsvp_set(member=moderator, event=event, status="going").status == "going"


def test_raising_capacity_promotes_the_waitlist(make_event, make_member, manager, notifications, live_events):
    event = make_event(capacity=1)
    a, b, c = make_member(), make_member(), make_member()
    for m in (a, b, c):
        rsvp_set(member=m, event=event, status="going")
    event_update(actor=manager, event=event, capacity=2)
    assert RSVP.objects.get(member=b).status == "going"
    assert RSVP.objects.get(member=c).status == "waitlisted"
    assert [n["recipient"] for n in notifications if n["data"]["change"] == "promoted"] == [b]
    assert_counts_consistent(event)
    assert live_events[-1][1]["seats_left"] == 0 and live_events[-1][1]["going"] == 2


def test_unlimited_capacity_never_waitlists(make_event, make_member):
    event = make_event(capacity=None)
    assert {rsvp_set(member=make_member(), event=event, status="going").status for _ in range(5)} == {"going"}
    event.refresh_from_db()
    assert event.seats_left is None and event.going_count == 5


def test_rsvp_publishes_seat_count_live(make_event, make_member, live_events):
    event = make_event(capacity=2)
    rsvp_set(member=make_member(), event=event, status="going")
    stream, payload = live_events[-1]
    assert stream == f"event.{event.pk}"
    assert payload == {"type": "events.seats", "op": "change", "event_id": event.pk, "seats_left": 1,
                       "capacity": 2, "going": 1, "seats_taken": 1, "waitlisted": 0, "status": "published"}


def test_participation_recorded_once_and_undone_on_cancel(make_event, member, recorded):
    event = make_event(capacity=3)
    rsvp_set(member=member, event=event, status="going")
    rsvp_set(member=member, event=event, status="going")  # no change
    rsvp_set(member=member, event=event, status="interested")  # still participating
    rsvp_cancel(member=member, event=event)
    assert recorded == [("record", "event.rsvp", member), ("undo", "event.rsvp", member)]


def test_rsvp_status_choices_are_validated(make_event, member):
    with pytest.raises(EventError):
        rsvp_set(member=member, event=make_event(), status=RSVPStatus.WAITLISTED)


def test_refusal_message_comes_from_accounts(make_event, make_member):
    with pytest.raises(EventPermissionDenied) as caught:
        rsvp_set(member=make_member(verified=False), event=make_event(), status="going")
    assert "confirm your email" in str(caught.value).lower()
